"""Writes of the provider directory: save, CSV import, demo seeding, verification."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from ketamine_association.core.reports import FAILED, ImportReport, Outcome

from .choices import (
    CACHE_VERSION_KEY,
    DEMO_NPI_PREFIX,
    Credential,
    VerificationMethod,
    VerificationStatus,
)
from .csvformat import COLUMNS, RowError, header_problem, normalise_header, parse_row
from .demo import DemoFactory, zip_pool
from .geo import lat_band, zip_place
from .models import Provider
from .validators import npi_is_valid

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


def provider_save(*, provider: Provider, verified_by=None) -> Provider:
    """Save one provider (the admin's form). `verified_by`: the staff member who just set its
    verification status or method by hand, recorded with the date."""
    if verified_by is not None:
        provider.verified_by = verified_by
        provider.verified_at = timezone.now()
    provider_prepare(provider=provider)
    provider.save()
    directory_version_bump()
    return provider


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


def _next_demo_number() -> int:
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
    number = _next_demo_number()
    fields = [f for f in Provider._meta.concrete_fields if not f.primary_key]
    created_at = next(f for f in fields if f.attname == "created_at")
    now = created_at.get_db_prep_save(timezone.now(), connection)
    defaults = {"photo": "", "verified_by_id": None, "created_at": now}
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    target = f"{quote(Provider._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    made = 0
    while made < count:
        size = min(batch_size, count - made)
        rows = []
        for n in range(size):
            values = {**defaults, **factory.values(number=number + made + n, now=now)}
            rows.append([values[name] for name in names])
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:  # identifiers come from the model; every value is a parameter
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {target} VALUES ({placeholders})", rows)  # noqa: S608
        made += size
        if on_batch is not None:
            on_batch(size)
    directory_version_bump()
    return SeedResult(made, time.perf_counter() - started)


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
    verified: int
    failed: int
    kept: int  # already verified by a stronger method, left as they were


def provider_verify_npi_format(*, providers: QuerySet[Provider], by, now=None) -> VerifyOutcome:
    """Check each NPI's format and check digit, and record what was checked, when, by whom.
    A provider verified by a registry or license lookup keeps that stronger record."""
    now = now or timezone.now()
    stronger = (VerificationMethod.NPI_REGISTRY, VerificationMethod.STATE_LICENSE)
    rows = list(providers.values_list("id", "npi", "verification_status", "verification_method"))
    kept = {pk for pk, _, status, method in rows if status == "verified" and method in stronger}
    todo = [(pk, npi) for pk, npi, _, _ in rows if pk not in kept]
    good = [pk for pk, npi in todo if npi_is_valid(npi)]
    bad = [pk for pk, npi in todo if not npi_is_valid(npi)]
    for ids, status in ((good, VerificationStatus.VERIFIED), (bad, VerificationStatus.FAILED)):
        for start in range(0, len(ids), 500):
            Provider.objects.filter(id__in=ids[start : start + 500]).update(
                verification_status=status,
                verification_method=VerificationMethod.NPI_FORMAT,
                verified_at=now,
                verified_by=by,
                updated_at=now,
            )
    if good or bad:
        directory_version_bump()
    return VerifyOutcome(len(good), len(bad), len(kept))
