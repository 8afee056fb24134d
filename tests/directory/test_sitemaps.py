"""/sitemap.xml lists the state and city pages and the profiles of real providers."""

import xml.etree.ElementTree as ET

import pytest

from .factories import make_provider

pytestmark = pytest.mark.django_db
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client) -> set[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return {loc.text for loc in root.findall("./s:url/s:loc", NS)}


def test_sitemap_has_places_and_real_profiles_but_no_demo(client):
    real = make_provider(city="Los Angeles", zip_code="90012")
    demo = make_provider(
        is_demo=True, npi="9000000015", city="Denver", state="CO", zip_code="80202"
    )
    urls = locations(client)
    site = "https://ketamineassociation.test"
    assert f"{site}/find-provider/california" in urls
    assert f"{site}/find-provider/california/los-angeles" in urls
    assert f"{site}{real.get_absolute_url()}" in urls
    assert f"{site}{demo.get_absolute_url()}" not in urls
    assert f"{site}/find-provider/colorado" not in urls


def test_directory_sections_have_their_own_files(client):
    make_provider()
    assert client.get("/sitemap-providers.xml").status_code == 200
    assert b"/find-provider/california" in client.get("/sitemap-find-provider.xml").content
