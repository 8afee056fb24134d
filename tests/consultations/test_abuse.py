"""Abuse protections of a patient's request: the per-address and per-provider hourly limits
(429 with Retry-After, the request shown back, nothing stored), the address never kept in clear
(its keyed hash keys the limit), a mail that cannot be queued never failing the request, and
nothing of a request in any log line, Django's request logger included."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache

from ketamine_association.consultations.models import ConsultationRequest
from ketamine_association.practitioners.models import ListingOwner

from .test_request_form import (
    PATIENT,
    accepting_provider,
    main_html,
    main_text,
    request_data,
    request_url,
)

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"


def send(client, provider, ip=IP, **changes):
    return client.post(request_url(provider), request_data(**changes), REMOTE_ADDR=ip)


def assert_limited_with_the_request_shown_back(response, note):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    text = main_text(response)
    assert "Too many requests for now" in text and "Nothing was stored" in text
    assert PATIENT["name"] in text and note in text


def test_one_address_may_send_its_hourly_share_then_gets_429_with_its_request(
    client, settings, smtp
):
    settings.CONSULTATION_RATE_PER_IP = 2
    provider = accepting_provider()
    for n in range(2):
        assert send(client, provider, email=f"p{n}@example.org").status_code == 200
    assert ConsultationRequest.objects.count() == 2
    smtp.received.clear()

    note = "<b>third</b> try"
    response = send(client, provider, email="p3@example.org", note=note)
    assert_limited_with_the_request_shown_back(response, note)
    assert "&lt;b&gt;third&lt;/b&gt;" in main_html(response)
    assert ConsultationRequest.objects.count() == 2 and smtp.received == []
    # Another address is not limited by this one.
    assert send(client, provider, ip="198.51.100.9", email="p4@example.org").status_code == 200


def test_the_limit_is_keyed_by_a_hash_of_the_address_never_the_address(client, settings):
    provider = accepting_provider()
    send(client, provider)
    keys = list(cache._cache.keys())  # the local-memory cache of the tests
    assert any("consultation-ip:" in key for key in keys)
    assert not any(IP in key for key in keys)


def test_one_provider_receives_its_hourly_share_then_senders_get_429(client, settings, smtp):
    settings.CONSULTATION_RATE_PER_PROVIDER = 2
    provider = accepting_provider()
    other = accepting_provider("other@clinic.example")
    for n in range(2):
        assert send(client, provider, ip=f"198.51.100.{n}", email=f"q{n}@ex.org").status_code == 200
    response = send(client, provider, ip="198.51.100.50", email="q9@ex.org", note="please")
    assert_limited_with_the_request_shown_back(response, "please")
    assert ConsultationRequest.objects.filter(provider=provider).count() == 2
    # Another provider still receives requests.
    assert send(client, other, ip="198.51.100.51", email="q9@ex.org").status_code == 200


def test_a_mail_that_cannot_be_queued_never_fails_the_request(client, smtp):
    provider = accepting_provider()
    account = ListingOwner.objects.get(provider=provider).account
    account.email = "not an address"
    account.save(update_fields=["email"])
    response = send(client, provider)
    assert response.status_code == 200 and "Your request was sent" in main_text(response)
    assert ConsultationRequest.objects.count() == 1
    assert [r.rcpt_tos for r in smtp.received] == [[PATIENT["email"]]]


def test_nothing_of_a_request_reaches_a_log_line(client, settings, smtp, caplog):
    settings.CONSULTATION_RATE_PER_IP = 1
    distinctive = {
        "name": "Zebulon Quartermaine-Fitch",
        "email": "zebulon.qf@example.net",
        "phone": "+1 (415) 555-0177",
        "note": "Xylophonic-marmalade Wednesdays",
    }
    provider = accepting_provider()
    account = ListingOwner.objects.get(provider=provider).account
    caplog.set_level(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        # Stored and mailed; then errors; then limited (429); then a listing that stopped.
        assert send(client, provider, in_crisis="yes", **distinctive).status_code == 200
        send(client, provider, **{**distinctive, "consent": None, "phone": "call-me"})
        assert send(client, provider, **distinctive).status_code == 429
        settings.CONSULTATION_RATE_PER_IP = 100
        provider.accepting_new_patients = False
        provider.save(update_fields=["accepting_new_patients"])
        account.email = "broken"
        account.save(update_fields=["email"])
        assert send(client, provider, ip="192.0.2.1", **distinctive).status_code == 409
    assert caplog.records, "the loggers were not captured at all"
    assert any(r.name == "django.request" for r in caplog.records)  # 429 and 409 warnings
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.__dict__.get('request', '')!r}"
        for r in caplog.records
    )
    for value in (*distinctive.values(), "Quartermaine", "Xylophonic", "4155550177", IP):
        assert value not in logged, value
    assert "yes" not in {str(arg) for r in caplog.records for arg in (r.args or ())}
