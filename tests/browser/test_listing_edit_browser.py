"""Editing a listing in a real browser at a phone's width: the dashboard's links, the form,
its preview and the history each pass axe; the phone is live at once, the NPI waits."""

from __future__ import annotations

import pytest

from ketamine_association.directory.choices import CheckKind
from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.models import ListingChange, ListingOwner
from tests.directory.factories import checked, make_provider, npi
from tests.practitioners.test_listing_edit import PASSWORD, account

from .accessibility import assert_accessible

pytestmark = pytest.mark.browser


def sign_in(page, site, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def test_edit_preview_save_and_history_in_a_browser(page, site):
    from allauth.account.models import EmailAddress

    listing = checked(make_provider(), CheckKind.NPI_FORMAT, CheckKind.LICENSE)
    owner = account("browser-owner", "browser-owner@clinic.example")
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    ListingOwner.objects.create(provider=listing, account=owner)
    sign_in(page, site, owner.email)
    assert_accessible(page)  # the dashboard, with the listing's links
    page.get_by_role("link", name=f"Edit {listing.name}").click()
    page.wait_for_load_state()
    assert_accessible(page)

    page.get_by_label("Phone").fill("(555) 555-0188")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    assert "Preview — not saved" in page.content()
    assert_accessible(page)
    assert Provider.objects.get(pk=listing.pk).phone == "(555) 555-0100"
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Published: phone." in page.content()
    assert Provider.objects.get(pk=listing.pk).phone == "(555) 555-0188"

    page.get_by_label("NPI").fill(npi(880088))
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Sent for review: NPI." in page.content()
    assert_accessible(page)  # the form with its messages and the waiting change
    assert ListingChange.objects.get(status="pending").changes["npi"][1] == npi(880088)
    page.goto(f"{site}{listing.get_absolute_url()}")
    assert f"NPI: {listing.npi}" in page.content()

    page.goto(f"{site}/dashboard/listings/{listing.pk}/history")
    assert "you (browser-owner@clinic.example)" in page.content()
    assert_accessible(page)
