"""Listings kept current by their owners and editors.

An edit publishes at once every changed field that is not identity, recorded as one
ListingChange(APPLIED) with each field's value before → after. Identity (IDENTITY_FIELDS and the
license's expiry date) waits for staff: one ListingChange(PENDING), and the live listing keeps
its verified values until staff approve. A listing has at most one pending change: a later
save replaces its values (the form starts from them), and a save that puts the verified values
back withdraws it. Staff approve (the values go live, the NPI format and the license are
recorded as checks) or reject, with a written reason mailed to whoever made the change.

License reminders: the owner of a listing whose latest passed license check expires within
LICENSE_REMINDER_DAYS is mailed once (BEFORE), and once more when it has expired (ON_DAY)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ketamine_association.core.mail import send_transactional
from ketamine_association.core.seo import absolute
from ketamine_association.directory.choices import CheckKind
from ketamine_association.directory.models import Provider, VerificationCheck
from ketamine_association.directory.photos import ProcessedPhoto
from ketamine_association.directory.services import provider_save

from ..choices import (
    APPLICATION_FIELDS,
    IDENTITY_FIELDS,
    LICENSE_REMINDER_DAYS,
    ChangeStatus,
    ReminderKind,
)
from ..models import LicenseReminder, ListingChange
from ..selectors import listing_license_check
from .applications import DecisionRefused, listing_checks_record

__all__ = [
    "CHANGE_DECISIONS",
    "EDITABLE_FIELDS",
    "ListingEdit",
    "license_reminders_send",
    "listing_change_decide",
    "listing_edit",
    "listing_value",
]

# What an owner or editor may change: the application's fields and the bio (and the photo
# and the license's expiry date, which are not plain fields). Nothing else, ever.
EDITABLE_FIELDS = (*APPLICATION_FIELDS, "bio")
PUBLISHED_AT_ONCE = tuple(name for name in EDITABLE_FIELDS if name not in IDENTITY_FIELDS)
LICENSE_EXPIRY = "license_expires_on"
LICENSE_PARTS = ("license_states", "license_number", LICENSE_EXPIRY)
CHANGE_DECISIONS = [("approve", "Approve and publish the change"), ("reject", "Reject")]
WITHDRAWN = "Withdrawn: a later save put the listing's verified values back."


@dataclass(frozen=True)
class ListingEdit:
    """What a save did: the fields published at once, the fields sent for review (or an
    earlier pending change withdrawn)."""

    published: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    withdrawn: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.published or self.pending or self.withdrawn)


def listing_value(value):
    """A field's value as the history stores it: flags as their integers, dates as ISO
    strings, a photo as its file name."""
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _diff(live: Provider, values: dict, names) -> dict[str, list]:
    changes = {}
    for name in names:
        if name in values:
            before, after = listing_value(getattr(live, name)), listing_value(values[name])
            if before != after:
                changes[name] = [before, after]
    return changes


def listing_edit(
    *,
    provider: Provider,
    by,
    values: dict,
    license_expires_on: dt.date | None = None,
    photo: ProcessedPhoto | None = None,
    now: dt.datetime | None = None,
) -> ListingEdit:
    """Save an owner's or editor's edit of `provider` (`values`: EDITABLE_FIELDS as the form
    cleaned them; any other key is ignored; `license_expires_on`: None keeps the one on file;
    `photo`: already checked and re-encoded by directory.photos)."""
    now = now or timezone.now()
    values = {name: value for name, value in values.items() if name in EDITABLE_FIELDS}
    with transaction.atomic():
        live = Provider.objects.select_for_update().get(pk=provider.pk)
        published = _diff(live, values, PUBLISHED_AT_ONCE)
        if published or photo is not None:
            for name in published:
                setattr(live, name, values[name])
            if "zip_code" in published:  # the coordinates follow the new ZIP code
                live.latitude = live.longitude = None
            photo_before = live.photo.name or ""
            provider_save(provider=live, photo=photo)
            if (live.photo.name or "") != photo_before:
                published["photo"] = [photo_before, live.photo.name]
        if published:
            ListingChange.objects.create(
                provider=live, by=by, at=now, status=ChangeStatus.APPLIED, changes=published
            )
        identity = _diff(live, values, IDENTITY_FIELDS)
        check = listing_license_check(provider=live)
        expiry_now = check.expires_on if check else None
        if license_expires_on is not None and license_expires_on != expiry_now:
            identity[LICENSE_EXPIRY] = [listing_value(expiry_now), license_expires_on.isoformat()]
        pending, withdrawn = _pending_replace(live, identity, by=by, now=now)
    return ListingEdit(published=tuple(published), pending=pending, withdrawn=withdrawn)


def _pending_replace(live: Provider, identity: dict, *, by, now) -> tuple[tuple[str, ...], bool]:
    """Record the identity change, replacing the listing's earlier pending one; withdraw that
    one when the save kept every verified value."""
    earlier = (
        ListingChange.objects.select_for_update()
        .filter(provider=live, status=ChangeStatus.PENDING)
        .first()
    )
    expiry = identity[LICENSE_EXPIRY][1] if LICENSE_EXPIRY in identity else None
    if not identity:
        if earlier is None:
            return (), False
        earlier.status, earlier.decision_reason = ChangeStatus.REJECTED, WITHDRAWN
        earlier.decided_at, earlier.decided_by = now, by
        earlier.save()
        return (), True
    if earlier is not None and earlier.changes == identity:
        return (), False  # the same change, still waiting
    change = earlier or ListingChange(provider=live, status=ChangeStatus.PENDING)
    change.by, change.at, change.changes = by, now, identity
    change.license_expires_on = dt.date.fromisoformat(expiry) if expiry else None
    change.save()
    return tuple(identity), False


def listing_change_decide(
    *, change: ListingChange, decision: str, reason: str, by, now: dt.datetime | None = None
) -> ListingChange:
    """Staff's decision on a pending identity change, with its written reason, mailed to who
    made the change. Approval applies the values and records what staff checked: the NPI's
    format for a new NPI, the license (with its expiry) for a changed license."""
    reason = reason.strip()
    if not reason:
        raise DecisionRefused("Write the reason the practitioner will read.")
    if decision not in dict(CHANGE_DECISIONS):
        raise DecisionRefused(f"Unknown decision {decision!r}.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = ListingChange.objects.select_for_update().get(pk=change.pk)
        if locked.status != ChangeStatus.PENDING:
            raise DecisionRefused(f"This change is {locked.get_status_display().lower()}.")
        if decision == "approve":
            _apply(locked, by=by, now=now)
        locked.status = ChangeStatus.APPROVED if decision == "approve" else ChangeStatus.REJECTED
        locked.decided_at, locked.decided_by, locked.decision_reason = now, by, reason
        locked.save()
        _mail_change_decision(locked)
    return locked


def _apply(change: ListingChange, *, by, now: dt.datetime) -> None:
    live = Provider.objects.select_for_update().get(pk=change.provider_id)
    values = {name: pair[1] for name, pair in change.changes.items() if name in IDENTITY_FIELDS}
    npi = values.get("npi")
    if npi and Provider.objects.filter(npi=npi).exclude(pk=live.pk).exists():
        raise DecisionRefused(f"NPI {npi} now belongs to another listing: reject this change.")
    for name, value in values.items():
        setattr(live, name, value)
    provider_save(provider=live)
    expiry = None
    if any(name in change.changes for name in LICENSE_PARTS):
        check = listing_license_check(provider=live)
        expiry = change.license_expires_on or (check.expires_on if check else None)
    listing_checks_record(
        provider=live,
        by=by,
        now=now,
        npi="npi" in values,
        license_expires_on=expiry,
        detail="checked by staff while reviewing a change of the listing",
    )


def _mail_change_decision(change: ListingChange) -> None:
    if change.by is None or not change.by.email:
        return
    approved = change.status == ChangeStatus.APPROVED
    context = {
        "change": change,
        "approved": approved,
        "fields": [FIELD_LABELS.get(name, name) for name in change.changes],
        "listing_url": absolute(change.provider.get_absolute_url()),
        "edit_url": absolute(reverse("practitioners:listing-edit", args=[change.provider_id])),
    }
    send_transactional(
        to=change.by.email,
        subject="Your listing change is published" if approved else "About your listing change",
        text=render_to_string("practitioners/email/change_decision.txt", context),
    )


def _label(name: str) -> str:
    if name == LICENSE_EXPIRY:
        return "license expiry date"
    if name == "photo":
        return "photo"
    return str(Provider._meta.get_field(name).verbose_name)


FIELD_LABELS = {name: _label(name) for name in (*EDITABLE_FIELDS, LICENSE_EXPIRY, "photo")}


# --------------------------------------------------------------------------- license reminders


def license_reminders_send(*, today: dt.date | None = None) -> int:
    """Mail each owner whose listing's latest passed license check expires within
    LICENSE_REMINDER_DAYS (once) or has expired (once more); returns how many were sent."""
    today = today or timezone.localdate()
    latest = (
        VerificationCheck.objects.filter(
            provider=OuterRef("provider"), kind=CheckKind.LICENSE, passed=True
        )
        .order_by("-checked_at", "-id")
        .values("id")[:1]
    )
    due = (
        VerificationCheck.objects.filter(
            kind=CheckKind.LICENSE,
            passed=True,
            expires_on__lte=today + dt.timedelta(days=LICENSE_REMINDER_DAYS),
            provider__owner__isnull=False,
        )
        .annotate(latest=Subquery(latest))
        .filter(id=F("latest"))
        .select_related("provider__owner__account")
        .order_by("expires_on", "id")
    )
    sent = 0
    for check in due:
        kind = ReminderKind.ON_DAY if check.expires_on <= today else ReminderKind.BEFORE
        if LicenseReminder.objects.filter(check_record=check, kind=kind).exists():
            continue
        try:
            with transaction.atomic():
                LicenseReminder.objects.create(check_record=check, kind=kind)
                _mail_license_reminder(check, kind=kind)
        except IntegrityError:  # another run sent it meanwhile
            continue
        sent += 1
    return sent


def _mail_license_reminder(check: VerificationCheck, *, kind: str) -> None:
    provider = check.provider
    context = {
        "provider": provider,
        "expires_on": check.expires_on,
        "expired": kind == ReminderKind.ON_DAY,
        "edit_url": absolute(reverse("practitioners:listing-edit", args=[provider.pk])),
    }
    subject = (
        "Your license on file has expired"
        if kind == ReminderKind.ON_DAY
        else f"Your license on file expires on {check.expires_on:%B} {check.expires_on.day}"
    )
    send_transactional(
        to=provider.owner.account.email,
        subject=subject,
        text=render_to_string("practitioners/email/license_reminder.txt", context),
    )
