"""/consultation: a ZIP code, then up to three nearby providers that accept requests, then the
form once: one request per provider, one shared submission, one confirmation to the patient
naming them all and one notice to each owner."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from ketamine_association.consultations.models import ConsultationRequest
from ketamine_association.consultations.selectors import providers_accepting_near
from ketamine_association.directory.geo import zip_place
from tests.directory.factories import make_provider

from .test_request_form import (
    PATIENT,
    accepting_provider,
    main_html,
    main_text,
    owned,
    request_data,
)

pytestmark = pytest.mark.django_db

OWNERS = [f"owner{n}@clinic{n}.example" for n in range(4)]


@pytest.fixture
def nearby():
    """Four accepting listings around Beverly Hills (each owned), and three that are not
    offered: one without an owner, one not accepting new patients, one suspended."""
    providers = [
        accepting_provider(OWNERS[n], name=f"Near Clinician {n}", practice_name=f"Near {n}")
        for n in range(4)
    ]
    others = {
        "unowned": make_provider(name="Unowned Clinician", accepting_new_patients=True),
        "full": owned(
            make_provider(name="Full Clinician", accepting_new_patients=False), "full@x.example"
        ),
        "suspended": owned(
            make_provider(name="Suspended Clinician", is_suspended=True), "sus@x.example"
        ),
    }
    return providers, others


def chosen_url(response) -> str:
    assert response.status_code == 302, response.status_code
    return response["Location"]


def test_step_one_asks_for_a_zip_and_explains_an_unknown_one(client):
    response = client.get("/consultation")
    html = main_html(response)
    assert response.status_code == 200 and 'name="zip"' in html and html.count("<h1") == 1
    assert "This form is not for emergencies" in html and "741741" in html
    for bad in ("00000", "abcde", "9021"):
        response = client.get("/consultation", {"zip": bad})
        assert response.status_code == 200
        assert f"We do not know the ZIP code “{bad}”" in main_text(response), bad


def test_step_two_offers_only_nearby_listings_that_accept_requests(client, nearby):
    providers, others = nearby
    response = client.get("/consultation", {"zip": "90210"})
    html = main_html(response)
    offered = re.findall(r'name="p" value="([^"]+)"', html)
    assert sorted(offered) == sorted(p.slug for p in providers)
    assert "miles" in html and "IV ketamine infusion" in html
    for provider in others.values():
        assert provider.slug not in html


def test_the_selector_keeps_owned_listings_nearest_first(nearby):
    providers, others = nearby
    far = accepting_provider("far@x.example", name="Far One", zip_code="91101", city="Pasadena")
    found = providers_accepting_near(place=zip_place("90210"))
    slugs = [near.provider.slug for near in found]
    assert set(slugs) == {p.slug for p in providers} | {far.slug}
    assert slugs[-1] == far.slug and found[-1].distance_mi > found[0].distance_mi
    assert len(providers_accepting_near(place=zip_place("90210"), offered=2)) == 2


def test_choosing_more_than_three_is_refused(client, nearby):
    providers, _ = nearby
    slugs = [p.slug for p in providers]
    response = client.get("/consultation", {"zip": "90210", "step": "choose", "p": slugs})
    assert response.status_code == 200
    assert "Please choose at most 3 providers: you chose 4." in main_text(response)
    # The same through the form's own address, with GET and with POST.
    response = client.get("/consultation/form", {"p": slugs})
    assert "Please choose at most 3 providers: you chose 4." in main_text(response)
    response = client.post(
        f"/consultation/form?{'&'.join('p=' + s for s in slugs)}", request_data()
    )
    assert response.status_code == 400 and not ConsultationRequest.objects.exists()


def test_choosing_none_or_a_provider_not_offered_is_refused(client, nearby):
    _, others = nearby
    response = client.get("/consultation", {"zip": "90210", "step": "choose"})
    assert "Please choose at least one provider." in main_text(response)
    response = client.get(
        "/consultation", {"zip": "90210", "step": "choose", "p": others["unowned"].slug}
    )
    assert "Please choose providers from this list." in main_text(response)
    response = client.get("/consultation/form", {"p": others["full"].slug})
    assert response.status_code == 200 and "Choose one to three providers first" in main_text(
        response
    )


def test_three_providers_chosen_get_one_request_each_with_one_submission(client, smtp, nearby):
    providers, _ = nearby
    three = providers[:3]
    response = client.get(
        "/consultation", {"zip": "90210", "step": "choose", "p": [p.slug for p in three]}
    )
    url = chosen_url(response)
    assert urlsplit(url).path == "/consultation/form"
    assert parse_qs(urlsplit(url).query) == {"zip": ["90210"], "p": [p.slug for p in three]}

    page = client.get(url)
    html = main_html(page)
    for provider in three:
        assert provider.display_name in html
    assert f'action="{url.replace("&", "&amp;")}"' in html
    assert 'name="in_crisis"' in html

    response = client.post(url, request_data())
    assert response.status_code == 200
    text = main_text(response)
    assert "Your request was sent" in text
    for provider in three:
        assert provider.display_name in text

    requests = list(ConsultationRequest.objects.all())
    assert sorted(r.provider_id for r in requests) == sorted(p.pk for p in three)
    assert len({r.submission for r in requests}) == 1
    assert {r.name for r in requests} == {PATIENT["name"]}
    assert " and " in requests[0].consent_text  # names every provider it goes to

    (confirmation,) = smtp.to(PATIENT["email"])
    for provider in three:
        assert provider.display_name in confirmation.part("plain")
    for n in range(3):
        (notice,) = smtp.to(OWNERS[n])
        assert PATIENT["name"] not in notice.content.decode(errors="replace")
    assert smtp.to(OWNERS[3]) == [] and len(smtp.received) == 4


def test_one_of_three_that_stopped_accepting_is_named_and_the_others_get_it(client, smtp, nearby):
    providers, _ = nearby
    three = providers[:3]
    url = "/consultation/form?zip=90210&" + "&".join(f"p={p.slug}" for p in three)
    assert client.get(url).status_code == 200
    gone = three[1]
    gone.accepting_new_patients = False
    gone.save(update_fields=["accepting_new_patients"])

    response = client.post(url, request_data())
    assert response.status_code == 409
    text = main_text(response)
    assert f"{gone.display_name} no longer takes requests through this site" in text
    assert PATIENT["name"] in text and PATIENT["note"] in text
    assert 'href="/consultation?zip=90210"' in main_html(response)
    stored = sorted(r.provider_id for r in ConsultationRequest.objects.all())
    assert stored == sorted([three[0].pk, three[2].pk])
    assert smtp.to(OWNERS[1]) == []
    (confirmation,) = smtp.to(PATIENT["email"])
    assert gone.display_name not in confirmation.part("plain")


def test_a_form_for_providers_that_no_longer_exist_shows_the_request_back(client):
    response = client.post("/consultation/form?p=gone-provider", request_data())
    assert response.status_code == 409
    assert PATIENT["email"] in main_text(response)
    assert not ConsultationRequest.objects.exists()
