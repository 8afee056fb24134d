"""Staff admin: search, filters, adding a provider from a ZIP code, the verify action."""

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
        "verification_status": "unverified",
        "verification_method": "",
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
    vague = admin_client.post(
        f"{URL}add/", form_data(npi="1000000004", verification_status="verified")
    )
    assert "verification_method" in vague.context["adminform"].form.errors


def test_marking_verified_by_hand_records_who_and_when(admin_client):
    admin_client.post(f"{URL}add/", form_data())
    provider = Provider.objects.get()
    assert admin_client.get(f"{URL}{provider.id}/change/").status_code == 200
    data = form_data(verification_status="verified", verification_method="state-license")
    response = admin_client.post(f"{URL}{provider.id}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    provider.refresh_from_db()
    assert provider.verification_method == "state-license"
    assert provider.verified_by == get_user_model().objects.get(username="admin")
    assert provider.verified_at is not None


def test_verify_action(admin_client):
    providers = [make_provider(), make_provider()]
    response = admin_client.post(
        URL,
        {"action": "verify_npi_format", "_selected_action": [p.id for p in providers]},
        follow=True,
    )
    assert b"NPI format verified for 2; failed for 0" in response.content
    assert set(Provider.objects.values_list("verification_method", flat=True)) == {"npi-format"}
    assert all(p.verified_by_id for p in Provider.objects.all())
