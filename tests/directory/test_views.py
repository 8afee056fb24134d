"""The pages: /find-provider (its URL contract and every bad input), state and city pages,
profiles with JSON-LD, photos. No request answers 500."""

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest

from ketamine_association.directory.choices import Credential, State, Treatment
from ketamine_association.directory.models import Provider

from .factories import bulk_providers, checked, make_provider

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """What a test needs to know of a page: h1s, labelled fields, links, JSON-LD."""

    def __init__(self, html: str):
        super().__init__()
        self.h1 = 0
        self.labels: set[str] = set()
        self.fields: list[str] = []
        self.links: list[str] = []
        self.jsonld: list[dict] = []
        self._script = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        elif tag in ("input", "select") and attrs.get("type") != "hidden":
            self.fields.append(attrs.get("id"))
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._script = ""

    def handle_data(self, data):
        if self._script is not None:
            self._script += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.jsonld.append(json.loads(self._script))
            self._script = None


def get(client, path, params=None, status=200):
    response = client.get(path, params)
    assert response.status_code == status, (path, params, response.status_code)
    return response, response.content.decode()


def test_form_page_is_accessible_and_indexable(client):
    make_provider()
    response, html = get(client, "/find-provider")
    page = Page(html)
    assert page.h1 == 1
    assert set(page.fields) <= page.labels  # every field has a label
    assert {"fp-location", "fp-radius", "fp-treatment", "fp-telehealth"} <= set(page.fields)
    assert "/find-provider/california" in page.links
    assert 'California</a> <span class="small">(1)</span>' in html
    assert '<link rel="canonical" href="https://ketamineassociation.test/find-provider">' in html
    assert "X-Robots-Tag" not in response
    assert "988" in html and "not medical advice" in html


def test_search_by_zip_lists_nearest_first_with_distance_badges_and_treatments(client):
    near = checked(make_provider(name="Near One", zip_code="90210"), "npi-format", "license")
    far = make_provider(name="Far One", zip_code="90012", city="Los Angeles")
    checked(make_provider(name="Nearby Two", zip_code="90210"), "npi-format")
    response, html = get(client, "/find-provider", {"location": "90210"})
    assert response["X-Robots-Tag"] == "noindex"
    assert html.index("Near One") < html.index("Far One")
    assert "3 providers found" in html
    assert "within 50 miles of Beverly Hills, CA 90210" in html
    distance = response.context["result"].hits[2].distance_mi
    assert f"{distance:.1f} mi</strong>" in html
    assert re.search(r"0\.0 mi</strong>", html)
    assert "✓ Verified: NPI and license checked" in html and "Not verified" in html
    assert "NPI format checked" in html  # an NPI check alone: named, never "verified"
    assert "Treatments: IV ketamine infusion" in html
    assert near.get_absolute_url() in html and far.get_absolute_url() in html


def test_search_by_city_and_state(client):
    make_provider(city="Denver", state="CO", zip_code="80202")
    _, html = get(client, "/find-provider", {"location": "denver, co", "radius": "10"})
    assert "1 provider found" in html and "within 10 miles of Denver, CO" in html


def test_filters_narrow_and_are_kept_in_the_form(client):
    make_provider(name="Infusion Only")
    make_provider(name="Therapy Too", treatments=Treatment.mask(["iv-infusion", "kap"]))
    response, html = get(client, "/find-provider", {"location": "90210", "treatment": "kap"})
    assert "Therapy Too" in html and "Infusion Only" not in html
    assert '<option value="kap" selected>' in html
    assert '<details class="field-wide more-filters" open>' in html


def test_pagination_keeps_every_parameter(client):
    bulk_providers(
        [{"telehealth": True, "telehealth_states": State.mask(["CA"])} for _ in range(45)]
    )
    params = {
        "location": "90210",
        "radius": "25",
        "treatment": "iv-infusion",
        "telehealth": "1",
        "accepting": "1",
    }
    response, html = get(client, "/find-provider", params)
    assert "45 providers found" in html
    assert len(response.context["result"].hits) == 20
    page_links = [link for link in Page(html).links if "page=" in link]
    assert page_links
    for link in page_links:
        for key, value in params.items():
            assert f"{key}={value}" in link, link
    response, html = get(client, "/find-provider", {**params, "page": "3"})
    assert len(response.context["result"].hits) == 5
    assert 'aria-current="page">3<' in html
    response, html = get(client, "/find-provider", {**params, "page": "9"})
    assert "There is no page 9 of these results; this is page 3." in html


def test_more_results_than_shown_says_so(client, monkeypatch):
    monkeypatch.setattr("ketamine_association.directory.views.MAX_RESULTS", 10)
    bulk_providers([{} for _ in range(12)])
    _, html = get(client, "/find-provider", {"location": "90210"})
    assert "More than 10 providers found" in html
    assert "These are the nearest 10" in html


def test_no_result_offers_a_wider_radius_and_telehealth(client):
    make_provider(zip_code="10001", city="New York", state="NY")
    _, html = get(
        client, "/find-provider", {"location": "90210", "radius": "10", "treatment": "kap"}
    )
    assert "No providers found" in html
    assert "No provider matches your search within 10 miles of Beverly Hills, CA 90210." in html
    links = Page(html).links
    assert "/find-provider?location=90210&radius=25&treatment=kap" in links
    assert "/find-provider?location=90210&radius=250&treatment=kap" in links
    assert "/find-provider?location=90210&radius=10&treatment=kap&telehealth=1" in links
    assert "Include telehealth providers licensed in California" in html


def test_telehealth_providers_from_afar_are_marked_telehealth(client):
    make_provider(
        name="Remote Doc",
        zip_code="10001",
        city="New York",
        state="NY",
        telehealth=True,
        telehealth_states=State.mask(["CA", "NY"]),
    )
    _, html = get(client, "/find-provider", {"location": "90210", "telehealth": "1"})
    assert "Remote Doc" in html
    assert '<strong class="provider-distance">Telehealth</strong>' in html
    assert "0 within 50 miles of Beverly Hills, CA 90210, and 1 by telehealth" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"location": "00000"}, "could not find the ZIP code 00000"),
        ({"location": "9021O"}, "has letters in it"),
        ({"location": "9021"}, "has 4"),
        ({"location": "Springfield"}, "Which one?"),
        ({"location": "Springfeild"}, "Did you mean one of these?"),
        ({"location": "Los Angelos, CA"}, "could not find “Los Angelos” in California"),
        ({"location": "Denver, XX"}, "not a US state"),
        ({"location": "California"}, "Browse every provider in California"),
        ({"location": "90210", "radius": "7"}, "is not one of them, so this search uses 50 miles"),
        ({"location": "90210", "radius": "9" * 400}, "this search uses 50 miles"),
        ({"location": "90210", "treatment": "unicorn"}, "We do not know the treatment “unicorn”"),
        ({"location": "90210", "insurance": "gold"}, "We do not know the insurance “gold”"),
        ({"location": "90210", "condition": "x"}, "We do not know the condition “x”"),
        ({"location": "90210", "verified": "perhaps"}, "is not a yes or no for verified only"),
        ({"location": "x" * 5000}, "That location is 5,000 characters long"),
        ({"location": "90210", "page": "'; DROP TABLE x;--"}, "There is no page"),
    ],
)
def test_bad_input_gets_a_helpful_page(client, params, expected):
    make_provider()
    _, html = get(client, "/find-provider", params)
    assert expected in html
    assert Page(html).h1 == 1


def test_suggestions_are_links_that_keep_the_filters(client):
    _, html = get(client, "/find-provider", {"location": "Springfeild", "treatment": "kap"})
    assert "/find-provider?location=Springfield%2C+IL&treatment=kap" in Page(html).links
    _, html = get(client, "/find-provider", {"location": "9021O"})
    assert "/find-provider?location=90210" in Page(html).links


@pytest.mark.parametrize(
    "location",
    [
        "<script>alert('x')</script>",
        "' OR 1=1 --",
        "90210' UNION SELECT npi FROM directory_provider --",
        "\x00\x01\x02",
        "%00",
        "ﷺ𝕏 \u202e 90210",
        "{{ 7*7 }} {% debug %}",
        "9" * 5000,
        "Los Angeles, CA" * 400,
    ],
)
def test_hostile_input_is_escaped_and_never_an_error(client, location):
    make_provider()
    _, html = get(client, "/find-provider", {"location": location, "treatment": location})
    assert "<script>alert" not in html
    assert len(html) < 200_000


def test_hostile_query_strings(client):
    assert client.get("/find-provider?location=%FF%FE&radius=%00").status_code == 200
    assert client.get("/find-provider?" + "&".join(["treatment=kap"] * 2000)).status_code == 400
    assert client.post("/find-provider", {"location": "90210"}).status_code == 405
    assert client.head("/find-provider?location=90210").status_code == 200


def test_the_page_answers_in_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    bulk_providers(
        [{"telehealth": True, "telehealth_states": State.mask(["CA"])} for _ in range(40)]
    )
    bulk_providers(
        [
            {
                "zip_code": "10001",
                "city": "New York",
                "state": "NY",
                "telehealth": True,
                "telehealth_states": State.mask(["CA"]),
            }
            for _ in range(10)
        ]
    )
    get(client, "/find-provider", {"location": "90210"})  # the ZIP data, loaded once
    with django_assert_max_num_queries(8):
        get(client, "/find-provider", {"location": "90210", "radius": "250", "telehealth": "1"})
    with django_assert_max_num_queries(2):
        get(client, "/find-provider")  # the state list, then cached


def test_state_page_lists_its_cities_with_counts(client):
    make_provider()
    make_provider(city="Los Angeles", zip_code="90012")
    make_provider(city="Los Angeles", zip_code="90013")
    _, html = get(client, "/find-provider/california")
    assert "3 providers in 2 cities" in html
    assert (
        '<a href="/find-provider/california/los-angeles">Los Angeles</a> <span class="small">(2)</span>'
        in html
    )
    assert Page(html).h1 == 1
    _, html = get(client, "/find-provider/wyoming")
    assert "No provider in Wyoming is listed yet" in html


def test_state_short_names_redirect_and_unknown_states_help(client):
    response = client.get("/find-provider/ca")
    assert (response.status_code, response["Location"]) == (301, "/find-provider/california")
    _, html = get(client, "/find-provider/narnia", status=404)
    assert "is not a US state we list" in html


def test_city_page_lists_its_providers_by_name_with_pages(client):
    bulk_providers(
        [{"name": f"Person {n:02d}", "city": "Los Angeles", "zip_code": "90012"} for n in range(23)]
    )
    response, html = get(client, "/find-provider/california/los-angeles")
    assert "23 providers listed in Los Angeles" in html
    assert [p.name for p in response.context["providers"]][:2] == ["Person 00", "Person 01"]
    assert "/find-provider/california/los-angeles?page=2" in Page(html).links
    response, _ = get(client, "/find-provider/california/los-angeles", {"page": "2"})
    assert len(response.context["providers"]) == 3
    get(client, "/find-provider/california/los-angeles", {"page": "abc"})


def test_city_without_providers_and_unknown_city(client):
    _, html = get(client, "/find-provider/alaska/adak")
    assert "No provider in Adak is listed yet" in html and 'content="noindex"' in html
    get(client, "/find-provider/alaska/atlantis", status=404)
    get(client, "/find-provider/narnia/atlantis", status=404)


def test_profile_has_physician_jsonld_address_and_honest_verification(client):
    provider = make_provider(
        credentials=Credential.mask(["MD"]),
        conditions=0b1,
        price_min_usd=400,
        price_max_usd=700,
        website="https://example.com/x",
    )
    checked(provider, "npi-format", on=dt.date(2026, 2, 3))
    _, html = get(client, provider.get_absolute_url())
    page = Page(html)
    assert page.h1 == 1
    [block] = page.jsonld
    clinician, data = block["@graph"]  # the clinician and the practice, two nodes
    assert clinician["@type"] == ["Person", "Physician"]
    assert clinician["name"] == provider.display_name and "address" not in clinician
    assert data["@type"] == "MedicalClinic"
    assert data["address"] == {
        "@type": "PostalAddress",
        "streetAddress": provider.address,
        "addressLocality": "Beverly Hills",
        "addressRegion": "CA",
        "postalCode": "90210",
        "addressCountry": "US",
    }
    assert data["geo"]["latitude"] == round(provider.latitude, 6)
    assert data["telephone"] == "+15555550100"
    assert data["medicalSpecialty"] == ["https://schema.org/Psychiatric"]
    assert data["availableService"] == [{"@type": "MedicalTherapy", "name": "IV ketamine infusion"}]
    assert data["url"] == f"https://ketamineassociation.test{provider.get_absolute_url()}"
    assert "NPI format checked on February 3, 2026" in html
    assert "Not verified: a listing is verified only with a good NPI check" in html
    assert "✓ Verified" not in html
    assert '<address class="provider-address">' in html
    assert "https://npiregistry.cms.hhs.gov/provider-view/" + provider.npi in page.links
    assert "noindex" not in html and "Fictional demo listing" not in html


def test_profile_of_a_therapist_is_a_medical_clinic(client):
    provider = make_provider(credentials=Credential.mask(["LCSW"]), practice_name="Calm Rooms")
    [block] = Page(get(client, provider.get_absolute_url())[1]).jsonld
    clinician, data = block["@graph"]
    assert clinician["@type"] == "Person" and clinician["name"] == provider.display_name
    assert data["@type"] == "MedicalClinic" and data["name"] == "Calm Rooms"


def test_unverified_and_failed_profiles_say_so(client):
    provider = make_provider()
    _, html = get(client, provider.get_absolute_url())
    assert "Not verified: we have not checked this provider’s NPI or license yet." in html
    checked(provider, "npi-format", passed=False, on=dt.date(2026, 2, 3))
    _, html = get(client, provider.get_absolute_url())
    assert "NPI format check failed on February 3, 2026: not a valid NPI" in html
    assert "✓" not in html


def test_profile_badge_names_each_check_with_its_date(client):
    provider = make_provider()
    checked(provider, "npi-registry", on=dt.date(2026, 3, 4), detail="MARISOL QUENTARA, M.D.")
    checked(provider, "license", on=dt.date(2026, 3, 5), expires_on=dt.date(2030, 6, 30))
    checked(provider, "rems", on=dt.date(2026, 3, 6))
    _, html = get(client, provider.get_absolute_url())
    assert "✓ Verified: NPI and license checked" in html
    assert "NPI matched in the national registry on March 4, 2026" in html
    assert "License (CA A999001) checked by staff on March 5, 2026, expires June 30, 2030" in html
    assert "REMS certification seen by staff on March 6, 2026" in html


def test_expired_license_hides_the_verified_badge(client):
    provider = checked(make_provider(), "npi-format", "license")
    Provider.objects.filter(id=provider.id).update(verification_status="verified")
    provider.checks.filter(kind="license").update(expires_on=dt.date(2020, 1, 31))
    _, html = get(client, provider.get_absolute_url())  # before the daily job re-derives it
    assert "✓ Verified" not in html and "Not verified" in html
    assert "expired January 31, 2020" in html


def test_demo_profile_is_marked_fictional_and_not_indexed(client):
    provider = make_provider(is_demo=True, npi="9000000015")
    _, html = get(client, provider.get_absolute_url())
    assert "Fictional demo listing." in html and "not a real clinician" in html
    assert '<meta name="robots" content="noindex">' in html
    assert "npiregistry" not in html


def test_jsonld_cannot_break_out_of_its_script(client):
    provider = make_provider(name="</script><script>alert(1)</script>")
    _, html = get(client, provider.get_absolute_url())
    assert "<script>alert(1)" not in html
    assert Page(html).jsonld[0]["@graph"][0]["name"].startswith("</script>")


def test_unknown_profile_is_404(client):
    get(client, "/providers/nobody-1234567893", status=404)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_photos_are_served_from_their_folder_only(client, tmp_path, settings):
    settings.PROVIDER_PHOTOS_ROOT = tmp_path / "photos"
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "jane.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(PNG)
    (tmp_path / "photos" / "x.svg").write_text("<svg onload=alert(1)/>")
    response = client.get("/media/providers/jane.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    for name in ("..%2Fsecret.png", "x.svg", "missing.png", ".hidden.png"):
        assert client.get(f"/media/providers/{name}").status_code == 404


def crumbs(html: str) -> list[str]:
    """The visible labels of the page's breadcrumb, in order."""
    (nav,) = re.findall(r'<nav aria-label="Breadcrumb"[^>]*>(.*?)</nav>', html, re.S)
    return [re.sub(r"<[^>]+>", "", part).strip() for part in nav.split("›")]


def test_breadcrumbs_never_give_two_places_one_label(client):
    new_yorker = make_provider(
        city="New York", state="NY", zip_code="10001", license_states=State.mask(["NY"])
    )
    _, html = get(client, new_yorker.get_absolute_url())
    assert crumbs(html) == ["Find a Provider", "New York (state)", "New York City"]
    assert {"/find-provider/new-york", "/find-provider/new-york/new-york"} <= set(Page(html).links)
    _, html = get(client, "/find-provider/new-york/new-york")
    assert crumbs(html) == ["Find a Provider", "New York (state)", "New York City"]
    # A city not named like its state keeps both plain names.
    _, html = get(client, make_provider().get_absolute_url())
    assert crumbs(html) == ["Find a Provider", "California", "Beverly Hills"]
    _, html = get(client, "/find-provider/california/beverly-hills")
    assert crumbs(html) == ["Find a Provider", "California", "Beverly Hills"]
