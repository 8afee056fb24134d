"""The application form: the listing's own fields (Provider's validators are the rule), the
license's expiry, and the location's REMS certification with its confirmation."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from ketamine_association.core.forms import DescribedErrors
from ketamine_association.directory.choices import Treatment
from ketamine_association.directory.geo import zip_place
from ketamine_association.directory.models import Provider
from ketamine_association.directory.validators import issued_npi_problem

from ..choices import APPLICATION_FIELDS, REMS_MAX_BYTES, REMS_TYPES

YES_NO = [("no", "No"), ("yes", "Yes")]


class ApplicationForm(DescribedErrors, forms.ModelForm):
    license_expires_on = forms.DateField(
        label="License expiry date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="As printed on your state license.",
    )
    rems_certified = forms.TypedChoiceField(
        label="Is this location certified under the Spravato REMS program?",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        initial="no",
        widget=forms.RadioSelect,
        help_text="Required when you offer esketamine (Spravato).",
    )
    website = forms.URLField(label="Website", max_length=300, required=False, assume_scheme="https")
    rems_document = forms.FileField(
        label="REMS certification confirmation (PDF, PNG or JPEG, at most 5 MB)",
        required=False,
    )

    class Meta:
        model = Provider
        fields = APPLICATION_FIELDS
        error_messages = {"npi": {"unique": "This NPI is already listed: claim that listing."}}

    GROUPS = (
        (
            "You and your license",
            ("name", "credentials", "npi", "license_states", "license_number",
             "license_expires_on"),
        ),
        (
            "Where patients find you",
            ("practice_name", "address", "city", "state", "zip_code", "phone", "website"),
        ),
        (
            "What you offer",
            ("treatments", "rems_certified", "rems_document", "conditions", "insurance",
             "telehealth", "telehealth_states", "languages", "price_min_usd", "price_max_usd",
             "accepting_new_patients"),
        ),
    )  # fmt: skip

    def groups(self) -> list[tuple[str, list]]:
        """The form's fields under their headings, in the order a practitioner fills them."""
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def clean_license_expires_on(self) -> dt.date:
        value = self.cleaned_data["license_expires_on"]
        if value <= timezone.now().date():
            raise forms.ValidationError("This license has expired: renew it before applying.")
        return value

    def clean_npi(self) -> str:
        """A practitioner's own NPI: the listing's format rule, and one CMS could have issued."""
        value = self.cleaned_data["npi"]
        if problem := issued_npi_problem(value):
            raise forms.ValidationError(f"{value} is not a valid NPI: {problem}.")
        return value

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"].strip()
        if zip_place(value) is None:
            raise forms.ValidationError(f"{value} is not a US ZIP code we know.")
        return value

    def clean_rems_document(self):
        upload = self.cleaned_data.get("rems_document")
        if not upload:
            return upload
        if upload.size > REMS_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(magic) for magic in REMS_TYPES):
            raise forms.ValidationError("Upload a PDF, PNG or JPEG file.")
        return upload

    REMS_ONLY = "Esketamine (Spravato) is given only at REMS-certified locations."

    def check_rems(self, data: dict) -> None:
        """Esketamine is given only at a REMS-certified location, with its confirmation (a
        listing's edit form relaxes this when the certification is already on file)."""
        treatments = data.get("treatments") or 0
        if treatments & Treatment.bit(Treatment.ESKETAMINE):
            if not data.get("rems_certified"):
                self.add_error("rems_certified", self.REMS_ONLY)
            elif not data.get("rems_document"):
                self.add_error("rems_document", "Upload the location's REMS confirmation.")

    def clean(self):
        data = super().clean()
        self.check_rems(data)
        low, high = data.get("price_min_usd"), data.get("price_max_usd")
        if low is not None and high is not None and low > high:
            self.add_error("price_max_usd", "The highest price is below the lowest.")
        return data

    def proposed(self) -> dict:
        """The listing's fields as JSON-able values (flags as their integers)."""
        return {name: self.cleaned_data[name] for name in APPLICATION_FIELDS}
