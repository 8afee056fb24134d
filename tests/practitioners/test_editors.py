"""Editors of a listing: the owner (only) invites a colleague by email, whose signed link,
opened signed in with that verified address, makes them an editor (a button: opening the link
changes nothing); the owner removes editors; a wrong account, a tampered or expired link, or
an inviter who no longer owns the listing gets a clear page and nothing else."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from django.core import signing

from ketamine_association.practitioners.models import ListingEditor, ListingOwner
from ketamine_association.practitioners.selectors import listing_for_editing
from ketamine_association.practitioners.services import (
    INVITATIONS_PER_HOUR,
    editor_invitation_token,
)
from tests.accounts.test_accounts import verified_user
from tests.directory.factories import make_provider

pytestmark = pytest.mark.django_db
COLLEAGUE = "colleague@calm.example"


@pytest.fixture
def owner():
    return verified_user("owner@calm.example")


@pytest.fixture
def listing(owner):
    provider = make_provider(website="https://calm.example")
    ListingOwner.objects.create(provider=provider, account=owner)
    return provider


def editors_url(provider) -> str:
    return f"/dashboard/listings/{provider.pk}/editors"


def invite(client, provider, email=COLLEAGUE):
    return client.post(editors_url(provider), {"action": "invite", "email": email})


def invitation_path(smtp, email=COLLEAGUE) -> str:
    (mail,) = smtp.to(email)
    (link,) = mail.links("/dashboard/invitation/")
    return urlsplit(link).path


def test_an_invited_colleague_accepts_and_edits_the_listing(client, owner, listing, smtp):
    client.force_login(owner)
    response = invite(client, listing, email="Colleague@Calm.Example ")
    assert response.status_code == 302 and response["Location"] == editors_url(listing)
    page = client.get(editors_url(listing)).content.decode()
    assert f"We sent an invitation to {COLLEAGUE}" in page
    path = invitation_path(smtp)
    (mail,) = smtp.to(COLLEAGUE)
    assert listing.display_name in mail.part("plain") and "7 days" in mail.part("plain")

    colleague = verified_user(COLLEAGUE)
    client.force_login(colleague)
    opened = client.get(path)
    assert opened.status_code == 200 and "Accept the invitation" in opened.content.decode()
    assert not ListingEditor.objects.exists()  # opening the link changes nothing
    accepted = client.post(path)
    assert accepted.status_code == 302 and accepted["Location"] == "/dashboard"
    editor = ListingEditor.objects.get()
    assert editor.account == colleague and editor.invited_by == owner
    assert listing_for_editing(user=colleague, pk=listing.pk) == listing
    # a second acceptance changes nothing
    again = client.post(path)
    assert again.status_code == 200 and "You already edit this listing" in again.content.decode()
    assert ListingEditor.objects.count() == 1
    # the owner sees the editor; an editor is not an owner: no editors page for them
    assert client.get(editors_url(listing)).status_code == 404
    client.force_login(owner)
    assert COLLEAGUE in client.get(editors_url(listing)).content.decode()


def test_only_the_owner_reaches_the_editors_page(client, listing):
    anonymous = client.get(editors_url(listing))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(verified_user("stranger@other.example"))
    assert client.get(editors_url(listing)).status_code == 404
    assert invite(client, listing).status_code == 404
    assert client.get("/dashboard/listings/999999/editors").status_code == 404


def test_the_owner_removes_an_editor_of_this_listing_only(client, owner, listing):
    colleague = verified_user(COLLEAGUE)
    editor = ListingEditor.objects.create(provider=listing, account=colleague, invited_by=owner)
    elsewhere = make_provider()
    ListingOwner.objects.create(provider=elsewhere, account=verified_user("o2@other.example"))
    theirs = ListingEditor.objects.create(provider=elsewhere, account=colleague)
    client.force_login(owner)
    for value in (str(theirs.pk), "x", "9" * 40, ""):  # another listing's editor, junk
        response = client.post(editors_url(listing), {"action": "remove", "editor": value})
        assert response.status_code == 302
    assert ListingEditor.objects.count() == 2
    client.post(editors_url(listing), {"action": "remove", "editor": str(editor.pk)})
    assert list(ListingEditor.objects.all()) == [theirs]
    assert listing_for_editing(user=colleague, pk=listing.pk) is None


def test_another_account_cannot_accept(client, owner, listing, smtp):
    client.force_login(owner)
    invite(client, listing)
    path = invitation_path(smtp)
    client.force_login(verified_user("someone@calm.example"))
    for method in ("get", "post"):
        html = getattr(client, method)(path).content.decode()
        assert "Sign in with the invited address" in html and COLLEAGUE not in html
    client.logout()
    assert "Sign in to accept the invitation" in client.get(path).content.decode()
    assert client.post(path).status_code == 200
    assert not ListingEditor.objects.exists()


def test_the_invited_address_must_be_verified(client, owner, listing, smtp):
    from allauth.account.models import EmailAddress

    client.force_login(owner)
    invite(client, listing)
    path = invitation_path(smtp)
    colleague = verified_user(COLLEAGUE)
    EmailAddress.objects.filter(user=colleague).update(verified=False)
    client.force_login(colleague)
    assert "Sign in with the invited address" in client.post(path).content.decode()
    assert not ListingEditor.objects.exists()


def test_a_tampered_or_expired_link_is_refused(client, owner, listing, monkeypatch):
    colleague = verified_user(COLLEAGUE)
    client.force_login(colleague)
    token = editor_invitation_token(provider=listing, email=COLLEAGUE, inviter=owner)
    other = make_provider()
    forged = editor_invitation_token(provider=other, email=COLLEAGUE, inviter=owner)
    swapped = forged.split(":")[0] + ":" + ":".join(token.split(":")[1:])  # payload swapped
    for bad in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), swapped, "junk", "a:b:c"):
        html = client.post(f"/dashboard/invitation/{bad}").content.decode()
        assert "This invitation link is not valid" in html
    # an inviter who does not own the listing invites nobody
    assert "not valid" in client.post(f"/dashboard/invitation/{forged}").content.decode()
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - dt.timedelta(days=8).total_seconds())
    old = editor_invitation_token(provider=listing, email=COLLEAGUE, inviter=owner)
    monkeypatch.undo()
    assert (
        "This invitation has expired"
        in client.post(f"/dashboard/invitation/{old}").content.decode()
    )
    assert not ListingEditor.objects.exists()
    # the fresh one works
    assert client.post(f"/dashboard/invitation/{token}").status_code == 302
    assert ListingEditor.objects.filter(account=colleague, provider=listing).exists()


def test_an_invitation_ends_with_the_inviters_ownership(client, owner, listing, smtp):
    client.force_login(owner)
    invite(client, listing)
    path = invitation_path(smtp)
    ListingOwner.objects.filter(provider=listing).update(account=verified_user("new@calm.example"))
    client.force_login(verified_user(COLLEAGUE))
    assert "not valid" in client.post(path).content.decode()
    assert not ListingEditor.objects.exists()


def test_own_address_and_current_editors_are_not_invited(client, owner, listing, smtp):
    ListingEditor.objects.create(provider=listing, account=verified_user(COLLEAGUE))
    client.force_login(owner)
    invite(client, listing, email="OWNER@calm.example")
    invite(client, listing, email=COLLEAGUE)
    page = client.get(editors_url(listing)).content.decode()
    assert "That is your own address" in page and "already edits this listing" in page
    assert not smtp.received


def test_a_bad_address_is_said_next_to_the_field(client, owner, listing, smtp):
    client.force_login(owner)
    html = invite(client, listing, email="not an address").content.decode()
    assert 'id="email-error"' in html and "email-error" in html.split('name="email"')[1][:200]
    assert not smtp.received


def test_invitations_are_rate_limited(client, owner, listing, smtp):
    client.force_login(owner)
    for n in range(INVITATIONS_PER_HOUR):
        assert invite(client, listing, email=f"c{n}@calm.example").status_code == 302
    limited = invite(client, listing, email="one-more@calm.example")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "Too many invitations" in limited.content.decode()
    assert len(smtp.received) == INVITATIONS_PER_HOUR


def test_the_invitation_link_carries_no_address(client, owner, listing, smtp):
    """A signed token is encoded, not encrypted: the link holds a keyed hash of the invited
    address, never the address (URLs reach access logs and browser history)."""
    import base64

    client.force_login(owner)
    invite(client, listing)
    token = invitation_path(smtp).rsplit("/", 1)[1]
    payload = token.split(":", 1)[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode(errors="replace")
    assert "colleague" not in decoded.lower() and "calm.example" not in decoded.lower()
    assert "colleague" not in token.lower()
