"""Admin: staff see consultation requests as counts and statuses, never their content.

The list and the change page read plain fields only (`PLAIN_FIELDS`: the queryset defers every
encrypted field, so nothing is even decrypted); the change page is read-only and nobody adds a
request here. A superuser may delete one (a patient's erasure request). A staff member with
`consultations.break_glass` gets "Read this request (logged)": a form asks why; the content is
shown once, on that answer, and a `break-glass` row with the reason goes to the access log,
which staff read (read-only) and the listing's owner sees on the request's page."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from .models import ConsultationRequest, RequestAccess
from .services.inbox import BREAK_GLASS_REASON_MAX_LENGTH, request_break_glass
from .views.inbox import request_details

BREAK_GLASS = "consultations.break_glass"
# The only fields of a request the admin reads: no encrypted one among them.
PLAIN_FIELDS = (
    "id",
    "provider",
    "status",
    "created_at",
    "status_changed_at",
    "finished_at",
    "consented_at",
)


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to read this request?",
        max_length=BREAK_GLASS_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            f"Required, at most {BREAK_GLASS_REASON_MAX_LENGTH} characters. It is stored with "
            "your name and the time in the request's access log, which the listing's owner sees."
        ),
    )


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(admin.ModelAdmin):
    list_display = ("number", "provider", "status", "created_at", "finished_at")
    list_filter = ("status", ("finished_at", admin.EmptyFieldListFilter), "created_at")
    show_facets = admin.ShowFacets.ALWAYS  # a count beside each status
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "number",
        "provider",
        "status",
        "created_at",
        "status_changed_at",
        "finished_at",
        "consented_at",
        "content",
    )
    readonly_fields = fields
    search_fields = ()  # never on an encrypted field (they refuse lookups anyway)
    list_per_page = 50
    change_form_template = "admin/consultations/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("provider")
            .only(*PLAIN_FIELDS, "provider__name", "provider__credentials")
        )

    @admin.display(description="Request", ordering="id")
    def number(self, obj) -> str:
        return f"#{obj.pk}"

    @admin.display(description="What the patient sent")
    def content(self, obj) -> str:
        return (
            "Hidden from staff. Reading it needs the break-glass permission, and every "
            "reading is logged with its reason."
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_read": self._may_break_glass(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _may_break_glass(request) -> bool:
        return bool(request.user.is_active and request.user.has_perm(BREAK_GLASS))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_urls(self):
        view = self.admin_site.admin_view(self.read_view)
        view.model_admin = self  # as Django's own admin views carry it
        extra = [
            path("<path:object_id>/read/", view, name="consultations_consultationrequest_read")
        ]
        return extra + super().get_urls()

    @method_decorator(never_cache)
    def read_view(self, request, object_id):
        """Break-glass: the reason first; the content once, on a valid POST, logged."""
        if not self._may_break_glass(request):
            raise PermissionDenied
        try:
            consultation = ConsultationRequest.objects.select_related("provider").get(
                pk=int(object_id)
            )
        except (ValueError, ConsultationRequest.DoesNotExist):
            raise Http404("No such request.") from None
        form = BreakGlassForm(request.POST or None)
        shown = request.method == "POST" and form.is_valid()
        if shown:
            request_break_glass(
                consultation=consultation, by=request.user, reason=form.cleaned_data["reason"]
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Read request #{consultation.pk} (logged)",
            "consultation": consultation,
            "form": form,
            "details": request_details(consultation) if shown else None,
            "provider_note": consultation.provider_note if shown else None,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/consultations/read.html", context)
        response["X-Robots-Tag"] = "noindex"
        return response


@admin.register(RequestAccess)
class RequestAccessAdmin(admin.ModelAdmin):
    """Who opened or changed which request, when, and why for staff: no content."""

    list_display = ("at", "kind", "request_number", "provider", "by", "reason")
    list_filter = ("kind", "at")
    list_select_related = ("provider", "by")
    date_hierarchy = "at"
    fields = ("at", "kind", "request_number", "provider", "by", "reason")
    readonly_fields = fields

    @admin.display(description="Request", ordering="request_id")
    def request_number(self, obj) -> str:
        return f"#{obj.request_id}"  # the id only: the request itself is never loaded here

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
