"""Security checklist, IDOR on consultation requests: provider B cannot read or change
provider A's requests by id, URL or form tampering. Another account's request, a missing one
and a form naming another request all answer 404 (never 200, never 500), change nothing and
write no access-log row; a visitor is sent to sign in."""

from __future__ import annotations

import pytest
from django.test import Client

from ketamine_association.consultations.choices import RequestStatus
from ketamine_association.consultations.models import ConsultationRequest, RequestAccess
from ketamine_association.practitioners.models import ListingOwner
from tests.consultations.test_encryption_at_rest import make_request
from tests.directory.factories import make_provider
from tests.practitioners.test_listing_edit import account

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_and_b():
    """Provider A's request; B's owner signed in, with a request of their own."""
    provider_a, provider_b = make_provider(), make_provider()
    owner_a, owner_b = account("owner-a", "a@clinic.example"), account("owner-b", "b@other.example")
    ListingOwner.objects.create(provider=provider_a, account=owner_a)
    ListingOwner.objects.create(provider=provider_b, account=owner_b)
    victim = make_request(provider_a, name="Victim Patientname", note="Victim's private words")
    own = make_request(provider_b, name="Own Patient")
    client = Client(raise_request_exception=False)
    client.force_login(owner_b)
    return client, victim, own


def state(request: ConsultationRequest) -> tuple:
    request = ConsultationRequest.objects.get(pk=request.pk)
    return request.status, request.finished_at, request.provider_note


def test_another_accounts_request_and_a_missing_one_are_404_and_nothing_is_logged(a_and_b):
    client, victim, own = a_and_b
    missing = ConsultationRequest.objects.order_by("-pk").first().pk + 1000
    for pk in (victim.pk, missing, 0):
        for method in ("get", "head"):
            response = getattr(client, method)(f"/dashboard/requests/{pk}")
            assert response.status_code == 404, (method, pk)
        assert b"Victim" not in client.get(f"/dashboard/requests/{pk}").content
    assert (
        f"/dashboard/requests/{victim.pk}" not in client.get("/dashboard/requests").content.decode()
    )
    assert not RequestAccess.objects.exists()


def test_posting_a_status_or_note_for_another_accounts_request_is_404(a_and_b):
    client, victim, _ = a_and_b
    before = state(victim)
    response = client.post(
        f"/dashboard/requests/{victim.pk}",
        {"request": str(victim.pk), "status": RequestStatus.CLOSED, "provider_note": "Hijacked"},
    )
    assert response.status_code == 404
    assert state(victim) == before and not RequestAccess.objects.exists()


def test_a_form_naming_another_request_is_404_and_changes_neither(a_and_b):
    client, victim, own = a_and_b
    before_victim, before_own = state(victim), state(own)
    for body_pk in (str(victim.pk), "", "junk"):
        response = client.post(
            f"/dashboard/requests/{own.pk}",
            {"request": body_pk, "status": RequestStatus.CLOSED, "provider_note": "Tampered"},
        )
        assert response.status_code == 404, body_pk
    assert state(victim) == before_victim and state(own) == before_own
    assert not RequestAccess.objects.exists()
    # The untampered form works (the 404s above were the tampering, not the form).
    response = client.post(
        f"/dashboard/requests/{own.pk}",
        {"request": str(own.pk), "status": RequestStatus.CLOSED, "provider_note": ""},
    )
    assert response.status_code == 302 and state(own)[0] == RequestStatus.CLOSED
    assert list(RequestAccess.objects.values_list("request", flat=True)) == [own.pk]


def test_a_visitor_cannot_post_either(a_and_b):
    _, victim, _ = a_and_b
    before = state(victim)
    response = Client().post(
        f"/dashboard/requests/{victim.pk}",
        {"request": str(victim.pk), "status": RequestStatus.CLOSED},
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert state(victim) == before and not RequestAccess.objects.exists()


def test_staff_status_gives_no_access_to_the_inbox(a_and_b):
    """A superuser who owns no listing sees no request in the dashboard: staff read requests
    only through the admin's logged break-glass."""
    _, victim, _ = a_and_b
    boss = account("boss", "boss@association.example")
    boss.is_staff = boss.is_superuser = True
    boss.save()
    client = Client()
    client.force_login(boss)
    assert client.get(f"/dashboard/requests/{victim.pk}").status_code == 404
    assert b"Request #" not in client.get("/dashboard/requests").content
    assert not RequestAccess.objects.exists()
