"""The admin: staff read contact messages, filter them, close and reopen them with the actions;
membership tiers are data staff edit."""

import datetime as dt

import pytest
from django.utils import timezone

from ketamine_association.association.models import ContactMessage, MembershipTier

from . import factories

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/association/contactmessage/"


def test_close_action_records_who_and_when(admin_client, admin_user):
    first, second = factories.message(), factories.message(topic="media")
    before = timezone.now()
    response = admin_client.post(
        CHANGELIST, {"action": "close", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "2 closed" in response.content.decode()
    for contact in (first, second):
        contact.refresh_from_db()
        assert contact.status == "closed"
        assert contact.handled_by == admin_user
        assert before <= contact.closed_at <= timezone.now()


def test_closing_a_closed_message_keeps_its_date(admin_client):
    closed_at = timezone.now() - dt.timedelta(days=30)
    contact = factories.message(status="closed", closed_at=closed_at)
    admin_client.post(CHANGELIST, {"action": "close", "_selected_action": [contact.pk]})
    contact.refresh_from_db()
    assert contact.closed_at == closed_at


def test_reopen_action_clears_the_handling(admin_client, admin_user):
    contact = factories.message(status="closed", closed_at=timezone.now(), handled_by=admin_user)
    admin_client.post(CHANGELIST, {"action": "reopen", "_selected_action": [contact.pk]})
    contact.refresh_from_db()
    assert (contact.status, contact.handled_by, contact.closed_at) == ("open", None, None)


def test_list_filters_by_status_and_topic(admin_client):
    factories.message(name="Open General")
    factories.message(name="Open Media", topic="media")
    factories.message(name="Closed Media", topic="media", status="closed", closed_at=timezone.now())
    html = admin_client.get(CHANGELIST, {"status__exact": "open", "topic__exact": "media"})
    names = html.content.decode()
    assert "Open Media" in names and "Open General" not in names and "Closed Media" not in names


def test_changelist_query_count_does_not_grow_with_messages(
    admin_client, admin_user, django_assert_max_num_queries
):
    for index in range(30):
        factories.message(
            name=f"Person {index}", status="closed", closed_at=timezone.now(), handled_by=admin_user
        )
    with django_assert_max_num_queries(12):
        assert admin_client.get(CHANGELIST).status_code == 200


def test_staff_with_view_permission_only_cannot_close(client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_contactmessage"))
    client.force_login(viewer)
    contact = factories.message()
    assert client.get(f"{CHANGELIST}{contact.pk}/change/").status_code == 200
    client.post(CHANGELIST, {"action": "close", "_selected_action": [contact.pk]})
    contact.refresh_from_db()
    assert contact.status == "open"


def test_staff_edit_a_membership_tier(admin_client):
    tier = MembershipTier.objects.get(slug="associate")
    page = admin_client.get(f"/admin/association/membershiptier/{tier.pk}/change/")
    assert page.status_code == 200
    response = admin_client.post(
        f"/admin/association/membershiptier/{tier.pk}/change/",
        {
            "name": "Associate",
            "slug": "associate",
            "price_usd": "120",
            "billing_period": "year",
            "description": "For supporting clinicians.",
            "included": "A listing\nThe newsletter",
            "display_order": "5",
            "active": "on",
        },
    )
    assert response.status_code == 302
    tier.refresh_from_db()
    assert (tier.price_usd, tier.included_items) == (120, ["A listing", "The newsletter"])
    assert admin_client.get("/admin/association/membershiptier/").status_code == 200
    assert ContactMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_tier_change_refreshes_the_cached_pages(admin_client):
    from ketamine_association.core.content import content_version

    tier = MembershipTier.objects.create(
        name="Student", slug="student", price_usd=25, description="For students."
    )
    url = f"/admin/association/membershiptier/{tier.pk}/change/"
    before = content_version()
    fields = {"name": "Student", "slug": "student", "price_usd": "30", "billing_period": "year",
              "description": "For students.", "included": "", "display_order": "0"}  # fmt: skip
    assert admin_client.post(url, fields).status_code == 302
    edited = content_version()
    assert edited != before
    changelist = "/admin/association/membershiptier/"
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [tier.pk], "post": "yes"}
    )
    assert not MembershipTier.objects.filter(pk=tier.pk).exists()
    assert content_version() != edited
