"""Views: claims on existing listings, and the colleagues an owner invites as editors.

The claim page answers the same for a claim waiting for staff and for a dispute (a listing
that already has an owner): the page never says whether, or by whom, a listing is owned."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ketamine_association.core.addresses import normalise_email
from ketamine_association.core.ratelimit import too_many_requests
from ketamine_association.directory.selectors import provider_is_listed

from .. import selectors, services
from ..choices import ClaimStatus
from ..forms.claims import ClaimForm, InviteForm

INVITE_LIMITED = "practitioners/editors_rate_limited.html"


def claim_link_part(request: HttpRequest, provider) -> dict | None:
    """The profile's "Is this your practice?" link: only on a listing nobody owns."""
    if not provider_is_listed(provider) or selectors.listing_has_owner(provider=provider):
        return None
    return {}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def claim(request: HttpRequest, slug: str) -> HttpResponse:
    """/providers/<slug>/claim: sign in first; then the form, or the "received" page while
    this account's claim is open."""
    provider = selectors.claimable_listing(slug=slug)
    if provider is None:
        raise Http404("No such listing.")
    context = {"provider": provider}
    user = request.user
    if not user.is_authenticated:
        return render(request, "practitioners/claim_sign_in.html", context)
    if selectors.listing_owned(user=user, pk=provider.pk) is not None:
        return redirect("accounts:dashboard")
    if selectors.account_open_claim(user=user, provider=provider) is not None:
        if request.method == "POST":  # a second claim: the same answer, nothing stored
            return redirect("practitioners:claim", slug=provider.slug)
        return render(request, "practitioners/claim_received.html", context)
    if selectors.account_verified_email(user=user) is None:
        return render(request, "practitioners/claim_unverified.html", context)
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.claim_submit(
                provider=provider,
                claimant=user,
                role=form.cleaned_data["role"],
                evidence=form.cleaned_data["evidence"],
            )
        except services.ClaimRefused:
            return redirect("practitioners:claim", slug=provider.slug)
        if made.status == ClaimStatus.AUTO:
            messages.success(request, f"You now manage the listing of {provider.display_name}.")
            return redirect("accounts:dashboard")
        return redirect("practitioners:claim", slug=provider.slug)
    context["form"] = form
    return render(request, "practitioners/claim.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def editors(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner's page of a listing's editors: remove one, invite a colleague by email."""
    provider = selectors.listing_owned(user=request.user, pk=pk)
    if provider is None:
        raise Http404("No such listing of yours.")
    form = InviteForm()
    if request.method == "POST" and request.POST.get("action") == "remove":
        editor_id = request.POST.get("editor", "")
        valid = editor_id.isascii() and editor_id.isdigit() and len(editor_id) < 19
        if valid and services.editor_remove(provider=provider, editor_id=int(editor_id)):
            messages.success(request, "The editor was removed.")
        return redirect("practitioners:editors", pk=provider.pk)
    if request.method == "POST":
        form = InviteForm(request.POST)
        if form.is_valid():
            if retry_after := services.editor_invite_limited(user=request.user):
                return too_many_requests(request, retry_after=retry_after, template=INVITE_LIMITED)
            email = normalise_email(form.cleaned_data["email"])
            outcome = services.editor_invite(provider=provider, email=email, by=request.user)
            messages.success(request, INVITE_MESSAGES[outcome].format(email=email))
            return redirect("practitioners:editors", pk=provider.pk)
    context = {
        "provider": provider,
        "editors": selectors.listing_editors(provider=provider),
        "form": form,
        "days": services.INVITATION_MAX_AGE.days,
    }
    return render(request, "practitioners/editors.html", context)


INVITE_MESSAGES = {
    "sent": "We sent an invitation to {email}.",
    "self": "That is your own address: you already manage this listing.",
    "already": "{email} already edits this listing.",
}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """/dashboard/invitation/<token>: what the link does for this account, and (POST) its
    acceptance. Opening the link changes nothing; the page's button accepts."""
    check = services.invitation_check(token=token, user=request.user)
    if request.method == "POST" and check.status == "ready":
        check = services.editor_accept(token=token, user=request.user)
        if check.status == "editor":
            messages.success(request, f"You now help keep {check.provider.display_name} current.")
            return redirect("accounts:dashboard")
    return render(
        request,
        "practitioners/editors_invitation.html",
        {"check": check, "provider": check.provider, "token": token},
    )
