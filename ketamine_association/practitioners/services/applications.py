"""Writes of the practitioners' side: an application submitted, decided by staff (approve,
ask for changes, reject: each with a written reason the applicant receives by mail); approval
publishes the listing, owned by the applicant's account, with the checks staff made recorded
as its verification (directory.services.verification_record)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.files.base import File
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ketamine_association.core.mail import send_transactional
from ketamine_association.core.seo import absolute
from ketamine_association.directory.choices import CheckKind, State
from ketamine_association.directory.models import Provider
from ketamine_association.directory.services import provider_save, verification_record
from ketamine_association.directory.validators import npi_is_valid

from ..choices import REMS_TYPES, ApplicationStatus, Decision
from ..models import Application, ListingOwner

SUBJECTS = {
    Decision.APPROVE: "Your listing is live",
    Decision.CHANGES: "Your application needs a few changes",
    Decision.REJECT: "About your application",
}


class DecisionRefused(Exception):
    """A decision that cannot be taken: the application is not waiting, or no reason given."""


def application_submit(*, applicant, proposed: dict, license_expires_on: dt.date,
                       rems_certified: bool, rems_document=None) -> Application:  # fmt: skip
    """Store an application for staff review; the REMS confirmation under a random name."""
    application = Application(
        applicant=applicant,
        proposed=proposed,
        license_expires_on=license_expires_on,
        rems_certified=rems_certified,
    )
    if rems_document is not None:
        head = rems_document.read(16)
        rems_document.seek(0)
        suffix = next(ext for magic, ext in REMS_TYPES.items() if head.startswith(magic))
        application.rems_document.save(
            f"{secrets.token_hex(16)}{suffix}", File(rems_document), save=False
        )
    application.save()
    return application


def application_decide(
    *, application: Application, decision: str, reason: str, by, now: dt.datetime | None = None
) -> Application:
    """Staff's decision on a waiting application, with its written reason, mailed to the
    applicant. Approval publishes the listing owned by the applicant."""
    reason = reason.strip()
    if not reason:
        raise DecisionRefused("Write the reason the applicant will read.")
    if decision not in Decision.values:
        raise DecisionRefused(f"Unknown decision {decision!r}.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status != ApplicationStatus.SUBMITTED:
            raise DecisionRefused(f"This application is {locked.get_status_display().lower()}.")
        if decision == Decision.APPROVE:
            locked.provider = _publish(locked, by=by, now=now)
        locked.status = {
            Decision.APPROVE: ApplicationStatus.APPROVED,
            Decision.CHANGES: ApplicationStatus.CHANGES_REQUESTED,
            Decision.REJECT: ApplicationStatus.REJECTED,
        }[decision]
        locked.decided_at, locked.decided_by, locked.decision_reason = now, by, reason
        locked.save()
        _mail_decision(locked, decision)
    return locked


def _publish(application: Application, *, by, now: dt.datetime) -> Provider:
    """The listing the application proposed, live and owned by the applicant, with what was
    checked recorded as its verification."""
    provider = provider_save(provider=Provider(**application.proposed))
    ListingOwner.objects.create(provider=provider, account=application.applicant, since=now)
    listing_checks_record(
        provider=provider,
        by=by,
        now=now,
        npi=True,
        license_expires_on=application.license_expires_on,
        detail="checked by staff while reviewing the application",
    )
    if application.rems_certified and application.rems_document:
        verification_record(
            provider=provider,
            kind=CheckKind.REMS,
            passed=True,
            by=by,
            detail="the location's REMS confirmation, uploaded with the application",
            checked_at=now,
        )
    return provider


def listing_checks_record(*, provider: Provider, by, now: dt.datetime, npi: bool,
                          license_expires_on: dt.date | None, detail: str) -> None:  # fmt: skip
    """What staff checked of a listing's identity, recorded as its verification: its NPI's
    format (when `npi`), and its license as staff checked it, valid until `license_expires_on`
    (when given; in the practice's state if licensed there, else the first licensed state).
    Approving an application and approving a listing's identity change both record this."""
    if npi:
        verification_record(
            provider=provider,
            kind=CheckKind.NPI_FORMAT,
            passed=npi_is_valid(provider.npi),
            detail=f"NPI {provider.npi}: 10 digits, check digit valid",
            checked_at=now,
        )
    if license_expires_on is not None:
        states = [s.value for s in State.members(provider.license_states)]
        verification_record(
            provider=provider,
            kind=CheckKind.LICENSE,
            passed=True,
            by=by,
            detail=detail,
            license_state=provider.state if provider.state in states else (states or [""])[0],
            license_number=provider.license_number,
            expires_on=license_expires_on,
            checked_at=now,
        )


def _mail_decision(application: Application, decision: str) -> None:
    context = {
        "application": application,
        "decision": decision,
        "listing_url": absolute(application.provider.get_absolute_url())
        if application.provider
        else "",
        "dashboard_url": absolute(reverse("accounts:dashboard")),
    }
    send_transactional(
        to=application.applicant.email,
        subject=SUBJECTS[decision],
        text=render_to_string("practitioners/email/decision.txt", context),
    )
