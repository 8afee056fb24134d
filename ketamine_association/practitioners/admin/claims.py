"""The staff's queue of claims on listings (disputes among them), and the listings' editors.

Open claims come first, oldest first. Staff read the claimant's role, evidence and verified
address; for a dispute, the current owner is shown here, to staff only. The decision
(approve or reject) goes with a written reason the claimant receives by mail."""

from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When

from .. import services
from ..choices import OPEN_CLAIM_STATUSES
from ..models import Claim, ListingEditor, ListingOwner
from .decisions import DecisionAdminMixin, DecisionForm

APPROVE, REJECT = "approve", "reject"


class ClaimDecisionForm(DecisionForm):
    decisions = [(APPROVE, "Approve: the claimant manages the listing"), (REJECT, "Reject")]
    reason_help = "The claimant receives this text by mail, whatever the decision."
    reason_missing = "Write the reason the claimant will read."

    class Meta(DecisionForm.Meta):
        model = Claim


class OpenFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Waiting for review"), ("no", "Decided")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_CLAIM_STATUSES)
        if self.value() == "no":
            return queryset.exclude(status__in=OPEN_CLAIM_STATUSES)
        return queryset


@admin.register(Claim)
class ClaimAdmin(DecisionAdminMixin, admin.ModelAdmin):
    form = ClaimDecisionForm
    list_display = ("provider", "claimant", "status", "role", "listing_has_owner", "created_at")
    list_filter = (OpenFilter, "status")
    list_select_related = ("provider", "claimant", "provider__owner__account")
    search_fields = ("provider__name", "provider__npi", "claimant__email", "email_at_claim")
    readonly_fields = (
        "provider",
        "claimant",
        "status",
        "role",
        "evidence",
        "email_at_claim",
        "current_owner",
        "listing_website",
        "created_at",
        "decided_at",
        "decided_by",
        "decision_reason",
    )

    def get_queryset(self, request):
        open_first = Case(
            When(status__in=OPEN_CLAIM_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return (
            super()
            .get_queryset(request)
            .select_related("provider", "claimant", "decided_by")
            .annotate(open_first=open_first)
            .order_by("open_first", "created_at", "id")
        )

    @admin.display(description="listing has an owner", boolean=True)
    def listing_has_owner(self, obj: Claim) -> bool:
        return hasattr(obj.provider, "owner")

    @admin.display(description="current owner (staff only)")
    def current_owner(self, obj: Claim) -> str:
        owner = ListingOwner.objects.filter(provider=obj.provider_id).select_related("account")
        owner = owner.first()
        if owner is None:
            return "Nobody: the listing has no owner."
        return f"{owner.account.email} (since {owner.since:%Y-%m-%d})"

    @admin.display(description="listing's website")
    def listing_website(self, obj: Claim) -> str:
        return obj.provider.website or "—"

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.status in OPEN_CLAIM_STATUSES:
            fields = ["decision", "reason", *fields]
        return fields

    def has_add_permission(self, request):
        return False

    def decide(self, request, obj, *, decision: str, reason: str) -> None:
        services.claim_decide(
            claim=obj, approve=decision == APPROVE, reason=reason, by=request.user
        )


@admin.register(ListingEditor)
class ListingEditorAdmin(admin.ModelAdmin):
    list_display = ("provider", "account", "invited_by", "since")
    list_select_related = ("provider", "account", "invited_by")
    raw_id_fields = ("provider", "account", "invited_by")
    search_fields = ("provider__name", "provider__npi", "account__email")
