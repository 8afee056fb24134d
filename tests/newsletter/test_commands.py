"""send_campaigns, purge_newsletter, newsletter_erase, newsletter_export and newsletter_import."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ketamine_association.newsletter.choices import ConsentKind, SubscriberStatus
from ketamine_association.newsletter.models import ConsentEvent, Subscriber
from ketamine_association.newsletter.services import subscriber_erase

from . import factories

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_send_campaigns_reports_each_campaign(smtp):
    factories.subscriber("cmd@example.org")
    assert run("send_campaigns") == "no campaign is due\n"
    campaign = factories.campaign()
    output = run("send_campaigns", "--batch-size", "5", "--rate", "0")
    assert f"campaign {campaign.pk}: 1 sent" in output and "(finished)" in output
    assert smtp.counts() == {"cmd@example.org": 1}


def test_send_campaigns_exits_1_when_the_relay_is_down(settings):
    from .smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    factories.subscriber("down@example.org")
    factories.campaign()
    with pytest.raises(CommandError) as error:
        run("send_campaigns")
    assert error.value.returncode == 1


def test_send_campaigns_refuses_a_draft():
    draft = factories.campaign(status="draft")
    with pytest.raises(CommandError):
        run("send_campaigns", "--campaign", str(draft.pk))


def test_purge_newsletter():
    factories.subscriber("stale@example.org", status=SubscriberStatus.PENDING)
    Subscriber.objects.update(created_at=timezone.now() - dt.timedelta(days=40))
    assert "1 unconfirmed signup(s) older than 30 days erased" in run("purge_newsletter")
    assert not Subscriber.objects.exists()


def test_newsletter_erase():
    factories.subscriber("who@example.org")
    assert "erased" in run("newsletter_erase", "who@example.org")
    with pytest.raises(CommandError):
        run("newsletter_erase", "who@example.org")


def test_export_then_import_round_trip(tmp_path):
    factories.subscriber("a@example.org", interests=["research", "patient_news"])
    factories.subscriber("b@example.org", status=SubscriberStatus.UNSUBSCRIBED)
    path = tmp_path / "out.csv"
    assert "2 subscriber(s) written" in run("newsletter_export", str(path))
    rows = list(csv.DictReader(path.open()))
    assert [r["email"] for r in rows] == ["a@example.org", "b@example.org"]
    assert rows[0]["interests"] == "research;patient_news"
    assert rows[0]["consent_source"] == "test"
    for row in rows:  # the ledger protects subscribers from a plain delete: erase them
        subscriber_erase(email=row["email"])
    assert "2 imported, 0 already known, 0 bad row(s)" in run("newsletter_import", str(path))
    again = {s.email: s for s in Subscriber.objects.all()}
    assert again["a@example.org"].interests == ["research", "patient_news"]
    assert again["b@example.org"].status == SubscriberStatus.UNSUBSCRIBED
    assert "2 already known" in run("newsletter_import", str(path))


def test_import_reports_bad_rows_by_number_and_imports_the_rest(tmp_path):
    factories.subscriber("known@example.org", status=SubscriberStatus.UNSUBSCRIBED)
    path = tmp_path / "in.csv"
    path.write_text(
        "email,first_name,interests,consent_source,status,subscribed_at\n"
        "good@example.org,Gia,research,2019 paper form,,2019-05-01\n"  # row 2
        "not-an-email,,,paper form,,\n"  # row 3
        "nosource@example.org,,,,,\n"  # row 4
        "badinterest@example.org,,cooking,web,,\n"  # row 5
        "GOOD@example.org,,,web,,\n"  # row 6: duplicate of row 2
        "pending@example.org,,,web,pending,\n"  # row 7
        "known@example.org,,,web,,\n"  # row 8: left unchanged
        "baddate@example.org,,,web,,yesterday\n",  # row 9
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        out = io.StringIO()
        call_command("newsletter_import", str(path), stdout=out, stderr=out)
    assert error.value.returncode == 1
    output = out.getvalue()
    for number, text in (
        (3, "not a valid email address"),
        (4, "consent_source is empty"),
        (5, "unknown interest 'cooking'"),
        (6, "good@example.org already appears in row 2"),
        (7, "status 'pending' cannot be imported"),
        (9, "subscribed_at is not a date"),
    ):
        assert f"row {number}: {text}" in output
    assert "row 8: known@example.org is already known, left unchanged" in output
    assert output.index("row 3:") < output.index("row 8:") < output.index("row 9:")
    assert "1 imported, 1 already known, 6 bad row(s)" in output
    good = Subscriber.objects.get(email="good@example.org")
    assert (good.status, good.first_name, good.interests) == ("confirmed", "Gia", ["research"])
    assert good.confirmed_at.date() == dt.date(2019, 5, 1)
    event = ConsentEvent.objects.get(subscriber=good)
    assert (event.kind, event.source) == (ConsentKind.IMPORTED, "2019 paper form")
    assert Subscriber.objects.get(email="known@example.org").status == "unsubscribed"


def test_import_without_a_consent_source_column_is_a_usage_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("email\na@example.org\n")
    with pytest.raises(CommandError) as error:
        run("newsletter_import", str(path))
    assert error.value.returncode == 2
    with pytest.raises(CommandError):
        run("newsletter_import", str(tmp_path / "missing.csv"))
    assert not Subscriber.objects.exists()
