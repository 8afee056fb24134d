"""A practitioner's way in, in a real browser, mail through the SMTP test server: sign up,
verify, apply with a valid NPI, staff approve in the admin (another browser), the listing is
live in Find a Provider at its distance; claiming listings (a matching domain: at once; any
other: the staff queue); editing a listing (the phone: live at once; the NPI: waiting for
review, the public page unchanged until staff approve)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from ketamine_association.directory.geo import haversine_mi, zip_place
from ketamine_association.directory.models import Provider
from ketamine_association.practitioners.models import Application
from tests.directory.factories import npi
from tests.mailqueue import deliver_queued_mail
from tests.newsletter.smtp import mail_link as link

from .accessibility import assert_accessible
from .test_accounts_browser import sign_up

pytestmark = pytest.mark.browser

STAFF_PASSWORD = "staff passphrase, long enough 42"
PRACTICE_ZIP, SEARCH_ZIP = "77042", "77056"


def sign_up_and_verify(page, site, smtp, email: str) -> None:
    sign_up(page, site, email)
    assert deliver_queued_mail() == 1
    [verification] = smtp.to(email)
    page.goto(link(verification, "/accounts/confirm-email/", site))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/dashboard"


def staff_page(browser, site):
    """A second browser, signed in to the admin as staff (local settings: no second factor)."""
    get_user_model().objects.create_superuser(
        username="reviewer", email="reviewer@ketamineassociation.test", password=STAFF_PASSWORD
    )
    staff = browser.new_context().new_page()
    staff.goto(f"{site}/admin/login/")
    staff.fill("[name=username]", "reviewer")
    staff.fill("[name=password]", STAFF_PASSWORD)
    staff.click("[type=submit]")
    staff.wait_for_load_state()
    return staff


def decide_in_admin(staff, url: str, decision: str, reason: str) -> None:
    staff.goto(url)
    staff.select_option("[name=decision]", decision)
    staff.fill("[name=reason]", reason)
    staff.click("[name=_save]")
    staff.wait_for_load_state()


def test_sign_up_apply_approved_in_the_admin_and_found_at_its_distance(page, site, smtp, browser):
    sign_up_and_verify(page, site, smtp, "rivera@bayou-clinic.example")
    page.goto(f"{site}/provider-directory/apply")
    assert_accessible(page)
    expiry = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    for name, value in {
        "name": "Alex Rivera",
        "npi": npi(7171),
        "license_number": "TX-55501",
        "license_expires_on": expiry,
        "practice_name": "Bayou Ketamine Clinic",
        "address": "100 Main Street",
        "city": "Houston",
        "zip_code": PRACTICE_ZIP,
        "phone": "713-555-0100",
        "website": "https://bayou-clinic.example",
    }.items():
        page.fill(f"[name={name}]", value)
    page.check("[name=credentials][value=MD]")
    page.check("[name=license_states][value=TX]")
    page.select_option("[name=state]", "TX")
    page.check("[name=treatments][value=iv-infusion]")
    page.get_by_role("button", name="Send the application").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/provider-directory/apply/sent"
    application = Application.objects.get()
    assert not Provider.objects.exists()  # nothing public before staff decide

    staff = staff_page(browser, site)
    decide_in_admin(
        staff,
        f"{site}/admin/practitioners/application/{application.pk}/change/",
        "approve",
        "License and NPI confirmed with the Texas Medical Board.",
    )
    listing = Provider.objects.get(npi=npi(7171))
    assert listing.owner.account.email == "rivera@bayou-clinic.example"
    assert deliver_queued_mail() == 1
    [decision] = smtp.to("rivera@bayou-clinic.example")[1:]
    assert "Texas Medical Board" in decision.part("plain")

    page.goto(f"{site}/find-provider?location={SEARCH_ZIP}")
    card = page.locator(".provider-card", has_text="Alex Rivera")
    here, there = zip_place(PRACTICE_ZIP), zip_place(SEARCH_ZIP)
    miles = haversine_mi(here.latitude, here.longitude, there.latitude, there.longitude)
    assert card.locator(".provider-distance").inner_text() == f"{miles:.1f} mi"
    card.get_by_role("link", name="Alex Rivera, MD").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Alex Rivera, MD"
    page.goto(f"{site}/dashboard")
    assert "Bayou Ketamine Clinic" in page.locator("#your-listings").inner_text()


def claim(page, site, listing) -> None:
    page.goto(f"{site}{listing.get_absolute_url()}")
    page.get_by_role("link", name="claim this listing").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Your role at the practice").fill("Medical director")
    page.get_by_label("How can we confirm you work there?").fill("Call the front desk.")
    page.get_by_role("button", name="Send the claim").click()
    page.wait_for_load_state()


def test_claims_a_matching_domain_at_once_and_any_other_through_the_queue(page, site, smtp):
    from ketamine_association.practitioners.models import Claim, ListingOwner
    from tests.directory.factories import make_provider

    ours = make_provider(name="Morgan Lee", website="https://www.harbor-light.example/team")
    theirs = make_provider(name="Sam Ortiz", website="https://ortiz-care.example")
    sign_up_and_verify(page, site, smtp, "morgan@harbor-light.example")

    claim(page, site, ours)  # the verified address is on the listing's website domain
    assert urlsplit(page.url).path == "/dashboard"
    assert "You now manage the listing of Morgan Lee" in page.content()
    assert ListingOwner.objects.get(provider=ours).account.email == "morgan@harbor-light.example"
    page.goto(f"{site}{ours.get_absolute_url()}")
    assert page.get_by_role("link", name="claim this listing").count() == 0

    claim(page, site, theirs)  # another domain: staff decide
    assert page.locator("h1").inner_text().startswith("We received your claim")
    assert not ListingOwner.objects.filter(provider=theirs).exists()
    assert Claim.objects.get(provider=theirs).status == "submitted"
