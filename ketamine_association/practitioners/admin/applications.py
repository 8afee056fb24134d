from django import forms
from django.contrib import admin, messages

from .. import services
from ..choices import APPLICATION_FIELDS, ApplicationStatus, Decision
from ..models import Application, ListingOwner


class DecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(choices=[("", "—"), *Decision.choices], required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="The applicant receives this text by mail, whatever the decision.",
    )

    class Meta:
        model = Application
        fields = ()

    def clean(self):
        data = super().clean()
        if data.get("decision") and not (data.get("reason") or "").strip():
            self.add_error("reason", "Write the reason the applicant will read.")
        return data


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """The review queue: waiting applications first, oldest first. Staff read what was
    proposed and decide, with a written reason the applicant receives by mail."""

    form = DecisionForm
    list_display = ("__str__", "status", "submitted_at", "applicant", "decided_by")
    list_filter = ("status",)
    search_fields = ("proposed__npi", "applicant__email")
    readonly_fields = (
        "applicant",
        "status",
        "listing",
        "license_expires_on",
        "rems_certified",
        "rems_document",
        "submitted_at",
        "decided_at",
        "decided_by",
        "decision_reason",
        "provider",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("applicant", "decided_by")

    @admin.display(description="Proposed listing")
    def listing(self, obj: Application) -> str:
        return "\n".join(f"{name}: {obj.proposed.get(name)}" for name in APPLICATION_FIELDS)

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.status == ApplicationStatus.SUBMITTED:
            fields = ["decision", "reason", *fields]
        return fields

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        try:
            services.application_decide(
                application=obj,
                decision=decision,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except services.DecisionRefused as exc:
            messages.error(request, str(exc))


@admin.register(ListingOwner)
class ListingOwnerAdmin(admin.ModelAdmin):
    list_display = ("provider", "account", "since")
    raw_id_fields = ("provider", "account")
    search_fields = ("provider__name", "provider__npi", "account__email")
