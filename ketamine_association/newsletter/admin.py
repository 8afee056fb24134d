"""Admin: subscribers with their read-only consent ledger, campaigns with "send a test to me"
and "schedule / send now", and read-only deliveries. Status changes go through the services,
so each one lands in the ledger."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q

from . import services
from .choices import OPEN_DELIVERY_STATES, CampaignStatus, ConsentKind, DeliveryState, Interest
from .models import Campaign, ConsentEvent, Delivery, Subscriber


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsentEventInline(ReadOnlyMixin, admin.TabularInline):
    model = ConsentEvent
    extra = 0
    fields = ("at", "kind", "source", "consent_version", "ip_hash", "detail")
    readonly_fields = fields


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "status", "interest_list", "created_at", "confirmed_at")
    list_filter = ("status", "created_at")
    search_fields = ("email", "first_name")
    readonly_fields = ("email", "status", "interests", "created_at", "updated_at", "confirmed_at")
    fields = ("email", "first_name", *readonly_fields[1:])
    inlines = [ConsentEventInline]
    actions = ["unsubscribe", "mark_complained", "erase"]

    def has_add_permission(self, request):
        return False  # consent comes from the signup form or an import, never typed in

    def has_delete_permission(self, request, obj=None):
        return False  # the erase action keeps the ledger's anonymous record

    @admin.display(description="interests")
    def interest_list(self, obj):
        labels = dict(Interest.choices)
        return ", ".join(labels.get(value, value) for value in obj.interests) or "all"

    @admin.action(description="Unsubscribe the selected subscribers")
    def unsubscribe(self, request, queryset):
        changed = sum(
            services.subscriber_unsubscribe(subscriber=s, source=f"admin: {request.user}")
            for s in queryset
        )
        self.message_user(request, f"{changed} unsubscribed.")

    @admin.action(description="Mark as complained (spam report): no more emails")
    def mark_complained(self, request, queryset):
        for subscriber in queryset:
            services.subscriber_suppress(
                subscriber=subscriber,
                kind=ConsentKind.COMPLAINED,
                source=f"admin: {request.user}",
            )
        self.message_user(request, f"{queryset.count()} marked as complained.")

    @admin.action(description="Erase the selected people (keeps an anonymous ledger record)")
    def erase(self, request, queryset):
        emails = list(queryset.values_list("email", flat=True))
        erased = sum(
            services.subscriber_erase(email=e, source=f"admin: {request.user}") for e in emails
        )
        self.message_user(request, f"{erased} erased.")


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "kind", "subscriber", "source", "consent_version")
    list_filter = ("kind", "consent_version")
    search_fields = ("subscriber__email", "source")
    list_select_related = ("subscriber",)


class CampaignForm(forms.ModelForm):
    interests = forms.MultipleChoiceField(
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None: every confirmed subscriber.",
    )

    class Meta:
        model = Campaign
        fields = ("subject", "body_markdown", "article", "interests", "scheduled_at")

    def clean(self):
        data = super().clean()
        if not (data.get("body_markdown") or "").strip() and not data.get("article"):
            raise forms.ValidationError("Write a body, choose an article, or both.")
        if not data.get("subject") and not data.get("article"):
            self.add_error("subject", "A subject is needed when no article is chosen.")
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ("__str__", "status", "scheduled_at", "sent_count", "open_count", "failed")
    list_filter = ("status",)
    search_fields = ("subject",)
    raw_id_fields = ("article",)
    actions = ["send_test", "schedule"]
    readonly_fields = ("status", "started_at", "finished_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != CampaignStatus.DRAFT:
            return (*CampaignForm.Meta.fields, *self.readonly_fields)
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.status == CampaignStatus.DRAFT

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("article")
            .annotate(
                n_sent=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
                n_open=Count("deliveries", filter=Q(deliveries__state__in=OPEN_DELIVERY_STATES)),
                n_failed=Count(
                    "deliveries",
                    filter=Q(deliveries__state__in=(DeliveryState.BOUNCED, DeliveryState.FAILED)),
                ),
            )
        )

    @admin.display(description="sent", ordering="n_sent")
    def sent_count(self, obj):
        return obj.n_sent

    @admin.display(description="to send", ordering="n_open")
    def open_count(self, obj):
        return obj.n_open

    @admin.display(description="bounced/failed", ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    @admin.action(description="Send a test to me")
    def send_test(self, request, queryset):
        if not request.user.email:
            self.message_user(request, "Your user has no email address.", messages.ERROR)
            return
        for campaign in queryset:
            try:
                services.campaign_send_test(campaign=campaign, to=request.user.email)
            except Exception as exc:  # a relay failure is a message, not a server error
                self.message_user(request, f"Could not send “{campaign}”: {exc}", messages.ERROR)
                return
        self.message_user(
            request, f"{queryset.count()} test email(s) sent to {request.user.email}."
        )

    @admin.action(description="Schedule (at its time) or send now (no time set)")
    def schedule(self, request, queryset):
        scheduled = sum(services.campaign_schedule(campaign=c) for c in queryset)
        skipped = queryset.count() - scheduled
        self.message_user(
            request,
            f"{scheduled} scheduled; `manage.py send_campaigns` sends them when due."
            + (f" {skipped} skipped (not drafts)." if skipped else ""),
        )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("campaign", "subscriber", "state", "attempts", "sent_at", "last_error")
    list_filter = ("state", "campaign")
    search_fields = ("subscriber__email", "message_id")
    list_select_related = ("campaign", "subscriber")
