"""Forms: a claim on a listing, and the owner's invitation of a colleague as editor."""

from __future__ import annotations

from django import forms

from ketamine_association.core.forms import DescribedErrors

from ..models import Claim


class ClaimForm(DescribedErrors, forms.Form):
    role = forms.CharField(
        label="Your role at the practice",
        max_length=Claim._meta.get_field("role").max_length,
        help_text="For example: the clinician listed, practice manager, front desk.",
    )
    evidence = forms.CharField(
        label="How can we confirm you work there?",
        required=False,
        max_length=Claim._meta.get_field("evidence").max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "Optional. For example a phone number at the practice we can call, or a staff "
            "page of the practice's website that lists you."
        ),
    )

    def clean_role(self) -> str:
        role = self.cleaned_data["role"].strip()
        if not role:
            raise forms.ValidationError("Tell us your role at the practice.")
        return role


class InviteForm(DescribedErrors, forms.Form):
    email = forms.EmailField(
        label="Your colleague's email address",
        max_length=254,
        help_text="They receive a link, valid for seven days, to sign in with this address.",
    )
