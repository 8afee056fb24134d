"""A patient's request from a profile: the form only where the listing accepts requests, the
crisis resources first, a valid request stored encrypted and announced by two mails that carry
nothing they should not, bad input refused with a clear message (nothing stored, nothing
mailed), the same answer for a stored request, a duplicate and a bot, and a listing that
stopped accepting answered kindly with the request shown back."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.db import connection

from ketamine_association.consultations.models import ConsultationRequest
from ketamine_association.consultations.selectors import provider_accepts_requests
from ketamine_association.core.crypto import TOKEN_START
from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.models import ListingOwner
from tests.accounts.test_accounts import verified_user
from tests.directory.factories import make_provider

pytestmark = pytest.mark.django_db

OWNER_EMAIL = "owner@calm-clinic.example"
PATIENT = {
    "name": "Ottoline Vexborough",
    "email": "ottoline.vex@example.org",
    "phone": "(512) 555-0143",
    "note": "Tuesdays are hard for me, Thursdays are fine",
}


def owned(provider: Provider, email: str = OWNER_EMAIL) -> Provider:
    ListingOwner.objects.create(provider=provider, account=verified_user(email))
    return provider


def accepting_provider(email: str = OWNER_EMAIL, **fields) -> Provider:
    return owned(make_provider(accepting_new_patients=True, **fields), email)


def request_data(**changes) -> dict:
    data = {
        "in_crisis": "no",
        **PATIENT,
        "contact_method": "email",
        "contact_times": ["morning", "evening"],
        "state": "CA",
        "treatment": "kap",
        "for_whom": "self",
        "payment": "self-pay",
        "consent": "on",
        "website": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def request_url(provider: Provider) -> str:
    return f"/providers/{provider.slug}/request"


def main_text(response) -> str:
    html = response.content.decode()
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def main_html(response) -> str:
    return response.content.decode().split('<main id="main"', 1)[1].split("</main>", 1)[0]


def raw_table() -> str:
    table = connection.ops.quote_name(ConsultationRequest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - the model's own table
        return repr(cursor.fetchall())


# --------------------------------------------------------------------------- on a profile


def test_the_profile_shows_the_form_only_when_the_listing_accepts_requests(client):
    accepting = accepting_provider()
    unowned = make_provider(accepting_new_patients=True)
    not_accepting = owned(make_provider(accepting_new_patients=False), "busy@clinic.example")

    html = client.get(accepting.get_absolute_url()).content.decode()
    assert f'action="{request_url(accepting)}"' in html
    assert 'name="in_crisis"' in html and "This form is not for emergencies" in html
    # The crisis lines come before the form's first field.
    assert html.index("741741") < html.index('name="in_crisis"') < html.index('name="name"')
    for provider in (unowned, not_accepting):
        html = client.get(provider.get_absolute_url()).content.decode()
        assert "/request" not in html and 'name="in_crisis"' not in html, provider.slug

    accepting.is_suspended = True
    accepting.save(update_fields=["is_suspended"])
    assert not provider_accepts_requests(accepting)
    assert client.get(request_url(accepting)).status_code == 404


def test_the_request_page_shows_the_form_or_says_kindly_that_it_is_not_taken(client):
    accepting = accepting_provider()
    response = client.get(request_url(accepting))
    assert response.status_code == 200
    html = main_html(response)
    assert "<h1>" in html and html.count("<h1") == 1
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', html))
    assert names == {
        "csrfmiddlewaretoken",
        "in_crisis",
        "name",
        "email",
        "phone",
        "contact_method",
        "contact_times",
        "state",
        "treatment",
        "for_whom",
        "payment",
        "note",
        "consent",
        "website",
    }  # fmt: skip  (no diagnosis, no date of birth)
    assert "Please do not include medical details; the provider will ask you." in html
    assert 'href="/privacy"' in html
    assert "180 days" in main_text(response) and "30 days" in main_text(response)
    honeypot = re.search(r'<input[^>]*name="website"[^>]*>', html)[0]
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot
    assert "Leave this empty" in html

    accepting.accepting_new_patients = False
    accepting.save(update_fields=["accepting_new_patients"])
    response = client.get(request_url(accepting))
    assert response.status_code == 200
    assert "does not take requests here" in main_text(response)
    assert 'name="in_crisis"' not in main_html(response)
    assert client.get("/providers/no-such-provider/request").status_code == 404


def test_the_crisis_box_is_revealed_without_javascript():
    css = Path("ketamine_association/core/static/css/site.css").read_text()
    assert re.search(
        r'\.cr-form:has\(input\[name="in_crisis"\]\[value="yes"\]:checked\) \.cr-now', css
    )
    assert ".cr-now { display: none;" in css


# --------------------------------------------------------------------------- a valid request


def test_a_valid_request_is_stored_encrypted_and_announced_without_personal_data(client, smtp):
    provider = accepting_provider(practice_name="Calm Waters Clinic")
    response = client.post(request_url(provider), request_data())
    assert response.status_code == 200
    assert "Your request was sent" in main_text(response)

    (stored,) = ConsultationRequest.objects.all()
    assert stored.provider == provider and stored.status == "new"
    assert (stored.name, stored.email, stored.phone, stored.note) == tuple(PATIENT.values())
    assert stored.contact_times == "morning,evening" and stored.treatment == "kap"
    assert stored.in_crisis == "no" and "Calm Waters" not in stored.consent_text
    assert provider.name in stored.consent_text and "180 days" in stored.consent_text
    raw = raw_table()
    assert TOKEN_START in raw
    for value in (*PATIENT.values(), "Vexborough", "555-0143", "morning,evening"):
        assert value not in raw, value

    (notice,) = smtp.to(OWNER_EMAIL)
    assert notice.message["Subject"] == "New consultation request"
    text = notice.part("plain")
    assert "You have a new consultation request" in text
    assert "https://ketamineassociation.test/dashboard/requests" in text
    whole = notice.content.decode(errors="replace")
    for secret in (*PATIENT.values(), "Ottoline", "Vexborough", "555-0143", "5125550143"):
        assert secret not in whole, secret
    for treatment in ("kap", "Ketamine-assisted psychotherapy", "self-pay", "Self-pay"):
        assert treatment not in text, treatment

    (confirmation,) = smtp.to(PATIENT["email"])
    text = confirmation.part("plain")
    assert provider.display_name in text and "Calm Waters Clinic" in text
    assert PATIENT["note"] not in confirmation.content.decode(errors="replace")
    assert "Tuesdays" not in text and "harming" not in text.lower()
    assert "988" in text and "741741" in text and "911" in text
    assert len(smtp.received) == 2


def test_a_phone_only_request_sends_no_patient_mail(client, smtp):
    provider = accepting_provider()
    data = request_data(email="", contact_method="phone")
    assert client.post(request_url(provider), data).status_code == 200
    (stored,) = ConsultationRequest.objects.all()
    assert stored.email == "" and stored.phone == PATIENT["phone"]
    assert [r.rcpt_tos for r in smtp.received] == [[OWNER_EMAIL]]


def test_crisis_yes_shows_the_resources_after_submit_and_the_request_is_stored(client):
    provider = accepting_provider()
    response = client.post(request_url(provider), request_data(in_crisis="yes"))
    assert response.status_code == 200
    html = main_html(response)
    assert "Your request was sent" in main_text(response)
    box = html.split('id="crisis-now"', 1)[1].split("</div>", 1)[0]
    assert 'class="cr-now cr-shown"' in html and 'role="alert"' in box
    assert "988" in box and "741741" in box and "911" in box
    assert ConsultationRequest.objects.get().in_crisis == "yes"

    # "No": the prominent box is not there.
    response = client.post(request_url(provider), request_data(in_crisis="no", email="b@ex.org"))
    assert 'id="crisis-now"' not in main_html(response)
    # A form sent back with errors and "yes" shows the box, rendered visible by the server.
    response = client.post(request_url(provider), request_data(in_crisis="yes", consent=None))
    assert 'class="cr-now cr-shown"' in main_html(response)


def test_the_crisis_question_is_required(client):
    provider = accepting_provider()
    response = client.post(request_url(provider), request_data(in_crisis=None))
    assert "Please answer this question: yes or no." in main_text(response)
    assert not ConsultationRequest.objects.exists()


# --------------------------------------------------------------------------- bad input

BAD_INPUT = {
    "a 10,000-character note": (
        {"note": "x" * 10_000},
        "Please keep the note to 500 characters or fewer (yours has 10000).",
    ),
    "a NUL byte in the note": (
        {"note": "fine\x00then"},
        "This contains a NUL character we cannot accept. Please retype it.",
    ),
    "a NUL byte in the name": (
        {"name": "Otto\x00line"},
        "This contains a NUL character we cannot accept. Please retype it.",
    ),
    "a phone number with letters": (
        {"phone": "555-CALL-NOW"},
        "A phone number may hold digits, spaces and + ( ) - . only",
    ),
    "a phone number too short": ({"phone": "555 01"}, "A phone number has 7 to 15 digits"),
    "an email with a header injection": (
        {"email": "a@b.c\r\nBcc: x@y.z"},
        "Enter one email address on one line, like name@example.org.",
    ),
    "an email with a line feed": (
        {"email": "a@b.c\nBcc: x@y.z"},
        "Enter one email address on one line, like name@example.org.",
    ),
    "a missing consent": (
        {"consent": None},
        "Please tick the box to agree, so the provider may contact you.",
    ),
    "neither email nor phone": (
        {"email": "", "phone": ""},
        "Please give an email address or a phone number, so the provider can reach you.",
    ),
    "a name over two lines": (
        {"name": "Otto\r\nBcc: x@y.z"},
        "Please write your name on one line, without line breaks.",
    ),
    "a treatment not in the list": ({"treatment": "miracle"}, "Select a valid choice."),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_sent(case, client, smtp):
    provider = accepting_provider()
    changes, message = BAD_INPUT[case]
    response = client.post(request_url(provider), request_data(**changes))
    assert response.status_code == 200
    text = main_text(response)
    assert message in text, text[:2000]
    assert "Please correct the" in text and "Your request was sent" not in text
    assert 'aria-invalid="true"' in main_html(response)
    assert not ConsultationRequest.objects.exists()
    assert smtp.received == []


def test_an_error_message_is_tied_to_its_field(client):
    provider = accepting_provider()
    response = client.post(request_url(provider), request_data(phone="555-CALL-NOW"))
    html = main_html(response)
    field = re.search(r'<input[^>]*name="phone"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in field and "phone-error" in field
    assert 'id="phone-error"' in html


def test_html_in_the_note_is_stored_as_text_and_shown_escaped(client):
    provider = accepting_provider()
    note = '<script>alert("x")</script><b>bold</b>'
    # Sent back with an error first: the note is in the form again, escaped.
    response = client.post(request_url(provider), request_data(note=note, consent=None))
    html = main_html(response)
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # Then sent: stored exactly as typed.
    assert client.post(request_url(provider), request_data(note=note)).status_code == 200
    assert ConsultationRequest.objects.get().note == note


# --------------------------------------------------------------------------- same answer


def _answer(response) -> tuple[int, str]:
    return response.status_code, main_text(response)


def test_a_duplicate_and_a_bot_get_the_same_answer_as_a_stored_request(client, smtp, settings):
    settings.CONSULTATION_RATE_PER_IP = 100  # this test sends more than an hour's share
    provider = accepting_provider()
    stored = client.post(request_url(provider), request_data())
    assert ConsultationRequest.objects.count() == 1 and len(smtp.received) == 2

    # The same email again within 24 hours (another name, another note): nothing new.
    duplicate = client.post(request_url(provider), request_data(name="Someone", note="again"))
    # The same person by phone digits alone, written differently: a duplicate too.
    by_phone = request_data(email="", phone="512.555.0143", contact_method="phone")
    client.post(request_url(provider), by_phone)
    client.post(request_url(provider), request_data(email="", contact_method="phone"))
    assert ConsultationRequest.objects.count() == 2  # the first phone-only one is new
    smtp.received.clear()
    client.post(request_url(provider), by_phone)
    assert ConsultationRequest.objects.count() == 2 and smtp.received == []

    # A bot filling the honeypot, with a fresh address: nothing stored, nothing mailed.
    bot = client.post(
        request_url(provider), request_data(email="bot@spam.example", website="http://spam")
    )
    assert ConsultationRequest.objects.count() == 2 and smtp.received == []

    assert _answer(stored) == _answer(duplicate) == _answer(bot)
    assert _answer(stored)[0] == 200 and "Your request was sent" in _answer(stored)[1]


def test_the_sent_page_answers_alone():
    from django.test import Client

    response = Client().get("/consultation/sent")
    assert response.status_code == 200 and "Your request was sent" in main_text(response)


# --------------------------------------------------------------------------- stopped accepting


def test_a_listing_that_stopped_accepting_gets_a_kind_page_with_the_request_shown_back(
    client, smtp
):
    provider = accepting_provider(zip_code="90210")
    assert 'name="in_crisis"' in client.get(request_url(provider)).content.decode()
    provider.accepting_new_patients = False  # the owner switched it off meanwhile
    provider.save(update_fields=["accepting_new_patients"])

    note = "<i>call after 5</i> please"
    response = client.post(request_url(provider), request_data(note=note))
    assert response.status_code == 409
    text, html = main_text(response), main_html(response)
    assert f"{provider.display_name} no longer takes requests through this site" in text
    for value in (PATIENT["name"], PATIENT["email"], PATIENT["phone"], note):
        assert value in text, value
    assert "&lt;i&gt;call after 5&lt;/i&gt;" in html and "<i>call" not in html
    assert "Ketamine-assisted psychotherapy (KAP)" in text and "Mornings, Evenings" in text
    assert 'href="/consultation?zip=90210"' in html and 'href="/find-provider' in html
    assert not ConsultationRequest.objects.exists() and smtp.received == []


def test_a_listing_whose_owner_left_is_not_sent_the_request(client):
    provider = accepting_provider()
    ListingOwner.objects.filter(provider=provider).delete()
    response = client.post(request_url(provider), request_data())
    assert response.status_code == 409 and not ConsultationRequest.objects.exists()
