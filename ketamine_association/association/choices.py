"""Choices and constants of the association app (the contact inbox, membership), in one place."""

from django.db import models


class Topic(models.TextChoices):
    GENERAL = "general", "A general question"
    MEDIA = "media", "Media and press"
    MEMBERSHIP = "membership", "Membership"
    CORRECTION = "correction", "A correction to an article"
    WEBSITE = "website", "A website problem"


class ContactStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class BillingPeriod(models.TextChoices):
    YEAR = "year", "year"


# The privacy page states both: a closed message is deleted this many months after it was
# closed, and the per-IP counter of the contact form lives at most this many seconds.
RETENTION_MONTHS = 12
RATE_WINDOW = 3600

MESSAGE_MAX_LENGTH = 5000
NAME_MAX_LENGTH = 100
