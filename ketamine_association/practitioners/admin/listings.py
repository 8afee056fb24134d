"""Admin: each listing's change history, and the queue of identity changes waiting for staff
(waiting first, oldest first): approve or reject, with a written reason mailed to who made the
change. License reminders sent, read-only."""

from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When

from .. import services
from ..choices import ChangeStatus
from ..models import LicenseReminder, ListingChange
from ..services.listings import FIELD_LABELS
from .decisions import DecisionAdminMixin, DecisionForm


class ChangeDecisionForm(DecisionForm):
    decisions = services.CHANGE_DECISIONS
    reason_help = "Whoever made the change receives this text by mail, whatever the decision."
    reason_missing = "Write the reason the practitioner will read."

    class Meta(DecisionForm.Meta):
        model = ListingChange


PENDING_FIRST = Case(
    When(status=ChangeStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
)


@admin.register(ListingChange)
class ListingChangeAdmin(DecisionAdminMixin, admin.ModelAdmin):
    """Every saved change of every listing. Filter by listing for its history; the waiting
    identity changes come first, and only those can be decided."""

    form = ChangeDecisionForm
    list_display = ("provider", "status", "changed_fields", "at", "by", "decided_by")
    list_filter = ("status", ("provider", admin.RelatedOnlyFieldListFilter))
    search_fields = ("provider__name", "provider__npi", "by__email")
    ordering = (PENDING_FIRST.asc(), "at", "id")
    readonly_fields = (
        "provider",
        "status",
        "before_after",
        "license_expires_on",
        "by",
        "at",
        "decided_at",
        "decided_by",
        "decision_reason",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider", "by", "decided_by")

    @admin.display(description="Fields")
    def changed_fields(self, obj: ListingChange) -> str:
        return ", ".join(FIELD_LABELS.get(name, name) for name in obj.changes)

    @admin.display(description="Before → after")
    def before_after(self, obj: ListingChange) -> str:
        return "\n".join(
            f"{FIELD_LABELS.get(name, name)}: {pair[0]!r} → {pair[1]!r}"
            for name, pair in obj.changes.items()
            if isinstance(pair, list | tuple) and len(pair) == 2
        )

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.status == ChangeStatus.PENDING:
            fields = ["decision", "reason", *fields]
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def decide(self, request, obj, *, decision: str, reason: str) -> None:
        services.listing_change_decide(
            change=obj, decision=decision, reason=reason, by=request.user
        )


@admin.register(LicenseReminder)
class LicenseReminderAdmin(admin.ModelAdmin):
    """The license-expiry mails sent to owners (one per license check and kind)."""

    list_display = ("listing", "kind", "expires_on", "sent_at")
    list_filter = ("kind",)
    search_fields = ("check_record__provider__name", "check_record__provider__npi")
    list_select_related = ("check_record__provider",)

    @admin.display(description="Listing")
    def listing(self, obj: LicenseReminder):
        return obj.check_record.provider

    @admin.display(description="License expires on")
    def expires_on(self, obj: LicenseReminder):
        return obj.check_record.expires_on

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
