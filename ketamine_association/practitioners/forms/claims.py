"""Forms: a claim on a listing, and the owner's invitation of a colleague as editor."""

from __future__ import annotations

from django import forms

from ..models import Claim


class _DescribedErrors:
    """After validation, each field in error points at its help and its message
    (aria-describedby), as practitioners/_field.html writes them; Django marks it
    aria-invalid itself."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                field = self.fields[name]
                described = field.widget.attrs.get("aria-describedby", "").split()
                if not described and field.help_text:  # Django's own, which this replaces
                    described.append(f"{self[name].auto_id}_helptext")
                if f"{name}-error" not in described:
                    described.append(f"{name}-error")
                field.widget.attrs["aria-describedby"] = " ".join(described)


class ClaimForm(_DescribedErrors, forms.Form):
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


class InviteForm(_DescribedErrors, forms.Form):
    email = forms.EmailField(
        label="Your colleague's email address",
        max_length=254,
        help_text="They receive a link, valid for seven days, to sign in with this address.",
    )
