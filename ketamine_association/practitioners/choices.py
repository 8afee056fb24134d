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
