"""Reads about an account: its verified address, its second factor, and the state of the
listings it keeps (the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.choices import ChangeStatus
from ketamine_association.practitioners.models import ListingChange, ListingOwner
from ketamine_association.practitioners.selectors import account_listings


@dataclass(frozen=True)
class AccountSummary:
    email: str
    email_verified: bool
    totp: bool
    recovery_codes: bool


def has_totp(*, user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(*, request: HttpRequest) -> bool:
    """True when this session's sign-in (or a later reauthentication) used a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def account_summary(*, user) -> AccountSummary:
    address = EmailAddress.objects.filter(user=user, primary=True).first()
    kinds = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    return AccountSummary(
        email=address.email if address else user.email,
        email_verified=bool(address and address.verified),
        totp=Authenticator.Type.TOTP in kinds,
        recovery_codes=Authenticator.Type.RECOVERY_CODES in kinds,
    )


@dataclass(frozen=True)
class ListingState:
    """A listing as its dashboard shows it: live or suspended (with staff's reason, which
    only the account keeping it reads), an identity change waiting for review, and whether
    this account owns it (only the owner invites editors)."""

    provider: Provider
    is_owner: bool
    in_review: bool

    @property
    def suspended(self) -> bool:
        return self.provider.is_suspended


def dashboard_listings(*, user) -> list[ListingState]:
    """The listings this account owns or edits, each with its state, in one query."""
    rows = account_listings(user=user).annotate(
        owned=Exists(ListingOwner.objects.filter(provider=OuterRef("pk"), account=user)),
        in_review=Exists(
            ListingChange.objects.filter(provider=OuterRef("pk"), status=ChangeStatus.PENDING)
        ),
    )
    return [ListingState(row, is_owner=row.owned, in_review=row.in_review) for row in rows]
