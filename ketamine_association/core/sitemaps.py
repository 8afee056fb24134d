"""The site's sitemap: apps register their sections here, core serves /sitemap.xml,
/sitemap-<name>.xml and /robots.txt (see core/views.py).

An app registers in its AppConfig.ready(); sections are listed in the order they were
registered, so in the order of INSTALLED_APPS."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap

_SECTIONS: dict[str, type[Sitemap]] = {}


class SiteSitemap(Sitemap):
    """Absolute URLs on SITE_URL, whatever host the request came to."""

    @property
    def limit(self):
        return settings.SITEMAP_LIMIT

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def item_count(self) -> int:
        """How many URLs the section lists: paginator.count. A section that can count its
        items without building them (a query) overrides this; sitemap_index_paths uses it."""
        return self.paginator.count


def register_sitemap(name: str, section: type[Sitemap]) -> None:
    """Add a section, served at /sitemap-<name>.xml and listed in /sitemap.xml."""
    if _SECTIONS.get(name, section) is not section:
        raise ValueError(f"sitemap section {name!r} is already registered")
    _SECTIONS[name] = section


def sitemap_sections() -> dict[str, type[Sitemap]]:
    """Every registered section by name, in registration order."""
    return dict(_SECTIONS)


def sitemap_index_paths(sections: dict[str, Sitemap]) -> list[str] | None:
    """The paths a sitemap index lists (`/sitemap-<name>.xml`, `?p=<n>` beyond the first page)
    when the site has more URLs than one sitemap may hold (settings.SITEMAP_LIMIT); None while
    everything fits in a single /sitemap.xml. `sections` are instances of the registered
    sections (see sitemap_sections)."""
    counts = {name: _item_count(section) for name, section in sections.items()}
    if sum(counts.values()) <= settings.SITEMAP_LIMIT:
        return None
    return [
        f"/sitemap-{name}.xml" + (f"?p={page}" if page > 1 else "")
        for name, section in sections.items()
        if counts[name]
        for page in range(1, _page_count(counts[name], section.limit) + 1)
    ]


def _item_count(section: Sitemap) -> int:
    return section.item_count() if isinstance(section, SiteSitemap) else section.paginator.count


def _page_count(count: int, limit: int) -> int:
    """Django's Paginator(items, limit).num_pages for `count` items, count > 0 (no orphans)."""
    return -(-count // int(limit))
