"""The admin shows staff counts and statuses, never a request's content: the list and the
change page decrypt nothing; the page is read-only, with no add. A staff member with the
`consultations.break_glass` permission reads one request by giving a reason: the content is
shown once and a `break-glass` row with the reason is written; the access log is read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from ketamine_association.consultations.choices import AccessKind, RequestStatus
from ketamine_association.consultations.models import ConsultationRequest, RequestAccess
from ketamine_association.core import crypto
from ketamine_association.practitioners.models import ListingOwner
from tests.consultations.test_encryption_at_rest import make_request
from tests.directory.factories import make_provider
from tests.security.site_content import staff_user

pytestmark = pytest.mark.django_db

NAME = "Philippa Zanzibarova"
NOTE = "Only weekday mornings, ask for Ottoline"
PROVIDER_NOTE = "Left a voicemail about Quenneville hours"
SECRETS = (NAME, "Zanzibarova", NOTE, "Ottoline", "Quenneville", "marguerite.quill@example.org")
CHANGELIST = "/admin/consultations/consultationrequest/"


@pytest.fixture
def request_row():
    provider = make_provider()
    ListingOwner.objects.create(provider=provider, account=staff_user("owner", is_staff=False))
    row = make_request(provider, name=NAME, note=NOTE, status=RequestStatus.CONTACTED)
    row.provider_note = PROVIDER_NOTE
    row.save()
    return row


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def staff_with(*codenames: str):
    user = staff_user("staffer")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="consultations", codename__in=codenames)
    )
    return user


def leaked(html: str) -> list[str]:
    return [secret for secret in SECRETS if secret.lower() in html.lower()]


@pytest.fixture
def nothing_decrypted(monkeypatch):
    """Any decryption during the block fails the test."""
    calls = []
    real = crypto.decrypt

    def counting(token):
        calls.append(token)
        return real(token)

    monkeypatch.setattr(crypto, "decrypt", counting)
    return calls


def test_staff_without_break_glass_see_counts_and_statuses_only(request_row, nothing_decrypted):
    client = signed_in(staff_with("view_consultationrequest", "view_requestaccess"))
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f"#{request_row.pk}" in html and "Contacted" in html
    assert leaked(html) == []
    change = client.get(f"{CHANGELIST}{request_row.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert leaked(html) == [] and "Hidden from staff" in html
    assert "Read this request (logged)" not in html
    assert 'name="_save"' not in html  # read-only
    assert nothing_decrypted == []  # the list and the page decrypted nothing at all
    # No add page; the break-glass page is refused without the permission.
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{request_row.pk}/read/").status_code == 403
    response = client.post(f"{CHANGELIST}{request_row.pk}/read/", {"reason": "curious"})
    assert response.status_code == 403 and leaked(response.content.decode()) == []
    assert not RequestAccess.objects.exists()


def test_the_changelist_decrypts_nothing_even_for_a_superuser(request_row, nothing_decrypted):
    boss = staff_user("boss", is_superuser=True)
    client = signed_in(boss)
    for status in ("", "?status__exact=contacted"):
        response = client.get(CHANGELIST + status)
        assert response.status_code == 200 and leaked(response.content.decode()) == []
    assert nothing_decrypted == []
    # A superuser holds every permission: the button shows, and reading still needs a reason.
    change = client.get(f"{CHANGELIST}{request_row.pk}/change/").content.decode()
    assert "Read this request (logged)" in change and leaked(change) == []


def test_break_glass_needs_a_reason_shows_the_content_once_and_is_logged(request_row):
    staffer = staff_with("view_consultationrequest", "break_glass")
    client = signed_in(staffer)
    change = client.get(f"{CHANGELIST}{request_row.pk}/change/").content.decode()
    read_url = f"{CHANGELIST}{request_row.pk}/read/"
    assert f'href="{read_url}"' in change and leaked(change) == []
    # The form first: no content, nothing logged.
    form = client.get(read_url)
    assert form.status_code == 200 and leaked(form.content.decode()) == []
    assert "no-store" in form["Cache-Control"]
    # No reason, or a blank one, or one too long: refused, nothing shown or logged.
    for reason in ("", "   ", "x" * 301):
        response = client.post(read_url, {"reason": reason})
        assert response.status_code == 200 and leaked(response.content.decode()) == [], reason
    assert not RequestAccess.objects.exists()
    # With a reason: shown, and logged with it.
    reason = "Patient complaint #42 says the provider never called"
    response = client.post(read_url, {"reason": reason})
    html = response.content.decode()
    assert NAME in html and NOTE in html and PROVIDER_NOTE in html
    assert "no-store" in response["Cache-Control"]
    rows = list(RequestAccess.objects.values_list("request", "by", "kind", "reason"))
    assert rows == [(request_row.pk, staffer.pk, AccessKind.BREAK_GLASS, reason)]
    # The listing's owner sees it in the request's log, with the reason.
    owner = Client()
    owner.force_login(ListingOwner.objects.get(provider=request_row.provider).account)
    page = owner.get(f"/dashboard/requests/{request_row.pk}").content.decode()
    assert "association staff" in page and reason in page
    # A missing request is a 404.
    assert client.get(f"{CHANGELIST}999999/read/").status_code == 404


def test_the_access_log_is_read_only_for_staff_and_holds_no_content(request_row):
    RequestAccess.objects.create(
        request=request_row, provider=request_row.provider, kind=AccessKind.OPENED
    )
    client = signed_in(staff_with("view_requestaccess"))
    url = "/admin/consultations/requestaccess/"
    listing = client.get(url)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f"#{request_row.pk}" in html and "Opened" in html and leaked(html) == []
    entry = RequestAccess.objects.get()
    change = client.get(f"{url}{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in change and leaked(change) == []
    assert client.get(f"{url}add/").status_code == 403
    assert client.post(f"{url}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RequestAccess.objects.count() == 1


def test_only_a_superuser_deletes_a_request(request_row):
    url = f"{CHANGELIST}{request_row.pk}/delete/"
    staffer = signed_in(staff_with("view_consultationrequest", "delete_consultationrequest"))
    assert staffer.post(url, {"post": "yes"}).status_code == 403
    boss = signed_in(staff_user("boss", is_superuser=True))
    confirm = boss.get(url)
    assert confirm.status_code == 200 and leaked(confirm.content.decode()) == []
    assert boss.post(url, {"post": "yes"}).status_code == 302
    assert not ConsultationRequest.objects.exists()
