"""Personal data never reaches a log line.

`RedactPersonalData` is a filter on every handler the settings configure (a test walks them):
it rewrites a record's message, exception text and stack text with `redact`, which masks
email addresses, IP addresses, phone numbers, and the value of any field named as personal
(`email=...`, `'first_name': '...'`). Code that logs a mail failure logs the message's id and
`mail_error_summary(exc)`, never the exception's own text, which names recipients."""

from __future__ import annotations

import logging
import re
import smtplib

REDACTED = "[redacted]"

# Fields whose values are personal, as they appear in reprs, kwargs and JSON.
PERSONAL_FIELDS = (
    "email", "e-mail", "mail", "first_name", "last_name", "full_name", "name", "phone",
    "telephone", "address", "street", "ip", "ip_address", "remote_addr", "note", "message",
    "username", "password",
)  # fmt: skip

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*(?![\w:])"
)
_PHONE = re.compile(r"(?<![\w])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\w])")
_FIELD = re.compile(
    r"""(?P<key>(?<![\w-])['"]?(?:"""
    + "|".join(re.escape(f) for f in PERSONAL_FIELDS)
    + r""")['"]?\s*[:=]\s*)(?P<value>'[^']*'|"[^"]*"|[^\s,;}\])]+)""",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with personal data masked."""
    if not text:
        return text
    text = _FIELD.sub(lambda m: m.group("key") + REDACTED, text)
    text = _EMAIL.sub(REDACTED, text)
    text = _IPV6.sub(REDACTED, text)
    text = _IPV4.sub(REDACTED, text)
    return _PHONE.sub(REDACTED, text)


class RedactPersonalData(logging.Filter):
    """Masks personal data in the message, the exception text and the stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def mail_error_summary(exc: BaseException) -> str:
    """What a mail failure may say in a log: its kind and SMTP codes, never the addresses."""
    codes: list[int] = []
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes = [exc.smtp_code]
    suffix = f" (SMTP {', '.join(map(str, codes))})" if codes else ""
    return f"{type(exc).__name__}{suffix}"


def mail_delivery_id(message) -> str:
    """The id a log line names for an email: its Message-ID without the <> and the domain
    (an id looks like an address, and the redaction would mask it whole)."""
    message_id = getattr(message, "extra_headers", {}).get("Message-ID", "")
    return message_id.strip("<>").rpartition("@")[0] or "(no Message-ID)"
