"""What other apps add to a provider's profile (the claim link, the membership badge): each
registers a template and a function (request, provider) -> its context, or None to show
nothing. Registered in AppConfig.ready(); the directory never imports those apps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class ProfilePart:
    template: str
    context: Callable[[HttpRequest, object], dict | None]


_PARTS: list[ProfilePart] = []


def register_profile_part(*, template: str, context: Callable[[HttpRequest, object], dict | None]):
    part = ProfilePart(template=template, context=context)
    if part not in _PARTS:
        _PARTS.append(part)


def profile_parts(request: HttpRequest, provider) -> list[tuple[str, dict]]:
    """(template, context) of each registered part that has something to show."""
    shown = []
    for part in _PARTS:
        context = part.context(request, provider)
        if context is not None:
            shown.append((part.template, {"provider": provider, **context}))
    return shown
