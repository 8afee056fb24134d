"""Security checklist, identical newsletter answers: a signup with a new, a pending, a confirmed
or an unsubscribed address gets the same status, the same body (once the CSRF token, different
per response by design, is removed) and the same headers and cookies, so the page tells nobody
whether an address is on the list. Only the email sent to the address differs.

(Moved here from tests/newsletter/test_views.py, test_responses_reveal_nothing_about_an_address,
and extended to the headers and cookies.)
"""

from __future__ import annotations

import re

import pytest

from ketamine_association.newsletter.choices import SubscriberStatus
from ketamine_association.newsletter.models import Subscriber
from tests.newsletter import factories

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
ADDRESSES = (
    "new@example.org",
    "pending@example.org",
    "confirmed@example.org",
    "left@example.org",
)


def signup(client, email, **extra):
    return client.post("/newsletter", {"email": email, **extra})


def answer(response) -> tuple:
    """Everything a visitor can observe of a response, the per-response CSRF token aside."""
    return (
        response.status_code,
        CSRF.sub(b"", response.content),
        sorted(response.headers.items()),
        sorted(
            (name, {k: v for k, v in morsel.items() if v}, name == "csrftoken" or morsel.value)
            for name, morsel in response.cookies.items()
        ),
    )


def test_responses_reveal_nothing_about_an_address(client, mailoutbox):
    """New, pending, confirmed and unsubscribed: same status, body, headers and cookies; only
    the email differs."""
    signup(client, "pending@example.org")
    factories.subscriber("confirmed@example.org")
    factories.subscriber("left@example.org", status=SubscriberStatus.UNSUBSCRIBED)
    mailoutbox.clear()
    responses = {email: signup(client, email, interests=["research"]) for email in ADDRESSES}
    answers = {email: answer(response) for email, response in responses.items()}
    first = answers["new@example.org"]
    for email, seen in answers.items():
        assert seen == first, email
    status, body, headers, _ = first
    assert status == 200
    assert b"Check your inbox" in body
    assert ("Cache-Control", "no-store") in headers
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects == {
        "new@example.org": "Please confirm your subscription",
        "pending@example.org": "Please confirm your subscription",
        "confirmed@example.org": "You are already subscribed",
        "left@example.org": "Please confirm your subscription",
    }
    already = next(m for m in mailoutbox if m.to == ["confirmed@example.org"])
    assert "/newsletter/preferences/" in already.body
    # A stranger's signup changes nothing for a confirmed subscriber.
    assert Subscriber.objects.get(email="confirmed@example.org").interests == []
