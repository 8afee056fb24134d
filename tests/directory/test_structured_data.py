"""A provider profile's JSON-LD: the clinician the h1 names and the practice, two separate
nodes that each pass their type's schema (tests/seo_schemas.py), on SITE_URL's host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from ketamine_association.core.seo import absolute
from ketamine_association.directory.choices import Credential
from ketamine_association.directory.photos import photo_process
from ketamine_association.directory.services import provider_save
from tests.seo_schemas import problems, types_of, urls_of

from .factories import make_provider
from .test_photos import photo_with_gps, photos  # noqa: F401 (a fixture)
from .test_views import Page, get

pytestmark = pytest.mark.django_db
HOST = urlsplit(settings.SITE_URL).netloc


def graph(client, provider) -> tuple[dict, dict, Page]:
    """The profile's one JSON-LD block, checked against the schemas: (clinician, practice)."""
    _, html = get(client, provider.get_absolute_url())
    page = Page(html)
    [block] = page.jsonld
    assert problems(block) == []
    assert {urlsplit(url).netloc for url in urls_of(block)} == {HOST}
    clinician, practice = block["@graph"]
    return clinician, practice, page


def assert_separate(clinician: dict, practice: dict, provider) -> None:
    url = absolute(provider.get_absolute_url())
    assert clinician["@id"] == f"{url}#clinician" and practice["@id"] == f"{url}#practice"
    assert clinician["worksFor"] == {"@id": practice["@id"]}
    # What belongs to the practice is not said of the clinician, and the other way round.
    for prop in ("address", "geo", "telephone", "availableService", "priceRange"):
        assert prop not in clinician
    assert "image" not in practice and "worksFor" not in practice
    assert "openingHoursSpecification" not in practice  # listings hold no hours


@pytest.mark.parametrize("credential", ["MD", "DO"])
def test_a_physician_is_a_person_and_a_physician_working_at_a_clinic(credential, client):
    provider = make_provider(
        credentials=Credential.mask([credential]), latitude=34.07, longitude=-118.4
    )
    clinician, practice, page = graph(client, provider)
    assert types_of(clinician) == {"Person", "Physician"}
    assert clinician["name"] == provider.display_name  # the h1
    assert types_of(practice) == {"MedicalClinic"} and practice["name"] == provider.practice_name
    assert practice["telephone"] == "+15555550100"
    assert practice["address"]["postalCode"] == "90210"
    assert practice["geo"] == {"@type": "GeoCoordinates", "latitude": 34.07, "longitude": -118.4}
    assert "image" not in clinician  # no photo
    assert_separate(clinician, practice, provider)


def test_a_therapist_is_a_person_and_the_h1_names_them(client):
    provider = make_provider(credentials=Credential.mask(["LCSW"]), practice_name="Calm Rooms")
    clinician, practice, _ = graph(client, provider)
    assert types_of(clinician) == {"Person"} and clinician["name"] == provider.display_name
    assert practice["name"] == "Calm Rooms"
    assert_separate(clinician, practice, provider)


def test_a_solo_practice_without_a_phone_is_known_by_the_clinician(client):
    provider = make_provider(credentials=Credential.mask(["NP"]), practice_name="", phone="")
    clinician, practice, _ = graph(client, provider)
    assert practice["name"] == provider.display_name
    assert "telephone" not in practice
    assert_separate(clinician, practice, provider)


def test_a_photo_is_the_clinicians_image_as_an_absolute_url(client, photos):  # noqa: F811
    upload = SimpleUploadedFile("me.jpg", photo_with_gps())
    provider = make_provider(credentials=Credential.mask(["MD"]))
    provider = provider_save(provider=provider, photo=photo_process(upload))
    clinician, practice, _ = graph(client, provider)
    assert clinician["image"] == absolute(provider.photo.url)
    assert clinician["image"].startswith(settings.SITE_URL + "/media/providers/")
    response = client.get(urlsplit(clinician["image"]).path)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert_separate(clinician, practice, provider)
