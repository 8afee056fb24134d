"""A reader in a real browser writes to the association: the crisis notice first, the form,
the "sent" page, and the two mails at a real SMTP server (sent from the task queue by the
worker's code, tests/mailqueue.py); the pages pass axe at a phone's and a desktop's width."""

import importlib

import pytest
from django.apps import apps as django_apps

from ketamine_association.association.models import ContactMessage
from tests.mailqueue import deliver_queued_mail

from .accessibility import assert_accessible

pytestmark = pytest.mark.browser

STAFF = "inbox@ketamineassociation.test"
WIDTHS = (360, 1280)
SEED = "ketamine_association.association.migrations.0002_seed_membership_tiers"


@pytest.fixture
def smtp(smtp, settings):
    """The real SMTP server of tests/conftest.py, with the staff inbox named."""
    settings.CONTACT_STAFF_EMAIL = STAFF
    return smtp


def test_write_a_message_and_both_mails_arrive(page, site, smtp):
    page.goto(f"{site}/contact")
    first = page.locator("main p").first.inner_text()
    assert "not for emergencies" in first
    page.get_by_label("Your name").fill("Robin Example")
    page.get_by_label("Your email address").fill("robin@example.org")
    page.get_by_label("Media and press").check()
    page.get_by_label("Your message").fill("May we quote your article on our radio show?")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state()
    assert page.url == f"{site}/contact/sent"
    assert page.locator("h1").inner_text() == "Thank you: your message is on its way"
    assert ContactMessage.objects.get().topic == "media"

    assert smtp.received == []  # queued; the worker sends them
    assert deliver_queued_mail() == 2
    [notice] = smtp.to(STAFF)
    [ack] = smtp.to("robin@example.org")
    assert notice.message["Reply-To"] == "robin@example.org"
    assert "radio show" in notice.part("plain")
    assert "radio show" not in ack.part("plain")


@pytest.mark.parametrize("width", WIDTHS)
def test_contact_pages_pass_axe(page, site, smtp, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/contact")
    assert_accessible(page)
    page.get_by_role("button", name="Send message").click()  # empty: the errors
    page.wait_for_load_state()
    assert page.get_by_label("Your name").get_attribute("aria-invalid") == "true"
    assert (
        page.get_by_label("Your message")
        .get_attribute("aria-describedby")
        .endswith("message-error")
    )
    assert_accessible(page)
    page.goto(f"{site}/contact/sent")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_429_page_passes_axe(page, site, smtp, settings, width):
    settings.CONTACT_RATE_PER_IP = 0
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/contact")
    page.get_by_label("Your name").fill("Robin Example")
    page.get_by_label("Your email address").fill("robin@example.org")
    page.get_by_label("A general question").check()
    page.get_by_label("Your message").fill("Hello")
    with page.expect_response(f"{site}/contact") as answer:
        page.get_by_role("button", name="Send message").click()
    assert answer.value.status == 429
    assert page.locator("h1").inner_text() == "Please wait a little"
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_membership_tiers_fit_and_pass_axe(page, site, served_images, width):
    from ketamine_association.articles.images import ImageStore
    from ketamine_association.articles.services import article_import, site_knowledge
    from tests.conftest import DEMO

    # a transactional test's database is flushed between tests: seed the tiers again
    importlib.import_module(SEED).seed(django_apps, None)
    images = ImageStore(root=served_images)
    knowledge = site_knowledge(images=images, slugs=set(), categories=set())
    outcome = article_import(path=DEMO / "pages" / "membership.md", images=images, site=knowledge)
    assert not outcome.failed, outcome.errors
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/membership")
    assert page.get_by_role("table").count() == 1
    assert page.get_by_role("row").count() == 4  # the header and three tiers
    assert_accessible(page)
