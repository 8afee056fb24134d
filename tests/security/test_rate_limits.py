"""Checklist: every rate limit answers 429 with Retry-After, and says when to come back."""

from __future__ import annotations

import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from ketamine_association.core.ratelimit import RetryAfterMiddleware, window_limited

pytestmark = pytest.mark.django_db


def test_newsletter_signups_over_the_limit_answer_429_with_retry_after(client, settings):
    settings.NEWSLETTER_RATE_PER_IP = 2
    settings.NEWSLETTER_RATE_WINDOW = 3600
    for n in range(2):
        assert client.post("/newsletter", {"email": f"r{n}@example.org"}).status_code == 200
    before = time.time()
    response = client.post("/newsletter", {"email": "r9@example.org"})
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    # The window ends on the hour bucket: the client is told exactly when it ends.
    assert abs((before + wait) - (int(before // 3600) + 1) * 3600) <= 2
    assert f"{-(-wait // 60)} minute".encode() in response.content


def test_the_address_limit_answers_429_with_retry_after(client, settings):
    settings.NEWSLETTER_RATE_PER_ADDRESS = 1
    client.post("/newsletter", {"email": "same@example.org"}, REMOTE_ADDR="10.0.0.1")
    response = client.post("/newsletter", {"email": " SAME@example.org"}, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_login_lockout_answers_429_with_retry_after(client, django_user_model):
    django_user_model.objects.create_user("staff", password="x" * 20, is_staff=True)
    for _ in range(11):
        response = client.post("/admin/login/", {"username": "staff", "password": "no"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 900


def test_a_429_made_elsewhere_still_gets_retry_after(settings):
    middleware = RetryAfterMiddleware(lambda request: HttpResponse(status=429))
    response = middleware(RequestFactory().get("/"))
    assert response["Retry-After"] == str(settings.RETRY_AFTER_DEFAULT)
    told = RetryAfterMiddleware(
        lambda request: HttpResponse(status=429, headers={"Retry-After": "7"})
    )
    assert told(RequestFactory().get("/"))["Retry-After"] == "7"


def test_window_limit_counts_within_the_window_and_reports_the_wait():
    assert [window_limited("probe", limit=2, window=60) for _ in range(2)] == [0, 0]
    wait = window_limited("probe", limit=2, window=60)
    assert 1 <= wait <= 60
    assert window_limited("other", limit=2, window=60) == 0
