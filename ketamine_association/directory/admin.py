"""Admin for staff: search, filters, and a "verify NPI format" action that records what was
checked, when and by whom."""

from django import forms
from django.contrib import admin, messages
from django.db.models import F
from django.db.models.lookups import Exact
from django.utils.html import format_html

from .choices import Condition, FlagChoices, Insurance, Treatment, VerificationStatus
from .geo import zip_place
from .models import PHOTO_TYPES, Provider
from .services import provider_save, provider_verify_npi_format

# The first bytes of each photo type we accept; anything else is refused whatever its name.
PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")


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


class ProviderForm(forms.ModelForm):
    website = forms.URLField(max_length=300, required=False, assume_scheme="https")

    class Meta:
        model = Provider
        fields = [f.name for f in Provider._meta.fields if f.editable and not f.primary_key]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "read") and not getattr(photo, "_committed", True):
            head = photo.read(12)
            photo.seek(0)
            if not head.startswith(PHOTO_MAGIC) or (head[:4] == b"RIFF" and head[8:12] != b"WEBP"):
                raise forms.ValidationError(f"A photo must be a {', '.join(PHOTO_TYPES)} image.")
        return photo

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            raise forms.ValidationError("Give both latitude and longitude, or neither.")
        status, method = data.get("verification_status"), data.get("verification_method")
        if status != VerificationStatus.UNVERIFIED and not method:
            self.add_error("verification_method", "Say what was checked.")
        if status == VerificationStatus.UNVERIFIED and method:
            self.add_error("verification_method", "An unverified listing has no method.")
        # Coordinates left empty come from the ZIP code when saved (services.provider_prepare).
        zip_code = data.get("zip_code") or ""
        if latitude is None and zip_code and zip_place(zip_code) is None:
            self.add_error("zip_code", "Unknown ZIP code: give latitude and longitude.")
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
        "is_demo",
        "view_on_site_link",
    )
    list_filter = (
        "verification_status",
        "verification_method",
        "accepting_new_patients",
        "telehealth",
        "is_member",
        "is_demo",
        flag_filter("treatments", Treatment, "treatment"),
        flag_filter("conditions", Condition, "condition"),
        flag_filter("insurance", Insurance, "insurance"),
        "state",
    )
    search_fields = ("name", "practice_name", "=npi", "city", "=zip_code", "license_number")
    readonly_fields = ("slug", "verified_at", "verified_by", "created_at", "updated_at")
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over a million rows on every page
    actions = ["verify_npi_format"]
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
                    "is_member",
                )
            },
        ),
        (
            "Verification",
            {
                "fields": (
                    "verification_status",
                    "verification_method",
                    "verified_at",
                    "verified_by",
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

    def save_model(self, request, obj, form, change):
        verification = {"verification_status", "verification_method"} & set(form.changed_data)
        provider_save(provider=obj, verified_by=request.user if verification else None)

    @admin.action(description="Verify NPI format (10 digits and check digit) of the selected")
    def verify_npi_format(self, request, queryset):
        outcome = provider_verify_npi_format(providers=queryset, by=request.user)
        self.message_user(
            request,
            f"NPI format verified for {outcome.verified}; failed for {outcome.failed}; "
            f"{outcome.kept} kept their registry or license verification.",
            messages.WARNING if outcome.failed else messages.SUCCESS,
        )
