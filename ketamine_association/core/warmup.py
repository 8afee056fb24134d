"""Work a server process does once, at start, instead of inside its first request.

An app registers a function (in its AppConfig.ready); the WSGI and ASGI entry points call
`warm_up()` once Django is set up, so a worker is ready before it takes traffic. Management
commands and tests never pay for it."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_WARMUPS: list[Callable[[], object]] = []


def register_warmup(function: Callable[[], object]) -> None:
    if function not in _WARMUPS:
        _WARMUPS.append(function)


def warm_up() -> None:
    """Run every registered function; one that fails is logged and the server starts anyway."""
    for function in _WARMUPS:
        try:
            function()
        except Exception:
            logger.exception("warm-up %s failed", getattr(function, "__qualname__", function))
