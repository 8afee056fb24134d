"""A practitioner in a real browser: sign up, open the verification link from the email the
SMTP server received (sent from the task queue by the worker's code, tests/mailqueue.py),
confirm, and land signed in on the dashboard. The account pages pass axe at a phone's width."""

from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress

from tests.mailqueue import deliver_queued_mail
from tests.newsletter.smtp import mail_link as link

from .accessibility import assert_accessible

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase 42"


def sign_up(page, site, email):
    page.goto(f"{site}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_load_state()


def test_sign_up_verify_and_land_on_the_dashboard(page, site, smtp):
    sign_up(page, site, "practitioner@example.org")
    assert page.locator("h1").inner_text() == "Verify Your Email Address"
    assert smtp.to("practitioner@example.org") == []  # queued; the worker sends it
    assert deliver_queued_mail() == 1
    [verification] = smtp.to("practitioner@example.org")
    page.goto(link(verification, "/accounts/confirm-email/", site))
    assert not EmailAddress.objects.get().verified  # opening the link confirms nothing
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/dashboard"
    assert page.locator("h1").inner_text() == "Your dashboard"
    assert "practitioner@example.org" in page.content()
    assert EmailAddress.objects.get().verified


def test_account_pages_fit_a_phone_and_pass_axe(page, site, smtp):
    page.goto(f"{site}/accounts/signup/")
    assert_accessible(page)
    page.get_by_role("button", name="Sign Up").click()  # empty: the form with its errors
    page.wait_for_load_state()
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.goto(f"{site}/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").count() >= 1
    assert_accessible(page)

    sign_up(page, site, "axe@example.org")
    deliver_queued_mail()
    [verification] = smtp.to("axe@example.org")
    page.goto(link(verification, "/accounts/confirm-email/", site))
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/dashboard"
    assert_accessible(page)
