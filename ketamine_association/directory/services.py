"""Writes of the provider directory: save, CSV import, demo seeding, verification."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from ketamine_association.core.reports import FAILED, ImportReport, Outcome

from .choices import (
    CACHE_VERSION_KEY,
    DEMO_NPI_PREFIX,
    CheckKind,
    Credential,
    VerificationStatus,
)
from .csvformat import COLUMNS, RowError, header_problem, normalise_header, parse_row
from .demo import DemoFactory, zip_pool
from .geo import lat_band, zip_place
from .models import Provider, VerificationCheck, photo_storage
from .photos import ProcessedPhoto
from .registry import NpiRegistry, RegistryUnavailable, registry, registry_verdict
from .signals import demo_providers_seeded
from .validators import npi_is_valid
from .verification import verification_decide

logger = logging.getLogger(__name__)
MAX_CSV_BYTES = 200 * 1024 * 1024
IMPORT_BATCH = 500


class LocationUnknown(ValueError):
    """No coordinates were given and the ZIP code is not one we know."""


class ImportUsageError(Exception):
    """The file cannot be imported at all: missing, not UTF-8, no usable header."""


def directory_version_bump() -> None:
    cache.set(CACHE_VERSION_KEY, str(time.time_ns()), None)


def provider_slug(*, name: str, credentials: int, npi: str) -> str:
    codes = " ".join(member.value for member in Credential.members(credentials))
    return f"{slugify(f'{name} {codes}')[:110].strip('-')}-{npi}"


def provider_prepare(*, provider: Provider) -> Provider:
    """Fill what is derived: coordinates from the ZIP code when not given, the latitude band,
    the city's slug, the page slug (kept once set: addresses do not change with a name)."""
    if provider.latitude is None or provider.longitude is None:
        place = zip_place(provider.zip_code)
        if place is None:
            raise LocationUnknown(
                f"ZIP code {provider.zip_code} is unknown: give latitude and longitude"
            )
        provider.latitude, provider.longitude = place.latitude, place.longitude
    provider.lat_band = lat_band(provider.latitude)
    provider.city_slug = slugify(provider.city)[:100]
    if not provider.slug:
        provider.slug = provider_slug(
            name=provider.name, credentials=provider.credentials, npi=provider.npi
        )
    provider.updated_at = timezone.now()
    return provider


def provider_save(*, provider: Provider, photo: ProcessedPhoto | None = None) -> Provider:
    """Save one provider (the admin's form). Its verification fields are derived from its
    recorded checks (verification_record), never set here. `photo`: a new photo, already
    checked and re-encoded by photos.photo_process; only those files are ever stored."""
    provider_prepare(provider=provider)
    if photo is not None:
        provider.photo = provider_photo_store(slug=provider.slug, photo=photo)
    provider.save()
    directory_version_bump()
    return provider


class SuspensionReasonMissing(ValueError):
    """A listing is suspended only with a reason (for staff and the owner; never public)."""


def provider_suspend(*, provider: Provider, reason: str, by=None) -> Provider:
    """Take a listing out of every public read (selectors.LISTED): search, state and city
    pages, sitemaps; its profile answers 410 Gone. `by`: the staff member (None: a job)."""
    reason = reason.strip()
    if not reason:
        raise SuspensionReasonMissing("a suspension needs a reason")
    provider.is_suspended = True
    provider.suspension_reason = reason
    provider.updated_at = timezone.now()
    provider.save(update_fields=["is_suspended", "suspension_reason", "updated_at"])
    directory_version_bump()
    logger.info("provider %s suspended by user %s", provider.pk, getattr(by, "pk", None))
    return provider


def provider_restore(*, provider: Provider, by=None) -> Provider:
    """Put a suspended listing back where it was (the reason is cleared)."""
    provider.is_suspended = False
    provider.suspension_reason = ""
    provider.updated_at = timezone.now()
    provider.save(update_fields=["is_suspended", "suspension_reason", "updated_at"])
    directory_version_bump()
    logger.info("provider %s restored by user %s", provider.pk, getattr(by, "pk", None))
    return provider


def provider_photo_store(*, slug: str, photo: ProcessedPhoto) -> str:
    """Write each size as `<slug>-<digest>-<edge>.jpg`; the name of the largest (the field's)."""
    storage = photo_storage()
    names = {}
    for edge, data in photo.files.items():
        name = f"{slug[:100]}-{photo.digest}-{edge}.{photo.extension}"
        if not storage.exists(name):
            name = storage.save(name, ContentFile(data))
        names[edge] = name
    return names[max(names)]


# --------------------------------------------------------------------------- CSV import


def import_summary(report: ImportReport) -> dict:
    """The `import_providers --json` object (its shape is documented in the README)."""
    return {
        "rows": len(report.outcomes),
        "created": report.count("created"),
        "updated": report.count("updated"),
        "unchanged": report.count("unchanged"),
        "failed": len(report.failed),
        "errors": [error.as_dict() for error in report.errors],
        "warnings": report.warnings,
    }


def _failed(row: int, *errors: RowError) -> Outcome:
    return Outcome(f"row {row}", FAILED, errors=errors)


def _read_csv(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise ImportUsageError(f"{path}: larger than {MAX_CSV_BYTES // 2**20} MB")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise ImportUsageError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise ImportUsageError(f"{path}: a folder, not a CSV file") from exc
    except UnicodeDecodeError as exc:
        raise ImportUsageError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the sheet as CSV UTF-8"
        ) from exc


def provider_import_csv(*, path: Path, on_row: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row, import the good ones (upsert on NPI), report the others.
    A row that matches what is stored changes nothing, so a re-import is a no-op."""
    reader = csv.reader(io.StringIO(_read_csv(Path(path)), newline=""))
    try:
        header = normalise_header(next(reader))
    except StopIteration as exc:
        raise ImportUsageError(f"{path}: empty file") from exc
    except csv.Error as exc:
        raise ImportUsageError(f"{path}: not a CSV file ({exc})") from exc
    if problem := header_problem(header):
        raise ImportUsageError(f"{path}: {problem}")
    report = ImportReport()
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        report.warnings.append(f"column(s) ignored: {', '.join(unknown)}")
    seen: dict[str, int] = {}
    batch: list[tuple[int, dict]] = []
    row = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.add(
                _failed(row + 1, RowError(row + 1, "", f"unreadable CSV ({exc}); stopped here"))
            )
            break
        row += 1
        if not any(cell.strip() for cell in cells):
            continue
        if on_row is not None:
            on_row(row)
        if len(cells) > len(header):
            report.add(
                _failed(
                    row, RowError(row, "", f"has {len(cells)} cells; the header has {len(header)}")
                )
            )
            continue
        values, errors = parse_row(dict(zip(header, cells, strict=False)), row=row)
        npi = values["npi"]
        if not errors and npi in seen:
            errors = [RowError(row, "npi", f"NPI {npi} already appears on row {seen[npi]}")]
        if errors:
            report.add(_failed(row, *errors))
            continue
        seen[npi] = row
        batch.append((row, values))
        if len(batch) >= IMPORT_BATCH:
            _upsert(batch, report)
            batch = []
    if batch:
        _upsert(batch, report)
    if report.changed:
        directory_version_bump()
    return report


def _resolved(values: dict) -> dict:
    if values["latitude"] is None:
        place = zip_place(values["zip_code"])
        values = {**values, "latitude": place.latitude, "longitude": place.longitude}
    return values


def _upsert(batch: list[tuple[int, dict]], report: ImportReport) -> None:
    """One transaction for a batch of good rows: new NPIs created, changed ones updated."""
    stored = Provider.objects.in_bulk([values["npi"] for _, values in batch], field_name="npi")
    new: list[Provider] = []
    changed: list[Provider] = []
    outcomes: list[Outcome] = []
    for row, values in batch:
        values = _resolved(values)
        provider = stored.get(values["npi"])
        if provider is None:
            new.append(provider_prepare(provider=Provider(**values)))
            outcomes.append(Outcome(f"row {row}", "created", values["npi"]))
            continue
        differs = {key: value for key, value in values.items() if getattr(provider, key) != value}
        if not differs:
            outcomes.append(Outcome(f"row {row}", "unchanged", values["npi"]))
            continue
        for key, value in differs.items():
            setattr(provider, key, value)
        changed.append(provider_prepare(provider=provider))
        outcomes.append(Outcome(f"row {row}", "updated", values["npi"]))
    fields = [*batch[0][1].keys(), "lat_band", "city_slug", "updated_at"]
    with transaction.atomic():
        Provider.objects.bulk_create(new)
        Provider.objects.bulk_update(changed, fields)
    report.outcomes.extend(outcomes)


# --------------------------------------------------------------------------- demo data


@dataclass(frozen=True)
class SeedResult:
    created: int
    seconds: float


def next_demo_number() -> int:
    """The number of the next demo provider (demo.demo_npi): one past the highest stored."""
    last = Provider.objects.filter(npi__startswith=DEMO_NPI_PREFIX).aggregate(Max("npi"))
    return int(last["npi__max"][1:9]) + 1 if last["npi__max"] else 1


def provider_seed(
    *,
    count: int,
    seed: int = 0,
    batch_size: int = 5000,
    on_batch: Callable[[int], None] | None = None,
) -> SeedResult:
    """`count` fictional providers (is_demo) over real US ZIP codes; see demo.py for where.

    A transaction a batch. The rows bypass bulk_create, which spent most of a million
    providers' time compiling SQL row by row, while the factory already gives database
    values: PostgreSQL takes them by COPY, SQLite by one prepared INSERT (executemany)."""
    started = time.perf_counter()
    factory = DemoFactory(seed=seed, pool=zip_pool())
    number = next_demo_number()
    fields = [f for f in Provider._meta.concrete_fields if not f.primary_key]
    created_at = next(f for f in fields if f.attname == "created_at")
    moment = timezone.now()
    now = created_at.get_db_prep_save(moment, connection)
    today = timezone.localdate(moment)
    defaults = {
        "photo": "",
        "verified_by_id": None,
        "created_at": now,
        "membership_tier_id": None,
        "membership_starts_on": None,
        "membership_ends_on": None,
        "is_suspended": False,
        "suspension_reason": "",
    }
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    target = f"{quote(Provider._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    made = 0
    while made < count:
        size = min(batch_size, count - made)
        rows = []
        checks: dict[str, list] = {}
        for n in range(size):
            values = {**defaults, **factory.values(number=number + made + n, now=now, today=today)}
            if facts := values.pop("_checks"):
                checks[values["npi"]] = facts
            rows.append([values[name] for name in names])
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:  # identifiers come from the model; every value is a parameter
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {target} VALUES ({placeholders})", rows)  # noqa: S608
            _demo_checks_record(checks, moment=moment)
            first = number + made
            demo_providers_seeded.send(sender=Provider, numbers=range(first, first + size))
        made += size
        if on_batch is not None:
            on_batch(size)
    directory_version_bump()
    return SeedResult(made, time.perf_counter() - started)


def _demo_checks_record(checks: dict[str, list], *, moment: dt.datetime) -> None:
    """The demo factory's checks as VerificationCheck rows (inside the batch's transaction),
    dated `moment` (the factory's own dates are already database values)."""
    ids = dict(Provider.objects.filter(npi__in=list(checks)).values_list("npi", "id"))
    VerificationCheck.objects.bulk_create(
        [
            VerificationCheck(
                provider_id=ids[npi],
                kind=fact.kind,
                passed=fact.passed,
                checked_at=moment,
                detail=fact.detail,
                license_state=fact.license_state,
                license_number=fact.license_number,
                expires_on=fact.expires_on,
            )
            for npi, facts in checks.items()
            for fact in facts
        ],
        batch_size=1000,
    )


def provider_table_analyze() -> None:
    """Fresh planner statistics after a bulk load (and, on PostgreSQL outside a transaction,
    a VACUUM so the search's index-only scans need not visit the table)."""
    table = Provider._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute(f"ANALYZE {table}")


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class VerifyOutcome:
    verified: int  # NPI format passed
    failed: int


def verification_recompute(*, provider_ids: Iterable[int], today: dt.date | None = None) -> int:
    """Derive verification_status, verification_method and verified_at of these providers from
    their recorded checks, by the one rule (verification.verification_decide). Returns how many
    changed. Also the daily job that lets an expired license hide the verified badge."""
    today = today or timezone.localdate()
    ids = list(provider_ids)
    changed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        checks: dict[int, list] = {pk: [] for pk in chunk}
        rows = VerificationCheck.objects.filter(provider_id__in=chunk).order_by("checked_at", "id")
        for check in rows:
            checks[check.provider_id].append(check.facts)
        providers = Provider.objects.filter(id__in=chunk).only(
            "id", "verification_status", "verification_method", "verified_at"
        )
        dirty = []
        for provider in providers:
            decision = verification_decide(checks=checks[provider.pk], today=today)
            fresh = {
                "verification_status": decision.status,
                "verification_method": decision.method,
                "verified_at": decision.decided_at,
            }
            if any(getattr(provider, name) != value for name, value in fresh.items()):
                for name, value in fresh.items():
                    setattr(provider, name, value)
                dirty.append(provider)
        Provider.objects.bulk_update(
            dirty, ["verification_status", "verification_method", "verified_at"]
        )
        changed += len(dirty)
    if changed:
        directory_version_bump()
    return changed


def verification_expire(*, today: dt.date | None = None) -> int:
    """Re-derive every verified provider whose license check has expired (run daily)."""
    today = today or timezone.localdate()
    expired = (
        VerificationCheck.objects.filter(
            kind=CheckKind.LICENSE,
            expires_on__lt=today,
            provider__verification_status=VerificationStatus.VERIFIED,
        )
        .values_list("provider_id", flat=True)
        .distinct()
    )
    return verification_recompute(provider_ids=list(expired), today=today)


@transaction.atomic
def verification_record(
    *,
    provider: Provider,
    kind: str,
    passed: bool,
    by=None,
    detail: str = "",
    license_state: str = "",
    license_number: str = "",
    expires_on: dt.date | None = None,
    checked_at: dt.datetime | None = None,
) -> VerificationCheck:
    """Record one check of `provider` (`by`: the staff member, None for an automatic check)
    and re-derive its verification status from all its checks (the rule: verification.py)."""
    if kind not in CheckKind.values:
        raise ValueError(f"unknown check kind {kind!r}")
    if kind == CheckKind.LICENSE and passed and expires_on is None:
        raise ValueError("a passed license check needs its expiry date")
    check = VerificationCheck.objects.create(
        provider=provider,
        kind=kind,
        passed=passed,
        checked_by=by,
        checked_at=checked_at or timezone.now(),
        detail=detail,
        license_state=license_state,
        license_number=license_number,
        expires_on=expires_on,
    )
    verification_recompute(provider_ids=[provider.pk])
    provider.refresh_from_db(fields=["verification_status", "verification_method", "verified_at"])
    return check


def provider_verify_npi_format(*, providers: QuerySet[Provider], by, now=None) -> VerifyOutcome:
    """Check each NPI's format and check digit, record the check (what, when, by whom) and
    re-derive each status. A later registry check still outranks it (verification.py)."""
    now = now or timezone.now()
    rows = list(providers.values_list("id", "npi"))
    checks = [
        VerificationCheck(
            provider_id=pk,
            kind=CheckKind.NPI_FORMAT,
            passed=npi_is_valid(npi),
            checked_at=now,
            checked_by=by,
        )
        for pk, npi in rows
    ]
    with transaction.atomic():
        VerificationCheck.objects.bulk_create(checks, batch_size=500)
        verification_recompute(provider_ids=[pk for pk, _ in rows])
    good = sum(check.passed for check in checks)
    return VerifyOutcome(good, len(checks) - good)


def npi_registry_check(*, provider: Provider, source: NpiRegistry | None = None, by=None):
    """Look the provider's NPI up in the NPPES registry and record an npi-registry check:
    passed when the record is active and its name matches the listing's (registry.name_matches).
    Returns the check, or None when the registry could not be reached (nothing recorded)."""
    source = source or registry()
    try:
        record = source.lookup(provider.npi)
    except RegistryUnavailable:
        return None
    passed, detail = registry_verdict(record, name=provider.name)
    return verification_record(
        provider=provider, kind=CheckKind.NPI_REGISTRY, passed=passed, by=by, detail=detail
    )
