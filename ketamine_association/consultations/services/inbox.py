"""The provider's side: statuses, the private note, the access log.

Every reading and change of a request's content writes a `RequestAccess` row: who (the account),
when, which request, what (AccessKind), and for staff's break-glass reading the reason they gave.
The callers have already checked that the account may see the request (selectors.inbox_request
for providers, the `consultations.break_glass` permission for staff)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..choices import FINISHED_STATUSES, AccessKind, RequestStatus
from ..models import ConsultationRequest, RequestAccess

PROVIDER_NOTE_MAX_LENGTH = 2000
BREAK_GLASS_REASON_MAX_LENGTH = RequestAccess._meta.get_field("reason").max_length


def _log(
    consultation: ConsultationRequest, *, by, kind: str, now: dt.datetime, reason: str = ""
) -> RequestAccess:
    return RequestAccess.objects.create(
        request=consultation,
        provider_id=consultation.provider_id,
        by=by,
        at=now,
        kind=kind,
        reason=reason,
    )


def request_open(*, consultation: ConsultationRequest, by, now: dt.datetime | None = None) -> None:
    """A provider (owner or editor) read the request's content."""
    _log(consultation, by=by, kind=AccessKind.OPENED, now=now or timezone.now())


def request_break_glass(
    *, consultation: ConsultationRequest, by, reason: str, now: dt.datetime | None = None
) -> None:
    """A staff member with the break-glass permission read the content, for this reason."""
    reason = reason.strip()
    if not reason or len(reason) > BREAK_GLASS_REASON_MAX_LENGTH:
        raise ValueError("a break-glass reading needs a reason of at most 300 characters")
    _log(consultation, by=by, kind=AccessKind.BREAK_GLASS, now=now or timezone.now(), reason=reason)


@dataclass(frozen=True)
class RequestUpdate:
    status_changed: bool
    note_changed: bool

    @property
    def changed(self) -> bool:
        return self.status_changed or self.note_changed


def request_update(
    *,
    consultation: ConsultationRequest,
    by,
    status: str,
    note: str,
    now: dt.datetime | None = None,
) -> RequestUpdate:
    """Set the status and the private note; each that changes is logged (STATUS, NOTE). A
    finished status (booked, not a fit, closed) starts the retention clock (`finished_at`);
    back to new or contacted stops it."""
    if status not in RequestStatus.values:
        raise ValueError("unknown status")
    if len(note) > PROVIDER_NOTE_MAX_LENGTH:
        raise ValueError("the note is too long")
    now = now or timezone.now()
    with transaction.atomic():
        current = (
            ConsultationRequest.objects.select_for_update()
            .only("id", "provider_id", "status", "finished_at", "provider_note")
            .get(pk=consultation.pk)
        )
        status_changed = current.status != status
        note_changed = current.provider_note != note
        fields = []
        if status_changed:
            current.status, current.status_changed_at = status, now
            finished = status in FINISHED_STATUSES
            if finished and current.finished_at is None or not finished:
                current.finished_at = now if finished else None
            fields += ["status", "status_changed_at", "finished_at"]
            _log(current, by=by, kind=AccessKind.STATUS, now=now)
        if note_changed:
            current.provider_note = note
            fields.append("provider_note")
            _log(current, by=by, kind=AccessKind.NOTE, now=now)
        if fields:
            current.save(update_fields=fields)
    for name in ("status", "status_changed_at", "finished_at", "provider_note"):
        if name in fields:
            setattr(consultation, name, getattr(current, name))
    return RequestUpdate(status_changed=status_changed, note_changed=note_changed)
