"""privacy.py on its own: a keyed and stable IP hash, and the
per-IP / per-address signup limits counted within one window."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ketamine_association.core import ratelimit
from ketamine_association.newsletter import privacy

# --- ip_hash ---------------------------------------------------------------------------------


def test_ip_hash_is_the_hmac_of_the_ip_under_the_salt(settings):
    settings.NEWSLETTER_IP_SALT = "pepper"
    expected = hmac.new(b"pepper", b"203.0.113.9", hashlib.sha256).hexdigest()
    assert privacy.ip_hash("203.0.113.9") == expected
    assert privacy.ip_hash("203.0.113.9") == expected  # stable: the same IP, the same hash
    assert "203.0.113.9" not in expected
    assert privacy.ip_hash("203.0.113.9") != hashlib.sha256(b"203.0.113.9").hexdigest()


def test_ip_hash_is_keyed(settings):
    settings.NEWSLETTER_IP_SALT = "one-salt"
    first = privacy.ip_hash("198.51.100.7")
    settings.NEWSLETTER_IP_SALT = "another-salt"
    assert privacy.ip_hash("198.51.100.7") != first
    settings.NEWSLETTER_IP_SALT = "one-salt"
    assert privacy.ip_hash("198.51.100.7") == first


def test_ip_hash_without_a_salt_is_keyed_by_the_secret_key(settings):
    settings.NEWSLETTER_IP_SALT = ""
    settings.SECRET_KEY = "secret-one-" + "x" * 50
    first = privacy.ip_hash("198.51.100.7")
    settings.SECRET_KEY = "secret-two-" + "x" * 50
    assert privacy.ip_hash("198.51.100.7") != first


def test_ip_hash_separates_addresses_and_is_empty_without_one():
    assert privacy.ip_hash("198.51.100.7") != privacy.ip_hash("198.51.100.8")
    assert len(privacy.ip_hash("2001:db8::1")) == 64
    assert privacy.ip_hash("") == ""


# --- the signup limits -----------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """time.time() of the rate limiter, set by the test: the start of a 600 s window."""
    now = {"t": 600.0 * 3_000_000}
    monkeypatch.setattr(ratelimit.time, "time", lambda: now["t"])
    return now


@pytest.fixture
def limits(settings):
    settings.NEWSLETTER_RATE_PER_IP = 4
    settings.NEWSLETTER_RATE_PER_ADDRESS = 2
    settings.NEWSLETTER_RATE_WINDOW = 600


def test_per_ip_limit_counts_within_the_window(clock, limits):
    ip = privacy.ip_hash("203.0.113.5")
    assert [privacy.signup_ip_limited(ip_hashed=ip) for _ in range(4)] == [0, 0, 0, 0]
    clock["t"] += 100
    assert privacy.signup_ip_limited(ip_hashed=ip) == 500  # the 5th: wait for the window's end
    assert privacy.signup_ip_limited(ip_hashed=privacy.ip_hash("203.0.113.6")) == 0  # per IP
    clock["t"] += 500  # the next window starts afresh
    assert privacy.signup_ip_limited(ip_hashed=ip) == 0


def test_per_address_limit_counts_within_the_window(clock, limits):
    assert privacy.signup_address_limited(email="ada@example.org") == 0
    assert privacy.signup_address_limited(email="ada@example.org") == 0
    clock["t"] += 599
    assert privacy.signup_address_limited(email="ada@example.org") == 1
    assert privacy.signup_address_limited(email="bob@example.org") == 0  # per address
    clock["t"] += 1
    assert privacy.signup_address_limited(email="ada@example.org") == 0


def test_ip_and_address_counters_are_separate(clock, limits):
    # an IP hash that happens to equal an address string must not share its counter
    for _ in range(2):
        assert privacy.signup_address_limited(email="same") == 0
    assert privacy.signup_ip_limited(ip_hashed="same") == 0
    assert privacy.signup_address_limited(email="same") > 0


def test_address_counter_key_does_not_hold_the_address(clock, limits):
    from django.core.cache import cache

    privacy.signup_address_limited(email="ada@example.org")
    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys, "expected the local-memory cache in tests"
    assert not any("ada@example.org" in str(k) for k in keys)
