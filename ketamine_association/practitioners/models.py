from django.conf import settings
from django.db import models
from django.utils import timezone

from ketamine_association.core.files import RootedStorage
from ketamine_association.directory.models import Provider

from .choices import ApplicationStatus


def rems_root():
    return settings.VAR_DIR / "private" / "rems"


def private_storage() -> RootedStorage:
    """REMS confirmations: under var/private, which no URL serves."""
    return RootedStorage(rems_root)


class Application(models.Model):
    """A practitioner's request to be listed: the listing as proposed (Provider's fields, as
    JSON), the license's expiry and the location's REMS certification, and staff's decision
    with its written reason (mailed to the applicant)."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    status = models.CharField(
        max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    proposed = models.JSONField(help_text="The listing's fields as the applicant gave them.")
    license_expires_on = models.DateField()
    rems_certified = models.BooleanField("REMS-certified location", default=False)
    rems_document = models.FileField(upload_to="", storage=private_storage, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_reason = models.TextField(blank=True, max_length=5000)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["status", "submitted_at"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="application_queue_idx")]

    def __str__(self) -> str:
        return f"{self.proposed.get('name', '?')} (NPI {self.proposed.get('npi', '?')})"


class ListingOwner(models.Model):
    """Who owns a listing: one account per provider; only the owner edits it."""

    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="owner")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listings"
    )
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.provider} — {self.account}"
