"""Writes: deriving fields, the CSV import (row errors, idempotent re-import), demo seeding
and NPI verification."""

import csv
import datetime as dt
from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from ketamine_association.directory.choices import (
    Condition,
    Credential,
    Insurance,
    State,
    Treatment,
    VerificationMethod,
    VerificationStatus,
)
from ketamine_association.directory.csvformat import COLUMNS
from ketamine_association.directory.demo import demo_npi, zip_pool
from ketamine_association.directory.geo import lat_band, zip_place
from ketamine_association.directory.models import Provider
from ketamine_association.directory.services import (
    ImportUsageError,
    LocationUnknown,
    provider_import_csv,
    provider_prepare,
    provider_seed,
    provider_slug,
    provider_verify_npi_format,
)
from ketamine_association.directory.validators import npi_is_valid

from .factories import checked, make_provider, npi, provider_values

pytestmark = pytest.mark.django_db


def good_row(**overrides) -> dict:
    row = {
        "npi": "1234567893",
        "name": "Rowan Example",
        "credentials": "MD; PhD",
        "license_states": "CA;NV",
        "license_number": "A12345",
        "practice_name": "Example Ketamine Clinic",
        "address": "100 Example Way",
        "city": "Beverly Hills",
        "state": "CA",
        "zip": "90210",
        "phone": "310-555-0142",
        "website": "https://example.com/clinic",
        "treatments": "iv-infusion; Spravato (esketamine) nasal spray",
        "conditions": "ptsd;treatment-resistant-depression",
        "insurance": "aetna | Medicare",
        "price_min_usd": "$400",
        "price_max_usd": "650",
        "telehealth": "yes",
        "telehealth_states": "California",
        "languages": "en;es",
        "accepting_new_patients": "no",
        "member": "true",
        "bio": "Board-certified psychiatrist.",
    }
    row.update(overrides)
    return row


def write_csv(path, rows, header=None):
    header = header or list(dict.fromkeys(key for row in rows for key in row)) or list(COLUMNS)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


# --------------------------------------------------------------------------- prepare


def test_prepare_takes_coordinates_from_the_zip_code_unless_given():
    provider = provider_prepare(provider=Provider(**provider_values()))
    place = zip_place("90210")
    assert (provider.latitude, provider.longitude) == (place.latitude, place.longitude)
    assert provider.lat_band == lat_band(place.latitude)
    assert provider.city_slug == "beverly-hills"
    assert provider.slug.startswith("test-clinician-") and provider.slug.endswith(provider.npi)
    given = provider_prepare(provider=Provider(**provider_values(latitude=34.5, longitude=-118.0)))
    assert (given.latitude, given.longitude, given.lat_band) == (34.5, -118.0, 345)


def test_prepare_refuses_an_unknown_zip_without_coordinates():
    with pytest.raises(LocationUnknown, match="00000"):
        provider_prepare(provider=Provider(**provider_values(zip_code="00000")))


def test_slug_stays_when_the_name_changes():
    provider = make_provider(name="First Name")
    slug = provider.slug
    provider.name = "Second Name"
    provider_prepare(provider=provider)
    assert provider.slug == slug


# --------------------------------------------------------------------------- CSV import


def test_import_creates_good_rows_with_every_field(tmp_path):
    report = provider_import_csv(path=write_csv(tmp_path / "p.csv", [good_row()]))
    assert (len(report.outcomes), report.count("created"), report.errors) == (1, 1, [])
    p = Provider.objects.get(npi="1234567893")
    assert p.credentials == Credential.mask(["MD", "PhD"])
    assert p.license_states == State.mask(["CA", "NV"])
    assert p.treatments == Treatment.mask(["iv-infusion", "esketamine"])
    assert p.conditions == Condition.mask(["ptsd", "treatment-resistant-depression"])
    assert p.insurance == Insurance.mask(["aetna", "medicare"])
    assert (p.price_min_usd, p.price_max_usd) == (400, 650)
    assert p.telehealth and p.telehealth_states == State.mask(["CA"])
    assert (p.accepting_new_patients, p.is_member, p.is_demo) == (False, True, False)
    assert p.phone == "(310) 555-0142"
    assert p.latitude == zip_place("90210").latitude
    assert p.verification_status == VerificationStatus.UNVERIFIED


def test_reimport_of_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "p.csv", [good_row(), good_row(npi="1000000004", name="B")])
    provider_import_csv(path=path)
    before = list(Provider.objects.order_by("id").values())
    again = provider_import_csv(path=path)
    assert (again.count("created"), again.count("updated"), again.count("unchanged")) == (0, 0, 2)
    assert list(Provider.objects.order_by("id").values()) == before


def test_reimport_updates_a_changed_row_in_place(tmp_path):
    provider_import_csv(path=write_csv(tmp_path / "a.csv", [good_row()]))
    first = Provider.objects.get()
    report = provider_import_csv(
        path=write_csv(tmp_path / "b.csv", [good_row(phone="310 555 0199", zip="90212")])
    )
    assert (report.count("created"), report.count("updated")) == (0, 1)
    updated = Provider.objects.get()
    assert (updated.id, updated.slug) == (first.id, first.slug)
    assert updated.phone == "(310) 555-0199"
    assert updated.latitude == zip_place("90212").latitude


@pytest.mark.parametrize(
    ("overrides", "column", "reason"),
    [
        ({"npi": "1234567890"}, "npi", "check digit"),
        ({"npi": "12345"}, "npi", "10 digits"),
        ({"name": ""}, "name", "required"),
        ({"credentials": "MD;Wizard"}, "credentials", "Wizard"),
        ({"treatments": "laughing gas"}, "treatments", "laughing gas"),
        ({"state": "Atlantis"}, "state", "not a US state"),
        ({"zip": "9021O"}, "zip", "5-digit"),
        ({"zip": "00000"}, "zip", "unknown"),
        ({"state": "NV"}, "zip", "is in CA, not NV"),
        ({"phone": "555-0142"}, "phone", "10-digit"),
        ({"website": "javascript:alert(1)"}, "website", "web address"),
        ({"price_min_usd": "cheap"}, "price_min_usd", "whole number"),
        ({"price_min_usd": "900"}, "price_max_usd", "less than"),
        ({"accepting_new_patients": "maybe"}, "accepting_new_patients", "yes or no"),
        ({"telehealth": "no"}, "telehealth_states", "telehealth is not yes"),
        ({"latitude": "34.1"}, "longitude", "both"),
        ({"latitude": "north", "longitude": "west"}, "latitude", "decimal degrees"),
        ({"latitude": "95", "longitude": "0"}, "latitude", "out of range"),
        ({"bio": "x" * 5001}, "bio", "limit is 5000"),
    ],
)
def test_each_bad_row_reports_row_column_and_reason(tmp_path, overrides, column, reason):
    rows = [good_row(npi="1000000004"), good_row(**overrides)]
    report = provider_import_csv(path=write_csv(tmp_path / "p.csv", rows))
    assert report.count("created") == 1  # the good row still imports
    assert [(e.row, e.column) for e in report.errors] == [(3, column)]
    assert reason in report.errors[0].reason
    assert str(report.errors[0]).startswith(f"row 3, column {column}: ")


def test_a_row_with_several_problems_reports_each(tmp_path):
    report = provider_import_csv(
        path=write_csv(tmp_path / "p.csv", [good_row(npi="123", name="", zip="abc")])
    )
    assert {e.column for e in report.errors} == {"npi", "name", "zip"}
    assert len(report.failed) == 1 and report.count("created") == 0


def test_unknown_zip_with_coordinates_is_accepted(tmp_path):
    row = good_row(zip="00000", latitude="34.1", longitude="-118.4")
    report = provider_import_csv(path=write_csv(tmp_path / "p.csv", [row]))
    assert report.errors == [] and Provider.objects.get().latitude == 34.1


def test_duplicate_npi_in_one_file_is_an_error_on_the_second(tmp_path):
    report = provider_import_csv(path=write_csv(tmp_path / "p.csv", [good_row(), good_row()]))
    assert report.count("created") == 1
    assert [(e.row, e.column) for e in report.errors] == [(3, "npi")]
    assert "already appears on row 2" in report.errors[0].reason


def test_extra_cells_unknown_columns_and_blank_lines(tmp_path):
    path = tmp_path / "p.csv"
    header = ",".join([*good_row().keys(), "favourite_colour"])
    line = ",".join(f'"{v}"' for v in good_row().values())
    path.write_text(f"{header}\n{line},blue\n\n{line},blue,extra\n", encoding="utf-8")
    report = provider_import_csv(path=path)
    assert report.warnings == ["column(s) ignored: favourite_colour"]
    assert report.count("created") == 1
    assert [(e.row, e.column) for e in report.errors] == [(4, "")]


def test_header_is_case_and_space_insensitive_and_bom_tolerant(tmp_path):
    path = tmp_path / "p.csv"
    row = good_row()
    header = ",".join(key.upper().replace("_", " ") for key in row)
    line = ",".join(f'"{v}"' for v in row.values())
    path.write_bytes(("\ufeff" + header + "\r\n" + line + "\r\n").encode("utf-8"))
    assert provider_import_csv(path=path).count("created") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "empty file"),
        (b"npi,name\n1234567893,X\n", "lacks the required column"),
        ("npi,name\n".encode("utf-16"), "not UTF-8"),
    ],
)
def test_files_that_cannot_be_imported_at_all(tmp_path, content, message):
    path = tmp_path / "p.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportUsageError, match=message):
        provider_import_csv(path=path)


# --------------------------------------------------------------------------- seeding


def test_seed_makes_fictional_providers_over_real_zip_codes():
    result = provider_seed(count=300, seed=5, batch_size=128)
    assert result.created == 300 == Provider.objects.filter(is_demo=True).count()
    for p in Provider.objects.all():
        assert p.npi.startswith("9") and npi_is_valid(p.npi)
        place = zip_place(p.zip_code)
        assert place.state == p.state and place.city == p.city
        assert abs(p.latitude - place.latitude) < 0.03
        assert p.lat_band == lat_band(p.latitude)
        assert p.treatments and p.credentials
        assert "fictional" in p.bio
        assert p.phone.startswith("(555) 555-01")
        kinds = {check.kind for check in p.checks.all()}
        if p.verification_status == VerificationStatus.VERIFIED:  # never without its checks
            assert kinds == {"npi-format", "license"} and p.verified_at
            assert p.verification_method == VerificationMethod.STATE_LICENSE
        else:
            assert "license" not in kinds
        assert p.slug == provider_slug(name=p.name, credentials=p.credentials, npi=p.npi)
    assert Provider.objects.order_by("id").first().npi == demo_npi(1)
    statuses = set(Provider.objects.values_list("verification_status", flat=True))
    assert statuses == {"verified", "unverified"}


def test_seed_is_deterministic_and_continues_numbering():
    provider_seed(count=20, seed=9)
    first = list(Provider.objects.order_by("id").values_list("city", "name", "treatments"))
    Provider.objects.all().delete()
    provider_seed(count=20, seed=9)
    assert list(Provider.objects.order_by("id").values_list("city", "name", "treatments")) == first
    provider_seed(count=5, seed=9)
    assert Provider.objects.count() == 25  # new NPIs, no collision


def test_seed_weights_cities_by_their_zip_codes():
    pool = zip_pool()
    weights = Counter()
    previous = 0
    for info, cumulative in zip(pool.zips, pool.cum_weights, strict=True):
        weights[(info.city, info.state)] += cumulative - previous
        previous = cumulative
    assert weights[("New York", "NY")] > 50 * weights[("Adak", "AK")]


# --------------------------------------------------------------------------- verification


def test_verify_npi_format_records_the_check_and_never_verifies_alone():
    staff = get_user_model().objects.create_user("checker", is_staff=True)
    good = make_provider()
    bad = make_provider()
    Provider.objects.filter(id=bad.id).update(npi="1234567890")  # a bad NPI from before
    licensed = checked(make_provider(), "license")
    when = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    outcome = provider_verify_npi_format(providers=Provider.objects.all(), by=staff, now=when)
    assert (outcome.verified, outcome.failed) == (2, 1)
    good.refresh_from_db()
    assert (good.verification_status, good.verification_method) == ("unverified", "npi-format")
    check = good.checks.get()
    assert (check.kind, check.passed, check.checked_at, check.checked_by) == (
        "npi-format",
        True,
        when,
        staff,
    )
    bad.refresh_from_db()
    assert bad.verification_status == "failed" and bad.checks.get().passed is False
    licensed.refresh_from_db()  # NPI and a current license: verified
    assert (licensed.verification_status, licensed.verification_method) == (
        "verified",
        "state-license",
    )


def test_factories_npis_are_valid():
    assert npi_is_valid(npi(12))
