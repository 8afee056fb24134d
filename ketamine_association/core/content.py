"""The content version: one value in the shared cache that every cached page is stored under.

Any app that changes what the public pages show (an import, an edit) calls
`content_version_bump()`; the WSGI page cache (`core/pagecache.py`) compares each stored page
with `content_version()`, so a bump invalidates every page at once."""

from __future__ import annotations

import time

from django.core.cache import cache

CONTENT_VERSION_KEY = "articles:content-version"  # the key already held by running caches


def content_version() -> str:
    """The current version; set on first use, so pages can be stored at once."""
    return cache.get_or_set(CONTENT_VERSION_KEY, lambda: str(time.time_ns()), None)


def content_version_bump() -> None:
    """Every cached page is stored under this version: a bump invalidates them all."""
    cache.set(CONTENT_VERSION_KEY, str(time.time_ns()), None)
