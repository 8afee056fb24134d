"""Checklist: password guessing is locked out, per account and per client address.

django-axes counts failed logins; the tenth failure (AXES_FAILURE_LIMIT) locks, and every later
attempt, even with the right password, answers 429 with our page and a Retry-After of the cool-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
RIGHT = "a-long-and-right-passphrase"


@pytest.fixture
def staff():
    return get_user_model().objects.create_user(
        "editor", "editor@example.org", RIGHT, is_staff=True, is_superuser=True
    )


def attempt(client, username="editor", password="wrong", ip="198.51.100.7"):  # noqa: S107
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_eleventh_wrong_password_is_refused_with_429(client, staff):
    for _ in range(9):
        response = attempt(client)
        assert response.status_code == 200  # the form again, with its error
    assert attempt(client).status_code == 429  # the tenth failure locks the account
    response = attempt(client)
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert response["Cache-Control"] == "no-store"
    assert b"Sign-in is paused" in response.content
    assert b"15 minutes" in response.content


def test_the_right_password_during_the_lockout_does_not_log_in(client, staff):
    for _ in range(10):
        attempt(client)
    response = attempt(client, password=RIGHT)
    assert response.status_code == 429
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_one_account_is_locked_whatever_the_address(client, staff):
    for n in range(10):
        attempt(client, ip=f"203.0.113.{n}")
    response = attempt(client, password=RIGHT, ip="192.0.2.200")
    assert response.status_code == 429
    assert not signed_in(client)


def test_one_address_is_locked_whatever_the_account(client, staff):
    for n in range(10):
        attempt(client, username=f"guess{n}")
    response = attempt(client, password=RIGHT)  # the real account, from the same address
    assert response.status_code == 429
    assert not signed_in(client)


def test_other_accounts_and_addresses_are_not_locked(client, staff):
    get_user_model().objects.create_user("other", "o@example.org", RIGHT, is_staff=True)
    for _ in range(10):
        attempt(client)
    response = attempt(client, username="other", password=RIGHT, ip="192.0.2.9")
    assert response.status_code == 302
    assert signed_in(client)


def test_after_the_cool_off_the_right_password_logs_in(client, staff, settings):
    for _ in range(10):
        attempt(client)
    assert attempt(client, password=RIGHT).status_code == 429
    settings.AXES_COOLOFF_TIME = timedelta(seconds=0)  # the cool-off has passed
    response = attempt(client, password=RIGHT)
    assert response.status_code == 302
    assert signed_in(client)


def test_fewer_failures_than_the_limit_do_not_lock(client, staff):
    for _ in range(9):
        attempt(client)
    assert attempt(client, password=RIGHT).status_code == 302
