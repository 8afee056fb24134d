"""A suspended listing leaves every public read: the search (its SQL, still an index-only scan),
telehealth from afar, the state and city pages and their counts, the sitemap; its profile
answers 410 Gone with a kind page, and 200 again once restored. Staff suspend with a reason;
a CSV re-import never lifts a suspension."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection

from ketamine_association.directory.choices import State
from ketamine_association.directory.geo import bounding_box, zip_place
from ketamine_association.directory.models import Provider
from ketamine_association.directory.selectors import (
    ProviderFilters,
    _box_query,
    provider_search,
    sitemap_places,
    sitemap_providers,
    state_cities,
    state_counts,
)
from ketamine_association.directory.services import (
    SuspensionReasonMissing,
    provider_import_csv,
    provider_restore,
    provider_suspend,
)

from .factories import make_provider
from .test_admin import URL, form_data
from .test_services import good_row, write_csv

pytestmark = pytest.mark.django_db
SITE = "https://ketamineassociation.test"
REASON = "License under review by the state board."


def suspended(**overrides) -> Provider:
    return provider_suspend(provider=make_provider(**overrides), reason=REASON)


def found(**filters) -> list[int]:
    result = provider_search(
        origin=zip_place("90210"), radius_mi=50, filters=ProviderFilters(**filters), limit=20
    )
    return [hit.provider.id for hit in result.hits]


def test_search_leaves_out_a_suspended_provider_and_finds_it_again_once_restored(client):
    shown = make_provider(name="Shown Clinician")
    hidden = suspended(name="Hidden Clinician")
    assert found() == [shown.id]
    assert found(accepting=True) == [shown.id]  # with a filter, the same rule
    html = client.get("/find-provider", {"location": "90210"}).content.decode()
    assert "Shown Clinician" in html and "Hidden Clinician" not in html
    assert hidden.get_absolute_url() not in html
    provider_restore(provider=hidden)
    assert found() == sorted([shown.id, hidden.id])


def test_the_search_query_is_still_an_index_only_scan():
    """The suspension is in provider_geo_idx, so the box reads no table row (_box_query)."""
    make_provider()
    box = bounding_box(latitude=34.09, longitude=-118.41, radius_mi=10)
    sql, params = _box_query(bands=box.bands, filters=ProviderFilters(accepting=True))
    low, high = box.lon_ranges[0]
    values = [*box.bands, low, high, box.lat_min, box.lat_max, *params]
    assert "is_suspended" in sql and False in params
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}", values)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Index Only Scan using provider_geo_idx" in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", values)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING COVERING INDEX provider_geo_idx" in plan, plan


def test_telehealth_from_afar_leaves_out_a_suspended_provider():
    covering = {"telehealth": True, "telehealth_states": State.mask(["CA"])}
    far = {"zip_code": "10001", "city": "New York", "state": "NY"}
    remote = make_provider(**far, **covering)
    suspended(**far, **covering)
    assert found(telehealth=True) == [remote.id]


def test_state_and_city_pages_and_counts_leave_out_a_suspended_provider(client):
    make_provider(city="Los Angeles", zip_code="90012", name="Shown Clinician")
    hidden = make_provider(city="Los Angeles", zip_code="90012", name="Hidden Clinician")
    make_provider(city="Denver", state="CO", zip_code="80202")
    assert dict(state_counts()) == {"CA": 2, "CO": 1}  # cached: the suspension must bump it
    provider_suspend(provider=hidden, reason=REASON)
    suspended(city="Denver", state="CO", zip_code="80202")  # Colorado keeps its other one
    assert dict(state_counts()) == {"CA": 1, "CO": 1}
    assert [(c.slug, c.count) for c in state_cities(state="CA")] == [("los-angeles", 1)]
    state = client.get("/find-provider/california").content.decode()
    assert "Los Angeles" in state
    city = client.get("/find-provider/california/los-angeles")
    html = city.content.decode()
    assert city.status_code == 200
    assert "Shown Clinician" in html and "Hidden Clinician" not in html


def test_a_city_whose_only_provider_is_suspended_has_none_listed(client):
    hidden = suspended(city="Los Angeles", zip_code="90012", name="Hidden Clinician")
    assert state_counts() == []
    response = client.get("/find-provider/california/los-angeles")
    assert response.status_code == 200  # a known city, shown without providers
    assert "Hidden Clinician" not in response.content.decode()
    assert hidden.get_absolute_url() not in response.content.decode()


def test_sitemap_leaves_out_a_suspended_profile_and_its_empty_places(client):
    shown = make_provider()
    hidden = suspended(city="Denver", state="CO", zip_code="80202")
    assert list(sitemap_providers()) == [shown]
    assert ("CO", None) not in sitemap_places()
    response = client.get("/sitemap.xml")
    urls = {el.text for el in ET.fromstring(response.content).iter() if el.tag.endswith("loc")}
    assert f"{SITE}{shown.get_absolute_url()}" in urls
    assert f"{SITE}{hidden.get_absolute_url()}" not in urls
    assert f"{SITE}/find-provider/colorado" not in urls


def test_profile_of_a_suspended_listing_is_gone_with_a_kind_page_then_back(client):
    provider = suspended(name="Hidden Clinician", practice_name="Hidden Practice")
    response = client.get(provider.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 410
    assert "This listing is no longer available" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'href="/find-provider?location=90210"' in html
    assert 'href="/find-provider/california/beverly-hills"' in html
    for detail in ("Hidden Clinician", "Hidden Practice", provider.npi, provider.address, REASON):
        assert detail not in html
    assert "application/ld+json" not in html
    provider_restore(provider=provider)
    back = client.get(provider.get_absolute_url())
    assert back.status_code == 200 and "Hidden Clinician" in back.content.decode()


def test_a_suspension_needs_a_reason():
    provider = make_provider()
    with pytest.raises(SuspensionReasonMissing):
        provider_suspend(provider=provider, reason="   ")
    provider.refresh_from_db()
    assert not provider.is_suspended


def test_admin_change_form_suspends_only_with_a_reason_and_restores(admin_client):
    provider = make_provider()
    change = f"{URL}{provider.pk}/change/"
    data = form_data(
        name=provider.name,
        npi=provider.npi,
        credentials=["MD"],
        address=provider.address,
        is_suspended="on",
    )
    refused = admin_client.post(change, data)
    assert refused.status_code == 200
    assert "suspension_reason" in refused.context["adminform"].form.errors
    provider.refresh_from_db()
    assert not provider.is_suspended
    response = admin_client.post(change, {**data, "suspension_reason": REASON})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.is_suspended, provider.suspension_reason) == (True, REASON)
    assert admin_client.get(provider.get_absolute_url()).status_code == 410
    del data["is_suspended"]
    assert admin_client.post(change, {**data, "suspension_reason": REASON}).status_code == 302
    provider.refresh_from_db()
    assert (provider.is_suspended, provider.suspension_reason) == (False, "")
    assert admin_client.get(provider.get_absolute_url()).status_code == 200


def test_admin_actions_suspend_with_a_reason_and_restore(admin_client):
    provider, other = make_provider(), make_provider()
    chosen = {"action": "suspend", "_selected_action": [str(provider.pk)]}
    asked = admin_client.post(URL, chosen)
    assert asked.status_code == 200 and "reason" in asked.context["form"].fields
    assert str(provider) in asked.content.decode()
    empty = admin_client.post(URL, {**chosen, "apply": "Suspend", "reason": " "})
    assert empty.status_code == 200 and empty.context["form"].errors["reason"]
    provider.refresh_from_db()
    assert not provider.is_suspended
    done = admin_client.post(URL, {**chosen, "apply": "Suspend", "reason": REASON})
    assert done.status_code == 302
    provider.refresh_from_db()
    other.refresh_from_db()
    assert (provider.is_suspended, provider.suspension_reason) == (True, REASON)
    assert not other.is_suspended
    assert admin_client.get(URL, {"is_suspended__exact": "1"}).context["cl"].result_count == 1
    restored = admin_client.post(URL, {"action": "restore", "_selected_action": [provider.pk]})
    assert restored.status_code == 302
    provider.refresh_from_db()
    assert not provider.is_suspended


def test_a_csv_reimport_leaves_a_suspended_listing_suspended(tmp_path):
    path = write_csv(tmp_path / "providers.csv", [good_row()])
    provider_import_csv(path=path)
    provider = provider_suspend(provider=Provider.objects.get(npi="1234567893"), reason=REASON)
    changed = write_csv(tmp_path / "changed.csv", [good_row(phone="310-555-0199")])
    report = provider_import_csv(path=changed)
    assert report.count("updated") == 1
    provider.refresh_from_db()
    assert provider.phone.endswith("555-0199")  # the import did write the row
    assert (provider.is_suspended, provider.suspension_reason) == (True, REASON)
    assert found() == []
