"""A page cache in front of Django, at the WSGI layer.

A public page that Django marks cacheable (header `X-Page-Cacheable: 1`) is stored whole,
status, headers and body, under the current content version; the next request for that path
is answered from the cache before Django builds a request, resolves a URL or runs a
middleware. An import bumps the content version, which invalidates every stored page at once.
It answers conditional requests (If-None-Match) with 304 like Django would.
"""

from __future__ import annotations

import contextlib
import hashlib

from django.core.cache import cache

from ketamine_association.articles.services import CONTENT_VERSION_KEY

MARKER = "X-Page-Cacheable"
_NOT_MODIFIED_HEADERS = {"etag", "cache-control", "last-modified", "vary", "expires"}


def _key(environ: dict) -> str:
    raw = f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    return "wsgi-page:" + hashlib.md5(raw.encode(), usedforsecurity=False).hexdigest()


class PageCacheMiddleware:
    def __init__(self, app, *, timeout: int = 600):
        self.app = app
        self.timeout = timeout

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        key = _key(environ)
        try:
            found = cache.get_many([CONTENT_VERSION_KEY, key])
        except Exception:  # a cache outage must never take the site down
            return self.app(environ, start_response)
        version = found.get(CONTENT_VERSION_KEY)
        entry = found.get(key)
        if entry is not None and version is not None and entry[0] == version:
            _, status, headers, body, etag = entry
            if etag and environ.get("HTTP_IF_NONE_MATCH") == etag:
                kept = [(k, v) for k, v in headers if k.lower() in _NOT_MODIFIED_HEADERS]
                start_response("304 Not Modified", kept)
                return [b""]
            start_response(status, headers)
            return [b"" if method == "HEAD" else body]

        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["cacheable"] = any(k == MARKER for k, _ in headers)
            captured["status"] = status
            captured["headers"] = [(k, v) for k, v in headers if k != MARKER]
            return start_response(status, captured["headers"], exc_info)

        result = self.app(environ, capture)
        if not (captured.get("cacheable") and captured["status"].startswith("200")) or (
            method != "GET" or version is None
        ):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        etag = next((v for k, v in captured["headers"] if k.lower() == "etag"), "")
        entry = (version, captured["status"], captured["headers"], body, etag)
        with contextlib.suppress(Exception):  # serving the page matters more than caching it
            cache.set(key, entry, self.timeout)
        return [body]
