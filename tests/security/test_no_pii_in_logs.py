"""Checklist: no personal data in logs.

Every handler the settings configure carries `RedactPersonalData`; a signup whose mail the
relay refuses (550, 451) logs the message id and the SMTP code, never the address."""

from __future__ import annotations

import io
import logging
import re

import pytest

from ketamine_association.core.logging import REDACTED, RedactPersonalData, redact

ADDRESS = "reject-pii@example.com"


def configured_handlers() -> list[logging.Handler]:
    """The handlers of every logger, but pytest's own capture handlers."""
    loggers = [logging.getLogger()] + [
        item
        for item in logging.root.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    return [
        handler
        for logger in loggers
        for handler in logger.handlers
        if not type(handler).__module__.startswith("_pytest")
    ]


@pytest.fixture
def log_output():
    """What the configured handlers write, read back from their real formatter and filter."""
    stream = io.StringIO()
    handlers = configured_handlers()
    previous = [
        handler.setStream(stream)
        for handler in handlers
        if isinstance(handler, logging.StreamHandler)
    ]
    try:
        yield stream
    finally:
        for handler, old in zip(
            [h for h in handlers if isinstance(h, logging.StreamHandler)], previous, strict=True
        ):
            handler.setStream(old)


def test_every_configured_handler_redacts():
    handlers = configured_handlers()
    assert handlers, "the settings configure at least one handler"
    for handler in handlers:
        assert any(isinstance(f, RedactPersonalData) for f in handler.filters), handler


@pytest.mark.django_db
@pytest.mark.parametrize("reply", ["550 5.1.1 No such user here", "451 4.7.1 Try again later"])
def test_a_refused_signup_mail_logs_no_address(client, smtp, log_output, reply):
    smtp.refuse[ADDRESS] = [reply]
    response = client.post(
        "/newsletter", {"email": ADDRESS, "first_name": "Rosalind"}, REMOTE_ADDR="203.0.113.77"
    )
    assert response.status_code == 200  # the reader sees the same page
    logged = log_output.getvalue()
    assert "not sent" in logged and f"SMTP {reply[:3]}" in logged  # the failure is logged...
    assert re.search(r"mail [0-9.]+newsletter\.confirm not sent", logged)  # ...by its id
    for secret in (ADDRESS, "reject-pii", "Rosalind", "203.0.113.77"):
        assert secret not in logged


@pytest.mark.django_db
def test_login_lockout_logs_no_address_or_username(client, log_output, django_user_model):
    django_user_model.objects.create_user("maria@example.org", password="p" * 20, is_staff=True)
    for _ in range(11):
        client.post(
            "/admin/login/",
            {"username": "maria@example.org", "password": "wrong"},
            REMOTE_ADDR="198.51.100.23",
        )
    logged = log_output.getvalue()
    assert "Locking out" in logged or "Too Many Requests" in logged
    assert "maria" not in logged and "198.51.100.23" not in logged


def test_an_exception_text_is_redacted(log_output):
    try:
        raise ValueError({"someone@example.net": (550, b"no")})
    except ValueError:
        logging.getLogger("ketamine_association.probe").exception("failed for %s", "x@y.org")
    logged = log_output.getvalue()
    assert "ValueError" in logged and "Traceback" in logged
    assert "someone@example.net" not in logged and "x@y.org" not in logged


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("to Ann.Lee+news@mail.example.co.uk failed", "to [redacted] failed"),
        (
            "client 203.0.113.9 and 2001:db8::8a2e:370:7334 blocked",
            "client [redacted] and [redacted] blocked",
        ),
        ("call (555) 123-4567 or +1 555.123.4567", "call [redacted] or [redacted]"),
        (
            "{'first_name': 'Ann', 'email': 'a@b.org'}",
            "{'first_name': [redacted], 'email': [redacted]}",
        ),
        ('user=bob phone="555 1234" ok', "user=bob phone=[redacted] ok"),
        (
            'ip_address: "10.1.2.3", path_info: "/admin/"',
            'ip_address: [redacted], path_info: "/admin/"',
        ),
        (
            "version 2026-12-02 of file logo.svg, 12.5 ms",
            "version 2026-12-02 of file logo.svg, 12.5 ms",
        ),
        ("filename=report.csv", "filename=report.csv"),
    ],
)
def test_redact_masks_personal_data_and_keeps_the_rest(text, kept):
    assert redact(text) == kept
    assert REDACTED in kept or text == kept
