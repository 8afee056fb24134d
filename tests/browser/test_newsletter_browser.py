"""A reader in a real browser: sign up, open the confirmation link from the email the SMTP
server received (sent from the task queue by the worker's code, tests/mailqueue.py), confirm,
then unsubscribe from the link in the welcome email."""

import pytest

from ketamine_association.newsletter.models import Subscriber
from tests.mailqueue import deliver_queued_mail
from tests.newsletter.smtp import mail_link as link

from .accessibility import assert_accessible

pytestmark = pytest.mark.browser


def test_sign_up_confirm_and_unsubscribe(page, site, smtp):
    page.goto(f"{site}/newsletter")
    page.get_by_label("Email address").fill("browser@example.org")
    page.get_by_label("First name (optional)").fill("Robin")
    page.get_by_label("Research").check()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Check your inbox"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert smtp.to("browser@example.org") == []  # queued; the worker sends it
    assert deliver_queued_mail() == 1
    [confirmation] = smtp.to("browser@example.org")
    page.goto(link(confirmation, "/newsletter/confirm/", site))
    assert Subscriber.objects.get().status == "pending"  # opening the link confirms nothing
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You are subscribed"
    assert Subscriber.objects.get().status == "confirmed"

    assert deliver_queued_mail() == 1
    welcome = smtp.to("browser@example.org")[-1]
    page.goto(link(welcome, "/newsletter/unsubscribe/", site))
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You are unsubscribed"
    assert Subscriber.objects.get().status == "unsubscribed"


def test_newsletter_pages_fit_a_phone_and_pass_axe(page, site, smtp):
    page.goto(f"{site}/newsletter")
    assert_accessible(page)
    page.keyboard.press("Tab")  # the skip link first: focus is visible
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.get_by_role("button", name="Subscribe").click()  # empty: the form with its error
    page.wait_for_load_state()
    assert page.get_by_label("Email address").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.get_by_label("Email address").fill("axe@example.org")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert_accessible(page)
    deliver_queued_mail()
    [confirmation] = smtp.to("axe@example.org")
    page.goto(link(confirmation, "/newsletter/confirm/", site))
    assert_accessible(page)
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.wait_for_load_state()
    deliver_queued_mail()
    welcome = smtp.to("axe@example.org")[-1]
    page.goto(link(welcome, "/newsletter/preferences/", site))
    assert_accessible(page)
    page.goto(link(welcome, "/newsletter/unsubscribe/", site))
    assert_accessible(page)
    page.goto(f"{site}/newsletter/confirm/broken")
    assert_accessible(page)
