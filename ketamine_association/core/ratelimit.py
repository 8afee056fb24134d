"""Limits on how often one client may do a thing, and the one way the site says "too many".

Every 429 the site sends leaves through `too_many_requests` (or, for answers made by a
library, gets its `Retry-After` from `RetryAfterMiddleware`), so a client always learns when it
may try again. The client's address is read in one place, `client_ip`."""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the last hop of CLIENT_IP_HEADER when one trusted proxy sets it."""
    header = settings.CLIENT_IP_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def window_limited(key: str, *, limit: int, window: int) -> int:
    """Count one event under `key` in the current fixed window of `window` seconds.

    0 while the count is within `limit`; otherwise the seconds until the window ends."""
    now = time.time()
    bucket = int(now // window)
    full_key = f"ratelimit:{key}:{window}:{bucket}"
    cache.add(full_key, 0, window)
    try:
        count = cache.incr(full_key)
    except ValueError:  # expired between add and incr
        cache.set(full_key, 1, window)
        count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((bucket + 1) * window - now))


def too_many_requests(
    request: HttpRequest, *, retry_after: int, template: str, context: dict | None = None
) -> HttpResponse:
    """A 429 page that says what happened and, in its header, when to come back."""
    retry_after = max(1, int(retry_after))
    full_context = {"retry_after": retry_after, "retry_minutes": math.ceil(retry_after / 60)}
    response = render(request, template, {**full_context, **(context or {})}, status=429)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: our page, 429, Retry-After = the cool-off."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else settings.RETRY_AFTER_DEFAULT
    until = timezone.localtime() + timezone.timedelta(seconds=seconds)
    return too_many_requests(
        request, retry_after=seconds, template="core/locked_out.html", context={"until": until}
    )


class RetryAfterMiddleware:
    """Any 429 that leaves without `Retry-After` (a library's own answer) gets the default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(settings.RETRY_AFTER_DEFAULT)
        return response
