"""Writes of the newsletter: signups, confirmation, preferences, unsubscribe, suppression,
erasure, purge, import, and campaign scheduling. Sending lives in sending.py."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_date, parse_datetime

from ketamine_association.core.addresses import normalise_email
from ketamine_association.core.mail import send_transactional
from ketamine_association.core.reports import FAILED, ImportReport, Outcome
from ketamine_association.core.seo import absolute

from . import conf, mail, tokens
from .choices import (
    ALREADY_SUBSCRIBED,
    IMPORTABLE_STATUSES,
    CampaignStatus,
    ConsentKind,
    Interest,
    SubscriberStatus,
)
from .models import Campaign, ConsentEvent, Subscriber

logger = logging.getLogger(__name__)

SignupAction = Literal["confirmation", "already"]
ConfirmOutcome = Literal["confirmed", "used"]


def consent_event(
    *, subscriber: Subscriber | None, kind: str, source: str, ip_hashed: str = "", detail: str = ""
) -> ConsentEvent:
    return ConsentEvent.objects.create(
        subscriber=subscriber,
        kind=kind,
        source=source[:200],
        consent_text=conf.get("CONSENT_TEXT"),
        consent_version=conf.get("CONSENT_VERSION"),
        ip_hash=ip_hashed,
        detail=detail[:500],
    )


def _send(message) -> None:
    """Transactional mail goes through the task queue (core/mail.py): it leaves once the
    transaction commits, is retried while the relay is away, and never breaks the page."""
    html = next((body for body, kind in message.alternatives if kind == "text/html"), None)
    send_transactional(
        to=message.to[0],
        subject=message.subject,
        text=message.body,
        html=html,
        from_email=message.from_email,
        headers=message.extra_headers,
    )


def _interests(values: Iterable[str]) -> list[str]:
    return [value for value in Interest.values if value in set(values)]


def subscriber_request(
    *,
    email: str,
    first_name: str = "",
    interests: Iterable[str] = (),
    ip_hashed: str = "",
    source: str = "signup form",
) -> SignupAction:
    """A signup. New, pending, unsubscribed, bounced or complained: a confirmation email (the
    status changes only on confirmation). Confirmed or paused: an "already subscribed" email,
    and nothing changes. The caller answers the same in every case."""
    email = normalise_email(email)
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(email=email)
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status in ALREADY_SUBSCRIBED:
            action: SignupAction = "already"
        else:
            action = "confirmation"
            subscriber.first_name = first_name.strip()[:100] or subscriber.first_name
            subscriber.interests = _interests(interests)
            subscriber.confirm_nonce = subscriber.confirm_nonce or secrets.token_urlsafe(12)
            subscriber.save()
            consent_event(
                subscriber=subscriber,
                kind=ConsentKind.REQUESTED,
                source=source,
                ip_hashed=ip_hashed,
                detail="interests: " + (", ".join(subscriber.interests) or "all"),
            )
    if action == "already":
        _send(mail.transactional_message(kind="already", subscriber=subscriber))
    else:
        token = tokens.confirm_token(subscriber_id=subscriber.pk, nonce=subscriber.confirm_nonce)
        confirm_url = absolute(reverse("newsletter:confirm", args=[token]))
        _send(
            mail.transactional_message(
                kind="confirm", subscriber=subscriber, confirm_url=confirm_url
            )
        )
    return action


def subscriber_confirm(*, subscriber_id: int, nonce: str, ip_hashed: str = "") -> ConfirmOutcome:
    """The POST of a confirm link: confirmed once, then "used"; sends the welcome email."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if (
            subscriber is None
            or not subscriber.confirm_nonce
            or not constant_time_compare(subscriber.confirm_nonce, nonce)
        ):
            return "used"
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.confirm_nonce = ""
        subscriber.save()
        consent_event(
            subscriber=subscriber,
            kind=ConsentKind.CONFIRMED,
            source="confirmation link",
            ip_hashed=ip_hashed,
        )
    _send(mail.transactional_message(kind="welcome", subscriber=subscriber))
    return "confirmed"


def subscriber_unsubscribe(*, subscriber: Subscriber, source: str, ip_hashed: str = "") -> bool:
    """Immediate and idempotent; also voids a pending confirm link. True if it changed."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status == SubscriberStatus.UNSUBSCRIBED and not subscriber.confirm_nonce:
            return False
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.confirm_nonce = ""
        subscriber.save()
        consent_event(
            subscriber=subscriber,
            kind=ConsentKind.UNSUBSCRIBED,
            source=source,
            ip_hashed=ip_hashed,
        )
    return True


def subscriber_preferences_update(
    *,
    subscriber: Subscriber,
    first_name: str,
    interests: Iterable[str],
    paused: bool,
    ip_hashed: str = "",
) -> bool:
    """Interests, name, pause or resume, for a confirmed or paused subscriber."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status not in ALREADY_SUBSCRIBED:
            return False
        status = SubscriberStatus.PAUSED if paused else SubscriberStatus.CONFIRMED
        chosen = _interests(interests)
        first_name = first_name.strip()[:100]
        if (subscriber.status, subscriber.interests, subscriber.first_name) == (
            status,
            chosen,
            first_name,
        ):
            return False
        subscriber.status, subscriber.interests, subscriber.first_name = status, chosen, first_name
        subscriber.save()
        consent_event(
            subscriber=subscriber,
            kind=ConsentKind.PREFERENCES_CHANGED,
            source="preferences page",
            ip_hashed=ip_hashed,
            detail=f"status: {status}; interests: {', '.join(chosen) or 'all'}",
        )
    return True


def subscriber_suppress(
    *, subscriber: Subscriber, kind: str, source: str, detail: str = ""
) -> None:
    """A permanent bounce or a complaint: no more campaigns to this address."""
    status = {
        ConsentKind.BOUNCED: SubscriberStatus.BOUNCED,
        ConsentKind.COMPLAINED: SubscriberStatus.COMPLAINED,
    }[kind]
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).update(status=status, confirm_nonce="")
        consent_event(subscriber=subscriber, kind=kind, source=source, detail=detail)


def _erase(subscriber_ids: list[int], *, source: str) -> int:
    ConsentEvent.objects.filter(subscriber_id__in=subscriber_ids).erase()
    deleted = (
        Subscriber.objects.filter(pk__in=subscriber_ids).delete()[1].get(Subscriber._meta.label, 0)
    )
    ConsentEvent.objects.bulk_create(
        ConsentEvent(kind=ConsentKind.ERASED, source=source) for _ in range(deleted)
    )
    return deleted


def subscriber_erase(*, email: str, source: str = "erasure request") -> bool:
    """The person, their deliveries and their ledger go; one anonymous `erased` record stays."""
    with transaction.atomic():
        ids = list(
            Subscriber.objects.filter(email=normalise_email(email)).values_list("id", flat=True)
        )
        return _erase(ids, source=source) > 0


def subscribers_purge(*, now: dt.datetime, days: int | None = None) -> int:
    """Erase pending signups older than `days` (NEWSLETTER_PENDING_DAYS, 30)."""
    days = conf.get("PENDING_DAYS") if days is None else days
    cutoff = now - dt.timedelta(days=days)
    with transaction.atomic():
        ids = list(
            Subscriber.objects.filter(
                status=SubscriberStatus.PENDING, created_at__lt=cutoff
            ).values_list("id", flat=True)
        )
        return _erase(ids, source=f"purge: unconfirmed after {days} days")


# Import ----------------------------------------------------------------------------------


def _import_row(row: dict[str, str]) -> tuple[dict, str | None]:
    """Validated fields of one CSV row, or an error message."""
    email = normalise_email(row.get("email") or "")
    try:
        validate_email(email)
    except ValidationError:
        return {}, f"not a valid email address: {email!r}"
    source = (row.get("consent_source") or "").strip()
    if not source:
        return {}, "consent_source is empty: every row needs the source of its consent"
    raw = (row.get("interests") or "").replace(",", ";")
    interests = [value.strip() for value in raw.split(";") if value.strip()]
    unknown = [value for value in interests if value not in Interest.values]
    if unknown:
        allowed = ", ".join(Interest.values)
        return {}, f"unknown interest {unknown[0]!r} (allowed: {allowed})"
    status = (row.get("status") or SubscriberStatus.CONFIRMED).strip()
    if status not in IMPORTABLE_STATUSES:
        return (
            {},
            f"status {status!r} cannot be imported (allowed: {', '.join(IMPORTABLE_STATUSES)})",
        )
    first_name = (row.get("first_name") or "").strip()
    if len(first_name) > 100:
        return {}, "first_name is longer than 100 characters"
    when = (row.get("subscribed_at") or "").strip()
    confirmed_at = None
    if when:
        confirmed_at = parse_datetime(when) or (
            dt.datetime.combine(parse_date(when), dt.time(), dt.UTC) if parse_date(when) else None
        )
        if confirmed_at is None:
            return {}, f"subscribed_at is not a date: {when!r}"
        if timezone.is_naive(confirmed_at):
            confirmed_at = confirmed_at.replace(tzinfo=dt.UTC)
    version = (row.get("consent_version") or "").strip()[:40]
    return {
        "email": email,
        "first_name": first_name,
        "interests": interests,
        "status": status,
        "confirmed_at": confirmed_at,
        "source": source,
        "version": version,
    }, None


def subscribers_import(
    *, rows: Iterable[tuple[int, dict[str, str]]], file_name: str
) -> ImportReport:
    """Numbered CSV rows → subscribers with an `imported` ledger event carrying the row's
    consent source. A known address is left as it is (an import never re-subscribes anyone);
    a bad row is reported by number and the others are imported."""
    report = ImportReport()
    seen: dict[str, int] = {}
    for number, row in rows:
        fields, error = _import_row(row)
        if error is None and fields["email"] in seen:
            error = f"{fields['email']} already appears in row {seen[fields['email']]}"
        if error:
            report.add(Outcome(f"row {number}", FAILED, errors=(error,)))
            continue
        seen[fields["email"]] = number
        with transaction.atomic():
            subscriber, created = Subscriber.objects.get_or_create(
                email=fields["email"],
                defaults={
                    "first_name": fields["first_name"],
                    "interests": fields["interests"],
                    "status": fields["status"],
                    "confirmed_at": fields["confirmed_at"] or timezone.now(),
                },
            )
            if not created:
                report.add(Outcome(f"row {number}", "skipped", fields["email"]))
                continue
            ConsentEvent.objects.create(
                subscriber=subscriber,
                kind=ConsentKind.IMPORTED,
                source=fields["source"][:200],
                consent_version=fields["version"],
                detail=f"from {file_name}; status {fields['status']}"[:500],
            )
        report.add(Outcome(f"row {number}", "imported", fields["email"]))
    return report


# Campaigns --------------------------------------------------------------------------------


def campaign_schedule(*, campaign: Campaign, at: dt.datetime | None = None) -> bool:
    """Draft → scheduled (now, unless a time is given); `send_campaigns` sends it when due."""
    updated = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
        status=CampaignStatus.SCHEDULED, scheduled_at=at or campaign.scheduled_at or timezone.now()
    )
    return updated == 1


def campaign_send_test(*, campaign: Campaign, to: str) -> None:
    """The campaign as a subscriber will get it, to one address, marked as a test; its links
    lead to the signup page, not to anyone's preferences."""
    content = mail.campaign_render(campaign)
    message = content.message(to=to, links=None)
    message.subject = f"[Test] {content.subject}"
    message.send()
