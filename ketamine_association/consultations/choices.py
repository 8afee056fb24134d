"""Choices and limits of consultation requests (a patient asks a provider for a first
appointment). The limits are settings where an operator may need to change them
(config/settings/base.py: CONSULTATION_*); the privacy page states them from there."""

from django.db import models

NOTE_MAX_LENGTH = 500
NAME_MAX_LENGTH = 120
PHONE_MAX_LENGTH = 30
HONEYPOT = "website"  # the hidden field only naive bots fill: then nothing is stored
MAX_PROVIDERS = 3  # /consultation: one request sent to at most this many providers


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    BOOKED = "booked", "Booked"
    NOT_A_FIT = "not-a-fit", "Not a fit"
    CLOSED = "closed", "Closed"


# A request in one of these is finished: the retention clock after closing starts then.
FINISHED_STATUSES = (RequestStatus.BOOKED, RequestStatus.NOT_A_FIT, RequestStatus.CLOSED)


class ContactMethod(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"


class ContactTime(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Mornings"
    AFTERNOON = "afternoon", "Afternoons"
    EVENING = "evening", "Evenings"


class ForWhom(models.TextChoices):
    SELF = "self", "Myself"
    OTHER = "other", "Someone else (a family member, a friend)"


class Payment(models.TextChoices):
    INSURANCE = "insurance", "Insurance"
    SELF_PAY = "self-pay", "Self-pay"
    NOT_SURE = "not-sure", "Not sure yet"


class AccessKind(models.TextChoices):
    OPENED = "opened", "Opened"
    STATUS = "status", "Changed its status"
    NOTE = "note", "Changed the private note"
    BREAK_GLASS = "break-glass", "Staff read its content (break-glass)"
