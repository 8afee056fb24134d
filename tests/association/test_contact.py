"""The contact inbox: the form, what it stores (and does not), the two mails through the real
queue and a real SMTP server, the per-IP limit, hostile input, the honeypot, corrections, and
retention. The first tests are the statements of the privacy page, under the names it cites."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ketamine_association.association import services
from ketamine_association.association.choices import ContactStatus
from ketamine_association.association.models import ContactMessage
from ketamine_association.core import ratelimit
from tests.mailqueue import deliver_queued_mail
from tests.newsletter.smtp import SmtpSink

from . import factories

pytestmark = pytest.mark.django_db

STAFF = "inbox@ketamineassociation.test"
SENDER = "ada@example.org"
TEXT = "The dosing table in your article has a typo in the second row."


@pytest.fixture(autouse=True)
def _contact_settings(settings):
    settings.CONTACT_STAFF_EMAIL = STAFF
    settings.CONTACT_RATE_PER_IP = 5


def post(client, ip: str = "203.0.113.9", **fields):
    data = {"name": "Ada Lovelace", "email": SENDER, "topic": "general", "message": TEXT}
    return client.post("/contact", {**data, **fields}, REMOTE_ADDR=ip)


@pytest.fixture
def clock(monkeypatch):
    """time.time() for the limiter and the local-memory cache, at the start of an hour."""
    now = {"t": 3600.0 * 500_000}
    monkeypatch.setattr(ratelimit.time, "time", lambda: now["t"])
    return now


# --- the statements of the privacy page ------------------------------------------------------


def test_contact_message_stores_only_the_listed_fields():
    # The privacy page lists: name, email address, topic, message, the article of a
    # correction, the time it was sent; and what staff did (status, who closed it, when).
    stored = {field.name for field in ContactMessage._meta.concrete_fields}
    assert stored == {
        "id", "name", "email", "topic", "message", "article_slug", "created_at",
        "status", "handled_by", "closed_at",
    }  # fmt: skip
    assert ContactMessage._meta.db_table in connection.introspection.table_names()
    columns = {
        column.name
        for column in connection.introspection.get_table_description(
            connection.cursor(), ContactMessage._meta.db_table
        )
    }
    assert columns == {"id", "name", "email", "topic", "message", "article_slug",
                       "created_at", "status", "handled_by_id", "closed_at"}  # fmt: skip


def test_contact_message_is_read_only_by_staff(client, django_user_model):
    contact = factories.message(message=TEXT)
    change = f"/admin/association/contactmessage/{contact.pk}/change/"
    changelist = "/admin/association/contactmessage/"
    for url in (changelist, change):
        response = client.get(url)  # anonymous: to the login page, nothing shown
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    member = django_user_model.objects.create_user("member", password="pw-member-1")
    client.force_login(member)  # signed in but not staff: the same
    for url in (changelist, change):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert TEXT.encode() not in response.content

    staff = django_user_model.objects.create_superuser("staff", "staff@example.org", "pw-s-1")
    client.force_login(staff)
    page = client.get(change)
    assert page.status_code == 200
    assert TEXT in page.content.decode()
    assert b'name="message"' not in page.content  # shown, not editable
    client.post(change, {"message": "changed", "name": "changed", "status": "closed"})
    contact.refresh_from_db()
    assert (contact.message, contact.name, contact.status) == (TEXT, "Ada Lovelace", "open")
    assert client.get("/admin/association/contactmessage/add/").status_code == 403


def test_closed_messages_are_deleted_after_twelve_months():
    now = dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC)
    twelve_months_ago = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
    due = factories.message(status="closed", closed_at=twelve_months_ago)
    older = factories.message(status="closed", closed_at=twelve_months_ago - dt.timedelta(days=40))
    recent = factories.message(status="closed", closed_at=twelve_months_ago + dt.timedelta(hours=1))
    still_open = factories.message(created_at=now - dt.timedelta(days=1000))

    assert services.contact_purge(now=now) == 2
    left = set(ContactMessage.objects.values_list("pk", flat=True))
    assert left == {recent.pk, still_open.pk}
    assert not {due.pk, older.pk} & left
    # an hour later the message closed an hour after the cut is due too
    assert services.contact_purge(now=now + dt.timedelta(hours=1)) == 1
    assert list(ContactMessage.objects.values_list("pk", flat=True)) == [still_open.pk]


def test_contact_ip_is_not_stored(client, smtp):
    ip = "198.51.100.73"
    assert post(client, ip=ip).status_code == 302
    contact = ContactMessage.objects.get()
    stored = [str(getattr(contact, f.attname)) for f in ContactMessage._meta.concrete_fields]
    assert not any(ip in value for value in stored)
    queued = [repr(task.args_kwargs) for task in DBTaskResult.objects.all()]
    assert queued and not any(ip in value for value in queued)  # nor in the queued mail
    assert not any(ip in str(key) for key in getattr(cache, "_cache", {}))  # nor the counter
    assert all(ip not in r.content.decode() for r in smtp.received)


def test_contact_rate_limit_counter_expires_within_an_hour(client, clock, smtp):
    for _ in range(5):
        assert post(client).status_code == 302
    refused = post(client)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) <= 3600
    counters = [key for key in cache._cache if "contact:ip:" in key]
    assert len(counters) == 1
    assert cache._expire_info[counters[0]] - clock["t"] <= 3600  # set to expire within the hour

    clock["t"] += 3600
    assert cache.get(counters[0].split(":", 2)[2]) is None  # gone from the cache
    assert not [key for key in cache._cache if "contact:ip:" in key]
    assert post(client).status_code == 302  # and the next hour starts afresh


# --- the form and the two mails ---------------------------------------------------------------


def test_contact_page_puts_the_crisis_notice_before_everything_else(client):
    page = client.get("/contact")
    assert page.status_code == 200
    main = page.content.decode().split('<main id="main"', 1)[1]
    notice = main.index("This form is not for emergencies")
    assert notice < main.index("<h1") < main.index("<form")
    for words in ("911", 'href="tel:988"', "text <strong>HOME</strong> to", "741741"):
        assert main.index(words) < main.index("<h1"), words
    assert page["Cache-Control"] == "no-store"


def test_contact_page_labels_every_field_with_autocomplete(client):
    html = client.get("/contact").content.decode()
    for name in ("name", "email", "article", "message"):
        assert f'<label for="id_{name}">' in html
    assert 'autocomplete="name"' in html and 'autocomplete="email"' in html
    assert html.count("<h1") == 1
    assert 'name="csrfmiddlewaretoken"' in html


def test_message_is_stored_and_both_mails_arrive_with_the_right_headers(client, smtp):
    response = post(client, name="Ada Lovelace", email="Ada@Example.org", topic="media")
    assert response.status_code == 302
    assert response["Location"] == "/contact/sent"
    contact = ContactMessage.objects.get()
    assert (contact.name, contact.email, contact.topic, contact.message) == (
        "Ada Lovelace", SENDER, "media", TEXT,
    )  # fmt: skip
    assert contact.status == ContactStatus.OPEN and contact.closed_at is None

    [notice] = smtp.to(STAFF)
    [ack] = smtp.to(SENDER)
    assert len(smtp.received) == 2
    assert notice.rcpt_tos == [STAFF] and ack.rcpt_tos == [SENDER]

    staff_mail = notice.message
    assert staff_mail["To"] == STAFF
    assert staff_mail["Reply-To"] == SENDER
    assert staff_mail["Subject"] == f"Contact form: Media and press (#{contact.pk})"
    assert staff_mail["Cc"] is None and staff_mail["Bcc"] is None
    headers = {"Content-Type", "MIME-Version", "Content-Transfer-Encoding", "Subject", "From",
               "To", "Date", "Message-ID"}  # fmt: skip
    assert set(staff_mail.keys()) == headers | {"Reply-To"}  # nothing the sender typed adds one
    assert set(ack.message.keys()) == headers
    body = notice.part("plain")
    assert TEXT in body and "Ada Lovelace" in body
    assert f"/admin/association/contactmessage/{contact.pk}/change/" in body

    ack_mail = ack.message
    assert ack_mail["To"] == SENDER
    assert ack_mail["Reply-To"] is None and ack_mail["Cc"] is None and ack_mail["Bcc"] is None
    ack_body = ack.part("plain")
    assert "Media and press" in ack_body and "988" in ack_body
    assert TEXT not in ack_body and "typo" not in ack_body  # the message is not repeated
    assert "Ada" not in ack_body  # nor anything else the sender typed


def test_sent_page_says_what_happens_next(client):
    page = client.get("/contact/sent")
    assert page.status_code == 200
    html = page.content.decode()
    assert "What happens next" in html or "what happens next" in html
    assert "reply by email" in html and "988" in html


def test_mail_waits_for_the_queue_and_the_commit(smtp):
    services.contact_submit(name="Ada", email=SENDER, topic="general", message=TEXT)
    assert smtp.received == []
    assert DBTaskResult.objects.count() == 0  # queued only once the transaction commits
    assert deliver_queued_mail() == 2
    assert {r.rcpt_tos[0] for r in smtp.received} == {STAFF, SENDER}


def test_a_relay_that_is_down_does_not_fail_the_request(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = post(client)
    assert response.status_code == 302
    assert ContactMessage.objects.count() == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 2  # each retried later


def test_with_the_relay_down_the_visitor_succeeds_and_the_mail_arrives_once_it_is_back(
    client, settings
):
    """The acceptance's pair: SMTP stopped, the success page; SMTP back, the worker's retry
    delivers both mails, once each."""
    sink = SmtpSink()  # its port is chosen; nothing listens on it until `with sink`
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 5
    response = post(client)  # the test client's worker makes the first attempt: refused
    assert response.status_code == 302 and response["Location"] == "/contact/sent"
    assert "what happens next" in client.get("/contact/sent").content.decode().lower()
    assert sink.recorder.received == []
    retries = DBTaskResult.objects.filter(status="READY")
    assert retries.count() == 2  # the two mails, each tried again in a minute
    assert deliver_queued_mail() == 0  # not due yet
    retries.update(run_after=timezone.now())  # a minute later
    with sink:
        assert deliver_queued_mail() == 2
        assert deliver_queued_mail() == 0
    assert sorted(r.rcpt_tos[0] for r in sink.recorder.received) == sorted([STAFF, SENDER])


def test_a_bad_staff_address_does_not_fail_the_request(client, settings, smtp, caplog):
    settings.CONTACT_STAFF_EMAIL = "not an address"
    assert post(client).status_code == 302
    assert ContactMessage.objects.count() == 1
    assert [r.rcpt_tos for r in smtp.received] == [[SENDER]]
    assert "staff notice not queued" in caplog.text


def test_no_name_address_or_message_text_in_logs(client, settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    post(client, name="Zebulon Quux")  # the relay is down: the mail task logs its failures
    settings.CONTACT_STAFF_EMAIL = "broken"
    post(client, name="Zebulon Quux")  # and a refused staff address is logged too
    assert "not sent" in caplog.text and "not queued" in caplog.text
    for secret in ("Zebulon", SENDER, "ada@", "dosing table", "203.0.113.9"):
        assert secret not in caplog.text


def test_every_topic_of_the_list_is_accepted(client, smtp):
    topics = ["general", "media", "membership", "website"]
    for topic in topics:
        assert post(client, ip=f"203.0.113.{len(topic)}", topic=topic).status_code == 302
    assert sorted(ContactMessage.objects.values_list("topic", flat=True)) == sorted(topics)
    assert post(client, topic="billing").status_code == 400


def test_the_answer_is_the_same_whatever_the_address(client, smtp):
    factories.message(email="known@example.org")
    known = post(client, ip="203.0.113.1", email="known@example.org")
    unknown = post(client, ip="203.0.113.2", email="never-seen@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


def test_a_post_without_its_csrf_token_is_refused():
    strict = Client(enforce_csrf_checks=True)
    assert post(strict).status_code == 403
    assert ContactMessage.objects.count() == 0


# --- the per-IP limit -------------------------------------------------------------------------


def test_twenty_rapid_posts_from_one_ip_get_429(client, smtp):
    answers = [post(client).status_code for _ in range(20)]
    assert answers == [302] * 5 + [429] * 15
    refused = post(client)
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused["Cache-Control"] == "no-store"
    assert "Please wait a little" in refused.content.decode()
    assert ContactMessage.objects.count() == 5
    assert len(smtp.received) == 10
    assert post(client, ip="203.0.113.200").status_code == 302  # another address is not held


def test_the_limit_setting_is_honoured(client, settings, smtp):
    settings.CONTACT_RATE_PER_IP = 2
    assert [post(client).status_code for _ in range(3)] == [302, 302, 429]


def test_form_errors_do_not_use_up_the_limit(client, smtp):
    for _ in range(8):
        assert post(client, email="").status_code == 400
    assert post(client).status_code == 302


# --- hostile input ----------------------------------------------------------------------------


def refused(response, field: str) -> str:
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="{field}-error"' in html
    assert re.search(rf'id="id_{field}"[^>]*aria-invalid="true"', html)
    assert f"{field}-error" in re.search(rf'id="id_{field}"[^>]*>', html).group(0)
    return html


def test_a_message_of_twenty_thousand_characters_is_refused(client, smtp):
    html = refused(post(client, message="x" * 20_000), "message")
    assert "at most 5000 characters" in html
    assert ContactMessage.objects.count() == 0 and smtp.received == []
    assert post(client, message="y" * 5000).status_code == 302  # the limit itself is fine


@pytest.mark.parametrize("field", ["name", "email", "message", "article"])
def test_nul_bytes_are_refused_not_a_500(client, smtp, field):
    response = post(client, **{"topic": "correction", "article": "x", field: "a\x00b"})
    assert response.status_code == 400
    assert ContactMessage.objects.count() == 0 and smtp.received == []


@pytest.mark.parametrize(
    "field,value",
    [
        ("email", "a@b.c\r\nBcc: x@y.z"),
        ("email", "a@b.c\nBcc: x@y.z"),
        ("email", "a@b.c, x@y.z"),
        ("email", "Ada <a@b.c>"),
        ("name", "Ada\r\nBcc: x@y.z"),
        ("name", "Ada\nLovelace"),
        ("name", "Ada\x0bLovelace"),
    ],
)
def test_header_injection_is_refused_with_a_form_error(client, smtp, field, value):
    refused(post(client, **{field: value}), field)
    assert ContactMessage.objects.count() == 0
    assert smtp.received == []


def test_html_in_every_field_is_stored_inert(client, smtp, admin_client):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = post(client, name=f"Ada {script}", message=f"Hi {script}", article=script)
    assert response.status_code == 302
    contact = ContactMessage.objects.get()
    assert contact.name == f"Ada {script}" and contact.message == f"Hi {script}"
    assert contact.article_slug == ""  # not a correction: the article field is dropped
    page = admin_client.get(f"/admin/association/contactmessage/{contact.pk}/change/")
    assert "<script>alert" not in page.content.decode()
    assert "&lt;script&gt;alert" in page.content.decode()
    for received in smtp.received:  # text only: nothing a mail program would render
        assert received.message.get_content_type() == "text/plain"
        assert received.message["Bcc"] is None

    again = post(client, name=f"Ada {script}", email="bad", message=f"Hi {script}")
    html = again.content.decode()  # a refused form shows back what was typed, escaped
    assert again.status_code == 400
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_hostile_query_strings_prefill_nothing(client):
    page = client.get("/contact", {"topic": "<script>", "article": "../../etc/passwd\x00"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "checked" not in html and "<script>" not in html.split("<main", 1)[1]
    assert 'name="article" id="id_article"' in html and "passwd" not in html


# --- the honeypot -----------------------------------------------------------------------------


def test_a_filled_honeypot_gets_the_same_answer_and_nothing_is_kept(client, smtp):
    response = post(client, website="http://spam.example")
    assert (response.status_code, response["Location"]) == (302, "/contact/sent")
    assert ContactMessage.objects.count() == 0
    assert smtp.received == [] and DBTaskResult.objects.count() == 0


# --- corrections ------------------------------------------------------------------------------


def test_a_report_an_error_link_prefills_the_correction(client):
    article = factories.article("dosing-basics")
    page = client.get("/contact?topic=correction&article=dosing-basics")
    html = page.content.decode()
    assert re.search(r'value="correction"[^>]*checked', html)
    assert 'value="dosing-basics"' in html
    assert article.title in html
    # the article alone is enough: the topic follows
    assert re.search(r'value="correction"[^>]*checked', client.get(
        "/contact?article=dosing-basics").content.decode())  # fmt: skip


def test_an_unpublished_or_unknown_article_is_not_prefilled(client):
    factories.article("coming-soon", published=False)
    for slug in ("coming-soon", "no-such-article"):
        html = client.get(f"/contact?topic=correction&article={slug}").content.decode()
        assert slug not in html
        assert re.search(r'value="correction"[^>]*checked', html)  # the topic still is


def test_a_correction_names_a_published_article(client, smtp):
    article = factories.article("dosing-basics")
    factories.article("coming-soon", published=False)
    refused(post(client, topic="correction"), "article")
    refused(post(client, topic="correction", article="coming-soon"), "article")
    refused(post(client, topic="correction", article="no-such-article"), "article")
    assert ContactMessage.objects.count() == 0

    address = f"https://ketamineassociation.test{article.get_absolute_url()}"
    assert post(client, topic="correction", article=address).status_code == 302
    assert post(client, topic="correction", article="dosing-basics").status_code == 302
    assert list(ContactMessage.objects.values_list("article_slug", flat=True)) == [
        "dosing-basics", "dosing-basics",
    ]  # fmt: skip
    notice = smtp.to(STAFF)[0].part("plain")
    assert f"Article: https://ketamineassociation.test{article.get_absolute_url()}" in notice


def test_the_contact_url_takes_the_article_query():
    from django.urls import reverse

    assert reverse("association:contact") == "/contact"
    assert reverse("association:contact_sent") == "/contact/sent"


# --- retention --------------------------------------------------------------------------------


def test_the_cutoff_is_twelve_calendar_months():
    at = dt.datetime(2028, 2, 29, 9, 30, tzinfo=dt.UTC)
    assert services.retention_cutoff(at) == dt.datetime(2027, 2, 28, 9, 30, tzinfo=dt.UTC)
    at = dt.datetime(2027, 1, 31, tzinfo=dt.UTC)
    assert services.retention_cutoff(at) == dt.datetime(2026, 1, 31, tzinfo=dt.UTC)


def test_closing_starts_the_clock_and_reopening_stops_it(django_user_model):
    staff = django_user_model.objects.create_user("s", is_staff=True)
    contact = factories.message()
    closed_at = timezone.now() - dt.timedelta(days=400)
    queryset = ContactMessage.objects.filter(pk=contact.pk)
    assert services.contact_close(messages=queryset, by=staff, now=closed_at) == 1
    assert services.contact_close(messages=queryset, by=staff, now=timezone.now()) == 0
    assert services.contact_reopen(messages=queryset) == 1
    assert services.contact_purge(now=timezone.now()) == 0
    contact.refresh_from_db()
    assert (contact.status, contact.closed_at, contact.handled_by) == ("open", None, None)
