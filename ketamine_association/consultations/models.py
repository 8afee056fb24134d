"""Consultation requests: what a patient sent one provider, every personal field encrypted at
rest (core/crypto.py), and the log of each time someone opened or changed one.

Equality lookups never touch a clear value: the duplicate check uses `contact_digest`, a keyed
hash of the normalised email or phone (core/crypto.lookup_digest). Nothing here is written to
a log line; str() of a request names its number only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketamine_association.core.crypto import EncryptedTextField
from ketamine_association.directory.models import Provider

from .choices import AccessKind, RequestStatus


class ConsultationRequest(models.Model):
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="consultation_requests"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was booked, not a fit or closed."
    )
    submission = models.UUIDField(
        help_text="One form sent to several providers shares this (no personal data)."
    )
    # What the patient wrote: every field encrypted, choices stored as their values.
    name = EncryptedTextField()
    email = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    contact_method = EncryptedTextField()
    contact_times = EncryptedTextField()
    state = EncryptedTextField()
    treatment = EncryptedTextField()
    for_whom = EncryptedTextField()
    payment = EncryptedTextField()
    note = EncryptedTextField(blank=True)
    in_crisis = EncryptedTextField(help_text='The answer to "harming yourself right now?"')
    consent_text = EncryptedTextField(help_text="The consent sentence the patient agreed to.")
    consented_at = models.DateTimeField(default=timezone.now)
    # The provider's own note on it, also encrypted.
    provider_note = EncryptedTextField(blank=True)
    contact_digest = models.CharField(
        max_length=64, help_text="Keyed hash of the email or phone: the duplicate check."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "-created_at"], name="consultation_inbox_idx"),
            models.Index(fields=["created_at"], name="consultation_age_idx"),
            models.Index(fields=["finished_at"], name="consultation_finished_idx"),
            models.Index(fields=["contact_digest", "provider"], name="consultation_dup_idx"),
        ]
        permissions = [
            (
                "break_glass",
                "Can read a consultation request's content (every reading is logged)",
            )
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk}"


class RequestAccess(models.Model):
    """Who opened or changed which request, and when. Deleted with its request (the purge
    leaves nothing that points at content)."""

    request = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="accesses"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=AccessKind.choices)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Break-glass only: why staff needed to read it."
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["provider", "-at"], name="access_provider_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request #{self.request_id}"
