"""Small providers of our own for tests: real ZIP codes, fictional people."""

from __future__ import annotations

import datetime as dt
import itertools

from ketamine_association.directory.choices import Credential, State, Treatment
from ketamine_association.directory.models import Provider
from ketamine_association.directory.services import (
    provider_prepare,
    provider_save,
    verification_record,
)
from ketamine_association.directory.validators import npi_check_digit

_numbers = itertools.count(1)


def npi(number: int, prefix: str = "1") -> str:
    base = f"{prefix}{number:08d}"
    return base + str(npi_check_digit(base))


def provider_values(**overrides) -> dict:
    number = next(_numbers)
    values = {
        "name": f"Test Clinician {number}",
        "credentials": Credential.mask(["MD"]),
        "npi": npi(number),
        "license_states": State.mask(["CA"]),
        "practice_name": f"Test Practice {number}",
        "address": f"{number} Test Street",
        "city": "Beverly Hills",
        "state": "CA",
        "zip_code": "90210",
        "latitude": None,
        "longitude": None,
        "phone": "(555) 555-0100",
        "treatments": Treatment.mask(["iv-infusion"]),
    }
    values.update(overrides)
    return values


def make_provider(**overrides) -> Provider:
    return provider_save(provider=Provider(**provider_values(**overrides)))


def bulk_providers(rows: list[dict]) -> list[Provider]:
    """Many providers in one INSERT: each dict overrides provider_values()."""
    providers = [provider_prepare(provider=Provider(**provider_values(**row))) for row in rows]
    return Provider.objects.bulk_create(providers)


def checked(provider: Provider, *kinds: str, on: dt.date | None = None, **fields) -> Provider:
    """Record passing checks of these kinds (a license valid for a year past `on`), at noon
    of `on` or, when that noon is still to come, now: a check is never recorded in the future,
    so one made later in a test is the latest whatever the hour the tests run."""
    when = min(
        dt.datetime.combine(on or dt.date.today(), dt.time(12), tzinfo=dt.UTC),
        dt.datetime.now(dt.UTC),
    )
    for kind in kinds:
        extra = dict(fields)
        if kind == "license":
            extra.setdefault("license_state", "CA")
            extra.setdefault("license_number", "A999001")
            extra.setdefault("expires_on", max(when.date(), dt.date.today()) + dt.timedelta(365))
        verification_record(
            provider=provider, kind=kind, passed=extra.pop("passed", True), checked_at=when, **extra
        )
    return provider
