"""What the newsletter keeps about a request: a salted hash of the IP, never the IP itself,
and per-IP / per-address signup counters in the cache."""

from __future__ import annotations

import hashlib
import hmac

from ketamine_association.core.ratelimit import window_limited

from . import conf


def ip_hash(ip: str) -> str:
    if not ip:
        return ""
    return hmac.new(conf.ip_salt().encode(), ip.encode(), hashlib.sha256).hexdigest()


def signup_ip_limited(*, ip_hashed: str) -> int:
    """Counts every signup POST from one (hashed) IP; 0, or the seconds to wait."""
    return window_limited(
        f"newsletter:ip:{ip_hashed}",
        limit=conf.get("RATE_PER_IP"),
        window=conf.get("RATE_WINDOW"),
    )


def signup_address_limited(*, email: str) -> int:
    """Counts the signups of one address, whatever its status, so the limit reveals nothing;
    0, or the seconds to wait."""
    digest = hmac.new(conf.ip_salt().encode(), email.encode(), hashlib.sha256).hexdigest()
    return window_limited(
        f"newsletter:address:{digest}",
        limit=conf.get("RATE_PER_ADDRESS"),
        window=conf.get("RATE_WINDOW"),
    )
