"""What the newsletter keeps about a request: a salted hash of the IP, never the IP itself,
and per-IP / per-address signup counters in the cache."""

from __future__ import annotations

import hashlib
import hmac

from django.core.cache import cache
from django.http import HttpRequest

from . import conf


def normalise_email(email: str) -> str:
    """One address, one row: surrounding space dropped, lower-cased as a whole."""
    return email.strip().lower()


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the last hop of NEWSLETTER_IP_HEADER when a trusted proxy sets one."""
    header = conf.get("IP_HEADER")
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def ip_hash(ip: str) -> str:
    if not ip:
        return ""
    return hmac.new(conf.ip_salt().encode(), ip.encode(), hashlib.sha256).hexdigest()


def _over(key: str, *, limit: int, window: int) -> bool:
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count > limit


def signup_ip_limited(*, ip_hashed: str) -> bool:
    """Counts every signup POST from one (hashed) IP."""
    return _over(
        f"newsletter:rate:ip:{ip_hashed}",
        limit=conf.get("RATE_PER_IP"),
        window=conf.get("RATE_WINDOW"),
    )


def signup_address_limited(*, email: str) -> bool:
    """Counts the signups of one address, whatever its status, so the limit reveals nothing."""
    digest = hmac.new(conf.ip_salt().encode(), email.encode(), hashlib.sha256).hexdigest()
    return _over(
        f"newsletter:rate:address:{digest}",
        limit=conf.get("RATE_PER_ADDRESS"),
        window=conf.get("RATE_WINDOW"),
    )
