"""Choices and constants of the newsletter, in one place."""

from django.db import models


class Interest(models.TextChoices):
    PATIENT_NEWS = "patient_news", "Patient news"
    PRACTITIONER_NEWS = "practitioner_news", "Practitioner news"
    RESEARCH = "research", "Research"


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Pending confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    PAUSED = "paused", "Paused"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Complained"


class ConsentKind(models.TextChoices):
    REQUESTED = "requested", "Requested"
    CONFIRMED = "confirmed", "Confirmed"
    PREFERENCES_CHANGED = "preferences_changed", "Preferences changed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Complained"
    IMPORTED = "imported", "Imported"
    ERASED = "erased", "Erased"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed by a sender"
    SENT = "sent", "Sent"
    FAILED_TEMPORARY = "failed_temporary", "Temporary failure, will retry"
    BOUNCED = "bounced", "Bounced (permanent)"
    FAILED = "failed", "Failed (gave up)"
    SKIPPED = "skipped", "Skipped (no longer subscribed)"


# Deliveries still to be sent (a campaign is finished when none is left in these states).
OPEN_DELIVERY_STATES = (
    DeliveryState.PENDING,
    DeliveryState.CLAIMED,
    DeliveryState.FAILED_TEMPORARY,
)
# Subscribers who receive campaigns.
RECEIVING = SubscriberStatus.CONFIRMED
# A signup of an address in these states sends "you are already subscribed" instead of a
# confirmation, and changes nothing.
ALREADY_SUBSCRIBED = (SubscriberStatus.CONFIRMED, SubscriberStatus.PAUSED)
# Statuses an import may set (never pending: an imported row must carry its consent).
IMPORTABLE_STATUSES = (
    SubscriberStatus.CONFIRMED,
    SubscriberStatus.PAUSED,
    SubscriberStatus.UNSUBSCRIBED,
    SubscriberStatus.BOUNCED,
    SubscriberStatus.COMPLAINED,
)

CSV_COLUMNS = (
    "email",
    "first_name",
    "interests",
    "status",
    "consent_source",
    "consent_version",
    "subscribed_at",
)
