"""Staff admin: search, filters, adding a provider from a ZIP code, the verify actions, the
checks inline and the form that records a license or REMS check."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from ketamine_association.directory.models import Provider

from .factories import make_provider

pytestmark = pytest.mark.django_db
URL = "/admin/directory/provider/"


def test_changelist_search_and_filters(admin_client):
    make_provider(name="Searchable Person")
    make_provider(name="Other Person", city="Denver", state="CO", zip_code="80202")
    response = admin_client.get(URL, {"q": "Searchable"})
    assert response.status_code == 200 and response.context["cl"].result_count == 1
    for params in (
        {"treatments": "iv-infusion"},
        {"treatments": "kap"},
        {"state": "CO"},
        {"verification_status__exact": "unverified"},
        {"is_demo__exact": "0"},
        {"insurance": "aetna"},
        {"conditions": "ptsd"},
    ):
        assert admin_client.get(URL, params).status_code == 200, params
    assert admin_client.get(URL, {"treatments": "kap"}).context["cl"].result_count == 0
    assert admin_client.get(URL, {"q": make_provider().npi}).context["cl"].result_count == 1


def form_data(**overrides) -> dict:
    data = {
        "name": "Added Person",
        "credentials": ["MD", "PhD"],
        "npi": "1234567893",
        "address": "1 Added Way",
        "city": "Beverly Hills",
        "state": "CA",
        "zip_code": "90210",
        "treatments": ["iv-infusion"],
        "accepting_new_patients": "on",
        "checks-TOTAL_FORMS": "0",  # the read-only inline of checks
        "checks-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_add_a_provider_with_coordinates_from_its_zip(admin_client):
    response = admin_client.post(f"{URL}add/", form_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    provider = Provider.objects.get(npi="1234567893")
    assert provider.display_name == "Added Person, MD, PhD"
    assert provider.latitude and provider.lat_band and provider.slug
    assert provider.verified_by is None
    bad = admin_client.post(f"{URL}add/", form_data(npi="1234567890", zip_code="00000"))
    errors = bad.context["adminform"].form.errors
    assert "npi" in errors and "zip_code" in errors
    # "verified" cannot be set by hand: the posted value is ignored.
    admin_client.post(f"{URL}add/", form_data(npi="1000000004", verification_status="verified"))
    assert Provider.objects.get(npi="1000000004").verification_status == "unverified"


def test_recording_a_license_check_records_who_and_when_and_derives_the_status(admin_client):
    provider = make_provider()
    admin_client.post(URL, {"action": "verify_npi_format", "_selected_action": [provider.id]})
    form = f"{URL}{provider.id}/record-check/"
    assert (
        "Record a license or REMS check"
        in admin_client.get(f"{URL}{provider.id}/change/").content.decode()
    )
    incomplete = admin_client.post(form, {"kind": "license", "passed": "yes"})
    assert incomplete.status_code == 200 and "expires_on" in incomplete.context["form"].errors
    expires = dt.date.today() + dt.timedelta(days=365)
    response = admin_client.post(
        form,
        {
            "kind": "license",
            "passed": "yes",
            "license_state": "CA",
            "license_number": "A999001",
            "expires_on": expires.isoformat(),
            "detail": "Medical Board of California lookup",
        },
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.verification_status, provider.verification_method) == (
        "verified",
        "state-license",
    )
    check = provider.checks.get(kind="license")
    assert check.checked_by == get_user_model().objects.get(username="admin")
    assert (check.license_state, check.license_number, check.expires_on) == (
        "CA",
        "A999001",
        expires,
    )
    page = admin_client.get(f"{URL}{provider.id}/change/").content.decode()
    assert "A999001" in page and "Medical Board of California lookup" in page  # the inline
    rems = admin_client.post(form, {"kind": "rems", "passed": "yes"})
    assert rems.status_code == 302 and provider.checks.filter(kind="rems").exists()


def test_verify_action(admin_client):
    providers = [make_provider(), make_provider()]
    response = admin_client.post(
        URL,
        {"action": "verify_npi_format", "_selected_action": [p.id for p in providers]},
        follow=True,
    )
    assert b"NPI format checked: passed for 2; failed for 0" in response.content
    assert set(Provider.objects.values_list("verification_method", flat=True)) == {"npi-format"}
    # An NPI check alone never makes a listing verified.
    assert set(Provider.objects.values_list("verification_status", flat=True)) == {"unverified"}
    admin = get_user_model().objects.get(username="admin")
    assert {check.checked_by for p in providers for check in p.checks.all()} == {admin}
