"""Claims on existing listings ("Is this your practice?") and the editors an owner invites.

A claim is approved at once (AUTO) only when the claimant's verified primary address is on
the listing's own website domain (`email_on_website_domain`); otherwise it waits for staff
(SUBMITTED), or, when the listing already has an owner, is a DISPUTE staff decide. The
claimant is told the same thing for both: nobody learns who owns a listing, nor that it is
owned. Every change of owner bumps the directory's cache version.

An owner invites a colleague by email: the mail carries a signed link (provider, address,
inviter; seven days) that the colleague opens signed in with that verified address."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ketamine_association.core.addresses import normalise_email
from ketamine_association.core.crypto import lookup_digest
from ketamine_association.core.mail import send_transactional
from ketamine_association.core.ratelimit import window_limited
from ketamine_association.core.seo import absolute
from ketamine_association.directory.models import Provider
from ketamine_association.directory.selectors import provider_is_listed
from ketamine_association.directory.services import directory_version_bump

from ..choices import OPEN_CLAIM_STATUSES, ClaimStatus
from ..models import Claim, ListingEditor, ListingOwner
from ..selectors import account_verified_email
from .applications import DecisionRefused

__all__ = [
    "FREE_MAIL_DOMAINS",
    "INVITATION_MAX_AGE",
    "INVITATIONS_PER_HOUR",
    "SHARED_SITE_HOSTS",
    "ClaimDecisionRefused",
    "ClaimRefused",
    "Invitation",
    "InvitationCheck",
    "claim_decide",
    "claim_submit",
    "editor_accept",
    "editor_invitation_token",
    "editor_invite",
    "editor_invite_limited",
    "editor_remove",
    "email_on_website_domain",
    "invitation_check",
    "website_host",
]

# Addresses anyone can open: never proof of working at a practice.
FREE_MAIL_DOMAINS = frozenset(
    {"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
     "proton.me", "protonmail.com"}
)  # fmt: skip
# Websites on a platform's own domain (a social page, a directory profile): their host is not
# the practice's, so an address there proves nothing about the practice.
SHARED_SITE_HOSTS = frozenset(
    {"facebook.com", "instagram.com", "linkedin.com", "yelp.com", "psychologytoday.com",
     "google.com", "wixsite.com", "squarespace.com", "wordpress.com", "godaddysites.com"}
)  # fmt: skip
INVITATION_SALT = "practitioners.editor-invitation"
INVITATION_MAX_AGE = dt.timedelta(days=7)
INVITATIONS_PER_HOUR = 10


class ClaimRefused(Exception):
    """A claim that cannot be made: the listing is suspended, the account's address is not
    verified, or the account already owns the listing."""


class ClaimDecisionRefused(DecisionRefused):
    """A decision that cannot be taken: the claim is not open, or no reason was written."""


# --- the automatic rule ----------------------------------------------------------------


def website_host(website: str) -> str:
    """The website's host, lower-cased, without a trailing dot or a leading "www."; "" when
    there is none."""
    try:
        host = (urlsplit(website.strip()).hostname or "").rstrip(".")
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _under(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def email_on_website_domain(*, email: str, website: str) -> bool:
    """True when the address's domain is the website's host or a subdomain of it
    (jane@calm.example or jane@mail.calm.example for https://www.calm.example). Never for a
    free-mail domain, a website on a shared platform's domain, or no website. The other way
    round does not count: jane@example.org does not own https://clinic.example.org."""
    host = website_host(website)
    if not host or "." not in host or any(_under(host, shared) for shared in SHARED_SITE_HOSTS):
        return False
    domain = normalise_email(email).rpartition("@")[2].rstrip(".")
    if not domain or domain in FREE_MAIL_DOMAINS:
        return False
    return _under(domain, host)


# --- claims ----------------------------------------------------------------------------


def claim_submit(*, provider: Provider, claimant, role: str, evidence: str = "") -> Claim:
    """The account's claim on the listing: AUTO (and the account owns it) when its verified
    address is on the listing's website domain; DISPUTE when the listing has an owner;
    otherwise SUBMITTED for staff. An account's open claim is not made twice: the open one is
    returned. The claimant is mailed (the same words for SUBMITTED and DISPUTE)."""
    email = account_verified_email(user=claimant)
    if email is None:
        raise ClaimRefused("Verify your email address before claiming a listing.")
    now = timezone.now()
    with transaction.atomic():
        locked = Provider.objects.select_for_update().filter(pk=provider.pk).first()
        if locked is None or not provider_is_listed(locked):
            raise ClaimRefused("This listing cannot be claimed.")
        owner = ListingOwner.objects.filter(provider=locked).first()
        if owner is not None and owner.account_id == claimant.pk:
            raise ClaimRefused("You already manage this listing.")
        open_claim = Claim.objects.filter(
            provider=locked, claimant=claimant, status__in=OPEN_CLAIM_STATUSES
        ).first()
        if open_claim is not None:
            return open_claim
        claim = Claim(
            provider=locked,
            claimant=claimant,
            role=role.strip(),
            evidence=evidence.strip(),
            email_at_claim=email,
            created_at=now,
        )
        if owner is not None:
            claim.status = ClaimStatus.DISPUTE
        elif email_on_website_domain(email=email, website=locked.website):
            claim.status, claim.decided_at = ClaimStatus.AUTO, now
        else:
            claim.status = ClaimStatus.SUBMITTED
        try:
            with transaction.atomic():
                claim.save()
        except IntegrityError:  # the same account's claim, saved a moment ago
            return Claim.objects.get(
                provider=locked, claimant=claimant, status__in=OPEN_CLAIM_STATUSES
            )
        if claim.status == ClaimStatus.AUTO:
            _make_owner(provider=locked, account=claimant, now=now)
        _mail_claimant(claim, to=email)
    return claim


def claim_decide(*, claim: Claim, approve: bool, reason: str, by, now: dt.datetime | None = None):
    """Staff's decision on an open claim, with a written reason mailed to the claimant.
    Approval makes the claimant the owner; a previous owner (a dispute) is mailed that the
    ownership was transferred after review, without naming the new owner. A refusal changes
    nothing else."""
    reason = reason.strip()
    if not reason:
        raise ClaimDecisionRefused("Write the reason the claimant will read.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Claim.objects.select_for_update().select_related("claimant").get(pk=claim.pk)
        if locked.status not in OPEN_CLAIM_STATUSES:
            raise ClaimDecisionRefused(f"This claim is {locked.get_status_display().lower()}.")
        provider = Provider.objects.select_for_update().get(pk=locked.provider_id)
        previous = None
        if approve:
            previous = _make_owner(provider=provider, account=locked.claimant, now=now)
        locked.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
        locked.decided_at, locked.decided_by, locked.decision_reason = now, by, reason
        locked.save()
        claimant = locked.claimant
        _mail_claimant(locked, to=account_verified_email(user=claimant) or claimant.email)
        if previous is not None:
            send_transactional(
                to=previous.email,
                subject="Your listing's ownership was transferred",
                text=render_to_string(
                    "practitioners/email/claim_transferred.txt",
                    {"provider": provider, "listing_url": absolute(provider.get_absolute_url())},
                ),
            )
    return locked


def _make_owner(*, provider: Provider, account, now: dt.datetime):
    """The account owns the listing from now; returns the previous owner's account when
    another account owned it, else None. The new owner is no longer also an editor."""
    current = ListingOwner.objects.select_for_update().filter(provider=provider).first()
    previous = None
    if current is None:
        ListingOwner.objects.create(provider=provider, account=account, since=now)
    elif current.account_id != account.pk:
        previous = current.account
        current.account, current.since = account, now
        current.save(update_fields=["account", "since"])
    ListingEditor.objects.filter(provider=provider, account=account).delete()
    # Now, as every directory write does, and again once committed: a page cached between the
    # two under the new version, from the rows before the commit, is not kept.
    directory_version_bump()
    transaction.on_commit(directory_version_bump)
    return previous


CLAIM_SUBJECTS = {
    ClaimStatus.AUTO: "You now manage this listing",
    ClaimStatus.APPROVED: "You now manage this listing",
    ClaimStatus.SUBMITTED: "We received your claim",
    ClaimStatus.DISPUTE: "We received your claim",  # the very same words: nothing told
    ClaimStatus.REJECTED: "About your claim",
}


def _mail_claimant(claim: Claim, *, to: str) -> None:
    # A dispute is worded as a submitted claim: the template never sees the difference.
    shown = ClaimStatus.SUBMITTED if claim.status == ClaimStatus.DISPUTE else claim.status
    context = {
        "status": shown,
        "provider": claim.provider,
        "reason": claim.decision_reason,
        "listing_url": absolute(claim.provider.get_absolute_url()),
        "dashboard_url": absolute(reverse("accounts:dashboard")),
    }
    send_transactional(
        to=to,
        subject=CLAIM_SUBJECTS[claim.status],
        text=render_to_string("practitioners/email/claim_status.txt", context),
    )


# --- editors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    provider_id: int
    email_digest: str  # of the normalised address: the link never carries the address
    inviter_id: int


def editor_invitation_token(*, provider: Provider, email: str, inviter) -> str:
    """A signed, timestamped link token: the listing, a keyed hash of the invited address
    (signing encodes, it does not encrypt: an address in a URL would reach access logs), who
    invited."""
    payload = {"p": provider.pk, "e": _invited_digest(email), "o": inviter.pk}
    return signing.dumps(payload, salt=INVITATION_SALT)


def _invited_digest(email: str) -> str:
    return lookup_digest(normalise_email(email), purpose="editor-invitation")


def _invitation_read(token: str) -> Invitation | Literal["expired", "invalid"]:
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        return "expired"
    except (signing.BadSignature, ValueError, UnicodeError):
        return "invalid"
    if not (
        isinstance(payload, dict)
        and type(payload.get("p")) is int
        and type(payload.get("o")) is int
        and isinstance(payload.get("e"), str)
    ):
        return "invalid"
    return Invitation(payload["p"], payload["e"], payload["o"])


def editor_invite_limited(*, user) -> int:
    """Count one invitation by this account: 0 while within the hourly limit, else the
    seconds until it may invite again."""
    return window_limited(f"editor-invite:{user.pk}", limit=INVITATIONS_PER_HOUR, window=3600)


def editor_invite(*, provider: Provider, email: str, by) -> Literal["sent", "self", "already"]:
    """Mail the colleague at `email` a link to become an editor of the listing. Not for the
    owner's own address, nor an account already editing it (told apart only to the owner)."""
    email = normalise_email(email)
    own = account_verified_email(user=by) or by.email
    if normalise_email(own) == email:
        return "self"
    editors = ListingEditor.objects.filter(provider=provider).values_list(
        "account__email", flat=True
    )
    if email in {normalise_email(address) for address in editors}:
        return "already"
    token = editor_invitation_token(provider=provider, email=email, inviter=by)
    link = absolute(reverse("practitioners:invitation", kwargs={"token": token}))
    send_transactional(
        to=email,
        subject="You are invited to help keep a listing current",
        text=render_to_string(
            "practitioners/email/claim_editor_invitation.txt",
            {
                "provider": provider,
                "link": link,
                "days": INVITATION_MAX_AGE.days,
                "listing_url": absolute(provider.get_absolute_url()),
            },
        ),
    )
    return "sent"


@dataclass(frozen=True)
class InvitationCheck:
    """What opening an invitation link would do for this account: `ready` (accepting makes it
    an editor), `editor` (it already is), `owner`, `expired`, `invalid` (tampered, the listing
    gone, or the inviter no longer owns it), `anonymous`, or `other-address` (not signed in
    with the verified address it was sent to)."""

    status: Literal["ready", "editor", "owner", "expired", "invalid", "anonymous",
                    "other-address"]  # fmt: skip
    provider: Provider | None = None


def invitation_check(*, token: str, user) -> InvitationCheck:
    """Read the invitation for this account; writes nothing (the link's GET is safe)."""
    invitation = _invitation_read(token)
    if isinstance(invitation, str):
        return InvitationCheck(invitation)
    owner = (
        ListingOwner.objects.select_related("provider")
        .filter(provider_id=invitation.provider_id)
        .first()
    )
    if owner is None or owner.account_id != invitation.inviter_id:
        return InvitationCheck("invalid")
    if not provider_is_listed(owner.provider):
        return InvitationCheck("invalid")
    if not user.is_authenticated:
        return InvitationCheck("anonymous", owner.provider)
    email = account_verified_email(user=user)
    if email is None or _invited_digest(email) != invitation.email_digest:
        return InvitationCheck("other-address", owner.provider)
    if owner.account_id == user.pk:
        return InvitationCheck("owner", owner.provider)
    if ListingEditor.objects.filter(provider_id=owner.provider_id, account=user).exists():
        return InvitationCheck("editor", owner.provider)
    return InvitationCheck("ready", owner.provider)


def editor_accept(*, token: str, user) -> InvitationCheck:
    """Accept the invitation: the account becomes an editor of the listing when the check
    says `ready` (a second acceptance changes nothing and says `editor`)."""
    with transaction.atomic():
        check = invitation_check(token=token, user=user)
        if check.status != "ready":
            return check
        invitation = _invitation_read(token)
        ListingEditor.objects.get_or_create(
            provider=check.provider,
            account=user,
            defaults={"invited_by_id": invitation.inviter_id},
        )
    return InvitationCheck("editor", check.provider)


def editor_remove(*, provider: Provider, editor_id: int) -> bool:
    """The owner removes an editor of this listing; False when there was none with that id."""
    deleted, _ = ListingEditor.objects.filter(provider=provider, pk=editor_id).delete()
    return bool(deleted)
