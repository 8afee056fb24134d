"""What the newsletter keeps about a request: a salted hash of the IP, never the IP itself,
and per-IP / per-address signup counters in the cache."""

from __future__ import annotations

from ketamine_association.core.privacy import keyed_digest
from ketamine_association.core.ratelimit import window_limited

from . import conf


def ip_hash(ip: str) -> str:
    if not ip:
        return ""
    return keyed_digest(ip, key=conf.ip_salt())


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
    digest = keyed_digest(email, key=conf.ip_salt())
    return window_limited(
        f"newsletter:address:{digest}",
        limit=conf.get("RATE_PER_ADDRESS"),
        window=conf.get("RATE_WINDOW"),
    )
