"""Absolute URLs on SITE_URL, the public origin: canonical links, feeds, sitemaps, emails."""

from __future__ import annotations

from django.conf import settings


def absolute(url: str) -> str:
    """`/blog/x` -> `https://<site>/blog/x`; an empty URL stays empty, an absolute one as is."""
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url}"
