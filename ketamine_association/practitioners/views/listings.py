"""Views: a listing kept current by its owner and editors. Another account's listing and a
missing one answer the same 404 (selectors.listing_for_editing is the one rule)."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from ketamine_association.directory import selectors as directory
from ketamine_association.directory.fields import FlagsField
from ketamine_association.directory.geo import state_slug
from ketamine_association.directory.models import Provider
from ketamine_association.directory.parts import profile_parts

from .. import selectors, services
from ..forms.listings import ListingForm
from ..services.listings import FIELD_LABELS


def _listing(request: HttpRequest, pk: int):
    provider = selectors.listing_for_editing(user=request.user, pk=pk)
    if provider is None:
        raise Http404("No such listing.")
    return provider


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """/dashboard/listings/<pk>: the listing's form; "Preview" shows the public profile with
    the unsaved values (nothing stored), "Save" publishes or sends for review."""
    provider = _listing(request, pk)
    check = selectors.listing_license_check(provider=provider)
    pending = selectors.listing_pending_change(provider=provider)
    form = ListingForm(
        request.POST or None,
        request.FILES or None,
        instance=copy.copy(provider),  # the form writes its values on its instance
        rems_on_file=selectors.listing_rems_on_file(provider=provider),
        license_expires_on=check.expires_on if check else None,
        pending=pending,
    )
    # "edit": back from the preview, the form shows the values (and what is wrong with them).
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        if "preview" in request.POST:
            return _preview(request, provider, form)
        result = services.listing_edit(
            provider=provider,
            by=request.user,
            values=form.values(),
            license_expires_on=form.cleaned_data.get("license_expires_on"),
            photo=form.new_photo(),
        )
        _say(request, result)
        return redirect("practitioners:listing-edit", pk=provider.pk)
    context = {
        "provider": provider,
        "form": form,
        "pending": pending,
        "pending_labels": [FIELD_LABELS.get(n, n) for n in pending.changes] if pending else [],
    }
    return render(request, "practitioners/listing_edit.html", context)


def _say(request: HttpRequest, result) -> None:
    if result.published:
        names = ", ".join(FIELD_LABELS.get(name, name) for name in result.published)
        messages.success(request, f"Published: {names}.")
    if result.pending:
        names = ", ".join(FIELD_LABELS.get(name, name) for name in result.pending)
        messages.info(
            request,
            f"Sent for review: {names}. The listing keeps its verified values until staff "
            "approve the change.",
        )
    if result.withdrawn:
        messages.info(request, "Your change waiting for review is withdrawn.")
    if not result.changed:
        messages.info(request, "Nothing changed.")


def _preview(request: HttpRequest, provider, form: ListingForm) -> HttpResponse:
    """The public profile with the form's values, on an unsaved copy: nothing is stored, and
    a new photo is neither stored nor shown."""
    shown = form.instance
    shown.photo = provider.photo
    shown.city_slug = slugify(shown.city)[:100]
    state_url = f"/find-provider/{state_slug(shown.state)}"
    context = {
        "provider": shown,
        "badge": directory.provider_badge(provider=provider),
        "membership": directory.provider_membership(provider=provider),
        "state_url": state_url,
        "city_url": f"{state_url}/{shown.city_slug}",
        "npi_is_demo": shown.is_demo,
        "parts": profile_parts(request, shown),
        "form": form,
        "new_photo": form.new_photo() is not None,
        "edit_url": request.path,
    }
    return render(request, "practitioners/listing_preview.html", context)


@never_cache
@login_required
@require_safe
def history(request: HttpRequest, pk: int) -> HttpResponse:
    """/dashboard/listings/<pk>/history: every change, who made it (the viewer's own address,
    else "a colleague"), when, each field before → after, and its status."""
    provider = _listing(request, pk)
    rows = []
    for change in selectors.listing_history(provider=provider):
        rows.append(
            {
                "change": change,
                "who": _who(change.by, request.user),
                "decided_by": _who(change.decided_by, request.user) if change.decided_at else "",
                "fields": [
                    (FIELD_LABELS.get(name, name), _shown(name, before), _shown(name, after))
                    for name, (before, after) in change.changes.items()
                ],
            }
        )
    return render(
        request, "practitioners/listing_history.html", {"provider": provider, "rows": rows}
    )


def _who(account, viewer) -> str:
    """The viewer's own address; anyone else only as "staff" or "a colleague"."""
    if account is None:
        return "a former colleague"
    if account.pk == viewer.pk:
        return f"you ({account.email})"
    return "staff" if account.is_staff else "a colleague"


def _shown(name: str, value) -> str:
    """A stored value as words: flags by their labels, yes/no, "(empty)"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "(empty)"
    field = Provider._meta.get_field(name) if name in FIELD_NAMES else None
    if isinstance(field, FlagsField) and isinstance(value, int):
        return ", ".join(field.flags.labels_of(value)) or "(none)"
    return str(value)


FIELD_NAMES = {field.name for field in Provider._meta.get_fields()}
