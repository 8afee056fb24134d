"""Reads of the practitioners' side: an account's listings and applications, and the one
rule of who may edit a listing (its owner and the editors the owner invited)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ketamine_association.directory.models import Provider

from .choices import ApplicationStatus
from .models import Application


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
