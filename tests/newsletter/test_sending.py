"""Sending: targeting, batches, SMTP errors (4xx retry with backoff, 5xx bounce), claims and
their release, the fence that stops a message for someone who just left."""

import datetime as dt
import os
import socket

import pytest
from django.utils import timezone

from ketamine_association.newsletter import mail, sending
from ketamine_association.newsletter.choices import (
    CampaignStatus,
    ConsentKind,
    DeliveryState,
    SubscriberStatus,
)
from ketamine_association.newsletter.models import Campaign, ConsentEvent, Delivery, Subscriber
from ketamine_association.newsletter.sending import campaign_send, campaigns_send_due

from . import factories
from .smtp import free_port

pytestmark = pytest.mark.django_db


def send_all():
    return campaigns_send_due(now=timezone.now())


def test_campaign_goes_to_confirmed_subscribers_with_matching_interests(smtp):
    factories.subscriber("research@example.org", interests=["research"])
    factories.subscriber("everything@example.org")
    factories.subscriber("patients@example.org", interests=["patient_news"])
    for status in ("pending", "paused", "unsubscribed", "bounced", "complained"):
        factories.subscriber(f"{status}@example.org", status=status)
    factories.campaign(interests=["research", "practitioner_news"])
    [report] = send_all()
    assert report.sent == 2 and report.finished
    assert set(smtp.counts()) == {"research@example.org", "everything@example.org"}
    assert Campaign.objects.get().status == CampaignStatus.SENT


def test_each_message_carries_its_recipients_own_links(smtp):
    for n in range(3):
        factories.subscriber(f"p{n}@example.org")
    factories.campaign()
    send_all()
    headers = {r.rcpt_tos[0]: r.message["List-Unsubscribe"] for r in smtp.received}
    assert len(set(headers.values())) == 3
    for address, header in headers.items():
        person = Subscriber.objects.get(email=address)
        assert mail.links_for(person).unsubscribe in str(header)
    ids = {r.message["Message-ID"] for r in smtp.received}
    assert len(ids) == 3


def test_markdown_body_is_sanitised_and_frozen_at_first_send(smtp):
    factories.subscriber("a@example.org")
    campaign = factories.campaign(
        body_markdown="# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    send_all()
    html = smtp.received[0].part("html")
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert "<h1" in html and "Hi" in html
    campaign.refresh_from_db()
    assert campaign.frozen_html and campaign.recipients_ready


def test_send_this_article_builds_title_excerpt_and_link(smtp, tmp_path, images):
    from ketamine_association.articles.models import Article
    from ketamine_association.articles.services import article_import_paths
    from tests.articles.factories import article_text, write

    write(tmp_path / "a.md", article_text("newsletter-article"))
    article_import_paths(paths=[tmp_path], images=images)
    article = Article.objects.get()
    factories.subscriber("reader@example.org")
    factories.campaign(subject="", body_markdown="", article=article)
    send_all()
    received = smtp.received[0]
    assert received.message["Subject"] == article.title
    for part in ("plain", "html"):
        body = received.part(part)
        assert article.title in body
        assert article.excerpt[:40] in body
        assert "https://ketamineassociation.test/blog/newsletter-article" in body


def test_temporary_failure_retries_with_backoff(smtp):
    factories.subscriber("later@example.org")
    factories.subscriber("now@example.org")
    smtp.refuse["later@example.org"] = ["451 4.7.1 Try again later"]
    factories.campaign()
    [report] = send_all()
    assert (report.sent, report.retrying, report.finished) == (1, 1, False)
    delivery = Delivery.objects.get(subscriber__email="later@example.org")
    assert delivery.state == DeliveryState.FAILED_TEMPORARY
    assert delivery.attempts == 1 and "451" in delivery.last_error
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(seconds=60)

    [again] = send_all()  # not due yet: nothing sent, the campaign stays open
    assert again.sent == 0 and Campaign.objects.get().status == CampaignStatus.SENDING
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    [last] = send_all()
    assert last.sent == 1 and last.finished
    assert smtp.counts() == {"later@example.org": 1, "now@example.org": 1}
    assert Delivery.objects.get(pk=delivery.pk).attempts == 2


def test_retry_delay_doubles_up_to_a_ceiling(settings):
    settings.NEWSLETTER_RETRY_BASE = 60
    settings.NEWSLETTER_RETRY_MAX = 3600
    delays = [sending.retry_delay(n).total_seconds() for n in range(1, 9)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_gives_up_after_the_last_attempt(smtp, settings):
    settings.NEWSLETTER_MAX_ATTEMPTS = 2
    settings.NEWSLETTER_RETRY_BASE = 0
    factories.subscriber("never@example.org")
    smtp.refuse["never@example.org"] = ["451 busy"] * 5
    factories.campaign()
    [report] = send_all()
    assert (report.retrying, report.failed, report.finished) == (1, 1, True)
    assert Delivery.objects.get().state == DeliveryState.FAILED
    assert Subscriber.objects.get().status == SubscriberStatus.CONFIRMED  # not suppressed
    assert smtp.received == []


def test_permanent_failure_bounces_and_suppresses_the_address(smtp):
    factories.subscriber("gone@example.org")
    factories.subscriber("fine@example.org")
    smtp.refuse["gone@example.org"] = ["550 5.1.1 No such user"]
    factories.campaign()
    [report] = send_all()
    assert (report.sent, report.bounced, report.finished) == (1, 1, True)
    assert Delivery.objects.get(subscriber__email="gone@example.org").state == "bounced"
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.status == SubscriberStatus.BOUNCED
    event = ConsentEvent.objects.get(subscriber=gone, kind=ConsentKind.BOUNCED)
    assert "550" in event.detail and event.source == "smtp"
    factories.campaign(subject="Next")
    send_all()
    assert smtp.counts() == {"fine@example.org": 2}


def test_subscriber_who_leaves_after_the_rows_exist_is_skipped(smtp):
    stays = factories.subscriber("stays@example.org")
    leaves = factories.subscriber("leaves@example.org")
    campaign = sending.campaign_prepare(campaign=factories.campaign(), now=timezone.now())
    assert campaign.deliveries.count() == 2
    Subscriber.objects.filter(pk=leaves.pk).update(status=SubscriberStatus.UNSUBSCRIBED)
    report = campaign_send(campaign=campaign)
    assert (report.sent, report.skipped) == (1, 1)
    assert smtp.counts() == {stays.email: 1}


def test_the_mark_is_fenced_by_claim_and_status(smtp):
    """Leaving between claim and send: the conditional mark fails, the message is dropped
    before its final dot, and the server keeps nothing."""
    person = factories.subscriber("race@example.org")
    campaign = sending.campaign_prepare(campaign=factories.campaign(), now=timezone.now())
    token, [delivery] = sending.deliveries_claim(
        campaign=campaign, worker="w:1", limit=10, now=timezone.now()
    )
    Subscriber.objects.filter(pk=person.pk).update(status=SubscriberStatus.UNSUBSCRIBED)
    content = mail.CampaignContent(subject="s", html="<p>h</p>", text="t")
    outgoing = sending.Outgoing(person.email, mail.links_for(person), "<id@x>", content)
    with sending.outbox() as box, pytest.raises(sending.Withdrawn):
        box.send(outgoing, mark=lambda: sending._mark_sent(delivery, token, "<id@x>"))
    assert sending._mark_sent(delivery, "another-token", "<id@x>") is False
    assert smtp.received == []


def test_prepare_is_idempotent():
    factories.subscriber("one@example.org")
    campaign = factories.campaign()
    for _ in range(3):
        sending.campaign_prepare(campaign=campaign, now=timezone.now())
    assert Delivery.objects.count() == 1
    factories.subscriber("late@example.org")  # rows are made once: later subscribers wait
    sending.campaign_prepare(campaign=campaign, now=timezone.now())
    assert Delivery.objects.count() == 1


def test_stale_claims_are_released_live_ones_kept(settings):
    settings.NEWSLETTER_CLAIM_TIMEOUT = 600
    for n in range(4):
        factories.subscriber(f"c{n}@example.org")
    campaign = sending.campaign_prepare(campaign=factories.campaign(), now=timezone.now())
    now = timezone.now()
    host = socket.gethostname()
    rows = list(Delivery.objects.order_by("id"))
    claims = [
        (f"{host}:{2**22 + 12345}", now),  # a process that does not exist: released
        (f"{host}:{os.getppid()}", now),  # alive: kept
        ("elsewhere:1", now),  # another host, recent: kept
        ("elsewhere:2", now - dt.timedelta(seconds=601)),  # too old: released
    ]
    for row, (owner, at) in zip(rows, claims, strict=True):
        Delivery.objects.filter(pk=row.pk).update(
            state=DeliveryState.CLAIMED, claimed_by=owner, claimed_at=at, claim_token="t"
        )
    assert sending.deliveries_release_stale(campaign=campaign, now=now) == 2
    states = list(Delivery.objects.order_by("id").values_list("state", flat=True))
    assert states == ["pending", "claimed", "claimed", "pending"]


def test_claims_take_batches_in_order_without_overlap():
    for n in range(5):
        factories.subscriber(f"b{n}@example.org")
    campaign = sending.campaign_prepare(campaign=factories.campaign(), now=timezone.now())
    now = timezone.now()
    first_token, first = sending.deliveries_claim(campaign=campaign, worker="a", limit=3, now=now)
    second_token, second = sending.deliveries_claim(campaign=campaign, worker="b", limit=3, now=now)
    assert len(first) == 3 and len(second) == 2 and first_token != second_token
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert sending.deliveries_claim(campaign=campaign, worker="c", limit=3, now=now)[1] == []


def test_relay_down_stops_the_run_and_keeps_rows_pending(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    factories.subscriber("wait@example.org")
    factories.campaign()
    [report] = send_all()
    assert "cannot connect" in report.error and not report.finished
    assert list(Delivery.objects.values_list("state", flat=True)) == ["pending"]


def test_batches_use_one_connection_each(smtp, settings):
    settings.NEWSLETTER_BATCH_SIZE = 4
    for n in range(10):
        factories.subscriber(f"n{n}@example.org")
    factories.campaign()
    [report] = send_all()
    assert report.sent == 10
    assert len(smtp.received) == 10
    assert smtp.sessions == 3


def test_rate_limits_messages_per_second(smtp):
    import time

    for n in range(6):
        factories.subscriber(f"slow{n}@example.org")
    campaign = factories.campaign()
    started = time.monotonic()
    campaign_send(campaign=campaign, rate=20)
    assert time.monotonic() - started >= 5 / 20
