"""Security checklist, tampered and expired links: a newsletter confirm, unsubscribe or
preferences link with a character changed, cut short, lengthened, meant for another purpose, or
(confirm links) older than NEWSLETTER_CONFIRM_MAX_AGE is refused with the link-problem page, on
GET, HEAD and POST alike, and changes nothing: no subscriber row, no consent event, no email.

Unsubscribe and preferences links do not expire, by design (an unsubscribe link must work in
an old email); a new subscriber key revokes them, which the last test checks.

(Moved here from tests/newsletter/test_views.py: test_confirm_link_expires_after_seven_days,
test_confirm_token_of_another_purpose_is_refused and
test_recipient_links_are_signed_per_person_and_purpose; test_tampered_confirm_link_is_refused
is generalised below to every kind of link and every tampering.)
"""

from __future__ import annotations

import re
import time

import pytest
from django.core import signing

from ketamine_association.newsletter import tokens
from ketamine_association.newsletter.choices import SubscriberStatus
from ketamine_association.newsletter.models import ConsentEvent, Subscriber
from tests.newsletter import factories

pytestmark = pytest.mark.django_db

INVALID = b"This link does not work"
EXPIRED = b"This link has expired"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def signup(client, email, **extra):
    return client.post("/newsletter", {"email": email, **extra})


def confirm_path(mail) -> str:
    return re.search(r"https?://[^/]+(/newsletter/confirm/\S+)", mail.body).group(1)


def unsubscribe_token(person) -> str:
    return tokens.recipient_token(
        purpose=tokens.UNSUBSCRIBE, subscriber_id=person.pk, key=person.key
    )


def state(mailoutbox) -> tuple:
    """Everything a request could change."""
    return (
        list(Subscriber.objects.order_by("id").values()),
        list(ConsentEvent.objects.order_by("id").values()),
        len(mailoutbox),
    )


def flip(text: str, index: int) -> str:
    """`text` with the character at `index` replaced by another of the same alphabet."""
    old = text[index]
    new = B64[(B64.index(old) + 1) % len(B64)] if old in B64 else "A"
    return text[:index] + new + text[index + 1 :]


# --- every kind of link, every tampering ---------------------------------------------------


def links(pending, confirmed) -> dict[str, str]:
    """The real token of each kind of link: confirm for the pending subscriber, the others
    for the confirmed one."""
    return {
        "confirm": tokens.confirm_token(subscriber_id=pending.pk, nonce=pending.confirm_nonce),
        tokens.UNSUBSCRIBE: unsubscribe_token(confirmed),
        tokens.PREFERENCES: tokens.recipient_token(
            purpose=tokens.PREFERENCES, subscriber_id=confirmed.pk, key=confirmed.key
        ),
    }


OTHER_PURPOSE = {
    "confirm": tokens.UNSUBSCRIBE,
    "unsubscribe": "confirm",
    "preferences": "unsubscribe",
}

MUTATIONS = {
    # a character of the signature (the last part), and of the signed value (the first part)
    "signature-flipped": lambda token, all_: flip(token, len(token) - 10),
    "value-flipped": lambda token, all_: flip(token, 0),
    "truncated": lambda token, all_: token[:-1],
    "cut-in-half": lambda token, all_: token[: len(token) // 2],
    "lengthened": lambda token, all_: token + "A",
    "signature-dropped": lambda token, all_: token.rsplit(
        ":" if all_["kind"] == "confirm" else ".", 1
    )[0],
    "another-purpose": lambda token, all_: all_[OTHER_PURPOSE[all_["kind"]]],
    "nonsense": lambda token, all_: "nonsense",
    "oversized": lambda token, all_: "x" * 3000,
}


@pytest.fixture
def people():
    pending = factories.subscriber("pending@example.org", status=SubscriberStatus.PENDING)
    pending.confirm_nonce = "live-nonce"
    pending.save(update_fields=["confirm_nonce"])
    confirmed = factories.subscriber("confirmed@example.org", interests=["research"])
    return pending, confirmed


@pytest.mark.parametrize("kind", ["confirm", tokens.UNSUBSCRIBE, tokens.PREFERENCES])
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_tampered_link_is_refused_and_changes_nothing(kind, mutation, people, client, mailoutbox):
    genuine = links(*people)
    token = MUTATIONS[mutation](genuine[kind], {**genuine, "kind": kind})
    assert token != genuine[kind]
    path = f"/newsletter/{kind}/{token}"
    before = state(mailoutbox)
    for method in ("get", "head", "post"):
        response = getattr(client, method)(path, {"action": "leave"} if method == "post" else {})
        assert response.status_code == 400, (method, path)
        if method != "head":
            assert INVALID in response.content, (method, path)
    assert state(mailoutbox) == before
    # The genuine link still works, so the refusal above was the tampering's doing.
    assert client.get(f"/newsletter/{kind}/{genuine[kind]}").status_code == 200


def test_an_expired_confirm_link_is_refused_and_changes_nothing(
    people, client, mailoutbox, monkeypatch
):
    pending, _ = people
    now = time.time()
    with monkeypatch.context() as past:  # signed a week and a minute ago
        past.setattr(signing.time, "time", lambda: now - 7 * 24 * 3600 - 60)
        old = tokens.confirm_token(subscriber_id=pending.pk, nonce=pending.confirm_nonce)
    before = state(mailoutbox)
    for method in ("get", "head", "post"):
        response = getattr(client, method)(f"/newsletter/confirm/{old}")
        assert response.status_code == 400, method
        if method != "head":
            assert EXPIRED in response.content
    assert state(mailoutbox) == before
    pending.refresh_from_db()
    assert pending.status == SubscriberStatus.PENDING


# --- moved from tests/newsletter/test_views.py ------------------------------------------


def test_confirm_link_expires_after_seven_days(client, mailoutbox, monkeypatch):
    signup(client, "late@example.org")
    path = confirm_path(mailoutbox[0])
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 7 * 24 * 3600 - 60)
    assert client.get(path).status_code == 200
    monkeypatch.setattr(signing.time, "time", lambda: now + 7 * 24 * 3600 + 60)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 400
        assert b"This link has expired" in response.content
        assert b'href="/newsletter"' in response.content
    assert Subscriber.objects.get().status == SubscriberStatus.PENDING


def test_confirm_token_of_another_purpose_is_refused():
    token = signing.dumps({"s": 1, "n": "x"}, salt="something-else")
    with pytest.raises(tokens.LinkInvalid):
        tokens.confirm_token_read(token)


def test_recipient_links_are_signed_per_person_and_purpose(client):
    person = factories.subscriber("links@example.org")
    other = factories.subscriber("other@example.org")
    token = unsubscribe_token(person)
    preferences = tokens.recipient_token(
        purpose=tokens.PREFERENCES, subscriber_id=person.pk, key=person.key
    )
    forged = token.replace(
        token.split(".")[0],
        tokens.recipient_token(
            purpose=tokens.UNSUBSCRIBE, subscriber_id=other.pk, key=other.key
        ).split(".")[0],
    )
    for bad in (forged, preferences, token + "x", "zz", ".", "-1.abc", "a" * 500):
        assert client.post(f"/newsletter/unsubscribe/{bad}").status_code == 400
    Subscriber.objects.filter(pk=person.pk).update(key="rotated")
    assert client.post(f"/newsletter/unsubscribe/{token}").status_code == 400
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"confirmed"}
