"""The admin's second-factor rule, with ADMIN_REQUIRES_MFA on as under production settings:
a staff account without TOTP is sent to set it up, a staff account with TOTP signs in through
allauth's login and its TOTP step and then reaches the admin; the admin's password-only form
is not a way round it. Off (tests' and local development's default), the admin is Django's."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase 42"
EMAIL = "editor@example.org"


@pytest.fixture
def mfa_on(settings):
    settings.ADMIN_REQUIRES_MFA = True


def staff():
    user = get_user_model().objects.create_user(
        "editor", EMAIL, PASSWORD, is_staff=True, is_superuser=True
    )
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    return user


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def log_in(client, next_url="/admin/"):
    return client.post("/accounts/login/", {"login": EMAIL, "password": PASSWORD, "next": next_url})


def test_the_production_settings_turn_the_rule_on():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "config/settings/production.py").read_text()
    assert 'ADMIN_REQUIRES_MFA = env_bool("ADMIN_REQUIRES_MFA", True)' in text


def test_staff_without_totp_is_sent_to_set_it_up(client, mfa_on):
    staff()
    response = log_in(client)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    refused = client.get("/admin/")
    assert refused.status_code == 302
    assert refused["Location"] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2F"
    assert client.get("/admin/newsletter/subscriber/")["Location"].startswith(
        "/accounts/2fa/totp/activate/"
    )
    setup = client.get(refused["Location"], follow=True)
    assert setup.status_code == 200
    assert b"second factor" in setup.content


def test_staff_with_totp_passes_the_code_step_and_reaches_the_admin(client, mfa_on):
    user = staff()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = log_in(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # the password alone does not sign in
    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admins_password_form_is_not_a_way_round(client, mfa_on):
    user = staff()
    TOTP.activate(user, generate_totp_secret())
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    response = client.post("/admin/login/", {"username": "editor", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_session_without_the_second_factor_is_asked_for_it(client, mfa_on):
    user = staff()
    client.force_login(user)  # a session from before the TOTP existed
    TOTP.activate(user, generate_totp_secret())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")


def test_with_the_rule_off_the_admin_is_djangos(client, settings):
    settings.ADMIN_REQUIRES_MFA = False
    staff()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_practitioner_is_not_let_into_the_admin(client, mfa_on):
    user = get_user_model().objects.create_user("p", "p@example.org", PASSWORD)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
