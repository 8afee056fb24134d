"""The admin: subscribers with a read-only ledger, campaigns with a test send and scheduling,
read-only deliveries."""

import pytest
from django.utils import timezone

from ketamine_association.newsletter.choices import CampaignStatus, SubscriberStatus
from ketamine_association.newsletter.models import Campaign, ConsentEvent, Subscriber
from ketamine_association.newsletter.sending import campaigns_send_due

from . import factories

pytestmark = pytest.mark.django_db

BASE = "/admin/newsletter"


@pytest.fixture
def editor(admin_user, admin_client):
    admin_user.email = "editor@example.org"
    admin_user.save()
    return admin_client


def test_every_list_and_change_page_answers(editor, smtp):
    person = factories.subscriber("seen@example.org")
    campaign = factories.campaign()
    campaigns_send_due(now=timezone.now())
    for path in ("subscriber", "consentevent", "campaign", "delivery"):
        assert editor.get(f"{BASE}/{path}/").status_code == 200
    page = editor.get(f"{BASE}/subscriber/{person.pk}/change/")
    assert page.status_code == 200
    assert b"imported" in page.content  # the ledger inline
    assert editor.get(f"{BASE}/campaign/{campaign.pk}/change/").status_code == 200
    assert editor.get(f"{BASE}/campaign/add/").status_code == 200


def test_ledger_and_deliveries_are_read_only(editor):
    person = factories.subscriber("ro@example.org")
    event = ConsentEvent.objects.get()
    assert editor.get(f"{BASE}/consentevent/add/").status_code == 403
    assert editor.post(f"{BASE}/consentevent/{event.pk}/delete/").status_code == 403
    assert editor.get(f"{BASE}/subscriber/add/").status_code == 403
    assert editor.post(f"{BASE}/subscriber/{person.pk}/delete/").status_code == 403
    change = editor.post(
        f"{BASE}/consentevent/{event.pk}/change/", {"source": "rewritten", "kind": "confirmed"}
    )
    assert change.status_code == 403
    assert ConsentEvent.objects.get().source == "test"


def test_campaign_needs_a_body_or_an_article(editor):
    response = editor.post(f"{BASE}/campaign/add/", {"subject": "Empty"})
    assert response.status_code == 200
    assert b"Write a body, choose an article, or both." in response.content
    created = editor.post(
        f"{BASE}/campaign/add/",
        {"subject": "Hello", "body_markdown": "Some news.", "interests": ["research"]},
    )
    assert created.status_code == 302
    assert Campaign.objects.get().interests == ["research"]


def test_send_test_to_me_and_schedule(editor, mailoutbox):
    factories.subscriber("list@example.org")
    draft = factories.campaign(status=CampaignStatus.DRAFT, scheduled_at=None)
    editor.post(f"{BASE}/campaign/", {"action": "send_test", "_selected_action": [draft.pk]})
    [test] = mailoutbox
    assert test.to == ["editor@example.org"]
    assert test.subject == "[Test] Research roundup"
    assert "List-Unsubscribe" not in test.extra_headers
    editor.post(f"{BASE}/campaign/", {"action": "schedule", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.SCHEDULED and draft.scheduled_at <= timezone.now()
    [report] = campaigns_send_due(now=timezone.now())
    assert report.sent == 1
    assert mailoutbox[-1].to == ["list@example.org"]
    assert "List-Unsubscribe" in mailoutbox[-1].extra_headers


def test_subscriber_actions_go_through_the_ledger(editor):
    person = factories.subscriber("act@example.org")
    editor.post(f"{BASE}/subscriber/", {"action": "unsubscribe", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert person.status == SubscriberStatus.UNSUBSCRIBED
    assert ConsentEvent.objects.filter(subscriber=person, kind="unsubscribed").exists()
    editor.post(f"{BASE}/subscriber/", {"action": "erase", "_selected_action": [person.pk]})
    assert not Subscriber.objects.exists()
    assert list(ConsentEvent.objects.values_list("kind", flat=True)) == ["erased"]
