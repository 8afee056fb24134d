"""What apps offer to the site's own pages: core's home and 404 pages are composed of the
sections apps register here, and a missing page asks the registered redirect resolvers
whether the address has moved. Apps register in their AppConfig.ready(); core never imports
an app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PageSection:
    """A template included in a page, with the context its function returns."""

    template: str
    context: Callable[[], dict]


_HOME: list[PageSection] = []
_NOT_FOUND: list[PageSection] = []
_RESOLVERS: list[Callable[[str], str | None]] = []


def register_home_section(*, template: str, context: Callable[[], dict]) -> None:
    _add(_HOME, PageSection(template=template, context=context))


def register_not_found_section(*, template: str, context: Callable[[], dict]) -> None:
    _add(_NOT_FOUND, PageSection(template=template, context=context))


def register_redirect_resolver(resolver: Callable[[str], str | None]) -> None:
    """`resolver(path)` -> where a missing path now lives, or None."""
    _add(_RESOLVERS, resolver)


def _add(registry: list, item) -> None:
    if item not in registry:
        registry.append(item)


def home_sections() -> list[tuple[str, dict]]:
    return [(section.template, section.context()) for section in _HOME]


def not_found_sections() -> list[tuple[str, dict]]:
    """Like home_sections, but a section that fails is left out: a 404 page must render even
    if the database is unwell."""
    rendered = []
    for section in _NOT_FOUND:
        try:
            rendered.append((section.template, section.context()))
        except Exception:  # noqa: S112 - the page is still useful without this section
            continue
    return rendered


def redirect_for(path: str) -> str | None:
    """The first registered resolver's answer for a missing path; a resolver that fails is
    skipped."""
    for resolver in _RESOLVERS:
        try:
            target = resolver(path)
        except Exception:  # noqa: S112 - a 404 page must render even if the database is unwell
            continue
        if target:
            return target
    return None
