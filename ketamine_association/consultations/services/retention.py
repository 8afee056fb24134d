"""The purge of requests past their retention (settings CONSULTATION_RETENTION_*).

A request is hard-deleted `CONSULTATION_RETENTION_DAYS_AFTER_FINISHED` days after it was
finished (booked, not a fit or closed), and in any case `CONSULTATION_RETENTION_DAYS` days after
it was sent. Its access-log rows go with it (RequestAccess.request is CASCADE), so nothing
that pointed at the content remains. Deleted in batches, a transaction each: a purge of
100,000 rows never holds one long lock, and a failure keeps what was already done."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from ..choices import FINISHED_STATUSES, RequestStatus
from ..models import ConsultationRequest, RequestAccess

BATCH = 2000


def expired_requests(*, now: dt.datetime):
    finished_before = now - dt.timedelta(days=settings.CONSULTATION_RETENTION_DAYS_AFTER_FINISHED)
    sent_before = now - dt.timedelta(days=settings.CONSULTATION_RETENTION_DAYS)
    return ConsultationRequest.objects.filter(
        Q(finished_at__lt=finished_before) | Q(created_at__lt=sent_before)
    )


def purge_expired(*, now: dt.datetime, batch: int = BATCH) -> int:
    """Hard-delete every request past its retention, with its access log; how many requests.

    A batch is the next `batch` expired ids in order; the two DELETEs (the log, then the
    requests) select by the same expiry condition up to the batch's last id, so a request
    changed meanwhile is never deleted by mistake. They are raw deletes (`_raw_delete`: one
    statement each, no row loaded, so nothing decrypted): about 2 s for 100,000 requests on
    SQLite, where Django's collector takes 6. This is safe because the access log is the
    only model that refers to a request (a test pins it) and neither has delete signals."""
    deleted = 0
    while True:
        expired = expired_requests(now=now)
        ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        chunk = expired.filter(pk__lte=ids[-1])
        with transaction.atomic():
            log = RequestAccess.objects.filter(request__in=chunk.values("pk"))
            log._raw_delete(log.db)
            deleted += chunk._raw_delete(chunk.db)


def purge_job(now) -> int:
    """The daily job (apps.py)."""
    return purge_expired(now=now)


def retention_terms() -> dict:
    """The retention numbers every page, mail and consent sentence states (from settings),
    and the statuses that finish a request, in words ("booked, not a fit or closed")."""
    labels = [str(RequestStatus(s).label).lower() for s in FINISHED_STATUSES]
    return {
        "after_finished": settings.CONSULTATION_RETENTION_DAYS_AFTER_FINISHED,
        "after_sent": settings.CONSULTATION_RETENTION_DAYS,
        "finished": ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0],
    }
