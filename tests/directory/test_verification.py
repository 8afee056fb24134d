"""The one verification rule and the badge's wording (verification.py), then the services that
record checks and re-derive the stored status from them."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from ketamine_association.directory.models import Provider
from ketamine_association.directory.selectors import provider_badge
from ketamine_association.directory.services import (
    verification_expire,
    verification_record,
)
from ketamine_association.directory.verification import (
    CheckFacts,
    badge_lines,
    verification_decide,
)

from .factories import checked, make_provider

TODAY = dt.date(2026, 6, 1)


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 5, day, 12, tzinfo=dt.UTC)


FORMAT = CheckFacts("npi-format", True, at(1))
REGISTRY = CheckFacts("npi-registry", True, at(2), detail="MARISOL QUENTARA, M.D.")
LICENSE = CheckFacts("license", True, at(3), expires_on=dt.date(2027, 1, 31), license_state="CA")


def decide(*checks):
    decision = verification_decide(checks=checks, today=TODAY)
    return decision.status, decision.method


def test_verified_needs_a_good_npi_check_and_a_current_license():
    assert decide() == ("unverified", "")
    assert decide(FORMAT) == ("unverified", "npi-format")
    assert decide(REGISTRY) == ("unverified", "npi-registry")
    assert decide(LICENSE) == ("unverified", "state-license")
    assert decide(FORMAT, LICENSE) == ("verified", "state-license")
    assert decide(REGISTRY, LICENSE) == ("verified", "state-license")
    assert verification_decide(checks=[FORMAT, LICENSE], today=TODAY).decided_at == at(3)


def test_an_expired_license_or_one_without_expiry_is_not_verified():
    expired = CheckFacts("license", True, at(3), expires_on=dt.date(2026, 5, 31))
    assert decide(FORMAT, expired) == ("unverified", "npi-format")
    last_day = CheckFacts("license", True, at(3), expires_on=TODAY)
    assert decide(FORMAT, last_day)[0] == "verified"
    undated = CheckFacts("license", True, at(3))  # recorded before expiry dates existed
    assert decide(FORMAT, undated) == ("unverified", "npi-format")


def test_a_registry_answer_outranks_the_format_check_and_the_latest_check_counts():
    deactivated = CheckFacts("npi-registry", False, at(4), detail="deactivated")
    assert decide(FORMAT, deactivated, LICENSE) == ("failed", "state-license")
    matched_again = CheckFacts("npi-registry", True, at(5))
    assert decide(FORMAT, deactivated, matched_again, LICENSE)[0] == "verified"
    revoked = CheckFacts("license", False, at(6))
    assert decide(FORMAT, LICENSE, revoked) == ("failed", "npi-format")


def test_rems_is_shown_but_never_decides():
    rems = CheckFacts("rems", True, at(4))
    assert decide(rems) == ("unverified", "")
    assert decide(FORMAT, LICENSE, CheckFacts("rems", False, at(4)))[0] == "verified"


def test_badge_lines_name_each_check_and_its_date():
    lines = badge_lines(
        checks=[FORMAT, REGISTRY, LICENSE, CheckFacts("rems", True, at(4))], today=TODAY
    )
    assert [line.text for line in lines] == [
        "NPI format checked on May 1, 2026",
        "NPI matched in the national registry on May 2, 2026",
        "License (CA) checked by staff on May 3, 2026, expires January 31, 2027",
        "REMS certification seen by staff on May 4, 2026",
    ]
    assert all(line.ok for line in lines)
    assert not any("verified" in line.text.lower() for line in lines)
    [expired] = badge_lines(checks=[LICENSE], today=dt.date(2027, 2, 1))
    assert not expired.ok and "expired January 31, 2027" in expired.text
    [failed] = badge_lines(
        checks=[CheckFacts("npi-registry", False, at(2), detail="deactivated")], today=TODAY
    )
    assert failed.text == "NPI not matched in the national registry on May 2, 2026 (deactivated)"


# --------------------------------------------------------------------------- services


@pytest.mark.django_db
def test_record_stores_the_check_and_derives_the_status():
    staff = get_user_model().objects.create_user("checker", is_staff=True)
    provider = make_provider()
    verification_record(provider=provider, kind="npi-format", passed=True)
    assert provider.verification_status == "unverified"
    check = verification_record(
        provider=provider,
        kind="license",
        passed=True,
        by=staff,
        license_state="CA",
        license_number="A1",
        expires_on=dt.date.today() + dt.timedelta(days=30),
    )
    assert check.checked_by == staff and provider.verification_status == "verified"
    stored = Provider.objects.get(id=provider.id)
    assert (stored.verification_status, stored.verified_at) == ("verified", check.checked_at)
    with pytest.raises(ValueError, match="expiry"):
        verification_record(provider=provider, kind="license", passed=True)
    with pytest.raises(ValueError, match="unknown"):
        verification_record(provider=provider, kind="vibes", passed=True)


@pytest.mark.django_db
def test_expire_unverifies_listings_whose_license_lapsed():
    lapsing = checked(make_provider(), "npi-format", "license")
    lasting = checked(make_provider(), "npi-format", "license")
    lapsing.checks.filter(kind="license").update(expires_on=dt.date.today())
    assert verification_expire(today=dt.date.today()) == 0
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert verification_expire(today=tomorrow) == 1
    statuses = dict(Provider.objects.values_list("id", "verification_status"))
    assert statuses == {lapsing.id: "unverified", lasting.id: "verified"}
    assert not provider_badge(provider=lapsing, today=tomorrow).verified


@pytest.mark.django_db
def test_verified_search_filter_reads_the_derived_status(client):
    checked(make_provider(name="Fully Checked"), "npi-format", "license")
    checked(make_provider(name="Format Only"), "npi-format")
    html = client.get("/find-provider", {"location": "90210", "verified": "1"}).content.decode()
    assert "Fully Checked" in html and "Format Only" not in html
