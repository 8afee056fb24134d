"""A bit set of FlagChoices stored in one BigIntegerField, edited as checkboxes in forms."""

from __future__ import annotations

from django import forms
from django.db import models

from .choices import FlagChoices


class FlagsFormField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, flags: type[FlagChoices], **kwargs):
        self.flags = flags
        kwargs.pop("max_value", None)
        kwargs.pop("min_value", None)
        kwargs.pop("step_size", None)
        super().__init__(choices=flags.choices, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return [member.value for member in self.flags.members(value)]
        return value

    def has_changed(self, initial, data):
        return super().has_changed(self.prepare_value(initial), data)

    def clean(self, value) -> int:
        return self.flags.mask(super().clean(value))


class FlagsField(models.BigIntegerField):
    """An integer whose bit n says whether member n of `flags` applies."""

    def __init__(self, *args, flags: type[FlagChoices], **kwargs):
        self.flags = flags
        kwargs.setdefault("default", 0)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["flags"] = self.flags
        if kwargs.get("default") == 0:
            del kwargs["default"]
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        defaults = {"required": not self.blank, "label": self.verbose_name.capitalize()}
        defaults.update(kwargs)
        defaults.pop("form_class", None)
        defaults.pop("choices_form_class", None)
        defaults.pop("localize", None)
        widget = defaults.get("widget")
        widget_class = widget if isinstance(widget, type) else type(widget)
        if widget is not None and not getattr(widget_class, "allow_multiple_selected", False):
            del defaults["widget"]  # the admin's integer text box, offered to every BigInteger
        return FlagsFormField(flags=self.flags, help_text=self.help_text, **defaults)
