"""Reads of the newsletter. Each selector owns its query shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count, Q, QuerySet

from . import tokens
from .choices import RECEIVING, CampaignStatus, ConsentKind, DeliveryState
from .models import Campaign, ConsentEvent, Delivery, Subscriber


def subscriber_get_by_email(*, email: str) -> Subscriber | None:
    return Subscriber.objects.filter(email=email).first()


def subscriber_get_by_token(*, token: str, purpose: str) -> Subscriber | None:
    """The subscriber a recipient link names, if its signature holds."""
    subscriber_id = tokens.recipient_token_id(token)
    if subscriber_id is None:
        return None
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return None
    if not tokens.recipient_token_valid(token=token, purpose=purpose, key=subscriber.key):
        return None
    return subscriber


def subscriber_confirmable(*, subscriber_id: int, nonce: str) -> bool:
    """Whether a confirm link is still unused (read only: a GET shows it, a POST uses it)."""
    return (
        Subscriber.objects.filter(pk=subscriber_id, confirm_nonce=nonce)
        .exclude(confirm_nonce="")
        .exists()
    )


def interests_match(*, wanted: list[str], chosen: list[str]) -> bool:
    """A campaign without interests goes to everyone; a subscriber without any gets all."""
    return not wanted or not chosen or bool(set(wanted) & set(chosen))


def campaign_recipient_ids(*, campaign: Campaign) -> list[int]:
    """Confirmed subscribers whose interests meet the campaign's (JSON lists are matched here,
    in Python, the same way on SQLite and PostgreSQL)."""
    rows = Subscriber.objects.filter(status=RECEIVING).values_list("id", "interests")
    return [
        pk
        for pk, chosen in rows.iterator(chunk_size=2000)
        if interests_match(wanted=campaign.interests, chosen=chosen or [])
    ]


def campaign_list_due(*, now: dt.datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(
        Q(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now) | Q(status=CampaignStatus.SENDING)
    ).order_by("scheduled_at", "id")


def delivery_counts(*, campaign: Campaign) -> dict[str, int]:
    rows = Delivery.objects.filter(campaign=campaign).values("state").annotate(n=Count("id"))
    counts = {state: 0 for state in DeliveryState.values}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def subscriber_export_rows() -> Iterator[dict[str, str]]:
    """One row per subscriber, in the import's columns; the consent source is that of the
    latest event that gave consent (request, confirmation or import)."""
    consent_kinds = (ConsentKind.REQUESTED, ConsentKind.CONFIRMED, ConsentKind.IMPORTED)
    latest: dict[int, tuple[str, str]] = {}
    events = ConsentEvent.objects.filter(kind__in=consent_kinds, subscriber__isnull=False)
    for subscriber_id, source, version in events.order_by("at", "id").values_list(
        "subscriber_id", "source", "consent_version"
    ):
        latest[subscriber_id] = (source, version)
    for subscriber in Subscriber.objects.order_by("id").iterator(chunk_size=2000):
        source, version = latest.get(subscriber.id, ("", ""))
        when = subscriber.confirmed_at or subscriber.created_at
        yield {
            "email": subscriber.email,
            "first_name": subscriber.first_name,
            "interests": ";".join(subscriber.interests or []),
            "status": subscriber.status,
            "consent_source": source,
            "consent_version": version,
            "subscribed_at": when.isoformat() if when else "",
        }
