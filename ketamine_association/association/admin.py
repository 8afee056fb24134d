"""Admin: staff read contact messages (everything as sent, read-only) and close or reopen them
with the actions; the membership tiers are plain data staff edit."""

from django.contrib import admin
from django.utils import timezone

from . import services
from .models import ContactMessage, MembershipTier


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "topic", "name", "status", "handled_by", "closed_at")
    list_filter = ("status", "topic")
    list_select_related = ("handled_by",)
    search_fields = ("name", "email")
    fields = (
        "created_at", "name", "email", "topic", "article_slug", "message",
        "status", "handled_by", "closed_at",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["close", "reopen"]

    def has_add_permission(self, request):
        return False  # messages come from the contact form, never typed in

    @admin.action(description="Close the selected messages", permissions=["change"])
    def close(self, request, queryset):
        closed = services.contact_close(messages=queryset, by=request.user, now=timezone.now())
        self.message_user(
            request, f"{closed} closed. Closed messages are deleted 12 months after closing."
        )

    @admin.action(description="Reopen the selected messages", permissions=["change"])
    def reopen(self, request, queryset):
        self.message_user(request, f"{services.contact_reopen(messages=queryset)} reopened.")


@admin.register(MembershipTier)
class MembershipTierAdmin(admin.ModelAdmin):
    list_display = ("name", "price_usd", "billing_period", "display_order", "active")
    list_editable = ("display_order", "active")
    prepopulated_fields = {"slug": ("name",)}

    # Through the services: a change must reach the cached pages that show the tiers.
    def save_model(self, request, obj, form, change):
        services.membership_tier_save(tier=obj)

    def delete_model(self, request, obj):
        services.membership_tiers_delete(tiers=MembershipTier.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.membership_tiers_delete(tiers=queryset)
