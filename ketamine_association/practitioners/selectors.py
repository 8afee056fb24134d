"""Reads of the practitioners' side: an account's listings and applications."""

from __future__ import annotations

from django.db.models import QuerySet

from ketamine_association.directory.models import Provider

from .choices import ApplicationStatus
from .models import Application


def account_listings(*, user) -> QuerySet[Provider]:
    """The listings this account owns, by name."""
    return Provider.objects.filter(owner__account=user).order_by("name", "id")


def account_open_applications(*, user) -> QuerySet[Application]:
    """The account's applications that are not approved: waiting, to change, or refused."""
    return Application.objects.filter(applicant=user).exclude(status=ApplicationStatus.APPROVED)
