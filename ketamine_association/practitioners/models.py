from django.conf import settings
from django.db import models
from django.utils import timezone

from ketamine_association.core.files import RootedStorage
from ketamine_association.directory.models import Provider

from .choices import OPEN_CLAIM_STATUSES, ApplicationStatus, ChangeStatus, ClaimStatus, ReminderKind


def rems_root():
    return settings.VAR_DIR / "private" / "rems"


def private_storage() -> RootedStorage:
    """REMS confirmations: under var/private, which no URL serves."""
    return RootedStorage(rems_root)


class StaffDecision(models.Model):
    """What staff decided about something waiting for them (an application, a claim, an
    identity change): when, who, and the written reason the person concerned receives."""

    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_reason = models.TextField(blank=True, max_length=5000)

    class Meta:
        abstract = True


class Application(StaffDecision):
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


class ListingEditor(models.Model):
    """A colleague the owner invited to keep the listing current: edits like the owner, but
    cannot invite others or give the listing away."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="editors")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="edited_listings"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "account"], name="one_editor_row"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} — editor {self.account}"


class Claim(StaffDecision):
    """ "Is this your practice?": an account's claim on a listing, with the evidence it gave.
    Decided automatically (email on the listing's website domain) or by staff."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="claims")
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    status = models.CharField(
        max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED
    )
    role = models.CharField(
        "role at the practice", max_length=200, help_text="As the claimant described it."
    )
    evidence = models.TextField(
        max_length=3000, blank=True, help_text="What the claimant gave to show the claim."
    )
    email_at_claim = models.EmailField(help_text="The account's verified email when it claimed.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="claim_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "claimant"],
                condition=models.Q(status__in=OPEN_CLAIM_STATUSES),
                name="one_open_claim_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim on {self.provider} by {self.claimant}"


class ListingChange(StaffDecision):
    """One save of a listing by its owner or an editor: who, when, and each field's value
    before → after ({field: [before, after]}, as stored). Identity changes wait (PENDING)
    until staff approve them; the rest are APPLIED at once. Staff read them in the admin."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="changes")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=ChangeStatus.choices)
    changes = models.JSONField(help_text="{field: [before, after]}")
    license_expires_on = models.DateField(
        null=True, blank=True, help_text="The license's new expiry date, for identity changes."
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["provider", "at"], name="change_history_idx"),
            models.Index(fields=["status", "at"], name="change_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {', '.join(self.changes)} ({self.get_status_display()})"


class LicenseReminder(models.Model):
    """A license-expiry mail sent to a listing's owner, once per check and kind."""

    check_record = models.ForeignKey(
        "directory.VerificationCheck", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["check_record", "kind"], name="one_reminder_each"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (sent {self.sent_at:%Y-%m-%d})"
