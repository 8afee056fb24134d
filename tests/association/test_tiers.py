"""Membership tiers: the seeded data, the selector, the template, and the content-page slot."""

import pytest
from django.test import RequestFactory

from ketamine_association.association.models import MembershipTier
from ketamine_association.association.selectors import membership_tiers
from ketamine_association.core import sections

pytestmark = pytest.mark.django_db


def render_slot() -> str:
    html = "<h2>Membership tiers</h2>\n<p>[[slot:membership-tiers]]</p>\n<p>After.</p>"
    return sections.fill_slots(html, RequestFactory().get("/membership"))


def test_the_migration_seeds_three_tiers_in_order():
    tiers = list(membership_tiers())
    assert [tier.slug for tier in tiers] == ["associate", "practitioner", "practice"]
    assert all(tier.billing_period == "year" and tier.price_usd > 0 for tier in tiers)
    assert all(len(tier.included_items) >= 3 for tier in tiers)
    assert all("directory listing" in tier.included.lower() or "listing in the provider "
               "directory" in tier.included.lower() for tier in tiers)  # fmt: skip


def test_the_selector_keeps_active_tiers_in_display_order(django_assert_num_queries):
    MembershipTier.objects.filter(slug="practice").update(display_order=1)
    MembershipTier.objects.filter(slug="associate").update(active=False)
    with django_assert_num_queries(1):
        assert [t.slug for t in membership_tiers()] == ["practice", "practitioner"]


def test_the_price_reads_dollars_per_year():
    tier = MembershipTier(name="Big", slug="big", price_usd=1250, description="x")
    assert tier.price_display == "$1,250 / year"


def test_the_slot_is_registered_and_shows_the_tiers_as_a_table():
    assert "[[slot:membership-tiers]]" in sections.slot_tokens(
        "Intro\n\n<!-- membership-tiers -->\n"
    )
    html = render_slot()
    assert "[[slot:" not in html and html.endswith("<p>After.</p>")
    assert "<table>" in html and '<th scope="col">Price</th>' in html
    assert html.count('<th scope="row">') == 3
    for tier in MembershipTier.objects.all():
        assert tier.name.replace("/", "/") in html.replace("&#x27;", "'")
        assert tier.price_display in html
        for item in tier.included_items:
            assert f"<li>{item}</li>" in html.replace("&#x27;", "'")


def test_staff_edits_show_at_once_and_inactive_tiers_hide():
    MembershipTier.objects.filter(slug="practitioner").update(price_usd=310, active=True)
    MembershipTier.objects.filter(slug="practice").update(active=False)
    html = render_slot()
    assert "$310 / year" in html
    assert "Practice / Clinic" not in html


def test_no_active_tier_says_so_and_points_to_the_contact_form():
    MembershipTier.objects.update(active=False)
    html = render_slot()
    assert "<table>" not in html
    assert 'href="/contact?topic=membership"' in html


def test_tier_text_is_escaped():
    MembershipTier.objects.filter(slug="associate").update(
        name="<script>x</script>", included="<b>bold</b>"
    )
    html = render_slot()
    assert "<script>x" not in html and "&lt;script&gt;x" in html and "<b>bold" not in html


def test_a_membership_page_shows_the_tiers(client, images, settings):
    from ketamine_association.articles.services import article_import, site_knowledge
    from tests.conftest import DEMO

    page = DEMO / "pages" / "membership.md"
    if not page.exists():
        pytest.skip("demo/pages/membership.md is absent")
    site = site_knowledge(images=images, slugs=set(), categories=set())
    outcome = article_import(path=page, images=images, site=site)
    assert not outcome.failed, outcome.errors
    response = client.get("/membership")
    assert response.status_code == 200
    html = response.content.decode()
    assert "$295 / year" in html and html.count('<th scope="row">') == 3
