"""The contact inbox (messages people send through /contact) and the membership tiers staff
edit in the admin.

A contact message holds what the sender typed and what staff did with it, nothing else: no IP
address, no user agent (the privacy page lists the fields; a test pins them)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import (
    MESSAGE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    BillingPeriod,
    ContactStatus,
    Topic,
)


class ContactMessage(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    email = models.EmailField(max_length=254)
    topic = models.CharField(max_length=20, choices=Topic.choices)
    article_slug = models.CharField(
        "article", max_length=200, blank=True, help_text="The article a correction is about."
    )
    message = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField("sent at", default=timezone.now, db_index=True)
    status = models.CharField(
        max_length=10, choices=ContactStatus.choices, default=ContactStatus.OPEN
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who closed it.",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "closed_at"], name="contact_status_closed_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_topic_display()} ({self.get_status_display()})"


class MembershipTier(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    price_usd = models.PositiveIntegerField("price (US dollars)", help_text="Whole dollars.")
    billing_period = models.CharField(
        max_length=10, choices=BillingPeriod.choices, default=BillingPeriod.YEAR
    )
    description = models.CharField(max_length=300, help_text="One or two short sentences.")
    included = models.TextField(
        "what is included", blank=True, help_text="One item per line, in the order shown."
    )
    display_order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Only active tiers are shown.")

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def included_items(self) -> list[str]:
        return [line.strip() for line in self.included.splitlines() if line.strip()]

    @property
    def price_display(self) -> str:
        return f"${self.price_usd:,} / {self.get_billing_period_display()}"
