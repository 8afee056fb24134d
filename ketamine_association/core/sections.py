"""What apps offer to the site's own pages: core's home and 404 pages are composed of the
sections apps register here, and a missing page asks the registered redirect resolvers
whether the address has moved. Apps register in their AppConfig.ready(); core never imports
an app."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


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


# The signed-in practitioner's dashboard (accounts): apps add a section with a function
# (user) -> its context, or None to show nothing for this account.
_DASHBOARD: list[tuple[str, Callable]] = []


def register_dashboard_section(*, template: str, context: Callable) -> None:
    _add(_DASHBOARD, (template, context))


def dashboard_sections(user) -> list[tuple[str, dict]]:
    shown = []
    for template, context in _DASHBOARD:
        if (values := context(user)) is not None:
            shown.append((template, values))
    return shown


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


# Slots: a place in a content page (a Markdown file) where an app's live data goes. The
# editor writes a line `<!-- name -->`; the page import turns a registered name into a token
# the sanitizer keeps, and the page view fills it with `render(request)` (HTML the app's own
# template made). An unregistered name stays a comment, which the sanitizer drops.
SLOT_MARK_RE = re.compile(r"^<!--[ \t]*([a-z][a-z0-9-]*)[ \t]*-->[ \t]*$", re.M)
_SLOT_TOKEN_RE = re.compile(r"<p>\[\[slot:([a-z][a-z0-9-]*)\]\]</p>")
_SLOTS: dict[str, Callable[[HttpRequest], str]] = {}


def register_slot(name: str, render: Callable[[HttpRequest], str]) -> None:
    _SLOTS[name] = render


def slot_tokens(markdown: str) -> str:
    """The body with each registered slot's line replaced by its token paragraph."""

    def token(match: re.Match) -> str:
        name = match.group(1)
        return f"[[slot:{name}]]" if name in _SLOTS else match.group(0)

    return SLOT_MARK_RE.sub(token, markdown)


def fill_slots(html: str, request: HttpRequest) -> str:
    """The stored page HTML with every slot token replaced by what its app renders now."""

    def fill(match: re.Match) -> str:
        render = _SLOTS.get(match.group(1))
        return render(request) if render is not None else ""

    return _SLOT_TOKEN_RE.sub(fill, html)


# Navigation: apps register a function returning their links for the header and the footer
# as {"header": [(order, label, path), ...], "footer": [...]}; core's context processor
# merges them in order for every page (core/templates/core/base.html).
_NAV: list[Callable[[], dict[str, list[tuple[int, str, str]]]]] = []


def register_nav(links: Callable[[], dict[str, list[tuple[int, str, str]]]]) -> None:
    _add(_NAV, links)


def site_nav() -> dict[str, list[tuple[str, str]]]:
    """(label, path) for the header and the footer, by order then label; a source that fails
    is left out, so a page still renders when the database is unwell."""
    places: dict[str, list[tuple[int, str, str]]] = {"header": [], "footer": []}
    for links in _NAV:
        try:
            found = links()
        except Exception:  # noqa: S112 - the page is still useful without these links
            continue
        for place, entries in found.items():
            places.setdefault(place, []).extend(entries)
    return {
        place: [(label, path) for _, label, path in sorted(entries)]
        for place, entries in places.items()
    }
