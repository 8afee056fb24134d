"""Retention: a request is hard-deleted, with its access log, N days after it was finished and
in any case M days after it was sent (settings); by a daily job and a command; the privacy
page states the numbers the settings hold."""

from __future__ import annotations

import datetime as dt
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ketamine_association.consultations.choices import AccessKind, RequestStatus
from ketamine_association.consultations.models import ConsultationRequest, RequestAccess
from ketamine_association.consultations.services.retention import purge_expired
from ketamine_association.core.schedule import daily_jobs, run_daily_jobs
from tests.consultations.test_encryption_at_rest import make_request
from tests.directory.factories import make_provider

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def with_log(request: ConsultationRequest) -> ConsultationRequest:
    RequestAccess.objects.create(request=request, provider=request.provider, kind=AccessKind.OPENED)
    return request


@pytest.fixture
def requests():
    provider = make_provider()
    finished = {"status": RequestStatus.CLOSED, "created_at": days_ago(60)}
    return {
        "finished 31 days ago": with_log(
            make_request(provider, **finished, finished_at=days_ago(31))
        ),
        "finished 29 days ago": with_log(
            make_request(provider, **finished, finished_at=days_ago(29))
        ),
        "sent 181 days ago, still new": with_log(make_request(provider, created_at=days_ago(181))),
        "sent 179 days ago, still new": with_log(make_request(provider, created_at=days_ago(179))),
        "sent today": make_request(provider),
    }


def kept() -> set[int]:
    return set(ConsultationRequest.objects.values_list("pk", flat=True))


def test_purge_deletes_what_is_past_its_retention_with_its_access_log(requests):
    assert purge_expired(now=NOW) == 2
    gone = {requests["finished 31 days ago"].pk, requests["sent 181 days ago, still new"].pk}
    assert kept() == {r.pk for r in requests.values()} - gone
    assert not RequestAccess.objects.filter(request_id__in=gone).exists()
    assert RequestAccess.objects.count() == 2  # the kept requests' rows stay
    assert purge_expired(now=NOW) == 0


def test_purge_follows_the_settings(requests, settings):
    settings.CONSULTATION_RETENTION_DAYS_AFTER_FINISHED = 7
    settings.CONSULTATION_RETENTION_DAYS = 365
    assert purge_expired(now=NOW) == 2
    assert requests["sent 181 days ago, still new"].pk in kept()
    assert requests["finished 29 days ago"].pk not in kept()


def test_purge_works_in_batches(requests):
    assert purge_expired(now=NOW, batch=1) == 2
    assert len(kept()) == 3


def test_nothing_else_points_at_a_request():
    """The purge relies on the access log being the only thing that refers to a request
    (deleted with it): a new reference must be thought about here."""
    related = [
        f"{rel.related_model._meta.label}.{rel.field.name}"
        for rel in ConsultationRequest._meta.related_objects
    ]
    assert related == ["consultations.RequestAccess.request"]


def test_the_command_purges_and_says_how_many(requests):
    out = StringIO()
    call_command("purge_consultations", stdout=out)
    assert out.getvalue().startswith("2 consultation request(s) deleted")
    assert "30 days" in out.getvalue() and "180 days" in out.getvalue()
    assert len(kept()) == 3


def test_the_daily_job_is_registered_and_purges(requests):
    names = [job.name for job in daily_jobs()]
    assert "consultations: delete requests past their retention" in names
    outcomes = {o.name: o.count for o in run_daily_jobs(now=NOW)}
    assert outcomes["consultations: delete requests past their retention"] == 2


def copies(template: ConsultationRequest, count: int) -> None:
    """`count` copies of a stored row, its tokens copied as they are (no encryption: the
    purge is what is measured, not the writing)."""
    table = connection.ops.quote_name(ConsultationRequest._meta.db_table)
    columns = [f.column for f in ConsultationRequest._meta.concrete_fields if f.column != "id"]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {table} WHERE id = %s", [template.pk])  # noqa: S608
        row = cursor.fetchone()
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
            [row] * count,
        )


def test_ten_thousand_expired_requests_purge_in_batches_quickly():
    """The bench purges 100,000 (`make bench`); here 10,000, with a log row for a fifth."""
    provider = make_provider()
    copies(make_request(provider, created_at=days_ago(200)), 9_999)
    ids = ConsultationRequest.objects.values_list("pk", flat=True)[:2_000]
    RequestAccess.objects.bulk_create(
        [RequestAccess(request_id=pk, provider=provider, kind=AccessKind.OPENED) for pk in ids]
    )
    started = time.perf_counter()
    assert purge_expired(now=NOW) == 10_000
    elapsed = time.perf_counter() - started
    assert not ConsultationRequest.objects.exists() and not RequestAccess.objects.exists()
    assert elapsed < 10, elapsed


@pytest.fixture
def privacy_page(images):
    from ketamine_association.articles.services import article_import_paths
    from tests.articles.test_site_pages import DEMO_PAGES

    report = article_import_paths(paths=[DEMO_PAGES / "privacy.md"], images=images)
    assert not report.failed


def test_the_privacy_page_states_the_real_numbers(privacy_page, client, settings):
    html = client.get("/privacy").content.decode()
    assert (
        "<strong>30 days</strong> after the provider marks it booked, not a fit or closed" in html
    )
    assert "<strong>180 days</strong> after it was sent" in html
    assert "consultation-retention -->" not in html
    settings.CONSULTATION_RETENTION_DAYS_AFTER_FINISHED = 14
    settings.CONSULTATION_RETENTION_DAYS = 90
    html = client.get("/privacy").content.decode()
    assert "<strong>14 days</strong> after the provider marks it" in html
    assert "<strong>90 days</strong> after it was sent" in html
