"""The verification rule and the badge's wording, in one place (plain data in, plain data out).

**The rule.** Only the latest check of each kind counts. The provider's NPI is good when its
latest NPPES registry check passed, or, when it has no registry check at all, when its latest
NPI format check passed (a registry answer, say "deactivated", overrides a format check). Its
license is good when its latest license check passed and has not expired (`expires_on` is
today or later). A provider is **verified** only when both its NPI and its license are good.
It is **failed** when the deciding NPI check or the latest license check failed, and
**unverified** otherwise (an expired license included). REMS checks are shown, never decisive.

`services.verification_record` stores a check and applies this rule to the provider;
`selectors.provider_badge` words each check for the profile with this module's `badge_lines`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .choices import CHECK_METHOD, CheckKind, VerificationMethod, VerificationStatus


@dataclass(frozen=True)
class CheckFacts:
    kind: str
    passed: bool
    checked_at: dt.datetime
    expires_on: dt.date | None = None
    detail: str = ""
    license_state: str = ""
    license_number: str = ""


@dataclass(frozen=True)
class Decision:
    status: str
    method: str
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class BadgeLine:
    kind: str
    text: str
    ok: bool


def latest_by_kind(checks: Iterable[CheckFacts]) -> dict[str, CheckFacts]:
    """The latest check of each kind; of two at the same time, the later in `checks`."""
    latest: dict[str, CheckFacts] = {}
    for check in checks:
        held = latest.get(check.kind)
        if held is None or check.checked_at >= held.checked_at:
            latest[check.kind] = check
    return latest


def license_current(check: CheckFacts | None, *, today: dt.date) -> bool:
    return bool(
        check and check.passed and check.expires_on is not None and check.expires_on >= today
    )


def verification_decide(*, checks: Iterable[CheckFacts], today: dt.date) -> Decision:
    """The provider's status, the method its strongest good check names, and its date."""
    latest = latest_by_kind(checks)
    npi = latest.get(CheckKind.NPI_REGISTRY) or latest.get(CheckKind.NPI_FORMAT)
    licence = latest.get(CheckKind.LICENSE)
    npi_ok = bool(npi and npi.passed)
    license_ok = license_current(licence, today=today)
    if npi_ok and license_ok:
        status = VerificationStatus.VERIFIED
    elif (npi and not npi.passed) or (licence and not licence.passed):
        status = VerificationStatus.FAILED
    else:
        status = VerificationStatus.UNVERIFIED
    if license_ok:
        method, decided = VerificationMethod.STATE_LICENSE, licence
    elif npi_ok:
        method, decided = CHECK_METHOD[npi.kind], npi
    else:
        method, decided = VerificationMethod.NONE, npi or licence
    if status == VerificationStatus.VERIFIED:
        decided = max((npi, licence), key=lambda check: check.checked_at)
    return Decision(str(status), str(method), decided.checked_at if decided else None)


def long_date(value: dt.date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def _line(check: CheckFacts, *, today: dt.date, local_date) -> BadgeLine:
    on = long_date(local_date(check.checked_at))
    detail = f" ({check.detail})" if check.detail else ""
    if check.kind == CheckKind.NPI_FORMAT:
        if check.passed:
            return BadgeLine(check.kind, f"NPI format checked on {on}", True)
        return BadgeLine(check.kind, f"NPI format check failed on {on}: not a valid NPI", False)
    if check.kind == CheckKind.NPI_REGISTRY:
        if check.passed:
            return BadgeLine(check.kind, f"NPI matched in the national registry on {on}", True)
        return BadgeLine(
            check.kind, f"NPI not matched in the national registry on {on}{detail}", False
        )
    if check.kind == CheckKind.LICENSE:
        which = " ".join(part for part in (check.license_state, check.license_number) if part)
        which = f" ({which})" if which else ""
        if not check.passed:
            return BadgeLine(check.kind, f"License check by staff failed on {on}{which}", False)
        expires = long_date(check.expires_on) if check.expires_on else "no date"
        if license_current(check, today=today):
            text = f"License{which} checked by staff on {on}, expires {expires}"
            return BadgeLine(check.kind, text, True)
        text = f"License{which} checked by staff on {on}, expired {expires}"
        return BadgeLine(check.kind, text, False)
    if check.passed:
        return BadgeLine(check.kind, f"REMS certification seen by staff on {on}", True)
    return BadgeLine(check.kind, f"REMS certification not found by staff on {on}", False)


def badge_lines(
    *, checks: Iterable[CheckFacts], today: dt.date, local_date=dt.datetime.date
) -> list[BadgeLine]:
    """One line per kind checked, its latest check, in the order of CheckKind."""
    latest = latest_by_kind(checks)
    return [
        _line(latest[kind], today=today, local_date=local_date)
        for kind in CheckKind.values
        if kind in latest
    ]
