"""Personal data encrypted at rest: one home for the keys, the cipher and the model field.

Keys: `FIELD_ENCRYPTION_KEYS`, a comma-separated list of Fernet keys (AES-128-CBC with an
HMAC-SHA256, from `cryptography`); the first encrypts, every one decrypts (MultiFernet), so a
new key is put first, `manage.py rotate_field_keys` re-encrypts every row with it, and the old
key is then removed. Production refuses to start without the variable; elsewhere a key made
on first use is kept in `var/field-encryption.key` (config/settings/base.py; never in the
repository).

`EncryptedTextField` stores a Fernet token and gives back the text; it refuses every lookup
but `isnull` (a token differs at each save, so equality would silently match nothing): an
equality that a feature needs (a rate limit, a duplicate check) uses `lookup_digest`, a keyed
hash, stored beside it."""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from .privacy import keyed_digest

TOKEN_START = "gAAAAA"  # noqa: S105 - every Fernet token: byte 0x80, then a timestamp


class Undecryptable(ValueError):
    """A stored value that no configured key decrypts (its key was removed, or it was altered)."""


@functools.cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ValueError("FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key) for key in keys])


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise Undecryptable("a stored value no configured key decrypts") from exc


def lookup_digest(value: str, *, purpose: str) -> str:
    """A keyed hash for equality lookups on an encrypted value (never the value itself).
    `purpose` separates uses, so one digest cannot be matched against another's."""
    return keyed_digest(f"{purpose}\x00{value}", key=settings.FIELD_HASH_KEY)


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; read back as the text. Only `isnull` lookups."""

    description = "Text encrypted at rest (Fernet)"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def value_to_string(self, obj) -> str | None:
        """What serializers (dumpdata) write: the token, never the text."""
        value = self.value_from_object(obj)
        return None if value is None else encrypt(str(value))

    def to_python(self, value):
        """Text as is; a token (loaddata of a dump) opened. A typed text is never a valid token:
        a token carries an HMAC under our key."""
        if isinstance(value, str) and value.startswith(TOKEN_START):
            try:
                return decrypt(value)
            except Undecryptable:
                return value
        return value

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None


def encrypted_fields() -> dict[type[models.Model], list[str]]:
    """Every installed model with encrypted fields, and those fields' names."""
    found = {}
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found[model] = names
    return found


def rotate_encrypted_fields(*, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted value with the first key (read with any key): after it the
    other keys can be removed. A transaction a batch; returns rows rewritten per model."""
    done = {}
    for model, names in encrypted_fields().items():
        count = 0
        ids = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), batch):
            with transaction.atomic():
                rows = list(
                    model._default_manager.select_for_update()
                    .filter(pk__in=ids[start : start + batch])
                    .only("pk", *names)
                )
                model._default_manager.bulk_update(rows, names)
            count += len(rows)
        done[model._meta.label] = count
    return done
