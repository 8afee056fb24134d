"""License-expiry mails (`remind_license_expiry`, run daily): the owner of a listing whose
license on file expires within 30 days is mailed once, and once more when it has expired;
a listing without an owner, or whose license was renewed, gets nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from ketamine_association.directory.choices import CheckKind
from ketamine_association.practitioners.models import LicenseReminder, ListingOwner
from ketamine_association.practitioners.services import license_reminders_send
from tests.directory.factories import checked, make_provider
from tests.mailqueue import deliver_queued_mail
from tests.practitioners.test_listing_edit import account

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 3, 1)


def owned_listing(expires_on: dt.date, email: str = "owner@clinic.example"):
    provider = checked(make_provider(), CheckKind.LICENSE, on=TODAY - dt.timedelta(days=300),
                       expires_on=expires_on)  # fmt: skip
    ListingOwner.objects.create(provider=provider, account=account(email.split("@")[0], email))
    return provider


def run(today: dt.date, smtp) -> list:
    before = len(smtp.received)
    license_reminders_send(today=today)
    deliver_queued_mail()
    return smtp.received[before:]


def test_thirty_days_before_one_mail_and_a_rerun_sends_none(smtp):
    provider = owned_listing(TODAY + dt.timedelta(days=30))
    assert run(TODAY - dt.timedelta(days=1), smtp) == []  # 31 days before: not yet
    (mail,) = run(TODAY, smtp)
    assert mail.rcpt_tos == ["owner@clinic.example"]
    assert mail.message["Subject"] == "Your license on file expires on March 31"
    text = mail.part("plain")
    assert "March 31, 2027" in text and f"/dashboard/listings/{provider.pk}" in text
    assert run(TODAY, smtp) == [] and run(TODAY + dt.timedelta(days=10), smtp) == []
    assert LicenseReminder.objects.get().kind == "before"


def test_on_the_expiry_day_one_more_mail(smtp):
    expiry = TODAY + dt.timedelta(days=30)
    owned_listing(expiry)
    run(TODAY, smtp)
    (mail,) = run(expiry, smtp)
    assert mail.message["Subject"] == "Your license on file has expired"
    assert "expired on March 31, 2027" in mail.part("plain")
    assert run(expiry + dt.timedelta(days=1), smtp) == []
    assert sorted(LicenseReminder.objects.values_list("kind", flat=True)) == ["before", "on-day"]


def test_no_owner_no_mail_and_a_renewed_license_none_either(smtp):
    checked(make_provider(), CheckKind.LICENSE, expires_on=TODAY + dt.timedelta(days=5))
    renewed = owned_listing(TODAY + dt.timedelta(days=5))
    checked(renewed, CheckKind.LICENSE, on=TODAY - dt.timedelta(days=1),
            expires_on=TODAY + dt.timedelta(days=700))  # fmt: skip
    assert run(TODAY, smtp) == [] and not LicenseReminder.objects.exists()


def test_the_command_sends_for_the_day_given(smtp):
    owned_listing(TODAY + dt.timedelta(days=3))
    out = io.StringIO()
    call_command("remind_license_expiry", "--today", TODAY.isoformat(), stdout=out)
    assert out.getvalue().strip() == "1 license reminders sent"
    deliver_queued_mail()
    assert len(smtp.received) == 1
    call_command("remind_license_expiry", "--today", TODAY.isoformat(), stdout=out)
    assert out.getvalue().strip().endswith("0 license reminders sent")


def test_the_daily_jobs_send_them_too(smtp):
    from ketamine_association.core.schedule import daily_jobs, run_daily_jobs

    assert "practitioners: remind owners of expiring licenses" in {j.name for j in daily_jobs()}
    owned_listing(TODAY + dt.timedelta(days=3))
    outcomes = run_daily_jobs(now=dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC))
    assert ("practitioners: remind owners of expiring licenses", 1) in [
        (outcome.name, outcome.count) for outcome in outcomes
    ]
    deliver_queued_mail()
    assert [mail.rcpt_tos for mail in smtp.received] == [["owner@clinic.example"]]
