"""Choices and limits of the practitioners' side: applications to be listed and who owns a
listing."""

from django.db import models

# What an application asks, as the listing will show it: the Provider model's own fields, so
# its validators (NPI check digit, ZIP, URL) are the one definition of a valid listing.
APPLICATION_FIELDS = (
    "name",
    "credentials",
    "npi",
    "license_states",
    "license_number",
    "practice_name",
    "address",
    "city",
    "state",
    "zip_code",
    "phone",
    "website",
    "treatments",
    "conditions",
    "insurance",
    "telehealth",
    "telehealth_states",
    "languages",
    "price_min_usd",
    "price_max_usd",
    "accepting_new_patients",
)
REMS_MAX_BYTES = 5 * 2**20
# What a REMS confirmation may be: its first bytes, and the extension it is stored under.
REMS_TYPES = {b"%PDF-": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for review"
    CHANGES_REQUESTED = "changes", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Decision(models.TextChoices):
    """What staff may decide about a submitted application; each needs a written reason."""

    APPROVE = "approve", "Approve and publish the listing"
    CHANGES = "changes", "Ask for changes"
    REJECT = "reject", "Reject"


class ClaimStatus(models.TextChoices):
    """A claim on a listing. AUTO: approved at once (the account's verified email is on the
    listing's website domain). DISPUTE: the listing already had an owner when claimed; staff
    decide, and nobody is told who owns it."""

    AUTO = "auto", "Approved automatically"
    SUBMITTED = "submitted", "Waiting for review"
    DISPUTE = "dispute", "Dispute: the listing has an owner"
    APPROVED = "approved", "Approved by staff"
    REJECTED = "rejected", "Rejected"


OPEN_CLAIM_STATUSES = (ClaimStatus.SUBMITTED, ClaimStatus.DISPUTE)


class ChangeStatus(models.TextChoices):
    """A recorded change to a listing. APPLIED: published at once (the fields that are not
    identity). PENDING: identity fields (name, credentials, NPI, license) waiting for staff;
    the live listing keeps its verified values until APPROVED."""

    APPLIED = "applied", "Published"
    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved and published"
    REJECTED = "rejected", "Rejected"


# The fields whose change goes back to staff review (and the license's expiry date, which is
# not a listing field but the license check's).
IDENTITY_FIELDS = ("name", "credentials", "npi", "license_states", "license_number")


class ReminderKind(models.TextChoices):
    BEFORE = "before", "30 days before the license expires"
    ON_DAY = "on-day", "On the day the license expires"


LICENSE_REMINDER_DAYS = 30
