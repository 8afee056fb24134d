from django.contrib import admin

from .. import services
from ..choices import APPLICATION_FIELDS, ApplicationStatus, Decision
from ..models import Application, ListingOwner
from .decisions import DecisionAdminMixin, DecisionForm


class ApplicationDecisionForm(DecisionForm):
    decisions = Decision.choices
    reason_help = "The applicant receives this text by mail, whatever the decision."
    reason_missing = "Write the reason the applicant will read."

    class Meta(DecisionForm.Meta):
        model = Application


@admin.register(Application)
class ApplicationAdmin(DecisionAdminMixin, admin.ModelAdmin):
    """The review queue: waiting applications first, oldest first. Staff read what was
    proposed and decide, with a written reason the applicant receives by mail."""

    form = ApplicationDecisionForm
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

    def decide(self, request, obj, *, decision: str, reason: str) -> None:
        services.application_decide(
            application=obj, decision=decision, reason=reason, by=request.user
        )


@admin.register(ListingOwner)
class ListingOwnerAdmin(admin.ModelAdmin):
    list_display = ("provider", "account", "since")
    raw_id_fields = ("provider", "account")
    search_fields = ("provider__name", "provider__npi", "account__email")
