"""Subscribers and campaigns made through the services, as in real use."""

from __future__ import annotations

from django.utils import timezone

from ketamine_association.newsletter.choices import CampaignStatus, ConsentKind, SubscriberStatus
from ketamine_association.newsletter.models import Campaign, ConsentEvent, Subscriber


def subscriber(email: str, *, status: str = SubscriberStatus.CONFIRMED, interests=()) -> Subscriber:
    person = Subscriber.objects.create(email=email, status=status, interests=list(interests))
    ConsentEvent.objects.create(subscriber=person, kind=ConsentKind.IMPORTED, source="test")
    return person


def campaign(**fields) -> Campaign:
    fields.setdefault("subject", "Research roundup")
    fields.setdefault("body_markdown", "# This month\n\nThree new studies, [explained](/blog).")
    fields.setdefault("status", CampaignStatus.SCHEDULED)
    fields.setdefault("scheduled_at", timezone.now())
    return Campaign.objects.create(**fields)
