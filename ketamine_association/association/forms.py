"""The contact form: what a sender may type, refused with a clear message when it cannot be
stored or mailed safely (line breaks in a name, an address that is not exactly one address,
control characters, an article that is not published). HTML is kept as typed: every page and
mail shows it as text."""

from django import forms

from ketamine_association.core.forms import CONTROL_BUT_LINE_BREAKS, CONTROL_CHARACTERS
from ketamine_association.core.mail import mail_address

from . import selectors
from .choices import MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH, Topic

# C0 controls and DEL; the message may keep its tabs and line breaks.


class ContactForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=NAME_MAX_LENGTH)
    email = forms.EmailField(label="Your email address", max_length=254)
    topic = forms.ChoiceField(
        label="What is your message about?", choices=Topic.choices, widget=forms.RadioSelect
    )
    article = forms.CharField(
        label="Which article? (for a correction)", required=False, max_length=500
    )
    message = forms.CharField(
        label="Your message", max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea
    )
    # A honeypot: hidden from people (and from screen readers), filled in by naive bots.
    website = forms.CharField(label="Leave this field empty", required=False, max_length=200)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if CONTROL_CHARACTERS.search(name):
            raise forms.ValidationError("Please write your name on one line, without line breaks.")
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        try:
            mail_address(email)
        except ValueError:
            raise forms.ValidationError("Enter one email address, like name@example.org.") from None
        return email

    def clean_message(self) -> str:
        message = self.cleaned_data["message"]
        if CONTROL_BUT_LINE_BREAKS.search(message):
            raise forms.ValidationError(
                "Your message contains control characters we cannot accept. Please retype it."
            )
        return message

    def clean(self):
        data = super().clean()
        data["article_obj"] = None
        if data.get("topic") != Topic.CORRECTION:
            data["article"] = ""
            return data
        value = data.get("article", "")
        if not value:
            self.add_error("article", "Tell us which article: paste its web address.")
            return data
        article = selectors.contact_article(value=value)
        if article is None:
            self.add_error(
                "article",
                "We could not find a published article at that address. Paste the address "
                "from your browser's address bar.",
            )
            return data
        data["article_obj"] = article
        return data
