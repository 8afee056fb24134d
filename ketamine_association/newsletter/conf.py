"""Newsletter settings: each one a Django setting if defined, else the environment, else a default.

Nothing here needs an edit to config/settings: set `NEWSLETTER_SEND_RATE=50` in the environment
(or in a settings module) and it applies.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Consent sentence shown beside the form and stored verbatim, with its version, per event.
    "CONSENT_TEXT": (
        "I agree to receive the Ketamine Association newsletter by email. The association "
        "keeps a record of this consent and uses my address for nothing else; I can leave at "
        "any time with the link in every email."
    ),
    "CONSENT_VERSION": "2026-01",
    # A confirmation link works for 7 days.
    "CONFIRM_MAX_AGE": 7 * 24 * 3600,
    # Signups: at most RATE_PER_IP per IP and RATE_PER_ADDRESS per address per RATE_WINDOW s.
    "RATE_PER_IP": 10,
    "RATE_PER_ADDRESS": 3,
    "RATE_WINDOW": 3600,
    # Secret salt of the IP hash; derived from SECRET_KEY when empty.
    "IP_SALT": "",
    # Sending: messages per second (0 = as fast as the relay accepts), rows claimed per batch
    # (one SMTP connection each), seconds after which another sender may take over a claim.
    "SEND_RATE": 25.0,
    "BATCH_SIZE": 100,
    "CLAIM_TIMEOUT": 600,
    # Temporary SMTP failures: retry after RETRY_BASE * 2**(attempt-1) s, at most RETRY_MAX s,
    # and give up after MAX_ATTEMPTS attempts.
    "RETRY_BASE": 60,
    "RETRY_MAX": 6 * 3600,
    "MAX_ATTEMPTS": 8,
    # Pending signups older than this many days are erased by purge_newsletter.
    "PENDING_DAYS": 30,
    # Domain of the List-Unsubscribe mailto and of Message-IDs; default: DEFAULT_FROM_EMAIL's.
    "MAIL_DOMAIN": "",
    "LIST_ID": "Ketamine Association newsletter",
}

_TYPES = {name: type(value) for name, value in DEFAULTS.items()}


def get(name: str) -> Any:
    """NEWSLETTER_<name> from settings, else from the environment, else the default."""
    full = f"NEWSLETTER_{name}"
    if hasattr(settings, full):
        return getattr(settings, full)
    raw = os.environ.get(full)
    if raw is None:
        return DEFAULTS[name]
    return _TYPES[name](raw)


def ip_salt() -> str:
    return get("IP_SALT") or f"newsletter-ip:{settings.SECRET_KEY}"


def mail_domain() -> str:
    domain = get("MAIL_DOMAIN")
    if domain:
        return domain
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rpartition("@")[2] or "localhost"
