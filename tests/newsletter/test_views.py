"""The pages: signup, confirm links that act only on POST, unsubscribe, preferences, rate
limits, the honeypot; no request ever answers 500.

The security promises have their own tests in tests/security/: identical signup answers
(test_newsletter_answers.py), one-click unsubscribe without a token
(test_one_click_unsubscribe.py), tampered and expired links (test_tokens.py)."""

import re

import pytest

from ketamine_association.newsletter import services, tokens
from ketamine_association.newsletter.choices import ConsentKind, SubscriberStatus
from ketamine_association.newsletter.models import ConsentEvent, Subscriber

from . import factories

pytestmark = pytest.mark.django_db


def signup(client, email, **extra):
    return client.post("/newsletter", {"email": email, **extra})


def confirm_path(mail) -> str:
    return re.search(r"https?://[^/]+(/newsletter/confirm/\S+)", mail.body).group(1)


def state() -> tuple:
    """Everything a request could change."""
    return (
        list(Subscriber.objects.order_by("id").values()),
        list(ConsentEvent.objects.order_by("id").values_list("id", flat=True)),
    )


def test_signup_page_has_form_labels_and_consent(client):
    response = client.get("/newsletter")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    for field in ("id_email", "id_first_name", "id_website"):
        assert f'<label for="{field}"' in html
    assert "<legend>What would you like to hear about?</legend>" in html
    for label in ("Patient news", "Practitioner news", "Research"):
        assert label in html
    assert "I agree to receive the Ketamine Association newsletter" in html
    assert "once a month" in html
    assert 'aria-current="page"' in html


def test_invalid_address_shows_the_form_with_an_error(client):
    response = signup(client, "not-an-address")
    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert b'id="email-error"' in response.content
    assert not Subscriber.objects.exists()


def test_honeypot_gets_the_same_page_and_no_email(client, mailoutbox):
    response = signup(client, "bot@example.org", website="http://spam.example")
    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    assert not Subscriber.objects.exists()
    assert mailoutbox == []


def test_rate_limit_per_ip_answers_429(client, settings, mailoutbox):
    settings.NEWSLETTER_RATE_PER_IP = 3
    for n in range(3):
        assert signup(client, f"a{n}@example.org").status_code == 200
    response = signup(client, "a9@example.org")
    assert response.status_code == 429
    assert b"Please wait a little" in response.content
    assert len(mailoutbox) == 3


def test_rate_limit_per_address_whatever_the_ip(client, settings, mailoutbox):
    settings.NEWSLETTER_RATE_PER_ADDRESS = 2
    for n in range(2):
        response = client.post(
            "/newsletter", {"email": "same@example.org"}, REMOTE_ADDR=f"10.0.0.{n}"
        )
        assert response.status_code == 200
    response = client.post("/newsletter", {"email": "SAME@example.org"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert len(mailoutbox) == 2


def test_ledger_keeps_a_salted_hash_never_the_ip(client):
    client.post("/newsletter", {"email": "ip@example.org"}, REMOTE_ADDR="203.0.113.7")
    event = ConsentEvent.objects.get()
    assert event.kind == ConsentKind.REQUESTED
    assert len(event.ip_hash) == 64 and "203.0.113.7" not in event.ip_hash
    assert event.consent_text.startswith("I agree to receive")
    assert event.consent_version == "2026-01"
    stored = " ".join(str(v) for row in ConsentEvent.objects.values() for v in row.values())
    stored += " ".join(str(v) for row in Subscriber.objects.values() for v in row.values())
    assert "203.0.113.7" not in stored


def test_confirm_get_changes_nothing_post_confirms_once(client, mailoutbox):
    signup(client, "once@example.org")
    path = confirm_path(mailoutbox[0])
    before = state()
    for method in (client.get, client.head):
        assert method(path).status_code == 200
    assert state() == before
    assert client.post(path).status_code == 200
    assert Subscriber.objects.get().status == SubscriberStatus.CONFIRMED
    assert mailoutbox[-1].subject.startswith("Welcome")
    reused = client.post(path)
    assert reused.status_code == 200
    assert b"already been used" in reused.content
    assert b"already been used" in client.get(path).content
    assert ConsentEvent.objects.filter(kind=ConsentKind.CONFIRMED).count() == 1


def test_confirm_link_does_not_resubscribe_after_unsubscribe(client, mailoutbox):
    signup(client, "changed-mind@example.org")
    path = confirm_path(mailoutbox[0])
    person = Subscriber.objects.get()
    services.subscriber_unsubscribe(subscriber=person, source="test")
    assert b"already been used" in client.post(path).content
    person.refresh_from_db()
    assert person.status == SubscriberStatus.UNSUBSCRIBED


def unsubscribe_token(person) -> str:
    return tokens.recipient_token(
        purpose=tokens.UNSUBSCRIBE, subscriber_id=person.pk, key=person.key
    )


def test_unsubscribe_get_shows_a_button_and_preferences_link(client):
    person = factories.subscriber("get@example.org")
    before = state()
    response = client.get(f"/newsletter/unsubscribe/{unsubscribe_token(person)}")
    assert response.status_code == 200
    assert b'<button class="nl-button" type="submit">Unsubscribe</button>' in response.content
    assert b"/newsletter/preferences/" in response.content
    assert client.head(f"/newsletter/unsubscribe/{unsubscribe_token(person)}").status_code == 200
    assert state() == before


def preferences_url(person) -> str:
    token = tokens.recipient_token(
        purpose=tokens.PREFERENCES, subscriber_id=person.pk, key=person.key
    )
    return f"/newsletter/preferences/{token}"


def test_preferences_change_pause_resume_and_leave(client):
    person = factories.subscriber("prefs@example.org", interests=["research"])
    url = preferences_url(person)
    page = client.get(url)
    assert page.status_code == 200
    assert b'value="research" aria-describedby="interests-hint" checked' in page.content
    saved = client.post(url, {"first_name": "Bo", "interests": ["patient_news"]})
    assert b"Your preferences are saved" in saved.content
    person.refresh_from_db()
    assert (person.first_name, person.interests) == ("Bo", ["patient_news"])
    client.post(url, {"interests": ["patient_news"], "first_name": "Bo", "action": "pause"})
    person.refresh_from_db()
    assert person.status == SubscriberStatus.PAUSED
    client.post(url, {"interests": ["patient_news"], "first_name": "Bo", "action": "resume"})
    person.refresh_from_db()
    assert person.status == SubscriberStatus.CONFIRMED
    left = client.post(url, {"action": "leave"})
    assert b"You are unsubscribed" in left.content
    person.refresh_from_db()
    assert person.status == SubscriberStatus.UNSUBSCRIBED
    kinds = list(ConsentEvent.objects.filter(subscriber=person).values_list("kind", flat=True))
    assert kinds.count(ConsentKind.PREFERENCES_CHANGED) == 3
    gone = client.get(url)
    assert b"is not subscribed at the moment" in gone.content


def test_preferences_refuse_bad_values(client):
    person = factories.subscriber("bad-prefs@example.org")
    response = client.post(preferences_url(person), {"interests": ["spam"]})
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.interests == []


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/newsletter", {"email": "a@b.c\x00"}),
        ("post", "/newsletter", {"email": "x" * 5000 + "@example.org", "first_name": "y" * 5000}),
        ("post", "/newsletter", {"email": "ok@example.org", "interests": ["nope", "\x00"]}),
        ("post", "/newsletter", {"email": ["a@example.org", "b@example.org"]}),
        ("post", "/newsletter", {}),
        ("put", "/newsletter", {}),
        ("delete", "/newsletter/unsubscribe/abc.def", {}),
        ("get", "/newsletter/confirm/%00", {}),
        ("post", "/newsletter/preferences/%E2%9C%93.x", {}),
        ("get", "/newsletter/unsubscribe/" + "1" * 20 + ".x", {}),
    ],
)
def test_junk_never_answers_500(client, method, path, data):
    response = getattr(client, method)(path, data)
    assert response.status_code in (200, 400, 405, 429)
