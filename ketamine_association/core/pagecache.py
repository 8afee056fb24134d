"""A page cache in front of Django, at the WSGI layer.

A public page that Django marks cacheable (header `X-Page-Cacheable: 1`) is stored whole,
status, headers and body, under the current content version, in the shared cache (Redis in
production) and in the worker's own memory. The next request for that path is answered
before Django builds a request, resolves a URL or runs a middleware. An import bumps the
content version, which invalidates every stored page at once; a worker reads the version from
the shared cache at most every `version_ttl` seconds (1 s), so a re-import shows within a
second everywhere, and a hit costs no round trip at all. Conditional requests (If-None-Match)
get 304 like Django would give.

Before it answers, the cache applies Django's own rules through Django's own code: a request
whose Host is not allowed, or that SECURE_SSL_REDIRECT would send to HTTPS, is passed to
Django (400, 301); pages are stored per scheme, so a cached answer carries exactly the headers
(HSTS included) that Django gave the first request of its kind.
"""

from __future__ import annotations

import contextlib
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest

from ketamine_association.core.content import content_version

MARKER = "X-Page-Cacheable"
_NOT_MODIFIED_HEADERS = {"etag", "cache-control", "last-modified", "vary", "expires"}


def publicly_cacheable(response):
    """Mark a page that is the same for every visitor: browsers and CDNs may keep it a minute,
    and the WSGI page cache may serve it whole until the next import."""
    response["Cache-Control"] = "public, max-age=60, stale-while-revalidate=600"
    response[MARKER] = "1"
    return response


def _key(environ: dict, scheme: str) -> str:
    raw = f"{scheme}:{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    return "wsgi-page:" + hashlib.md5(raw.encode(), usedforsecurity=False).hexdigest()


def _scheme_if_django_would_answer(environ: dict) -> str | None:
    """The request's scheme when Django itself would answer it with a page; None when Django
    would refuse the host (400) or redirect to HTTPS (301), so the request must go to Django."""
    request = WSGIRequest(environ.copy())  # Django writes the decoded path into its environ
    try:
        request.get_host()
    except DisallowedHost:
        return None
    secure = request.is_secure()
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    return "https" if secure else "http"


class PageCacheMiddleware:
    def __init__(self, app, *, timeout: int = 600, version_ttl: float = 1.0, size: int = 2000):
        self.app = app
        self.timeout = timeout
        self.version_ttl = version_ttl
        self.size = size
        self._local: dict[str, tuple] = {}
        self._version = None
        self._checked = float("-inf")

    def _current_version(self):
        now = time.monotonic()
        if now - self._checked >= self.version_ttl:
            version = content_version()  # set on first use, so pages can be stored at once
            if version != self._version:
                self._local.clear()
                self._version = version
            self._checked = now
        return self._version

    def _remember(self, key: str, entry: tuple) -> None:
        if len(self._local) >= self.size:
            self._local.pop(next(iter(self._local)), None)
        self._local[key] = entry

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        try:
            scheme = _scheme_if_django_would_answer(environ)
        except Exception:  # an unreadable request is Django's to answer
            scheme = None
        if scheme is None:
            return self.app(environ, start_response)
        key = _key(environ, scheme)
        try:
            version = self._current_version()
            entry = self._local.get(key)
            if entry is None or entry[0] != version:
                entry = cache.get(key)
                if entry is not None and entry[0] == version:
                    self._remember(key, entry)
        except Exception:  # a cache outage must never take the site down
            return self.app(environ, start_response)
        if entry is not None and version is not None and entry[0] == version:
            return self._serve(entry, environ, start_response)
        return self._fill(key, version, environ, start_response)

    def _serve(self, entry, environ, start_response):
        _, status, headers, body, etag = entry
        if etag and environ.get("HTTP_IF_NONE_MATCH") == etag:
            kept = [(k, v) for k, v in headers if k.lower() in _NOT_MODIFIED_HEADERS]
            start_response("304 Not Modified", kept)
            return [b""]
        start_response(status, headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    def _fill(self, key, version, environ, start_response):
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["cacheable"] = any(k == MARKER for k, _ in headers)
            captured["status"] = status
            captured["headers"] = [(k, v) for k, v in headers if k != MARKER]
            return start_response(status, captured["headers"], exc_info)

        result = self.app(environ, capture)
        storable = captured.get("cacheable") and captured["status"].startswith("200")
        if not storable or environ.get("REQUEST_METHOD") != "GET" or version is None:
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        etag = next((v for k, v in captured["headers"] if k.lower() == "etag"), "")
        entry = (version, captured["status"], captured["headers"], body, etag)
        self._remember(key, entry)
        with contextlib.suppress(Exception):  # serving the page matters more than caching it
            cache.set(key, entry, self.timeout)
        return [body]
