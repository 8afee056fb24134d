"""The demo practitioner `make run` prints: one account with a verified address, owning a
fictional, verified listing in Houston (77042, the search `make run` suggests). Its password
comes from the environment or is generated on every run; the repository never holds one."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ketamine_association.association.models import MembershipTier
from ketamine_association.directory.choices import CheckKind, Credential, State, Treatment
from ketamine_association.directory.demo import demo_npi
from ketamine_association.directory.models import Provider
from ketamine_association.directory.services import (
    next_demo_number,
    provider_save,
    verification_record,
)

from ..models import ListingOwner

DEMO_EMAIL = "practitioner@calm-harbor.example"
DEMO_WEBSITE = "https://calm-harbor.example"
PASSWORD_ENV = "DEMO_PRACTITIONER_PASSWORD"  # noqa: S105 - the variable's name, not a password


@dataclass(frozen=True)
class DemoPractitioner:
    email: str
    password: str
    generated: bool  # True: made up for this run (no PASSWORD_ENV given)
    listing: Provider


@transaction.atomic
def demo_practitioner_ensure(*, password: str | None = None) -> DemoPractitioner:
    """The demo practitioner's account and listing, created once; the password is set on
    every call (`password`, else a new random one)."""
    generated = not password
    password = password or secrets.token_urlsafe(12)
    User = get_user_model()
    user = User.objects.filter(email__iexact=DEMO_EMAIL).first()
    if user is None:
        user = User(username="demo-practitioner", email=DEMO_EMAIL)
    user.set_password(password)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
    )
    listing = Provider.objects.filter(owner__account=user).first() or _listing(user)
    return DemoPractitioner(DEMO_EMAIL, password, generated, listing)


def _listing(user) -> Provider:
    today = timezone.localdate()
    tier = MembershipTier.objects.filter(slug="practitioner").first()
    provider = provider_save(
        provider=Provider(
            name="Dana Whitfield",
            credentials=Credential.bit(Credential.MD),
            npi=demo_npi(next_demo_number()),
            license_states=State.bit(State.TX),
            license_number="DEMO-TX-0001",
            practice_name="Calm Harbor Ketamine Care",
            address="2500 Demo Parkway, Suite 100",
            city="Houston",
            state="TX",
            zip_code="77042",
            phone="713-555-0142",
            website=DEMO_WEBSITE,
            treatments=Treatment.bit(Treatment.IV_INFUSION) | Treatment.bit(Treatment.KAP),
            accepting_new_patients=True,
            is_member=tier is not None,
            membership_tier=tier,
            membership_starts_on=today - dt.timedelta(days=200) if tier else None,
            bio=(
                "Dana Whitfield is a fictional clinician: this listing shows what a practitioner "
                "who keeps their own profile sees. Nothing here is a real person or practice."
            ),
            is_demo=True,
        )
    )
    ListingOwner.objects.create(provider=provider, account=user)
    verification_record(
        provider=provider,
        kind=CheckKind.NPI_FORMAT,
        passed=True,
        detail="Fictional demo check: 10 digits, check digit valid",
    )
    verification_record(
        provider=provider,
        kind=CheckKind.LICENSE,
        passed=True,
        detail="Fictional demo check",
        license_state="TX",
        license_number=provider.license_number,
        expires_on=today + dt.timedelta(days=365),
    )
    return provider


# One demo listing in DEMO_OWNER_SHARE gets the demo clinics' owner account (it cannot sign
# in: its password is unusable), so that share accepts consultation requests.
DEMO_OWNER_SHARE = 20
DEMO_OWNER_EMAIL = "demo-clinics@calm-harbor.example"


def demo_owners_assign(*, numbers: range) -> int:
    """Give every DEMO_OWNER_SHARE-th of these demo providers (by demo number) the demo
    clinics' owner; returns how many. Called for each batch provider_seed writes."""
    npis = [demo_npi(n) for n in numbers if n % DEMO_OWNER_SHARE == 0]
    if not npis:
        return 0
    ids = list(
        Provider.objects.filter(npi__in=npis, owner__isnull=True).values_list("id", flat=True)
    )
    if not ids:
        return 0
    User = get_user_model()
    owner = User.objects.filter(email__iexact=DEMO_OWNER_EMAIL).first()
    if owner is None:
        owner = User(username="demo-clinics", email=DEMO_OWNER_EMAIL)
        owner.set_unusable_password()
        owner.save()
        EmailAddress.objects.create(user=owner, email=DEMO_OWNER_EMAIL, verified=True, primary=True)
    ListingOwner.objects.bulk_create([ListingOwner(provider_id=pk, account=owner) for pk in ids])
    return len(ids)
