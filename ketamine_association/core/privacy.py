"""Personal values reduced to what a lookup needs: a keyed hash (HMAC-SHA256), never the value.

Apps use it wherever equality is enough (a rate-limit counter per IP, a consent record's
IP, a duplicate check): the same value and key give the same digest, and without the key
the digest says nothing about the value."""

from __future__ import annotations

import hashlib
import hmac


def keyed_digest(value: str, *, key: str) -> str:
    """The hex HMAC-SHA256 of `value` under `key`."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
