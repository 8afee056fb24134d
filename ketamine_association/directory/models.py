from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from ketamine_association.core.files import RootedStorage

from .choices import (
    VERIFICATION_WHAT,
    CheckKind,
    Condition,
    Credential,
    Insurance,
    Language,
    State,
    Treatment,
    VerificationMethod,
    VerificationStatus,
)
from .fields import FlagsField
from .validators import validate_npi
from .verification import CheckFacts

PHOTO_TYPES = ("jpg", "jpeg", "png", "webp")
PHOTOS_URL = "/media/providers/"


def photos_root() -> Path:
    default = Path(settings.VAR_DIR) / "media" / "providers"
    return Path(getattr(settings, "PROVIDER_PHOTOS_ROOT", default))


def photo_storage() -> RootedStorage:
    """Provider photos under var/media/providers, served by the directory's own view."""
    return RootedStorage(photos_root, base_url=PHOTOS_URL)


class Provider(models.Model):
    """A clinician listed in Find a Provider.

    Multi-valued choices are bit sets (see choices.py). `latitude`/`longitude` come from the
    ZIP code unless given; `lat_band` and `city_slug` are derived by services.provider_prepare,
    the only way rows are written."""

    slug = models.SlugField(max_length=140, unique=True)
    name = models.CharField(max_length=200, help_text="The clinician's name, e.g. Jane Doe.")
    credentials = FlagsField(flags=Credential)
    npi = models.CharField(
        "NPI", max_length=10, unique=True, validators=[validate_npi], help_text="10 digits."
    )
    license_states = FlagsField(flags=State, blank=True)
    license_number = models.CharField(max_length=40, blank=True)
    practice_name = models.CharField(max_length=200, blank=True)
    address = models.CharField("street address", max_length=200)
    city = models.CharField(max_length=100)
    city_slug = models.SlugField(max_length=100, editable=False, db_index=False)
    state = models.CharField(max_length=2, choices=State.choices)
    zip_code = models.CharField("ZIP code", max_length=5)
    latitude = models.FloatField(
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text="Leave empty to use the ZIP code's.",
    )
    longitude = models.FloatField(
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text="Leave empty to use the ZIP code's.",
    )
    lat_band = models.SmallIntegerField(editable=False, help_text="floor(latitude × 10)")
    phone = models.CharField(max_length=20, blank=True)
    website = models.URLField(max_length=300, blank=True)
    treatments = FlagsField(flags=Treatment)
    conditions = FlagsField(flags=Condition, blank=True)
    insurance = FlagsField(flags=Insurance, blank=True)
    price_min_usd = models.PositiveIntegerField("self-pay from (USD)", null=True, blank=True)
    price_max_usd = models.PositiveIntegerField("self-pay up to (USD)", null=True, blank=True)
    telehealth = models.BooleanField(default=False)
    telehealth_states = FlagsField(flags=State, blank=True)
    languages = FlagsField(flags=Language, blank=True)
    accepting_new_patients = models.BooleanField(default=True)
    is_member = models.BooleanField("association member", default=False)
    membership_tier = models.ForeignKey(
        "association.MembershipTier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Set by staff; billing comes later. Never changes the order of results.",
    )
    membership_starts_on = models.DateField("member since", null=True, blank=True)
    membership_ends_on = models.DateField(
        "membership ends", null=True, blank=True, help_text="Empty: no end date."
    )
    is_suspended = models.BooleanField(
        "suspended",
        default=False,
        help_text="A suspended listing leaves search, the sitemap and its page (410 Gone).",
    )
    suspension_reason = models.TextField(
        blank=True, max_length=2000, help_text="For staff and the owner; never shown publicly."
    )
    verification_status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verification_method = models.CharField(
        max_length=20, choices=VerificationMethod.choices, blank=True
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the check ran automatically.",
    )
    bio = models.TextField(blank=True, max_length=5000)
    photo = models.FileField(
        upload_to="",
        storage=photo_storage,
        blank=True,
        validators=[FileExtensionValidator(list(PHOTO_TYPES))],
    )
    is_demo = models.BooleanField(
        default=False, help_text="Fictional, generated by seed_providers: never a real person."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # The search box: each latitude band is one contiguous longitude range of this
            # index, and every column the search reads is in it, the id too (SQLite has it in
            # every index, PostgreSQL only if named), so no table row is read.
            models.Index(
                fields=[
                    "lat_band",
                    "longitude",
                    "latitude",
                    "treatments",
                    "conditions",
                    "insurance",
                    "accepting_new_patients",
                    "verification_status",
                    "is_suspended",
                    "id",
                ],
                name="provider_geo_idx",
            ),
            models.Index(fields=["state", "city_slug", "city"], name="provider_place_idx"),
            models.Index(
                fields=["id", "telehealth_states"],
                condition=models.Q(telehealth=True),
                name="provider_telehealth_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_min_usd__lte=models.F("price_max_usd"))
                | models.Q(price_min_usd__isnull=True)
                | models.Q(price_max_usd__isnull=True),
                name="provider_price_range",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="provider_coordinates",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("directory:profile", kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        codes = ", ".join(member.value for member in Credential.members(self.credentials))
        return f"{self.name}, {codes}" if codes else self.name

    @property
    def treatment_labels(self) -> list[str]:
        return Treatment.labels_of(self.treatments)

    @property
    def condition_labels(self) -> list[str]:
        return Condition.labels_of(self.conditions)

    @property
    def insurance_labels(self) -> list[str]:
        return Insurance.labels_of(self.insurance)

    @property
    def language_labels(self) -> list[str]:
        return Language.labels_of(self.languages)

    @property
    def credential_labels(self) -> list[str]:
        return Credential.labels_of(self.credentials)

    @property
    def license_state_labels(self) -> list[str]:
        return State.labels_of(self.license_states)

    @property
    def telehealth_state_labels(self) -> list[str]:
        return State.labels_of(self.telehealth_states)

    @property
    def state_name(self) -> str:
        return State(self.state).label

    @property
    def phone_href(self) -> str:
        digits = "".join(char for char in self.phone if char.isdigit())
        return f"tel:+1{digits[-10:]}" if len(digits) >= 10 else ""

    @property
    def photo_small_url(self) -> str:
        """The 160 px photo beside the 400 px one (photos.SIZES), else the photo itself."""
        if not self.photo:
            return ""
        if self.photo.name.endswith("-400.jpg"):
            return self.photo.storage.url(self.photo.name.removesuffix("-400.jpg") + "-160.jpg")
        return self.photo.url

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    def membership_on(self, today: dt.date) -> bool:
        """The one rule of the membership badge: a member (is_member) whose membership has
        started (or has no start date) and has not ended (or has no end date) on `today`.
        A badge only: it never changes the order of results."""
        return (
            self.is_member
            and (self.membership_starts_on is None or self.membership_starts_on <= today)
            and (self.membership_ends_on is None or today <= self.membership_ends_on)
        )

    @property
    def verified_what(self) -> str:
        """What the strongest good check covered, as a search card says it: "NPI format"."""
        return VERIFICATION_WHAT.get(self.verification_method, "")


class VerificationCheck(models.Model):
    """One check of a provider, with its date and who made it: the evidence behind every badge
    line. Written only by services.verification_record, which also re-derives the provider's
    verification_status (the rule: verification.py)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=20, choices=CheckKind.choices)
    checked_at = models.DateTimeField(default=timezone.now)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the check ran automatically.",
    )
    passed = models.BooleanField()
    detail = models.TextField(blank=True, help_text="What was matched or seen.")
    license_state = models.CharField(max_length=2, choices=State.choices, blank=True)
    license_number = models.CharField(max_length=40, blank=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="Without it a license check never makes one verified."
    )

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["provider", "kind", "checked_at"], name="check_latest_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {'passed' if self.passed else 'failed'}"

    @property
    def facts(self) -> CheckFacts:
        return CheckFacts(
            kind=self.kind,
            passed=self.passed,
            checked_at=self.checked_at,
            expires_on=self.expires_on,
            detail=self.detail,
            license_state=self.license_state,
            license_number=self.license_number,
        )
