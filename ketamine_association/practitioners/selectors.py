"""Reads of the practitioners' side: an account's listings and applications, and the one
rule of who may edit a listing (its owner and the editors the owner invited)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import Q, QuerySet

from ketamine_association.directory.choices import CheckKind
from ketamine_association.directory.models import Provider
from ketamine_association.directory.selectors import provider_listed

from .choices import OPEN_CLAIM_STATUSES, ApplicationStatus, ChangeStatus
from .models import Application, Claim, ListingChange, ListingEditor, ListingOwner


def _may_edit(user) -> Q:
    return Q(owner__account=user) | Q(editors__account=user)


def account_listings(*, user) -> QuerySet[Provider]:
    """The listings this account owns or edits, by name."""
    if not user.is_authenticated:
        return Provider.objects.none()
    return Provider.objects.filter(_may_edit(user)).distinct().order_by("name", "id")


def listing_for_editing(*, user, pk: int) -> Provider | None:
    """The listing `pk` if this account owns it or was invited to edit it, else None (the
    view answers 404 either way: another's listing is indistinguishable from none)."""
    return account_listings(user=user).filter(pk=pk).first()


def listing_owned(*, user, pk: int) -> Provider | None:
    """The listing `pk` if this account owns it (only the owner invites editors), else None."""
    if not user.is_authenticated:
        return None
    return Provider.objects.filter(pk=pk, owner__account=user).first()


def account_open_applications(*, user) -> QuerySet[Application]:
    """The account's applications that are not approved: waiting, to change, or refused."""
    return Application.objects.filter(applicant=user).exclude(status=ApplicationStatus.APPROVED)


def account_verified_email(*, user) -> str | None:
    """The account's primary address when verified (allauth's EmailAddress), else None: the
    only address a claim or an editor's invitation trusts."""
    if not user.is_authenticated:
        return None
    return (
        EmailAddress.objects.filter(user=user, primary=True, verified=True)
        .values_list("email", flat=True)
        .first()
    )


def claimable_listing(*, slug: str) -> Provider | None:
    """The listing at `slug` when it may be claimed: any the public may see."""
    return provider_listed().filter(slug=slug).first()


def listing_has_owner(*, provider: Provider) -> bool:
    return ListingOwner.objects.filter(provider=provider).exists()


def account_open_claim(*, user, provider: Provider) -> Claim | None:
    """This account's claim on the listing still waiting for staff (submitted or disputed)."""
    if not user.is_authenticated:
        return None
    return Claim.objects.filter(
        provider=provider, claimant=user, status__in=OPEN_CLAIM_STATUSES
    ).first()


def listing_editors(*, provider: Provider) -> QuerySet[ListingEditor]:
    """The colleagues invited to edit the listing, oldest first, with their accounts."""
    return (
        ListingEditor.objects.filter(provider=provider)
        .select_related("account")
        .order_by("since", "id")
    )


# --------------------------------------------------------------------------- listings kept current


def listing_license_check(*, provider: Provider):
    """The listing's latest passed license check (its expiry is the one the owner keeps)."""
    return (
        provider.checks.filter(kind=CheckKind.LICENSE, passed=True)
        .order_by("-checked_at", "-id")
        .first()
    )


def listing_rems_on_file(*, provider: Provider) -> bool:
    """True when staff recorded a passed REMS check of the listing's location."""
    return provider.checks.filter(kind=CheckKind.REMS, passed=True).exists()


def listing_pending_change(*, provider: Provider):
    """The listing's identity change waiting for staff, if any (at most one: a later save
    replaces it)."""
    return ListingChange.objects.filter(provider=provider, status=ChangeStatus.PENDING).first()


def listing_history(*, provider: Provider):
    """Every recorded change of the listing, newest first, with who made and decided it."""
    return ListingChange.objects.filter(provider=provider).select_related("by", "decided_by")
