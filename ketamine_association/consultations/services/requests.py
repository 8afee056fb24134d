"""A patient's request: validated, stored encrypted, announced without personal data.

`request_submit` takes what the form cleaned and the providers chosen (one from a profile, up
to three from /consultation) and, in one transaction:

1. counts the sender against CONSULTATION_RATE_PER_IP an hour, keyed by a keyed hash of the
   address (never the address itself);
2. stores nothing when the honeypot is filled (the answer is the same as a success);
3. reads, locked, which of the providers still accept requests (selectors.
   providers_accepting_requests): the others are named back to the patient, nothing is stored
   for them;
4. counts each provider against CONSULTATION_RATE_PER_PROVIDER an hour;
5. skips a provider that already has a request from the same email or phone in the last 24
   hours (a double click, a reload: the same answer, nothing stored twice);
6. stores one row per provider, every personal field encrypted, one `submission` UUID shared;
7. queues, after commit, one notice to each provider's owner ("you have a new request", a link,
   nothing of the patient) and one confirmation to the patient naming the providers (no note,
   no crisis answer). A mail that cannot be queued never fails the request.

Nothing of the request is written to a log line."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ketamine_association.core.addresses import normalise_email, phone_digits
from ketamine_association.core.crypto import lookup_digest
from ketamine_association.core.mail import send_transactional
from ketamine_association.core.ratelimit import window_limited
from ketamine_association.core.seo import absolute
from ketamine_association.directory.models import Provider

from ..choices import HONEYPOT, ContactMethod
from ..models import ConsultationRequest
from ..selectors import providers_accepting_requests
from .retention import retention_terms

logger = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 3600
DUPLICATE_WINDOW = dt.timedelta(hours=24)
INBOX_PATH = "/dashboard/requests"
OWNER_SUBJECT = "New consultation request"
PATIENT_SUBJECT = "Your consultation request was sent"
CRISIS_LINES = (
    "If you are in immediate danger, call 911.",
    "Call or text 988 for the 988 Suicide & Crisis Lifeline (US), at any hour.",
    "Text HOME to 741741 to reach the Crisis Text Line.",
)


@dataclass(frozen=True)
class SubmitOutcome:
    """`sent`: the answer "your request was sent" (stored, duplicate or honeypot alike);
    `unavailable`: some chosen providers no longer accept requests (nothing stored for them;
    `sent_to` names those that got it); `limited`: too many requests, nothing stored."""

    status: Literal["sent", "unavailable", "limited"]
    sent_to: tuple[Provider, ...] = ()
    unavailable: tuple[Provider, ...] = ()
    stored: int = 0  # rows written (not shown to the patient: the answer never says)
    retry_after: int = 0
    submission: uuid.UUID | None = field(default=None)


def contact_digest(*, email: str, phone: str) -> str:
    """The keyed hash of the normalised email (or, without one, the phone's digits)."""
    value = normalise_email(email) if email else phone_digits(phone)
    return lookup_digest(value, purpose="consultation-contact")


def _limited_ip(ip: str) -> int:
    key = "consultation-ip:" + lookup_digest(ip or "unknown", purpose="consultation-ip")
    return window_limited(key, limit=settings.CONSULTATION_RATE_PER_IP, window=RATE_WINDOW_SECONDS)


def _limited_provider(provider: Provider) -> int:
    return window_limited(
        f"consultation-provider:{provider.pk}",
        limit=settings.CONSULTATION_RATE_PER_PROVIDER,
        window=RATE_WINDOW_SECONDS,
    )


def request_submit(*, providers: list[Provider], data: dict, ip: str) -> SubmitOutcome:
    """Store one request per provider that accepts requests (see the module's docstring)."""
    providers = list({p.pk: p for p in providers}.values())
    wait = _limited_ip(ip)
    if wait:
        return SubmitOutcome("limited", retry_after=wait)
    if data.get(HONEYPOT):
        return SubmitOutcome("sent", sent_to=tuple(providers))
    now = timezone.now()
    digest = contact_digest(email=data.get("email", ""), phone=data.get("phone", ""))
    with transaction.atomic():
        accepting_ids = set(
            providers_accepting_requests()
            .select_for_update(of=("self",))
            .filter(pk__in=[p.pk for p in providers])
            .values_list("pk", flat=True)
        )
        accepting = [p for p in providers if p.pk in accepting_ids]
        unavailable = tuple(p for p in providers if p.pk not in accepting_ids)
        for provider in accepting:
            wait = _limited_provider(provider)
            if wait:
                return SubmitOutcome("limited", retry_after=wait)
        duplicates = set(
            ConsultationRequest.objects.filter(
                provider__in=accepting,
                contact_digest=digest,
                created_at__gte=now - DUPLICATE_WINDOW,
            ).values_list("provider_id", flat=True)
        )
        new = [p for p in accepting if p.pk not in duplicates]
        submission = uuid.uuid4()
        ConsultationRequest.objects.bulk_create(
            [_request(provider=p, data=data, digest=digest, submission=submission, now=now)
             for p in new]
        )  # fmt: skip
        if new:
            _announce(providers=new, data=data)
    status = "unavailable" if unavailable else "sent"
    return SubmitOutcome(
        status,
        sent_to=tuple(accepting),
        unavailable=unavailable,
        stored=len(new),
        submission=submission if new else None,
    )


def _request(*, provider, data, digest, submission, now) -> ConsultationRequest:
    return ConsultationRequest(
        provider=provider,
        created_at=now,
        status_changed_at=now,
        submission=submission,
        name=data["name"],
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        contact_method=data["contact_method"],
        contact_times=",".join(data["contact_times"]),
        state=data["state"],
        treatment=data["treatment"],
        for_whom=data["for_whom"],
        payment=data["payment"],
        note=data.get("note", ""),
        in_crisis=data["in_crisis"],
        consent_text=data["consent_text"],
        consented_at=now,
        contact_digest=digest,
    )


# --------------------------------------------------------------------------- the mails


def _queue(*, to: str, subject: str, text: str, what: str) -> None:
    """Queue one mail; a bad address is logged by kind only (never the address) and never
    fails the request."""
    try:
        send_transactional(to=to, subject=subject, text=text)
    except ValueError:
        logger.warning("consultation %s not queued: the address was refused", what)


def _announce(*, providers: list[Provider], data: dict) -> None:
    owners = {
        p.pk: account.email
        for p, account in ((p, _owner_account(p)) for p in providers)
        if account is not None and account.email
    }
    inbox_url = absolute(INBOX_PATH)
    for provider in providers:
        address = owners.get(provider.pk)
        if not address:
            logger.warning(
                "consultation notice not queued: listing %s has no owner address", provider.pk
            )
            continue
        text = render_to_string("consultations/email/owner_notice.txt", {"inbox_url": inbox_url})
        _queue(to=address, subject=OWNER_SUBJECT, text=text, what="notice")
    if data.get("email"):
        text = render_to_string(
            "consultations/email/patient_confirmation.txt",
            {
                "providers": providers,
                "contact_method": ContactMethod(data["contact_method"]).label.lower(),
                "crisis_lines": CRISIS_LINES,
                "retention": retention_terms(),
                "privacy_url": absolute(settings.PRIVACY_PAGE_PATH),
            },
        )
        _queue(to=data["email"], subject=PATIENT_SUBJECT, text=text, what="confirmation")


def _owner_account(provider: Provider):
    try:
        return provider.owner.account
    except Provider.owner.RelatedObjectDoesNotExist:
        return None
