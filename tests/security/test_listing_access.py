"""Security checklist, a listing's edit pages: only its owner and invited editors reach them;
another account's listing and a missing one are the same 404 (GET and POST, nothing changed);
a visitor is sent to sign in; and fields the form does not have (slug, suspension,
verification, membership, owner) cannot be set by adding them to the post."""

from __future__ import annotations

import pytest
from django.test import Client

from ketamine_association.directory.choices import CheckKind
from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.models import ListingChange, ListingEditor, ListingOwner
from tests.directory.factories import checked, make_provider
from tests.practitioners.test_listing_edit import account, edit_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings():
    """Two listings, each with its owner signed in on its own client."""
    mine, theirs = make_provider(), checked(make_provider(), CheckKind.NPI_FORMAT)
    me, them = account("me", "me@clinic.example"), account("them", "them@other.example")
    ListingOwner.objects.create(provider=mine, account=me)
    ListingOwner.objects.create(provider=theirs, account=them)
    client = Client(raise_request_exception=False)
    client.force_login(me)
    return client, mine, theirs


def snapshot(provider: Provider) -> dict:
    row = Provider.objects.filter(pk=provider.pk).values().get()
    row.pop("updated_at")
    return row


def test_another_accounts_listing_and_a_missing_one_answer_404(listings):
    client, mine, theirs = listings
    missing = Provider.objects.order_by("-pk").first().pk + 1000
    for pk in (theirs.pk, missing, 0):
        for path in (f"/dashboard/listings/{pk}", f"/dashboard/listings/{pk}/history"):
            assert client.get(path).status_code == 404, path
    assert client.get(f"/dashboard/listings/{mine.pk}").status_code == 200
    assert client.get(f"/dashboard/listings/{mine.pk}/history").status_code == 200


def test_posting_to_another_accounts_listing_is_404_and_changes_nothing(listings):
    client, mine, theirs = listings
    before = snapshot(theirs)
    for extra in ({"save": "1"}, {"preview": "1"}):
        data = {**edit_data(theirs, phone="(555) 000-6666", name="Hijacked"), **extra}
        assert client.post(f"/dashboard/listings/{theirs.pk}", data).status_code == 404
    assert snapshot(theirs) == before and not ListingChange.objects.exists()


def test_a_visitor_is_sent_to_sign_in(listings):
    _, mine, _ = listings
    visitor = Client()
    for path in (f"/dashboard/listings/{mine.pk}", f"/dashboard/listings/{mine.pk}/history"):
        response = visitor.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = visitor.post(f"/dashboard/listings/{mine.pk}", edit_data(mine, phone="1"))
    assert response.status_code == 302 and snapshot(mine)["phone"] != "1"


def test_fields_the_form_does_not_have_change_nothing(listings):
    client, mine, theirs = listings
    before = snapshot(mine)
    tampered = edit_data(
        mine,
        phone="(555) 555-0123",
        slug="a-new-address",
        is_suspended="on",
        suspension_reason="x",
        verification_status="verified",
        verification_method="npi-registry",
        is_member="on",
        membership_starts_on="2020-01-01",
        is_demo="on",
        owner=str(theirs.pk),
        account="1",
        latitude="1.0",
        longitude="1.0",
    )
    assert client.post(f"/dashboard/listings/{mine.pk}", tampered).status_code == 302
    after = snapshot(mine)
    assert after.pop("phone") == "(555) 555-0123"
    before.pop("phone")
    assert after == before
    (change,) = ListingChange.objects.all()
    assert set(change.changes) == {"phone"}
    assert ListingOwner.objects.get(provider=mine).account.email == "me@clinic.example"


def test_the_npi_of_another_listing_is_refused(listings):
    client, mine, theirs = listings
    response = client.post(f"/dashboard/listings/{mine.pk}", edit_data(mine, npi=theirs.npi))
    assert response.status_code == 200 and "belongs to another listing" in response.content.decode()
    assert not ListingChange.objects.exists()


def test_an_invited_editor_edits_and_a_removed_one_no_longer_can(listings):
    client, mine, theirs = listings
    editor = account("editor", "editor@clinic.example")
    row = ListingEditor.objects.create(provider=theirs, account=editor)
    client.force_login(editor)
    assert client.get(f"/dashboard/listings/{theirs.pk}").status_code == 200
    assert client.get(f"/dashboard/listings/{mine.pk}").status_code == 404
    row.delete()
    assert client.get(f"/dashboard/listings/{theirs.pk}").status_code == 404


@pytest.mark.parametrize("pk", ["99999999999999999999999", "9223372036854775808", "00"])
def test_an_id_out_of_range_is_404_not_500(listings, pk):
    client, _, _ = listings
    for path in (f"/dashboard/listings/{pk}", f"/dashboard/listings/{pk}/history"):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"save": "1"}).status_code in (404, 405), path


@pytest.mark.parametrize(
    "changes",
    [
        {"credentials": ["not-a-credential"], "treatments": ["<script>"]},
        {"price_min_usd": "-1", "price_max_usd": "abc", "license_expires_on": "31/02/2027"},
        {"name": "x" * 10_000, "bio": "y" * 6000, "website": "javascript:alert(1)"},
        {"npi": "\x00" * 10, "zip_code": "\U0001f600", "state": "ZZ", "phone": "1" * 50},
        {"license_expires_on": "2020-01-01", "latitude": "1e999"},
    ],
)
def test_hostile_values_get_messages_never_a_500(listings, changes):
    client, mine, _ = listings
    before = snapshot(mine)
    for button in ("save", "preview", "edit"):
        data = {**edit_data(mine, **changes), button: "1"}
        response = client.post(f"/dashboard/listings/{mine.pk}", data)
        assert response.status_code == 200, (button, changes)
    assert snapshot(mine) == before and not ListingChange.objects.exists()
