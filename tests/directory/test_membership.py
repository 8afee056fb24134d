"""The membership badge: one rule (Provider.membership_on), shown on the profile with its tier
and dates only while current; set by staff in the admin; never in the search's order or cards."""

import datetime as dt

import pytest
from django.utils import timezone

from ketamine_association.association.models import MembershipTier
from ketamine_association.directory.geo import zip_place
from ketamine_association.directory.selectors import ProviderFilters, provider_search

from .factories import make_provider
from .test_admin import URL, form_data

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def tier() -> MembershipTier:
    return MembershipTier.objects.get(slug="practitioner")  # seeded by association 0002


def profile(client, provider) -> str:
    response = client.get(provider.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_current_membership_shows_its_tier_and_since_when(client, tier):
    provider = make_provider(
        is_member=True, membership_tier=tier, membership_starts_on=dt.date(2025, 3, 10)
    )
    html = profile(client, provider)
    assert (
        '<li class="pill pill-member">Association member · Practitioner tier, since March 2025</li>'
        in html
    )
    assert "until" not in html


def test_an_end_date_is_said(client, tier):
    today = timezone.localdate()
    ends = dt.date(today.year + 2, 6, 30)
    provider = make_provider(
        is_member=True,
        membership_tier=tier,
        membership_starts_on=dt.date(2025, 3, 10),
        membership_ends_on=ends,
    )
    html = profile(client, provider)
    assert (
        f"Association member · Practitioner tier, since March 2025, until June 30, {ends.year}"
        in html
    )


def test_a_member_without_tier_or_dates_is_simply_a_member(client):
    html = profile(client, make_provider(is_member=True))
    assert '<li class="pill pill-member">Association member</li>' in html


@pytest.mark.parametrize(
    ("is_member", "starts", "ends"),
    [
        (True, None, -1),  # ended yesterday
        (True, 1, None),  # starts tomorrow
        (True, -400, -30),  # long over
        (False, -30, None),  # tier and dates, but not a member
    ],
)
def test_no_badge_unless_current(client, tier, is_member, starts, ends):
    today = timezone.localdate()
    provider = make_provider(
        is_member=is_member,
        membership_tier=tier,
        membership_starts_on=None if starts is None else today + starts * DAY,
        membership_ends_on=None if ends is None else today + ends * DAY,
    )
    html = profile(client, provider)
    assert "Association member" not in html and "Practitioner tier" not in html


def test_the_rule_counts_the_first_and_last_day():
    today = dt.date(2026, 5, 1)
    provider = make_provider(
        is_member=True, membership_starts_on=today, membership_ends_on=today + 30 * DAY
    )
    assert provider.membership_on(today)
    assert provider.membership_on(today + 30 * DAY)
    assert not provider.membership_on(today - DAY)
    assert not provider.membership_on(today + 31 * DAY)
    provider.is_member = False
    assert not provider.membership_on(today)


def test_membership_never_changes_the_order_of_results_nor_shows_on_cards(client, tier):
    since = dt.date(2024, 1, 1)
    member = {"is_member": True, "membership_tier": tier, "membership_starts_on": since}
    first = make_provider(name="Plain First")
    second = make_provider(name="Member Second", **member)
    third = make_provider(name="Member Third", **member)
    fourth = make_provider(name="Plain Fourth")
    result = provider_search(
        origin=zip_place("90210"), radius_mi=25, filters=ProviderFilters(), limit=20
    )
    hits = [(hit.distance_mi, hit.provider.id) for hit in result.hits]
    assert [pk for _, pk in hits] == [first.id, second.id, third.id, fourth.id]
    assert hits == sorted(hits) and len({distance for distance, _ in hits}) == 1
    html = client.get("/find-provider", {"location": "90210"}).content.decode()
    names = [html.index(p.name) for p in (first, second, third, fourth)]
    assert names == sorted(names)
    assert "Association member" not in html and "Practitioner tier" not in html
    city = client.get("/find-provider/california/beverly-hills").content.decode()
    assert "Association member" not in city


def test_admin_sets_membership_in_its_own_fieldset(admin_client, tier):
    provider = make_provider()
    change = f"{URL}{provider.pk}/change/"
    page = admin_client.get(change).content.decode()
    assert "<h2" in page and "Membership</h2>" in page
    assert "Set by staff; never changes the order of results." in page
    data = form_data(
        name=provider.name,
        npi=provider.npi,
        credentials=["MD"],
        address=provider.address,
        is_member="on",
        membership_tier=str(tier.pk),
        membership_starts_on="2025-03-10",
        membership_ends_on="2025-03-01",
    )
    refused = admin_client.post(change, data)
    assert "membership_ends_on" in refused.context["adminform"].form.errors
    assert admin_client.post(change, {**data, "membership_ends_on": ""}).status_code == 302
    provider.refresh_from_db()
    assert (provider.membership_tier, provider.membership_starts_on) == (tier, dt.date(2025, 3, 10))
    assert provider.membership_on(timezone.localdate())
