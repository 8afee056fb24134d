"""Encryption at rest (core/crypto.py): tokens hide the text, every configured key reads, only
the first writes, a removed key's tokens no longer open, the field refuses equality lookups,
and the local key is made once, readable by its owner only. The database-level promises (a
dump shows ciphertext only; rotation rewrites every row) are tested with the models that use
the field."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from config.settings.base import local_field_key
from ketamine_association.core import crypto

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keys(settings):
    def use(*names):
        settings.FIELD_ENCRYPTION_KEYS = list(names)

    return use


def test_a_token_hides_the_text_and_differs_each_time(keys):
    keys(NEW)
    first, second = crypto.encrypt("Jane Roe, 555-0100"), crypto.encrypt("Jane Roe, 555-0100")
    assert first != second
    assert "Jane" not in first and "555" not in first
    assert crypto.decrypt(first) == crypto.decrypt(second) == "Jane Roe, 555-0100"


def test_the_first_key_writes_and_every_key_reads(keys):
    keys(OLD)
    written_before = crypto.encrypt("before the rotation")
    keys(NEW, OLD)
    written_after = crypto.encrypt("after")
    assert crypto.decrypt(written_before) == "before the rotation"
    keys(NEW)  # the old key removed
    assert crypto.decrypt(written_after) == "after"
    with pytest.raises(crypto.Undecryptable) as refused:
        crypto.decrypt(written_before)
    assert "before" not in str(refused.value)


def test_an_altered_token_is_refused(keys):
    keys(NEW)
    token = crypto.encrypt("note")
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(crypto.Undecryptable):
        crypto.decrypt(altered)


def test_the_field_allows_no_lookup_but_isnull():
    field = crypto.EncryptedTextField()
    assert field.get_lookup("isnull") is not None
    for name in ("exact", "iexact", "contains", "startswith", "in", "gt"):
        assert field.get_lookup(name) is None, name


def test_lookup_digests_are_keyed_and_separated_by_purpose(settings):
    settings.FIELD_HASH_KEY = "one key"
    digest = crypto.lookup_digest("jane@example.org", purpose="duplicate")
    assert digest == crypto.lookup_digest("jane@example.org", purpose="duplicate")
    assert digest != crypto.lookup_digest("jane@example.org", purpose="rate")
    assert "jane" not in digest
    settings.FIELD_HASH_KEY = "another key"
    assert digest != crypto.lookup_digest("jane@example.org", purpose="duplicate")


def test_the_local_key_is_made_once_and_private(tmp_path):
    key = local_field_key(tmp_path)
    assert local_field_key(tmp_path) == key
    Fernet(key)  # a valid Fernet key
    mode = stat.S_IMODE((tmp_path / "field-encryption.key").stat().st_mode)
    assert mode == 0o600
