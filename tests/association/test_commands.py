"""purge_contact_messages: the retention rule, run from cron."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketamine_association.association.models import ContactMessage

from . import factories

pytestmark = pytest.mark.django_db


def test_purge_contact_messages_deletes_what_the_rule_says():
    now = timezone.now()
    factories.message(status="closed", closed_at=now - dt.timedelta(days=370))
    kept = factories.message(status="closed", closed_at=now - dt.timedelta(days=330))
    still_open = factories.message(created_at=now - dt.timedelta(days=900))
    out = StringIO()
    call_command("purge_contact_messages", stdout=out)
    assert out.getvalue().strip() == "1 contact message(s) closed over 12 months ago deleted"
    assert set(ContactMessage.objects.values_list("pk", flat=True)) == {kept.pk, still_open.pk}
