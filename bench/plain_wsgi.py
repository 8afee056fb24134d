"""Bench only (bench/consultations.py): the production WSGI application with field encryption
replaced by the identity, so the same server code stores requests in clear text. Never used by
the site; the application has no switch for this.

    granian --interface wsgi plain_wsgi:application   (with bench/ on PYTHONPATH)

`core.crypto.encrypt` and `decrypt` are swapped before Django starts; once it has started and
every view is imported (the URLconf), any module that imported them by name is swapped too
(`PLAIN_PATCHED` lists what was swapped). The bench checks the effect in the database: after a
plain run no stored name is a Fernet token."""

from __future__ import annotations

import sys

import ketamine_association.core.crypto as crypto

_ENCRYPT, _DECRYPT = crypto.encrypt, crypto.decrypt


def _identity(value: str) -> str:
    return value


def _swap() -> list[str]:
    patched = []
    for name, module in list(sys.modules.items()):
        for attr, original in (("encrypt", _ENCRYPT), ("decrypt", _DECRYPT)):
            if getattr(module, attr, None) is original:
                setattr(module, attr, _identity)
                patched.append(f"{name}.{attr}")
    return patched


PLAIN_PATCHED = _swap()

from django.urls import get_resolver  # noqa: E402

from config.wsgi import application  # noqa: E402 - after the swap

get_resolver().url_patterns  # noqa: B018 - imports every view module now
PLAIN_PATCHED += _swap()

__all__ = ["application", "PLAIN_PATCHED"]
