from django import forms

from .choices import Interest


class SignupForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    first_name = forms.CharField(label="First name (optional)", max_length=100, required=False)
    interests = forms.MultipleChoiceField(
        label="What would you like to hear about?",
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # A honeypot: hidden from people (and from screen readers), filled in by naive bots.
    website = forms.CharField(label="Leave this field empty", required=False, max_length=200)


class PreferencesForm(forms.Form):
    first_name = forms.CharField(label="First name (optional)", max_length=100, required=False)
    interests = forms.MultipleChoiceField(
        label="What would you like to hear about?",
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
