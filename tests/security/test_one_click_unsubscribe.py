"""Security checklist, one-click unsubscribe (RFC 8058): a POST of `List-Unsubscribe=One-Click`
with no CSRF token and no cookie answers 2xx and unsubscribes at once, and the List-Unsubscribe
and List-Unsubscribe-Post headers of a real campaign email, received by a real SMTP server on
localhost, point at exactly that URL.

(test_unsubscribe_post_needs_no_csrf_and_is_idempotent moved here from
tests/newsletter/test_views.py.)
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from ketamine_association.newsletter import tokens
from ketamine_association.newsletter.choices import ConsentKind, SubscriberStatus
from ketamine_association.newsletter.models import ConsentEvent
from ketamine_association.newsletter.sending import campaigns_send_due
from tests.newsletter import factories

pytestmark = pytest.mark.django_db


def unsubscribe_token(person) -> str:
    return tokens.recipient_token(
        purpose=tokens.UNSUBSCRIBE, subscriber_id=person.pk, key=person.key
    )


def one_click(url_path: str):
    """What a mailbox provider sends: a bare form-encoded POST, no cookie, no CSRF token."""
    client = Client(enforce_csrf_checks=True)
    assert not client.cookies
    return client.post(
        url_path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def test_unsubscribe_post_needs_no_csrf_and_is_idempotent():
    person = factories.subscriber("csrf@example.org")
    url = f"/newsletter/unsubscribe/{unsubscribe_token(person)}"
    for _ in range(2):
        response = one_click(url)
        assert response.status_code == 200
        assert b"You are unsubscribed" in response.content
    person.refresh_from_db()
    assert person.status == SubscriberStatus.UNSUBSCRIBED
    assert ConsentEvent.objects.filter(kind=ConsentKind.UNSUBSCRIBED).count() == 1
    event = ConsentEvent.objects.get(kind=ConsentKind.UNSUBSCRIBED)
    assert event.source == "one-click (RFC 8058)"


def test_campaign_headers_point_at_the_one_click_url(smtp):
    person = factories.subscriber("reader@example.org")
    factories.campaign(subject="One-click probe")
    [report] = campaigns_send_due(now=timezone.now())
    assert report.sent == 1

    [received] = smtp.to("reader@example.org")
    message = received.message
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    uris = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    https = [uri for uri in uris if uri.startswith("https://")]
    assert len(https) == 1, uris
    url = urlsplit(https[0])
    assert (url.scheme, url.netloc) == ("https", "ketamineassociation.test")  # SITE_URL
    assert url.path == f"/newsletter/unsubscribe/{unsubscribe_token(person)}"
    assert not url.query and not url.fragment

    response = one_click(url.path)
    assert 200 <= response.status_code < 300
    person.refresh_from_db()
    assert person.status == SubscriberStatus.UNSUBSCRIBED
