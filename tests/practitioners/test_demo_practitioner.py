"""The demo practitioner `make run` prints: a real account that signs in with the printed
password, owning a verified listing; no password is ever fixed in the repository."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.services.demo import DEMO_EMAIL, PASSWORD_ENV

pytestmark = pytest.mark.django_db


def run(monkeypatch, password: str | None = None) -> str:
    if password is None:
        monkeypatch.delenv(PASSWORD_ENV, raising=False)
    else:
        monkeypatch.setenv(PASSWORD_ENV, password)
    out = StringIO()
    call_command("demo_practitioner", stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    return re.search(r"Password\s+(\S+)", output).group(1)


def test_the_printed_password_signs_in_and_lands_on_the_dashboard(client, monkeypatch):
    password = printed_password(run(monkeypatch))
    response = client.post("/accounts/login/", {"login": DEMO_EMAIL, "password": password})
    assert response.status_code == 302 and response["Location"] == "/dashboard"
    dashboard = client.get("/dashboard").content.decode()
    assert "Calm Harbor Ketamine Care" in dashboard


def test_without_the_variable_each_run_generates_a_new_password(client, monkeypatch):
    first = printed_password(run(monkeypatch))
    second = printed_password(run(monkeypatch))
    assert first != second and len(second) >= 12
    refused = client.post("/accounts/login/", {"login": DEMO_EMAIL, "password": first})
    assert refused.status_code == 200  # the old one no longer works
    assert Provider.objects.filter(owner__account__email=DEMO_EMAIL).count() == 1  # made once


def test_the_variable_sets_the_password(client, monkeypatch):
    output = run(monkeypatch, "a-chosen-demo-passphrase")
    assert printed_password(output) == "a-chosen-demo-passphrase"
    assert f"from ${PASSWORD_ENV}" in output
    login = {"login": DEMO_EMAIL, "password": "a-chosen-demo-passphrase"}
    assert client.post("/accounts/login/", login)["Location"] == "/dashboard"


def test_the_listing_is_claimed_verified_fictional_and_found_near_77042(client, monkeypatch):
    run(monkeypatch)
    listing = Provider.objects.get(owner__account__email=DEMO_EMAIL)
    assert listing.is_verified and listing.is_demo and listing.zip_code == "77042"
    page = client.get(listing.get_absolute_url()).content.decode()
    assert "Fictional demo listing" in page and "Is this your practice?" not in page
    results = client.get("/find-provider", {"location": "77042"}).content.decode()
    assert listing.get_absolute_url() in results


def test_seeding_gives_a_share_of_demo_listings_an_owner_that_cannot_sign_in(client):
    from django.contrib.auth import get_user_model

    from ketamine_association.practitioners.models import ListingOwner
    from ketamine_association.practitioners.services.demo import (
        DEMO_OWNER_EMAIL,
        DEMO_OWNER_SHARE,
    )

    call_command("seed_providers", "--count", "100", "--seed", "3", stdout=StringIO())
    owned = ListingOwner.objects.select_related("provider", "account")
    assert owned.count() == 100 // DEMO_OWNER_SHARE
    assert {o.account.email for o in owned} == {DEMO_OWNER_EMAIL}
    assert all(o.provider.is_demo for o in owned)
    assert not get_user_model().objects.get(email=DEMO_OWNER_EMAIL).has_usable_password()
    call_command("seed_providers", "--count", "100", "--seed", "4", stdout=StringIO())
    assert ListingOwner.objects.count() == 200 // DEMO_OWNER_SHARE  # numbering continues
