"""The one way to send a transactional mail (a confirmation, a welcome, a notice to one person).

`send_transactional` checks the mail, then queues the task `core.tasks.deliver_mail` once the
current transaction commits; the task worker (`manage.py db_worker`) sends it with the
configured EMAIL_BACKEND and retries it with backoff while the relay is unreachable. The web
request never waits for the relay and never fails because of it.

Every value that ends up in a header is checked here, before anything is queued: no CR, LF or
other control character anywhere, one recipient address parsed strictly, header names as RFC
5322 allows them and none that would add a recipient. A bad value raises ValueError.

Campaigns are not transactional mail: the newsletter's batch sender has its own ledger."""

from __future__ import annotations

import functools
import logging
import re
from email.utils import getaddresses, make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .tasks import deliver_mail, delivery_id

logger = logging.getLogger(__name__)

# Any C0 control character but TAB, and DEL: CR and LF above all (header injection).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 5322 field-name: printable US-ASCII but the colon.
_FIELD_NAME = re.compile(r"[!-9;-~]+")
# Headers with an argument of their own, or that would add a recipient or change the sender.
_RESERVED_HEADERS = frozenset(
    {"to", "cc", "bcc", "from", "sender", "subject", "reply-to", "resent-to", "resent-cc",
     "resent-bcc", "resent-from", "resent-sender", "content-type",
     "content-transfer-encoding", "mime-version"}
)  # fmt: skip


def _single_line(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string")
    if _CONTROL.search(value):
        raise ValueError(f"{what} contains a line break or a control character")
    return value


def mail_address(value: str, what: str = "address") -> str:
    """One address, `user@example.org` or `Name <user@example.org>`, else ValueError."""
    _single_line(value, what)
    pairs = getaddresses([value])
    name, address = parseaddr(value)
    if len(pairs) != 1 or pairs[0] != (name, address) or not address:
        raise ValueError(f"{what} is not exactly one email address")
    try:
        validate_email(address)
    except ValidationError:
        raise ValueError(f"{what} is not a valid email address") from None
    return value


def _headers(headers: dict[str, str]) -> dict[str, str]:
    checked = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
            raise ValueError("a header name is not a valid field name")
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"the {name} header cannot be set through headers")
        checked[name] = _single_line(value, f"the {name} header")
    return checked


def _message_id() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid("mail", domain=domain)


def send_transactional(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    from_email: str | None = None,
    reply_to: tuple[str, ...] | list[str] = (),
    headers: dict[str, str] | None = None,
) -> str:
    """Queue one mail to one recipient, sent once the current transaction commits (at once
    outside a transaction). Returns its delivery id, the one its log lines name. Raises
    ValueError for a header value that could inject a header or a recipient; a failure to
    queue is logged, never raised."""
    message = {
        "to": mail_address(to, "the recipient"),
        "subject": _single_line(subject, "the subject"),
        "text": text,
        "html": html,
        "from_email": mail_address(from_email or settings.DEFAULT_FROM_EMAIL, "the sender"),
        "reply_to": [mail_address(address, "a reply-to address") for address in reply_to],
        "headers": _headers(headers or {}),
    }
    message["headers"].setdefault("Message-ID", _message_id())
    transaction.on_commit(functools.partial(enqueue_delivery, message))
    return delivery_id(message)


def enqueue_delivery(message: dict) -> None:
    """Hand the message to the task queue; a broken queue is logged, not raised: the person
    who asked for the mail sees their page, and can ask again."""
    try:
        deliver_mail.enqueue(message=message, attempt=1)
    except Exception as exc:
        logger.error("mail %s not queued: %s", delivery_id(message), type(exc).__name__)
