"""Reads about an account: its verified address and its second factor."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.http import HttpRequest


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
