"""Subscribers, their consent ledger, campaigns and one delivery row per (campaign, subscriber)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from .choices import CampaignStatus, ConsentKind, DeliveryState, SubscriberStatus


def new_key() -> str:
    return secrets.token_urlsafe(12)


class Subscriber(models.Model):
    email = models.EmailField(max_length=254, unique=True, help_text="Stored lower-case.")
    first_name = models.CharField(max_length=100, blank=True)
    interests = models.JSONField(default=list, blank=True, help_text="Empty means everything.")
    status = models.CharField(
        max_length=20,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.PENDING,
        db_index=True,
    )
    # Part of the salt of this person's links: a new key revokes every link sent so far.
    key = models.CharField(max_length=32, default=new_key, editable=False)
    # Set by a signup request, cleared by the confirmation: a confirm link works once.
    confirm_nonce = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email


class ConsentEventQuerySet(models.QuerySet):
    """The ledger is append-only: no bulk update or delete except the erasure's."""

    def update(self, **kwargs):
        raise TypeError("the consent ledger is append-only")

    def delete(self):
        raise TypeError("the consent ledger is append-only; erase a person with their service")

    def erase(self):
        """Used by subscriber_erase alone: a person's events go, an anonymous record stays."""
        return models.QuerySet.delete(self)


class ConsentEvent(models.Model):
    # PROTECT: a subscriber with a ledger can be removed only by the erasure service.
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consent_events",
    )
    kind = models.CharField(max_length=30, choices=ConsentKind.choices, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=200, help_text="Where the change came from.")
    consent_text = models.TextField(blank=True)
    consent_version = models.CharField(max_length=40, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True, help_text="Salted hash, never the IP.")
    detail = models.CharField(max_length=500, blank=True)

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("the consent ledger is append-only: an event cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the consent ledger is append-only: an event cannot be deleted")


class Campaign(models.Model):
    subject = models.CharField(max_length=200, blank=True, help_text="Default: the article's.")
    body_markdown = models.TextField(
        "body (Markdown)", blank=True, help_text="Shown before the article, if any."
    )
    article = models.ForeignKey(
        "articles.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Send this article: its title, excerpt and link.",
    )
    interests = models.JSONField(
        default=list, blank=True, help_text="Empty: every confirmed subscriber."
    )
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set once every delivery row exists; the content is frozen at that moment, so a restart
    # or a retry hours later sends what the first recipients got.
    recipients_ready = models.BooleanField(default=False, editable=False)
    frozen_subject = models.CharField(max_length=300, blank=True, editable=False)
    frozen_html = models.TextField(blank=True, editable=False)
    frozen_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject or (self.article.title if self.article else f"Campaign {self.pk}")


class Delivery(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True, help_text="host:pid")
    claim_token = models.CharField(max_length=32, blank=True, db_index=True)
    message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "subscriber"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="delivery_campaign_state")]

    def __str__(self) -> str:
        return f"{self.campaign_id}→{self.subscriber_id}: {self.state}"
