"""Sending campaigns: every message exactly once, even when the sender is killed.

1. `campaign_prepare`: in one transaction, freeze the content and create one Delivery row per
   recipient (bulk, ignore_conflicts: a rerun adds only what is missing).
2. `deliveries_claim`: a short transaction claims a batch (PostgreSQL: SELECT … FOR UPDATE
   SKIP LOCKED, so several senders share a campaign; SQLite: the IMMEDIATE transaction mode
   serialises writers) and stamps it with a fresh claim token.
3. Each message goes through one SMTP connection per batch. The row is marked `sent` *inside*
   the SMTP transaction: after the whole message and before the final `<CRLF>.<CRLF>`, which
   is where the server takes responsibility for it (RFC 5321 §4.1.1.4); a server drops a
   transaction whose connection breaks before that line. So:
   - killed before the mark: the row stays `claimed`, the server has nothing; the row is
     released (its owner is dead, or the claim is older than NEWSLETTER_CLAIM_TIMEOUT) and
     sent on the next run;
   - killed after the terminator: row and server agree, it is sent once.
   - The residual window is the few microseconds between the commit and the kernel taking
     the 3-byte terminator: a kill exactly there loses that one message; it never doubles it.
   The mark is conditional on the claim token and on the subscriber still being confirmed:
   a sender whose claim was taken over, or a recipient who just unsubscribed, is detected in
   that same statement and the message is abandoned (the connection is dropped mid-DATA).
4. Temporary SMTP failures (4xx) retry with exponential backoff; a permanent refusal of the
   recipient (5xx to RCPT) marks the delivery bounced and suppresses the subscriber.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import smtplib
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import conf, mail, selectors
from .choices import (
    OPEN_DELIVERY_STATES,
    RECEIVING,
    CampaignStatus,
    ConsentKind,
    DeliveryState,
)
from .models import Campaign, Delivery, Subscriber
from .services import subscriber_suppress

logger = logging.getLogger(__name__)
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


@dataclass
class SendReport:
    campaign_id: int
    total: int = 0
    sent: int = 0
    bounced: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    finished: bool = False
    error: str = ""


class SendFailure(Exception):
    """The server refused one message: `code` is its reply code, `stage` the SMTP command."""

    def __init__(self, code: int, reply: str, *, stage: str):
        super().__init__(f"{code} {reply}".strip())
        self.code, self.stage = code, stage

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500


class RelayDown(Exception):
    """The relay cannot be used (connection refused or lost, sender refused): stop this run."""


class Withdrawn(Exception):
    """The conditional mark found nothing: the claim was taken over or the recipient left."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def retry_delay(attempts: int) -> timedelta:
    """RETRY_BASE · 2^(attempts-1) seconds, at most RETRY_MAX."""
    seconds = conf.get("RETRY_BASE") * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, conf.get("RETRY_MAX")))


# Outboxes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    to: str
    links: mail.Links
    message_id: str
    content: mail.CampaignContent


class SmtpOutbox:
    """One SMTP connection (host, port, TLS and login from Django's EMAIL_* settings), which
    drives each transaction itself so that the mark happens before the final dot."""

    def __init__(self, backend: SmtpBackend):
        self.backend = backend
        self.sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(Exception):  # a broken connection must not hide the cause
            self.backend.close()

    def _connection(self) -> smtplib.SMTP:
        if self.backend.connection is None:
            try:
                self.backend.open()
                connection = self.backend.connection
                connection.ehlo_or_helo_if_needed()
                # The terminator is a small write after the message: without TCP_NODELAY,
                # Nagle's algorithm holds it until the server's delayed ACK (~40 ms a message).
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, smtplib.SMTPException) as exc:
                raise RelayDown(f"cannot connect to the SMTP relay: {exc}") from exc
        return self.backend.connection

    def _drop(self) -> None:
        """Abandon the transaction in progress: the server discards an unterminated DATA."""
        connection, self.backend.connection = self.backend.connection, None
        if connection is not None:
            connection.close()

    def send(self, outgoing: Outgoing, *, mark: Callable[[], bool]) -> None:
        recipient = mail.header_address(outgoing.to)
        data = outgoing.content.as_bytes(
            to=outgoing.to, links=outgoing.links, message_id=outgoing.message_id
        )
        data = _LEADING_DOT.sub(b"..", data)
        connection = self._connection()
        try:
            code, reply = connection.mail(self.sender)
            if code != 250:
                self._reset(connection)
                raise RelayDown(
                    f"the relay refused the sender: {code} {reply.decode(errors='replace')}"
                )
            for stage, command, expected in (
                ("rcpt", lambda: connection.rcpt(recipient), (250, 251)),
                ("data", lambda: connection.docmd("data"), (354,)),
            ):
                code, reply = command()
                if code not in expected:
                    self._reset(connection)
                    raise SendFailure(code, reply.decode(errors="replace"), stage=stage)
            connection.send(data)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise RelayDown(f"lost the SMTP relay: {exc}") from exc
        try:
            marked = mark()
        except BaseException:
            self._drop()
            raise
        if not marked:
            self._drop()
            raise Withdrawn
        try:
            connection.send(b".\r\n")
            code, reply = connection.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            # The message may or may not have been taken; it stays marked sent (never twice).
            self._drop()
            raise RelayDown(f"no reply after a message (kept as sent): {exc}") from exc
        if code != 250:
            raise SendFailure(code, reply.decode(errors="replace"), stage="end of data")

    @staticmethod
    def _reset(connection: smtplib.SMTP) -> None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.rset()


class BackendOutbox:
    """Any other Django email backend (console, locmem, file) for development and tests:
    sent first, marked after, so these backends are not crash-safe."""

    def __init__(self, backend):
        self.backend = backend

    def __enter__(self):
        self.backend.open()
        return self

    def __exit__(self, *exc):
        self.backend.close()

    def send(self, outgoing: Outgoing, *, mark: Callable[[], bool]) -> None:
        message = outgoing.content.message(
            to=outgoing.to, links=outgoing.links, message_id=outgoing.message_id
        )
        self.backend.send_messages([message])
        if not mark():
            raise Withdrawn


def outbox():
    backend = get_connection(fail_silently=False)
    return SmtpOutbox(backend) if isinstance(backend, SmtpBackend) else BackendOutbox(backend)


# Delivery rows ----------------------------------------------------------------------------


def campaign_prepare(*, campaign: Campaign, now: datetime) -> Campaign:
    """Scheduled → sending: freeze the content, create every Delivery row. Idempotent."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.recipients_ready:
            return campaign
        content = mail.campaign_render(campaign)
        recipients = selectors.campaign_recipient_ids(campaign=campaign)
        Delivery.objects.bulk_create(
            (Delivery(campaign=campaign, subscriber_id=pk) for pk in recipients),
            batch_size=1000,
            ignore_conflicts=True,
        )
        campaign.frozen_subject, campaign.frozen_html, campaign.frozen_text = (
            content.subject,
            content.html,
            content.text,
        )
        campaign.status = CampaignStatus.SENDING
        campaign.started_at = campaign.started_at or now
        campaign.recipients_ready = True
        campaign.save()
    return campaign


def _owner_dead(owner: str) -> bool:
    """A claim's owner is a process on this host that no longer exists."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def deliveries_release_stale(*, campaign: Campaign, now: datetime) -> int:
    """Claims of a dead sender on this host, or older than NEWSLETTER_CLAIM_TIMEOUT, go back
    to pending. Safe: a claimed row was never marked, so its message was never terminated."""
    claimed = Delivery.objects.filter(campaign=campaign, state=DeliveryState.CLAIMED)
    owners = claimed.values_list("claimed_by", flat=True).distinct()
    dead = [owner for owner in owners if _owner_dead(owner)]
    stale = Q(claimed_at__lt=now - timedelta(seconds=conf.get("CLAIM_TIMEOUT")))
    return claimed.filter(stale | Q(claimed_by__in=dead)).update(
        state=DeliveryState.PENDING, claimed_at=None, claimed_by="", claim_token=""
    )


def deliveries_claim(
    *, campaign: Campaign, worker: str, limit: int, now: datetime
) -> tuple[str, list[Delivery]]:
    token = uuid.uuid4().hex
    due = Q(state=DeliveryState.PENDING) | Q(
        state=DeliveryState.FAILED_TEMPORARY, next_attempt_at__lte=now
    )
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due, campaign=campaign)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return token, []
        Delivery.objects.filter(id__in=ids).update(
            state=DeliveryState.CLAIMED, claimed_at=now, claimed_by=worker, claim_token=token
        )
    batch = Delivery.objects.filter(claim_token=token).select_related("subscriber").order_by("id")
    return token, list(batch)


def _mine(delivery: Delivery, token: str):
    return Delivery.objects.filter(pk=delivery.pk, claim_token=token, state=DeliveryState.CLAIMED)


@functools.cache
def _mark_sql() -> str:
    quote = connection.ops.quote_name
    delivery, subscriber = quote(Delivery._meta.db_table), quote(Subscriber._meta.db_table)
    return (
        f"UPDATE {delivery} SET state = %s, sent_at = %s, message_id = %s, "  # noqa: S608
        "attempts = attempts + 1, last_error = '' "
        "WHERE id = %s AND claim_token = %s AND state = %s "
        f"AND subscriber_id IN (SELECT id FROM {subscriber} WHERE id = %s AND status = %s)"
    )


def _mark_sent(delivery: Delivery, token: str, message_id: str) -> bool:
    """The commit point: one statement (autocommit), fenced by the claim token and by the
    subscriber still being confirmed. Plain SQL: the ORM's join-update costs more than the
    SMTP transaction itself at hundreds of messages a second."""
    params = [
        DeliveryState.SENT.value,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        message_id,
        delivery.pk,
        token,
        DeliveryState.CLAIMED.value,
        delivery.subscriber_id,
        RECEIVING.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_mark_sql(), params)
        return cursor.rowcount == 1


def _finish(delivery: Delivery, *, state: str, error: str = "", retry_at=None, after_mark=False):
    rows = (
        Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENT)
        if after_mark
        else _mine(delivery, delivery.claim_token)
    )
    return rows.update(
        state=state,
        last_error=error[:500],
        next_attempt_at=retry_at,
        attempts=F("attempts") + (0 if after_mark else 1),
    )


def _release(token: str) -> None:
    Delivery.objects.filter(claim_token=token, state=DeliveryState.CLAIMED).update(
        state=DeliveryState.PENDING, claimed_at=None, claimed_by="", claim_token=""
    )


class Pacer:
    """At most `rate` messages a second (0: no limit)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        self.next = max(self.next, now) + self.interval


# The loop ---------------------------------------------------------------------------------


def _failure(delivery: Delivery, failure: SendFailure, report: SendReport, *, after_mark: bool):
    attempts = delivery.attempts + 1
    error = f"{failure.stage}: {failure}"
    if failure.temporary and attempts < conf.get("MAX_ATTEMPTS"):
        retry_at = timezone.now() + retry_delay(attempts)
        _finish(
            delivery,
            state=DeliveryState.FAILED_TEMPORARY,
            error=error,
            retry_at=retry_at,
            after_mark=after_mark,
        )
        report.retrying += 1
    elif failure.stage == "rcpt" and not failure.temporary:
        with transaction.atomic():
            _finish(delivery, state=DeliveryState.BOUNCED, error=error)
            subscriber_suppress(
                subscriber=delivery.subscriber,
                kind=ConsentKind.BOUNCED,
                source="smtp",
                detail=f"campaign {delivery.campaign_id}: {failure}",
            )
        report.bounced += 1
    else:
        _finish(delivery, state=DeliveryState.FAILED, error=error, after_mark=after_mark)
        report.failed += 1


def _send_batch(
    batch: list[Delivery],
    token: str,
    *,
    content: mail.CampaignContent,
    box,
    pacer: Pacer,
    report: SendReport,
    on_progress: Callable[[int], None],
) -> None:
    for delivery in batch:
        delivery.claim_token = token
        subscriber: Subscriber = delivery.subscriber
        if subscriber.status != RECEIVING:
            _finish(delivery, state=DeliveryState.SKIPPED, error=f"subscriber {subscriber.status}")
            report.skipped += 1
            on_progress(1)
            continue
        pacer.wait()
        message_id = mail.message_id(campaign_id=delivery.campaign_id, delivery_id=delivery.pk)
        outgoing = Outgoing(subscriber.email, mail.links_for(subscriber), message_id, content)
        try:
            box.send(outgoing, mark=lambda d=delivery, m=message_id: _mark_sent(d, token, m))
            report.sent += 1
        except SendFailure as failure:
            _failure(delivery, failure, report, after_mark=failure.stage == "end of data")
        except Withdrawn:
            if not _mine(delivery, token).exists():
                return  # our claim was taken over: the rest of the batch is someone else's
            _finish(delivery, state=DeliveryState.SKIPPED, error="unsubscribed while sending")
            report.skipped += 1
        on_progress(1)


def campaign_send(
    *,
    campaign: Campaign,
    batch_size: int | None = None,
    rate: float | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> SendReport:
    """Send what is due of one campaign. Safe to run again at any time, and in parallel."""
    now = timezone.now()
    campaign = campaign_prepare(campaign=campaign, now=now)
    deliveries_release_stale(campaign=campaign, now=now)
    counts = selectors.delivery_counts(campaign=campaign)
    report = SendReport(campaign_id=campaign.pk, total=sum(counts.values()))
    if on_start:
        open_count = sum(counts[state] for state in OPEN_DELIVERY_STATES)
        on_start(report.total, report.total - open_count)
    content = mail.CampaignContent(
        subject=campaign.frozen_subject, html=campaign.frozen_html, text=campaign.frozen_text
    )
    worker = worker_id()
    pacer = Pacer(conf.get("SEND_RATE") if rate is None else rate)
    limit = batch_size or conf.get("BATCH_SIZE")
    progress = on_progress or (lambda n: None)
    while True:
        token, batch = deliveries_claim(
            campaign=campaign, worker=worker, limit=limit, now=timezone.now()
        )
        if not batch:
            break
        try:
            with outbox() as box:
                _send_batch(
                    batch,
                    token,
                    content=content,
                    box=box,
                    pacer=pacer,
                    report=report,
                    on_progress=progress,
                )
        except RelayDown as exc:
            report.error = str(exc)
            logger.error("newsletter: campaign %s stopped: %s", campaign.pk, exc)
            break
        finally:
            _release(token)
    report.finished = campaign_finish_if_done(campaign=campaign)
    return report


def campaign_finish_if_done(*, campaign: Campaign) -> bool:
    """Sending → sent once no delivery is left to send (retries pending keep it open)."""
    if Delivery.objects.filter(campaign=campaign, state__in=OPEN_DELIVERY_STATES).exists():
        return False
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
        status=CampaignStatus.SENT, finished_at=timezone.now()
    )
    return True


def campaigns_send_due(*, now: datetime | None = None, **options) -> list[SendReport]:
    """Every campaign that is due (scheduled in the past, or still sending)."""
    reports = []
    for campaign in selectors.campaign_list_due(now=now or timezone.now()):
        report = campaign_send(campaign=campaign, **options)
        reports.append(report)
        if report.error:
            break  # the relay is down: the next run tries again
    return reports
