"""The provider's inbox: the requests of the account's listings only (owner and invited
editors), a count per status, a filter; opening a request logs one `opened` row; the status
and the private note are changed, logged, the note stored encrypted; pages not cached."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from ketamine_association.consultations.choices import AccessKind, RequestStatus
from ketamine_association.consultations.models import ConsultationRequest, RequestAccess
from ketamine_association.practitioners.models import ListingEditor, ListingOwner
from tests.accounts.test_accounts import verified_user
from tests.consultations.test_encryption_at_rest import make_request
from tests.directory.factories import make_provider
from tests.practitioners.test_listing_edit import account

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_practices():
    """Two listings, each with its owner; A's owner signed in on the returned client."""
    mine, theirs = make_provider(name="Dr Mine"), make_provider(name="Dr Theirs")
    me, them = account("me", "me@clinic.example"), account("them", "them@other.example")
    ListingOwner.objects.create(provider=mine, account=me)
    ListingOwner.objects.create(provider=theirs, account=them)
    client = Client(raise_request_exception=False)
    client.force_login(me)
    return client, me, mine, theirs


def detail_url(request) -> str:
    return f"/dashboard/requests/{request.pk}"


def post_update(client, request, **data):
    return client.post(
        detail_url(request),
        {"request": str(request.pk), "status": request.status, "provider_note": "", **data},
    )


def test_the_inbox_lists_only_the_accounts_own_requests(two_practices):
    client, _, mine, theirs = two_practices
    own = [make_request(mine, name=f"Own Patient {n}") for n in range(3)]
    other = make_request(theirs, name="Other Patient")
    response = client.get("/dashboard/requests")
    assert response.status_code == 200
    html = response.content.decode()
    for request in own:
        assert f'href="{detail_url(request)}"' in html
    assert detail_url(other) not in html and "Dr Theirs" not in html
    assert "Dr Mine" in html
    # Newest first.
    positions = [html.index(f'href="{detail_url(r)}"') for r in reversed(own)]
    assert positions == sorted(positions)
    # The list shows no patient detail and decrypts nothing: no opening is logged.
    assert "Own Patient" not in html and not RequestAccess.objects.exists()


def test_counts_per_status_and_the_filter(two_practices):
    client, _, mine, theirs = two_practices
    booked = make_request(mine, status=RequestStatus.BOOKED)
    new = make_request(mine)
    make_request(theirs, status=RequestStatus.BOOKED)
    html = client.get("/dashboard/requests").content.decode()
    assert "All (2)" in html and "Booked (1)" in html and "New (1)" in html
    assert "Closed (0)" in html
    filtered = client.get("/dashboard/requests?status=booked").content.decode()
    assert detail_url(booked) in filtered and detail_url(new) not in filtered
    # An unknown status shows everything rather than failing.
    both = client.get("/dashboard/requests?status=<script>")
    assert both.status_code == 200 and detail_url(new) in both.content.decode()


def test_the_inbox_is_paginated(two_practices, django_assert_max_num_queries):
    client, _, mine, _ = two_practices
    for _ in range(30):
        make_request(mine)
    with django_assert_max_num_queries(8):
        first = client.get("/dashboard/requests")
    assert first.content.decode().count('href="/dashboard/requests/') == 25
    second = client.get("/dashboard/requests?page=2")
    assert second.content.decode().count('href="/dashboard/requests/') == 5
    assert client.get("/dashboard/requests?page=junk").status_code == 200


def test_an_invited_editor_sees_and_opens_the_listings_requests(two_practices):
    _, me, mine, _ = two_practices
    request = make_request(mine)
    colleague = account("colleague", "colleague@clinic.example")
    ListingEditor.objects.create(provider=mine, account=colleague, invited_by=me)
    client = Client()
    client.force_login(colleague)
    assert detail_url(request) in client.get("/dashboard/requests").content.decode()
    assert client.get(detail_url(request)).status_code == 200
    # The owner sees the colleague's opening by their address (they share the listing).
    owner = Client()
    owner.force_login(me)
    html = owner.get(detail_url(request)).content.decode()
    assert "colleague@clinic.example — opened" in html and "you — opened" in html


def test_opening_a_request_shows_it_and_logs_one_opened_row(two_practices):
    client, me, mine, _ = two_practices
    request = make_request(mine, name="Marguerite Quillfeather")
    response = client.get(detail_url(request))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Marguerite Quillfeather" in html and "(512) 555-0199" in html
    assert "Evenings after six suit me best" in html
    rows = list(RequestAccess.objects.values_list("request", "by", "kind", "provider"))
    assert rows == [(request.pk, me.pk, AccessKind.OPENED, mine.pk)]
    # No cache may keep it, no search engine index it.
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in html
    # HEAD returns no content and logs nothing.
    client.head(detail_url(request))
    assert RequestAccess.objects.count() == 1


def test_a_visitor_is_sent_to_sign_in(two_practices):
    _, _, mine, _ = two_practices
    request = make_request(mine)
    visitor = Client()
    for path in ("/dashboard/requests", detail_url(request)):
        response = visitor.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not RequestAccess.objects.exists()


def test_a_status_change_is_logged_and_sets_then_clears_finished_at(two_practices):
    client, me, mine, _ = two_practices
    request = make_request(mine, created_at=timezone.now() - dt.timedelta(days=3))
    response = post_update(client, request, status=RequestStatus.BOOKED)
    assert response.status_code == 302 and response["Location"] == detail_url(request)
    request.refresh_from_db()
    assert request.status == RequestStatus.BOOKED and request.finished_at is not None
    assert abs(request.finished_at - timezone.now()) < dt.timedelta(minutes=1)
    assert list(RequestAccess.objects.values_list("kind", "by")) == [(AccessKind.STATUS, me.pk)]
    # The page the save leads to is covered by the save's row: no second "opened".
    page = client.get(response["Location"])
    assert "Status: booked." in page.content.decode()
    assert RequestAccess.objects.count() == 1
    # A later opening is logged again.
    client.get(detail_url(request))
    assert RequestAccess.objects.filter(kind=AccessKind.OPENED).count() == 1
    # Back to "contacted": no longer finished, the retention clock after closing stops.
    post_update(client, request, status=RequestStatus.CONTACTED)
    request.refresh_from_db()
    assert request.status == RequestStatus.CONTACTED and request.finished_at is None
    assert RequestAccess.objects.filter(kind=AccessKind.STATUS).count() == 2
    # An unknown status changes nothing and logs nothing.
    count = RequestAccess.objects.count()
    response = post_update(client, request, status="deleted")
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == RequestStatus.CONTACTED
    assert not RequestAccess.objects.filter(kind=AccessKind.STATUS).count() > 2
    assert RequestAccess.objects.count() == count + 1  # the form shown again: an opening


def test_the_private_note_is_stored_encrypted_and_logged(two_practices):
    client, me, mine, _ = two_practices
    request = make_request(mine)
    note = "Called back Tuesday; prefers Zephyrine clinic hours"
    post_update(client, request, provider_note=note)
    request.refresh_from_db()
    assert request.provider_note == note
    assert list(RequestAccess.objects.values_list("kind", "by")) == [(AccessKind.NOTE, me.pk)]
    table = connection.ops.quote_name(ConsultationRequest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT provider_note FROM {table}")  # noqa: S608
        stored = cursor.fetchone()[0]
    assert "Zephyrine" not in stored and stored.startswith("gAAAAA")
    assert note in client.get(detail_url(request)).content.decode()
    # Too long: a clear message, nothing stored.
    response = post_update(client, request, provider_note="x" * 2001)
    assert response.status_code == 200 and "at most 2000 characters" in response.content.decode()
    request.refresh_from_db()
    assert request.provider_note == note
    assert RequestAccess.objects.filter(kind=AccessKind.NOTE).count() == 1


def test_saving_nothing_new_logs_nothing(two_practices):
    client, _, mine, _ = two_practices
    request = make_request(mine)
    post_update(client, request)
    assert not RequestAccess.objects.exists()


def test_the_dashboard_counts_new_requests_and_links_the_inbox(client):
    provider = make_provider()
    owner = verified_user("dash-owner@clinic.example")
    ListingOwner.objects.create(provider=provider, account=owner)
    make_request(provider)
    make_request(provider, status="contacted")
    client.force_login(owner)
    html = client.get("/dashboard").content.decode()
    assert "1 new of 2 requests" in html and 'href="/dashboard/requests"' in html
    stranger = verified_user("no-listing@example.org")
    client.force_login(stranger)
    assert "Consultation requests" not in client.get("/dashboard").content.decode()
