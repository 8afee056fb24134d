"""The listing's edit form: the application's form (its rules: Provider's validators, the ZIP,
prices, the REMS rule) on the listing's own fields, plus the bio, a photo and the license's
expiry date. Only these fields exist, so nothing else posted (slug, suspension, verification,
membership, owner) can reach the listing."""

from __future__ import annotations

import datetime as dt

from ketamine_association.directory.choices import Treatment
from ketamine_association.directory.photos import PhotoField

from ..choices import IDENTITY_FIELDS
from ..models import ListingChange
from ..services.listings import EDITABLE_FIELDS
from .applications import ApplicationForm

REMS_FIELDS = ("rems_certified", "rems_document")


class ListingForm(ApplicationForm):
    photo = PhotoField(
        label="Photo (JPEG, PNG or WebP, at most 5 MB)",
        required=False,
        help_text="Stored square and re-encoded, without EXIF data (no location, no camera).",
    )

    class Meta(ApplicationForm.Meta):
        fields = EDITABLE_FIELDS
        error_messages = {"npi": {"unique": "This NPI belongs to another listing."}}

    GROUPS = (
        *(
            (title, tuple(name for name in names if name not in REMS_FIELDS))
            for title, names in ApplicationForm.GROUPS
        ),
        ("About you", ("bio", "photo")),
    )

    def __init__(self, *args, rems_on_file: bool, license_expires_on: dt.date | None,
                 pending: ListingChange | None = None, **kwargs):  # fmt: skip
        """`license_expires_on`: the license check's on file; `pending`: the listing's
        identity change waiting for review, whose values the form starts from."""
        initial = dict(kwargs.pop("initial", None) or {})
        initial["license_expires_on"] = license_expires_on
        self.pending_fields: tuple[str, ...] = ()
        if pending is not None:
            for name, (_before, after) in pending.changes.items():
                if name in IDENTITY_FIELDS:
                    initial[name] = after
            if pending.license_expires_on:
                initial["license_expires_on"] = pending.license_expires_on
            self.pending_fields = tuple(pending.changes)
        super().__init__(*args, initial=initial, **kwargs)
        for name in REMS_FIELDS:
            del self.fields[name]
        self.rems_on_file = rems_on_file
        self.live_npi = self.instance.npi
        self.offered_before = self.instance.treatments or 0
        expiry = self.fields["license_expires_on"]
        expiry.required = False
        expiry.help_text = "As printed on your state license. Staff check a new date first."

    def clean_npi(self) -> str:
        value = self.cleaned_data["npi"]
        if value == self.live_npi:  # the listing's own NPI, whatever its origin (demo, import)
            return value
        parent = getattr(super(), "clean_npi", None)
        return parent() if parent else value

    def clean_license_expires_on(self) -> dt.date | None:
        value = self.cleaned_data.get("license_expires_on")
        if value is None or value == self.initial.get("license_expires_on"):
            return value  # unchanged: an expired date on file does not block other edits
        return super().clean_license_expires_on()

    def check_rems(self, data: dict) -> None:
        """The application's REMS rule, for a listing: a REMS certification on file (a
        passed REMS check) is enough; esketamine offered before stays as it was."""
        bit = Treatment.bit(Treatment.ESKETAMINE)
        treatments = data.get("treatments") or 0
        if treatments & bit and not self.rems_on_file and not self.offered_before & bit:
            self.add_error(
                "treatments",
                f"{self.REMS_ONLY} We have no REMS certification on file for this listing: "
                "send the location's confirmation to the membership team first.",
            )

    def values(self) -> dict:
        """The listing's fields as the form cleaned them (flags as their integers)."""
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}

    def new_photo(self):
        """The new photo, checked and re-encoded (directory.photos), or None."""
        return getattr(self.cleaned_data.get("photo"), "processed", None)
