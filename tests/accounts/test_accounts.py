"""Practitioner accounts (django-allauth through accounts/adapter.py): sign-up with a mandatory
verified address, login by email, password reset, change of email, safe `next`, allauth's
rate limit on failed logins, and the session key rotated at login. The mail is real: queued
by core.mail.send_transactional, sent by the task worker's code to a local SMTP server."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase 42"
EMAIL = "dr.rivera@example.org"


def link(received, path: str) -> str:
    url = re.search(rf"https?://\S*{re.escape(path)}\S*", received.part("plain")).group(0)
    return urlsplit(url).path


def sign_up(client, email=EMAIL, **extra):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra},
    )


def verified_user(email=EMAIL, **fields):
    user = get_user_model().objects.create_user(
        username=email.split("@")[0], email=email, password=PASSWORD, **fields
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def log_in(client, email=EMAIL, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password, **extra})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_signup_sends_one_verification_mail_through_the_queue(client, smtp):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    [mail] = smtp.to(EMAIL)
    assert "/accounts/confirm-email/" in mail.part("plain")
    assert not signed_in(client)
    assert get_user_model().objects.get(email=EMAIL).password.startswith("md5$")  # test hasher


def test_an_unverified_account_cannot_log_in(client, smtp):
    sign_up(client)
    client.logout()
    response = log_in(client)
    assert not signed_in(client)
    assert response["Location"] == "/accounts/confirm-email/"
    # allauth sends the mail again on a login, at most once in 3 minutes per address
    assert len(smtp.to(EMAIL)) == 1


def test_the_confirmation_link_verifies_and_signs_in(client, smtp):
    sign_up(client)
    [mail] = smtp.to(EMAIL)
    url = link(mail, "/accounts/confirm-email/")
    page = client.get(url)
    assert page.status_code == 200
    assert not EmailAddress.objects.get(email=EMAIL).verified  # opening the link changes nothing
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"
    assert EmailAddress.objects.get(email=EMAIL).verified
    assert signed_in(client)
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert EMAIL.encode() in dashboard.content
    assert b"Your listings" in dashboard.content
    assert b"You have no listings yet" in dashboard.content


def test_an_address_is_one_account_whatever_its_case(client, smtp):
    sign_up(client)
    other = client.__class__()
    response = sign_up(other, email="  DR.Rivera@Example.org ")
    assert get_user_model().objects.count() == 1
    assert response.status_code in (200, 302)


def test_login_by_email_lands_on_the_dashboard(client):
    verified_user()
    response = log_in(client)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"
    assert signed_in(client)


def test_the_dashboard_asks_for_a_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/dashboard")


def test_the_session_key_rotates_at_login(client):
    verified_user()
    client.get("/accounts/login/")
    session = client.session
    session["probe"] = "before"
    session.save()
    before = session.session_key
    log_in(client)
    assert signed_in(client)
    assert client.session.session_key != before


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "https://localhost/"],
)
def test_an_off_site_next_is_refused(client, next_url):
    verified_user()
    response = log_in(client, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"


def test_a_next_inside_the_site_is_followed(client):
    verified_user()
    response = log_in(client, next="/blog")
    assert response["Location"] == "/blog"


def test_ten_failed_logins_meet_allauths_rate_limit_not_a_500(client):
    verified_user()
    answers = [log_in(client, password="wrong") for _ in range(10)]
    assert all(answer.status_code in (200, 429) for answer in answers)
    last = answers[-1]
    assert last.status_code == 429 or b"Too many failed login attempts" in last.content
    assert b"Too many failed login attempts" in answers[5].content  # 5 a minute per account
    # the right password is refused while the limit holds
    response = log_in(client)
    assert not signed_in(client)
    assert response.status_code in (200, 429)


def test_password_reset_mail_and_new_password(client, smtp):
    verified_user()
    response = client.post("/accounts/password/reset/", {"email": EMAIL})
    assert response.status_code == 302
    [mail] = smtp.to(EMAIL)
    url = link(mail, "/accounts/password/reset/key/")
    form = client.get(url, follow=True)
    assert form.status_code == 200
    new = "another long passphrase 77"
    response = client.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert response.status_code == 302
    assert get_user_model().objects.get(email=EMAIL).check_password(new)


def test_an_unknown_address_gets_the_same_reset_answer(client, smtp):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert smtp.to(EMAIL) == []


def test_a_new_email_counts_only_once_verified(client, smtp):
    user = verified_user()
    log_in(client)
    new = "rivera.new@example.org"
    response = client.post("/accounts/email/", {"email": new, "action_add": ""})
    assert response.status_code == 302
    [mail] = smtp.to(new)
    assert EmailAddress.objects.get(email=new).verified is False
    user.refresh_from_db()
    assert user.email == EMAIL  # the old address still counts
    client.post(link(mail, "/accounts/confirm-email/"))
    user.refresh_from_db()
    assert user.email == new
    assert EmailAddress.objects.get(email=new).verified


def test_no_address_or_password_in_log_lines(client, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    sign_up(client)
    log_in(client, password="wrong-password-secret")
    for record in caplog.records:
        if record.name.startswith("mail.log"):
            continue  # the test's own SMTP server (aiosmtpd) logs what it receives
        line = record.getMessage()
        assert EMAIL not in line and "dr.rivera" not in line, line
        assert PASSWORD not in line and "wrong-password-secret" not in line, line


def test_one_address_guessing_many_accounts_is_refused(client):
    """allauth limits failed logins per address too (10 a minute): the eleventh attempt, even
    with another account's right password, is refused (django-axes, first among the backends,
    counts the same failures and answers 429 past its own limit), never a 500."""
    verified_user()
    for n in range(10):
        log_in(client, email=f"guess{n}@example.org", password="wrong")
    response = log_in(client)
    assert response.status_code in (200, 429)
    assert not signed_in(client)
    if response.status_code == 200:
        assert b"Too many failed login attempts" in response.content
