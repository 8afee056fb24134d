"""tokens.py on its own: what each function returns, without the views around it.

tests/security/test_tokens.py drives tampered and expired links through the views (every
mutation, every method). This module covers the functions' own contract: the round trip
returns exactly what was signed, the purposes and people are kept apart by the salt, the
confirm token's age limit follows NEWSLETTER_CONFIRM_MAX_AGE at its boundary, the token
alphabet and length, and recipient_token_id reading the id before the signature is checked."""

from __future__ import annotations

import re
import time

import pytest
from django.core import signing

from ketamine_association.newsletter import tokens

SAFE = re.compile(r"[A-Za-z0-9._-]+")


def recipient(purpose=tokens.UNSUBSCRIBE, subscriber_id=42, key="key-of-42"):
    return tokens.recipient_token(purpose=purpose, subscriber_id=subscriber_id, key=key)


# --- confirm tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("subscriber_id, nonce", [(1, "n"), (987_654_321, "a-long-nonce-" * 4)])
def test_confirm_round_trip_returns_what_was_signed(subscriber_id, nonce):
    token = tokens.confirm_token(subscriber_id=subscriber_id, nonce=nonce)
    assert tokens.confirm_token_read(token) == (subscriber_id, nonce)


def test_confirm_tokens_differ_per_subscriber_and_nonce():
    one = tokens.confirm_token(subscriber_id=1, nonce="x")
    assert tokens.confirm_token(subscriber_id=2, nonce="x") != one
    assert tokens.confirm_token(subscriber_id=1, nonce="y") != one


def test_confirm_token_is_signed_with_the_confirm_salt_only():
    token = tokens.confirm_token(subscriber_id=7, nonce="abc")
    assert signing.loads(token, salt=tokens.CONFIRM_SALT) == {"s": 7, "n": "abc"}
    with pytest.raises(signing.BadSignature):
        signing.loads(token)  # no salt: another purpose cannot read it
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt="newsletter.unsubscribe")


def test_a_recipient_token_is_not_a_confirm_token():
    with pytest.raises(tokens.LinkInvalid):
        tokens.confirm_token_read(recipient())


@pytest.mark.parametrize(
    "payload",
    [
        ["not", "a", "dict"],
        "text",
        {"s": "1", "n": "x"},  # id not an int
        {"s": 1, "n": ""},  # empty nonce
        {"s": 1, "n": 5},  # nonce not a string
        {"n": "x"},  # no id
        {"s": 1},  # no nonce
    ],
)
def test_a_genuinely_signed_but_malformed_payload_is_invalid(payload):
    token = signing.dumps(payload, salt=tokens.CONFIRM_SALT)
    with pytest.raises(tokens.LinkInvalid):
        tokens.confirm_token_read(token)


def signed_at(moment, monkeypatch, **fields):
    with monkeypatch.context() as past:
        past.setattr(signing.time, "time", lambda: moment)
        return tokens.confirm_token(**fields)


def test_confirm_token_expires_at_the_configured_age(monkeypatch, settings):
    settings.NEWSLETTER_CONFIRM_MAX_AGE = 600
    now = time.time()
    fresh = signed_at(now - 590, monkeypatch, subscriber_id=3, nonce="n")
    stale = signed_at(now - 610, monkeypatch, subscriber_id=3, nonce="n")
    assert tokens.confirm_token_read(fresh) == (3, "n")
    with pytest.raises(tokens.LinkExpired):
        tokens.confirm_token_read(stale)
    # the same stale token is good again under a longer limit: the age comes from the setting
    settings.NEWSLETTER_CONFIRM_MAX_AGE = 3600
    assert tokens.confirm_token_read(stale) == (3, "n")


def test_expired_is_not_reported_for_a_tampered_old_token(monkeypatch):
    old = signed_at(time.time() - 30 * 24 * 3600, monkeypatch, subscriber_id=3, nonce="n")
    value, _, signature = old.rpartition(":")
    with pytest.raises(tokens.LinkInvalid):
        tokens.confirm_token_read(f"{value}:{signature[::-1]}")


# --- recipient tokens (unsubscribe, preferences) ---------------------------------------------


def test_recipient_token_round_trip_and_shape():
    token = recipient(subscriber_id=123_456_789)
    assert tokens.recipient_token_valid(token=token, purpose=tokens.UNSUBSCRIBE, key="key-of-42")
    assert tokens.recipient_token_id(token) == 123_456_789
    assert SAFE.fullmatch(token), token
    assert len(token) <= 64  # the local part of the List-Unsubscribe mailto (RFC 5321)
    assert token.split(".", 1)[0] == "21i3v9"  # the id in base 36


def test_recipient_token_is_stable_and_never_expires(monkeypatch):
    token = recipient()
    assert recipient() == token  # one link per recipient, the same in every email
    later = time.time() + 10 * 365 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert tokens.recipient_token_valid(token=token, purpose=tokens.UNSUBSCRIBE, key="key-of-42")


def test_recipient_token_is_bound_to_purpose_person_and_key():
    token = recipient()
    assert recipient(purpose=tokens.PREFERENCES) != token
    assert recipient(subscriber_id=43) != token
    assert recipient(key="another-key") != token
    assert not tokens.recipient_token_valid(
        token=token, purpose=tokens.PREFERENCES, key="key-of-42"
    )
    assert not tokens.recipient_token_valid(token=token, purpose=tokens.UNSUBSCRIBE, key="new-key")
    # another person's id under this person's signature
    signature = token.split(".", 1)[1]
    swapped = f"{recipient(subscriber_id=43).split('.', 1)[0]}.{signature}"
    assert not tokens.recipient_token_valid(
        token=swapped, purpose=tokens.UNSUBSCRIBE, key="key-of-42"
    )


@pytest.mark.parametrize(
    "token, expected",
    [("z.sig", 35), ("10.sig", 36), ("nodot", None), ("!!.sig", None), ("", None), (".sig", None)],
)
def test_recipient_token_id_reads_the_id_without_checking(token, expected):
    assert tokens.recipient_token_id(token) == expected
