"""Signed links, with django.core.signing and one salt per purpose.

- confirm: `signing.dumps` (a TimestampSigner) of the subscriber and the nonce of their latest
  request; 7 days (NEWSLETTER_CONFIRM_MAX_AGE); the nonce is cleared on use, so it works once.
- unsubscribe, preferences: long-lived, one per recipient: `<id in base 36>.<signature>`,
  signed with a salt that includes the subscriber's own key (a new key revokes their links).
  Only `[A-Za-z0-9._-]`, and short enough for the local part of the List-Unsubscribe mailto
  (RFC 5321: at most 64 octets).
"""

from __future__ import annotations

from django.core import signing
from django.utils.http import base36_to_int, int_to_base36

from . import conf

CONFIRM_SALT = "newsletter.confirm"
UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def confirm_token(*, subscriber_id: int, nonce: str) -> str:
    return signing.dumps({"s": subscriber_id, "n": nonce}, salt=CONFIRM_SALT)


def confirm_token_read(token: str) -> tuple[int, str]:
    """(subscriber id, nonce); LinkExpired after the maximum age, LinkInvalid if tampered."""
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=conf.get("CONFIRM_MAX_AGE"))
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict):
        raise LinkInvalid
    subscriber_id, nonce = payload.get("s"), payload.get("n")
    if not isinstance(subscriber_id, int) or not isinstance(nonce, str) or not nonce:
        raise LinkInvalid
    return subscriber_id, nonce


def _signer(purpose: str, key: str) -> signing.Signer:
    return signing.Signer(salt=f"newsletter.{purpose}.{key}", sep=".")


def recipient_token(*, purpose: str, subscriber_id: int, key: str) -> str:
    return _signer(purpose, key).sign(int_to_base36(subscriber_id))


def recipient_token_id(token: str) -> int | None:
    """The subscriber id a recipient token names, before its signature is checked."""
    head, dot, _ = token.partition(".")
    if not dot:
        return None
    try:
        return base36_to_int(head)
    except ValueError:
        return None


def recipient_token_valid(*, token: str, purpose: str, key: str) -> bool:
    try:
        _signer(purpose, key).unsign(token)
    except signing.BadSignature:
        return False
    return True
