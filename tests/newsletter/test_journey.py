"""The whole path with a real SMTP server: signup → confirmation email → GET (no change) →
POST confirm → welcome → campaign → RFC 2369/8058 headers → one-click unsubscribe → silence."""

import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from ketamine_association.newsletter.choices import ConsentKind, SubscriberStatus
from ketamine_association.newsletter.models import ConsentEvent, Subscriber
from ketamine_association.newsletter.sending import campaigns_send_due

from . import factories

pytestmark = pytest.mark.django_db

ADDRESS = "reader@example.org"


def path(url: str) -> str:
    return urlsplit(url).path


def list_unsubscribe(message) -> tuple[str, str]:
    """(https URL, mailto URL) of an RFC 2369 List-Unsubscribe header."""
    header = str(message["List-Unsubscribe"])
    uris = re.findall(r"<([^>]+)>", header)
    assert header.replace(" ", "") == ",".join(f"<{u}>" for u in uris)
    https = [u for u in uris if u.startswith("https://")]
    mailto = [u for u in uris if u.startswith("mailto:")]
    assert len(https) == 1 and len(mailto) == 1
    return https[0], mailto[0]


def test_signup_confirm_campaign_one_click_unsubscribe(client, smtp):
    response = client.post(
        "/newsletter",
        {"email": f"  {ADDRESS.upper()} ", "first_name": "Ada", "interests": ["research"]},
    )
    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    person = Subscriber.objects.get(email=ADDRESS)
    assert person.status == SubscriberStatus.PENDING

    [confirmation] = smtp.to(ADDRESS)
    message = confirmation.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Please confirm your subscription"
    [confirm_url] = confirmation.links("/newsletter/confirm/")
    assert confirm_url in confirmation.part("html")
    list_unsubscribe(message)

    # A mail scanner following the link confirms nothing.
    page = client.get(path(confirm_url))
    assert page.status_code == 200
    assert b"Yes, subscribe me" in page.content
    person.refresh_from_db()
    assert person.status == SubscriberStatus.PENDING

    done = client.post(path(confirm_url))
    assert done.status_code == 200
    assert b"You are subscribed" in done.content
    person.refresh_from_db()
    assert person.status == SubscriberStatus.CONFIRMED
    assert person.confirmed_at is not None
    welcome = smtp.to(ADDRESS)[-1]
    assert welcome.message["Subject"].startswith("Welcome")
    assert "Ada" in welcome.part("plain")

    factories.campaign(subject="March research", interests=["research"])
    [report] = campaigns_send_due(now=timezone.now())
    assert report.sent == 1 and report.finished
    issue = smtp.to(ADDRESS)[-1].message
    assert issue["Subject"] == "March research"
    assert issue.get_content_type() == "multipart/alternative"
    assert {p.get_content_type() for p in issue.iter_parts()} == {"text/plain", "text/html"}
    html = issue.get_body(preferencelist=("html",)).get_content()
    assert "https://ketamineassociation.test/blog" in html  # relative links made absolute
    assert issue["Message-ID"].startswith("<newsletter.")
    # RFC 8058: an HTTPS List-Unsubscribe and exactly this List-Unsubscribe-Post.
    assert str(issue["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    https, mailto = list_unsubscribe(issue)
    token = path(https).rsplit("/", 1)[1]
    assert mailto.startswith(f"mailto:unsubscribe+{token}@")
    assert len(f"unsubscribe+{token}") <= 64  # RFC 5321 local-part limit
    assert https in issue.get_body(preferencelist=("plain",)).get_content()

    # What a mailbox provider does: POST the body, no cookie, no CSRF token.
    client.logout()
    client.cookies.clear()
    one_click = client.post(
        path(https),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    person.refresh_from_db()
    assert person.status == SubscriberStatus.UNSUBSCRIBED
    again = client.post(path(https), {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200  # idempotent
    kinds = list(ConsentEvent.objects.filter(subscriber=person).values_list("kind", flat=True))
    assert kinds == [ConsentKind.REQUESTED, ConsentKind.CONFIRMED, ConsentKind.UNSUBSCRIBED]
    event = ConsentEvent.objects.get(subscriber=person, kind=ConsentKind.UNSUBSCRIBED)
    assert event.source == "one-click (RFC 8058)"

    received = len(smtp.received)
    factories.campaign(subject="April research")
    campaigns_send_due(now=timezone.now())
    assert len(smtp.received) == received  # no further mail
