"""The ledger is append-only; purge and erasure leave only anonymous records."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ketamine_association.newsletter import services
from ketamine_association.newsletter.choices import ConsentKind, SubscriberStatus
from ketamine_association.newsletter.models import ConsentEvent, Delivery, Subscriber
from tests.mailqueue import deliver_queued_mail

from . import factories

pytestmark = pytest.mark.django_db


def test_ledger_events_cannot_change_or_be_deleted():
    person = factories.subscriber("ledger@example.org")
    event = ConsentEvent.objects.get(subscriber=person)
    event.source = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        ConsentEvent.objects.filter(pk=event.pk).update(source="x")
    with pytest.raises(TypeError):
        ConsentEvent.objects.all().delete()
    assert ConsentEvent.objects.get(pk=event.pk).source == "test"


def test_a_subscriber_with_a_ledger_cannot_simply_be_deleted():
    from django.db.models import ProtectedError

    person = factories.subscriber("protected@example.org")
    with pytest.raises(ProtectedError):
        person.delete()


def test_signup_normalises_the_address_and_stores_the_request(mailoutbox):
    action = services.subscriber_request(
        email="  Mixed.Case@Example.ORG ", first_name=" Ana ", interests=["research", "bogus"]
    )
    assert action == "confirmation"
    person = Subscriber.objects.get()
    assert (person.email, person.first_name, person.interests) == (
        "mixed.case@example.org",
        "Ana",
        ["research"],
    )
    assert person.status == SubscriberStatus.PENDING and person.confirm_nonce
    again = services.subscriber_request(email="MIXED.case@example.org")
    assert again == "confirmation"
    assert Subscriber.objects.count() == 1
    assert mailoutbox == []  # queued: it leaves after the commit, through the task worker
    assert deliver_queued_mail() == 2
    assert [m.to for m in mailoutbox] == [["mixed.case@example.org"]] * 2


def test_a_relay_failure_does_not_break_signup(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    assert services.subscriber_request(email="down@example.org") == "confirmation"
    assert Subscriber.objects.filter(email="down@example.org").exists()
    assert deliver_queued_mail() == 1  # the attempt fails and queues the next one, for later
    first, second = DBTaskResult.objects.order_by("enqueued_at")
    assert first.args_kwargs["kwargs"]["attempt"] == 1 and first.status == "SUCCESSFUL"
    assert second.args_kwargs["kwargs"]["attempt"] == 2 and second.status == "READY"
    assert second.run_after > timezone.now()


def test_purge_erases_old_pending_signups_only():
    old = factories.subscriber("old@example.org", status=SubscriberStatus.PENDING)
    factories.subscriber("fresh@example.org", status=SubscriberStatus.PENDING)
    factories.subscriber("confirmed-old@example.org")
    Subscriber.objects.exclude(email="fresh@example.org").update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    assert services.subscribers_purge(now=timezone.now()) == 1
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "fresh@example.org",
        "confirmed-old@example.org",
    }
    assert not ConsentEvent.objects.filter(subscriber_id=old.pk).exists()
    erased = ConsentEvent.objects.get(kind=ConsentKind.ERASED)
    assert erased.subscriber is None and erased.ip_hash == ""
    assert "30 days" in erased.source


def test_erase_removes_the_person_and_keeps_one_anonymous_record(smtp):
    from ketamine_association.newsletter.sending import campaigns_send_due

    person = factories.subscriber("erase-me@example.org")
    services.subscriber_unsubscribe(subscriber=person, source="test", ip_hashed="f" * 64)
    Subscriber.objects.filter(pk=person.pk).update(status=SubscriberStatus.CONFIRMED)
    factories.campaign()
    campaigns_send_due(now=timezone.now())
    assert Delivery.objects.count() == 1
    assert services.subscriber_erase(email="ERASE-ME@example.org")
    assert not Subscriber.objects.exists() and not Delivery.objects.exists()
    [record] = ConsentEvent.objects.all()
    assert (record.kind, record.subscriber, record.ip_hash, record.detail) == (
        ConsentKind.ERASED,
        None,
        "",
        "",
    )
    text = " ".join(str(v) for v in ConsentEvent.objects.values().get().values())
    assert "erase-me" not in text
    assert services.subscriber_erase(email="erase-me@example.org") is False


def test_suppress_records_a_complaint():
    person = factories.subscriber("spam-button@example.org")
    services.subscriber_suppress(
        subscriber=person, kind=ConsentKind.COMPLAINED, source="feedback loop"
    )
    person.refresh_from_db()
    assert person.status == SubscriberStatus.COMPLAINED
    assert ConsentEvent.objects.filter(subscriber=person, kind="complained").exists()
    assert services.subscriber_request(email=person.email) == "confirmation"
    person.refresh_from_db()
    assert person.status == SubscriberStatus.COMPLAINED  # only a confirmation changes it
