"""Admin for staff: search, filters, the checks behind each listing's badge (read-only), a
small form to record a license or REMS check, and actions that run the NPI checks. Staff never
set "verified" by hand: it is derived from the recorded checks (verification.py)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.db.models.lookups import Exact
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .choices import CheckKind, Condition, FlagChoices, Insurance, State, Treatment
from .geo import zip_place
from .models import Provider, VerificationCheck
from .photos import PhotoField
from .services import (
    npi_registry_check,
    provider_restore,
    provider_save,
    provider_suspend,
    provider_verify_npi_format,
    verification_record,
)


def flag_filter(field: str, flags: type[FlagChoices], title: str) -> type[admin.SimpleListFilter]:
    """A list filter on one member of a bit set."""

    class FlagFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return flags.choices

        def queryset(self, request, queryset):
            if self.value() not in flags.values:
                return queryset
            bit = flags.bit(self.value())
            return queryset.filter(Exact(F(field).bitand(bit), bit))

    FlagFilter.title = title
    return FlagFilter


# Derived from the recorded checks by services.verification_record: never edited.
DERIVED = ("verification_status", "verification_method", "verified_at", "verified_by")
REASON_REQUIRED = (
    "Give the reason for the suspension (staff and the owner see it, never the public)."
)
MEMBERSHIP_HELP = "Set by staff; never changes the order of results."
SUSPEND_AT_ONCE = 100


class SuspendForm(forms.Form):
    """The reason the "Suspend" action asks for."""

    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For staff and the owner; never shown publicly.",
        error_messages={"required": REASON_REQUIRED},
    )


class RecordCheckForm(forms.Form):
    """What staff saw: a state license (state, number, expiry) or a REMS certification."""

    kind = forms.ChoiceField(
        choices=[(CheckKind.LICENSE.value, "State license"), (CheckKind.REMS.value, "REMS")]
    )
    passed = forms.TypedChoiceField(
        choices=[("yes", "Seen and valid"), ("no", "Not found or not valid")],
        coerce=lambda value: value == "yes",
        initial="yes",
        label="Result",
    )
    license_state = forms.ChoiceField(choices=[("", "---"), *State.choices], required=False)
    license_number = forms.CharField(max_length=40, required=False)
    expires_on = forms.DateField(required=False, help_text="YYYY-MM-DD")
    detail = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Where you looked."
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == CheckKind.LICENSE:
            for field in ("license_state", "license_number", "expires_on"):
                if not data.get(field):
                    self.add_error(field, "A license check names the state, number and expiry.")
        return data


class CheckInline(admin.TabularInline):
    """The evidence behind the badge: read-only, recorded by services only."""

    model = VerificationCheck
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "kind",
        "passed",
        "checked_at",
        "checked_by",
        "detail",
        "license_state",
        "license_number",
        "expires_on",
    )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProviderForm(forms.ModelForm):
    website = forms.URLField(max_length=300, required=False, assume_scheme="https")
    photo = PhotoField(
        required=False,
        help_text="JPEG, PNG or WebP, at most 5 MB; stored re-encoded, square, without EXIF.",
    )

    class Meta:
        model = Provider
        fields = [
            f.name
            for f in Provider._meta.fields
            if f.editable and not f.primary_key and f.name not in DERIVED
        ]

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            raise forms.ValidationError("Give both latitude and longitude, or neither.")
        # Coordinates left empty come from the ZIP code when saved (services.provider_prepare).
        zip_code = data.get("zip_code") or ""
        if latitude is None and zip_code and zip_place(zip_code) is None:
            self.add_error("zip_code", "Unknown ZIP code: give latitude and longitude.")
        if data.get("is_suspended") and not (data.get("suspension_reason") or "").strip():
            self.add_error("suspension_reason", REASON_REQUIRED)
        starts, ends = data.get("membership_starts_on"), data.get("membership_ends_on")
        if starts and ends and ends < starts:
            self.add_error("membership_ends_on", "The membership cannot end before it starts.")
        return data


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    list_display = (
        "name",
        "credential_codes",
        "city",
        "state",
        "npi",
        "verification_status",
        "verification_method",
        "verified_at",
        "accepting_new_patients",
        "is_suspended",
        "is_demo",
        "view_on_site_link",
    )
    list_filter = (
        "verification_status",
        "verification_method",
        "accepting_new_patients",
        "telehealth",
        "is_member",
        "is_suspended",
        "is_demo",
        flag_filter("treatments", Treatment, "treatment"),
        flag_filter("conditions", Condition, "condition"),
        flag_filter("insurance", Insurance, "insurance"),
        "state",
    )
    search_fields = ("name", "practice_name", "=npi", "city", "=zip_code", "license_number")
    readonly_fields = ("slug", *DERIVED, "record_check_link", "created_at", "updated_at")
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over a million rows on every page
    actions = ["verify_npi_format", "check_npi_registry", "suspend", "restore"]
    inlines = [CheckInline]
    fieldsets = (
        (None, {"fields": ("name", "credentials", "npi", "practice_name", "slug", "bio", "photo")}),
        ("Licenses", {"fields": ("license_states", "license_number")}),
        ("Where", {"fields": ("address", "city", "state", "zip_code", "latitude", "longitude")}),
        ("Contact", {"fields": ("phone", "website")}),
        (
            "Care",
            {
                "fields": (
                    "treatments",
                    "conditions",
                    "insurance",
                    ("price_min_usd", "price_max_usd"),
                    "telehealth",
                    "telehealth_states",
                    "languages",
                    "accepting_new_patients",
                )
            },
        ),
        (
            "Membership",
            {
                "fields": (
                    "is_member",
                    "membership_tier",
                    ("membership_starts_on", "membership_ends_on"),
                ),
                "description": MEMBERSHIP_HELP,
            },
        ),
        (
            "Suspension",
            {
                "fields": ("is_suspended", "suspension_reason"),
                "description": (
                    "A suspended listing leaves search, the state and city pages and the "
                    "sitemap; its page answers 410 Gone. A reason is required."
                ),
            },
        ),
        (
            "Verification",
            {
                "fields": (
                    "verification_status",
                    "verification_method",
                    "verified_at",
                    "record_check_link",
                    "is_demo",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="credentials")
    def credential_codes(self, obj):
        return obj.display_name.removeprefix(obj.name).lstrip(", ")

    @admin.display(description="on the site")
    def view_on_site_link(self, obj):
        return format_html('<a href="{}">View</a>', obj.get_absolute_url())

    @admin.display(description="record a check")
    def record_check_link(self, obj):
        if not obj or not obj.pk:
            return "Save the provider first."
        url = reverse("admin:directory_provider_record_check", args=[obj.pk])
        return format_html('<a href="{}">Record a license or REMS check</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.record_check_view)
        view.model_admin = self  # as Django's own admin views carry it
        extra = [
            path("<path:object_id>/record-check/", view, name="directory_provider_record_check"),
        ]
        return extra + super().get_urls()

    def record_check_view(self, request, object_id):
        provider = self.get_object(request, object_id)
        if provider is None:
            raise Http404("No such provider.")
        if not self.has_change_permission(request, provider):
            raise PermissionDenied
        form = RecordCheckForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            licence = data["kind"] == CheckKind.LICENSE
            verification_record(
                provider=provider,
                kind=data["kind"],
                passed=data["passed"],
                by=request.user,
                detail=data["detail"],
                license_state=data["license_state"] if licence else "",
                license_number=data["license_number"] if licence else "",
                expires_on=data["expires_on"] if licence else None,
            )
            self.message_user(
                request,
                f"Check recorded; the listing is now {provider.get_verification_status_display()}.",
            )
            return redirect("admin:directory_provider_change", provider.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Record a check of {provider}",
            "provider": provider,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/directory/record_check.html", context)

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data.get("photo")
        processed = getattr(upload, "processed", None)
        if processed is not None:  # never the upload itself: only the re-encoded files
            obj.photo = form.initial.get("photo") or ""
        # Suspending and restoring go through their services (the cache, the record of who).
        suspended, reason = obj.is_suspended, obj.suspension_reason
        obj.is_suspended = form.initial.get("is_suspended", False)
        obj.suspension_reason = form.initial.get("suspension_reason", "")
        provider_save(provider=obj, photo=processed)
        if suspended and (not obj.is_suspended or reason != obj.suspension_reason):
            provider_suspend(provider=obj, reason=reason, by=request.user)
        elif not suspended and obj.is_suspended:
            provider_restore(provider=obj, by=request.user)

    @admin.action(description="Suspend the selected listings (asks for a reason)")
    def suspend(self, request, queryset):
        form = SuspendForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            providers = list(queryset[:SUSPEND_AT_ONCE])  # a listing at a time, not a million
            for provider in providers:
                provider_suspend(
                    provider=provider, reason=form.cleaned_data["reason"], by=request.user
                )
                self.log_change(request, provider, "Suspended.")
            self.message_user(
                request,
                f"Suspended {len(providers)}: out of search, the sitemap and the city pages.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Suspend listings",
            "form": form,
            "providers": queryset,
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/directory/suspend.html", context)

    @admin.action(description="Restore the selected suspended listings")
    def restore(self, request, queryset):
        providers = list(queryset.filter(is_suspended=True))
        for provider in providers:
            provider_restore(provider=provider, by=request.user)
            self.log_change(request, provider, "Restored.")
        self.message_user(request, f"Restored {len(providers)}.", messages.SUCCESS)

    @admin.action(description="Verify NPI format (10 digits and check digit) of the selected")
    def verify_npi_format(self, request, queryset):
        outcome = provider_verify_npi_format(providers=queryset, by=request.user)
        self.message_user(
            request,
            f"NPI format checked: passed for {outcome.verified}; failed for {outcome.failed}.",
            messages.WARNING if outcome.failed else messages.SUCCESS,
        )

    @admin.action(description="Look the selected NPIs up in the national registry (NPPES)")
    def check_npi_registry(self, request, queryset):
        checks = [npi_registry_check(provider=p, by=request.user) for p in queryset[:50]]
        done = [check for check in checks if check is not None]
        passed = sum(check.passed for check in done)
        self.message_user(
            request,
            f"Registry checked {len(done)} (matched {passed}); "
            f"{len(checks) - len(done)} could not be looked up.",
            messages.WARNING if passed < len(checks) else messages.SUCCESS,
        )
