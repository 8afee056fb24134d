"""A patient's consultation request: what they may type, refused with a clear message when it
cannot be stored or passed on safely. No diagnosis field, no date of birth: the provider asks
what they need. HTML is kept as typed and shown as text everywhere (templates escape it)."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from ketamine_association.core.addresses import phone_digits
from ketamine_association.core.forms import (
    CONTROL_BUT_LINE_BREAKS,
    CONTROL_CHARACTERS,
    DescribedErrors,
)
from ketamine_association.core.mail import mail_address
from ketamine_association.directory.choices import State, Treatment

from .choices import (
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    PHONE_MAX_LENGTH,
    ContactMethod,
    ContactTime,
    ForWhom,
    Payment,
)
from .services.retention import retention_terms

NOT_SURE = "not-sure"
TREATMENT_CHOICES = [*Treatment.choices, (NOT_SURE, "Not sure yet")]
CRISIS_CHOICES = [("yes", "Yes"), ("no", "No")]
NOTE_HINT = "Please do not include medical details; the provider will ask you."

# C0 controls and DEL; the note may keep its tabs and line breaks.
_PHONE_CHARACTERS = re.compile(r"[0-9 +().\-]+")
PHONE_DIGITS = (7, 15)


def consent_sentence(provider_names: list[str]) -> str:
    """What the patient agrees to, with the real retention numbers; stored with the request."""
    if len(provider_names) == 1:
        who, reader = provider_names[0], "only this provider reads it"
    else:
        who = ", ".join(provider_names[:-1]) + " and " + provider_names[-1]
        reader = "each provider receives its own copy and only they read it"
    retention = retention_terms()
    return (
        f"I agree that {who} may contact me about this request. What I send is stored "
        f"encrypted, {reader}, and it is deleted {retention['after_finished']} days after "
        f"the provider closes it, and in any case {retention['after_sent']} days after I "
        "send it."
    )


class _Text(forms.CharField):
    """A CharField whose NUL-byte refusal says what to do."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators = [
            ProhibitNullCharactersValidator(
                message="This contains a NUL character we cannot accept. Please retype it."
            )
            if isinstance(v, ProhibitNullCharactersValidator)
            else v
            for v in self.validators
        ]


class RequestForm(DescribedErrors, forms.Form):
    # First, before anything else: the crisis question (the page shows the resources above).
    in_crisis = forms.ChoiceField(
        label="Are you thinking about harming yourself right now?",
        choices=CRISIS_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Please answer this question: yes or no."},
    )
    name = _Text(
        label="Your name",
        max_length=NAME_MAX_LENGTH,
        help_text="The name the provider should use when they contact you.",
        error_messages={"required": "Please tell the provider your name."},
    )
    email = forms.EmailField(
        label="Email address",
        required=False,
        max_length=254,
        help_text="An email address or a phone number (or both), so the provider can reach you.",
        error_messages={"invalid": "Enter one email address on one line, like name@example.org."},
    )
    phone = _Text(
        label="Phone number",
        required=False,
        max_length=PHONE_MAX_LENGTH,
        help_text="US numbers, like (555) 555-0100.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    contact_method = forms.ChoiceField(
        label="How would you like to be contacted?",
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose how the provider should contact you."},
    )
    contact_times = forms.MultipleChoiceField(
        label="When is a good time to contact you?",
        choices=ContactTime.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose one or more.",
        error_messages={"required": "Please choose at least one time."},
    )
    state = forms.ChoiceField(
        label="The state you live in",
        choices=[("", "Choose your state"), *State.choices],
        help_text="Providers can only treat patients in the states where they are licensed.",
        error_messages={"required": "Please choose the state you live in."},
    )
    treatment = forms.ChoiceField(
        label="Which treatment are you asking about?",
        choices=TREATMENT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": 'Please choose a treatment, or "Not sure yet".'},
    )
    for_whom = forms.ChoiceField(
        label="Who is this request for?",
        choices=ForWhom.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Please tell us who the request is for."},
    )
    payment = forms.ChoiceField(
        label="Would you use insurance or pay yourself?",
        choices=Payment.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose insurance, self-pay or not sure yet."},
    )
    note = _Text(
        label="A short note (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=f"{NOTE_HINT} At most {NOTE_MAX_LENGTH} characters.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": (
                f"Please keep the note to {NOTE_MAX_LENGTH} characters or fewer "
                "(yours has %(show_value)d)."
            )
        },
    )
    consent = forms.BooleanField(
        label="I agree",
        error_messages={
            "required": "Please tick the box to agree, so the provider may contact you."
        },
    )
    # The honeypot: hidden from people and screen readers (the template), filled by bots.
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, provider_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.consent_text = consent_sentence(provider_names)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"

    # --- fields

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if CONTROL_CHARACTERS.search(name):
            raise forms.ValidationError("Please write your name on one line, without line breaks.")
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if not email:
            return ""
        try:
            mail_address(email)  # no CR/LF or other control character, exactly one address
        except ValueError:
            raise forms.ValidationError(
                "Enter one email address on one line, like name@example.org."
            ) from None
        return email

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        if not phone:
            return ""
        if not _PHONE_CHARACTERS.fullmatch(phone):
            raise forms.ValidationError(
                "A phone number may hold digits, spaces and + ( ) - . only, like (555) 555-0100."
            )
        low, high = PHONE_DIGITS
        if not low <= len(phone_digits(phone)) <= high:
            raise forms.ValidationError(
                f"A phone number has {low} to {high} digits; please check yours."
            )
        return phone

    def clean_note(self) -> str:
        note = self.cleaned_data["note"]
        if CONTROL_BUT_LINE_BREAKS.search(note):
            raise forms.ValidationError(
                "Your note contains control characters we cannot accept. Please retype it."
            )
        return note

    def clean(self):
        data = super().clean()
        email, phone = data.get("email"), data.get("phone")
        if "email" in data and "phone" in data and not email and not phone:
            message = (
                "Please give an email address or a phone number, so the provider can reach you."
            )
            self.add_error("email", message)
            self.add_error("phone", message)
        method = data.get("contact_method")
        if method == ContactMethod.EMAIL and "email" in data and not email and phone:
            self.add_error("email", "You chose email: please give your email address.")
        calls = (ContactMethod.PHONE, ContactMethod.TEXT)
        if method in calls and "phone" in data and not phone and email:
            self.add_error("phone", "You chose a call or a text: please give your phone number.")
        data["consent_text"] = self.consent_text
        return data

    # --- for the templates

    @property
    def crisis_yes(self) -> bool:
        """The crisis question answered yes in what was sent (shown at once, server-side)."""
        return self.is_bound and self.data.get("in_crisis") == "yes"

    def request_back(self) -> list[tuple[str, str]]:
        """What the patient typed, as (label, text) to show back on a page (never stored):
        the raw values, so nothing is lost even when one is invalid; templates escape them."""
        if not self.is_bound:
            return []
        shown = []
        for name in (
            "name",
            "email",
            "phone",
            "contact_method",
            "contact_times",
            "state",
            "treatment",
            "for_whom",
            "payment",
            "note",
        ):
            field = self.fields[name]
            if isinstance(field, forms.MultipleChoiceField):
                values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            else:
                values = [self.data.get(name, "")]
            labels = dict(getattr(field, "choices", []))
            text = ", ".join(str(labels.get(v, v)) for v in values if v)
            if text:
                shown.append((str(field.label), text))
        return shown
