"""Views: the provider's inbox of requests in the dashboard.

Who sees a request is the practitioners app's one rule (the accounts that may edit its
listing: owner and invited editors), applied by the selectors; another account's request and
a missing one are the same 404, and nothing is logged for either.

The list shows no patient detail (number, date, listing, status): listing requests decrypts
nothing, so every sight of a patient's name or contact is an opening, written to the access
log. Opening a request (GET) writes one `opened` row; HEAD, which returns no content, does
not. Pages carry `noindex` and `Cache-Control: no-store` (never_cache)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from ketamine_association.core.pagination import page_links
from ketamine_association.directory.choices import Treatment
from ketamine_association.practitioners.selectors import account_listings

from .. import selectors
from ..choices import (
    AccessKind,
    ContactMethod,
    ContactTime,
    ForWhom,
    Payment,
    RequestStatus,
)
from ..services.inbox import PROVIDER_NOTE_MAX_LENGTH, request_open, request_update
from ..services.retention import retention_terms

PAGE_SIZE = 25
# Set by a save that was logged, read once by the page it redirects to: that viewing is
# covered by the save's own row, so the redirect does not log a second "opened".
_JUST_SAVED = "consultations-just-saved"


def retention_slot(request) -> str:
    """The privacy page's `<!-- consultation-retention -->`: the real numbers, from settings."""
    return render_to_string(
        "consultations/inbox_retention.html", retention_terms(), request=request
    )


@never_cache
@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    """/dashboard/requests: the requests of the account's listings, newest first, a count per
    status, filtered by `?status=`."""
    status = request.GET.get("status", "")
    status = status if status in RequestStatus.values else ""
    paginator = Paginator(
        selectors.inbox_requests(user=request.user, status=status or None), PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    counts = selectors.inbox_status_counts(user=request.user)

    def url(number: int) -> str:
        query = {key: value for key, value in (("status", status), ("page", number)) if value}
        if number == 1:
            query.pop("page", None)
        return request.path + (f"?{urlencode(query)}" if query else "")

    context = {
        "page_obj": page,
        "requests": list(page.object_list),
        "status": status,
        "status_label": RequestStatus(status).label if status else "",
        "counts": [
            (value, RequestStatus(value).label, counts[value]) for value in RequestStatus.values
        ],
        "total": sum(counts.values()),
        "page_links": page_links(paginator, page.number, url),
    }
    return render(request, "consultations/inbox.html", context)


class RequestUpdateForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=RequestStatus.choices)
    provider_note = forms.CharField(
        label="Your private note",
        required=False,
        max_length=PROVIDER_NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            f"Only you and the colleagues who edit this listing see it; at most "
            f"{PROVIDER_NOTE_MAX_LENGTH} characters. Stored encrypted, deleted with the request."
        ),
    )

    def clean_provider_note(self) -> str:
        note = self.cleaned_data["provider_note"]
        if "\x00" in note:
            raise forms.ValidationError("The note holds a character that cannot be stored.")
        return note


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """/dashboard/requests/<pk>: what the patient sent, the status and private note form, and
    this request's access log. A save redirects back here (logged as the change itself)."""
    consultation = selectors.inbox_request(user=request.user, pk=pk)
    if consultation is None:
        raise Http404("No such request.")
    if request.method == "POST":
        # The form names its request; a body naming another one changes nothing.
        if request.POST.get("request") != str(consultation.pk):
            raise Http404("No such request.")
        form = RequestUpdateForm(request.POST)
        if form.is_valid():
            result = request_update(
                consultation=consultation,
                by=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["provider_note"],
            )
            if result.changed:
                request.session[_JUST_SAVED] = consultation.pk
                said = [
                    text
                    for text, done in (
                        (
                            f"Status: {consultation.get_status_display().lower()}.",
                            result.status_changed,
                        ),
                        ("Your private note is saved.", result.note_changed),
                    )
                    if done
                ]
                messages.success(request, " ".join(said))
            else:
                messages.info(request, "Nothing changed.")
            return redirect("consultations:request", pk=consultation.pk)
    else:
        form = RequestUpdateForm(
            initial={"status": consultation.status, "provider_note": consultation.provider_note}
        )
    # Only the GET that a logged save redirects to is covered by the save's own row; a form
    # shown again with its errors shows the content again, so it is an opening.
    just_saved = request.session.pop(_JUST_SAVED, None) == consultation.pk
    if request.method == "POST" or (request.method == "GET" and not just_saved):
        request_open(consultation=consultation, by=request.user)
    context = {
        "consultation": consultation,
        "provider": consultation.provider,
        "details": request_details(consultation),
        "form": form,
        "retention": retention_terms(),
        "log": [
            {"entry": entry, "who": _who(entry, request.user)}
            for entry in selectors.request_access_log(consultation=consultation)
        ],
    }
    return render(request, "consultations/request_detail.html", context)


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def request_details(consultation) -> list[tuple[str, str]]:
    """What the patient sent, as (label, words); a stored value no choice names, as is."""
    return [
        ("Name", consultation.name),
        ("Email", consultation.email or "(not given)"),
        ("Phone", consultation.phone or "(not given)"),
        ("Preferred contact", _label(ContactMethod, consultation.contact_method)),
        ("Best times", _times(consultation.contact_times)),
        ("State", consultation.state),
        ("Treatment asked about", _label(Treatment, consultation.treatment)),
        ("For", _label(ForWhom, consultation.for_whom)),
        ("Payment", _label(Payment, consultation.payment)),
        ("Note", consultation.note or "(none)"),
        ('"Harming yourself right now?"', consultation.in_crisis),
        ("Consent given", consultation.consent_text),
    ]


def _times(value: str) -> str:
    parts = [part for part in value.replace(";", ",").split(",") if part.strip()]
    return ", ".join(_label(ContactTime, part.strip()) for part in parts) or value


def _who(entry, viewer) -> str:
    """ "you", staff (break-glass), or the colleague's address: they share the listing."""
    if entry.kind == AccessKind.BREAK_GLASS:
        return "association staff"
    if entry.by is None:
        return "a former account"
    if entry.by.pk == viewer.pk:
        return "you"
    return entry.by.email or "a colleague"


def dashboard_section(user) -> dict | None:
    """The dashboard's "Consultation requests" section: counts by status and the inbox link,
    for an account that owns or edits a listing (registered in apps.py)."""
    if not account_listings(user=user).exists():
        return None
    counts = selectors.inbox_status_counts(user=user)
    return {"new": counts.get(RequestStatus.NEW, 0), "total": sum(counts.values())}
