"""What the staff's review queues share: a decision taken with a written reason, which the
person concerned receives by mail. Each queue names its decisions and the service that takes
them; a refused decision (nothing waiting, no reason) is said on the page, never a 500."""

from __future__ import annotations

from django import forms
from django.contrib import messages

from ..services import DecisionRefused


class DecisionForm(forms.ModelForm):
    """`decision` (one of `decisions`, or none: nothing is decided) and its `reason`."""

    decisions: list[tuple[str, str]] = []
    reason_help = "The person concerned receives this text by mail, whatever the decision."
    reason_missing = "Write the reason the person concerned will read."

    decision = forms.ChoiceField(choices=(), required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)

    class Meta:
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [("", "—"), *self.decisions]
        self.fields["reason"].help_text = self.reason_help

    def clean(self):
        data = super().clean()
        if data.get("decision") and not (data.get("reason") or "").strip():
            self.add_error("reason", self.reason_missing)
        return data


class DecisionAdminMixin:
    """A ModelAdmin whose form is a DecisionForm: saving takes the decision through
    `decide()` (the queue's service) instead of saving the row."""

    def decide(self, request, obj, *, decision: str, reason: str) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        try:
            self.decide(request, obj, decision=decision, reason=form.cleaned_data["reason"])
        except DecisionRefused as exc:
            messages.error(request, str(exc))
