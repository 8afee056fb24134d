"""The properties each schema.org type the site emits must carry, after Google's structured
data documentation (Article, Breadcrumb, FAQ, Local business, Profile page, Organization),
and a validator that walks every node of a JSON-LD block.

A type the site starts emitting without a schema here is itself a problem: add its schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import urlsplit

# What a page about an article must carry (Article, BlogPosting, a MedicalWebPage with a
# headline). `image` is required too: every article has one (its picture or a card).
ARTICLE = ("headline", "datePublished", "dateModified", "author", "publisher", "url")
ARTICLE += ("mainEntityOfPage", "image")
WEB_PAGE = ("name", "url", "publisher", "dateModified")

REQUIRED: dict[str, tuple[str, ...]] = {
    "Article": ARTICLE,
    "BlogPosting": ARTICLE,
    "NewsArticle": ARTICLE,
    "MedicalWebPage": WEB_PAGE,  # an article's MedicalWebPage is held to ARTICLE below
    "WebPage": WEB_PAGE,
    "ProfilePage": ("url", "mainEntity", "dateModified"),
    "BreadcrumbList": ("itemListElement",),
    "ListItem": ("position", "name", "item"),
    "FAQPage": ("mainEntity",),
    "Question": ("name", "acceptedAnswer"),
    "Answer": ("text",),
    "Person": ("name",),
    "Physician": ("name", "url"),
    "Organization": ("name", "url"),
    "MedicalOrganization": ("name",),
    "MedicalClinic": ("name", "url", "address", "geo"),
    "PostalAddress": ("streetAddress", "addressLocality", "addressRegion", "postalCode"),
    "GeoCoordinates": ("latitude", "longitude"),
    "MedicalTherapy": ("name",),
    "Thing": ("name",),
    "PeopleAudience": ("audienceType",),
    "MedicalAudience": ("audienceType",),
    "WebSite": ("name", "url"),
    "SearchAction": ("target", "query-input"),
    "EntryPoint": ("urlTemplate",),
    "ImageObject": ("url",),
}
TIMESTAMPS = ("datePublished", "dateModified")
URLS = ("url", "item", "@id", "image", "mainEntityOfPage", "logo")
AUTHOR_TYPES = {"Person", "Organization"}


def types_of(node: dict) -> set[str]:
    kind = node.get("@type")
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()


def nodes(value, where: str = "$") -> Iterator[tuple[str, dict]]:
    """Every object of a JSON-LD value, with a path naming where it is."""
    if isinstance(value, dict):
        yield where, value
        for key, item in value.items():
            yield from nodes(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nodes(item, f"{where}[{index}]")


def is_absolute(url) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return bool(parts and parts.scheme in ("http", "https") and parts.netloc)


def problems(block: dict) -> list[str]:
    """What keeps `block` from its types' schemas; empty when it passes."""
    found: list[str] = []
    if block.get("@context") != "https://schema.org":
        found.append("$: @context is not https://schema.org")
    ids = {node["@id"] for _, node in nodes(block) if "@id" in node and "@type" in node}
    for where, node in nodes(block):
        kinds = types_of(node)
        if not kinds:
            if set(node) == {"@id"} and node["@id"] not in ids:
                found.append(f"{where}: @id {node['@id']} names no node of the block")
            elif set(node) not in ({"@id"}, {"@context", "@graph"}):
                found.append(f"{where}: an object without @type")
            continue
        for kind in kinds:
            if kind not in REQUIRED:
                found.append(f"{where}: {kind} has no schema in tests/seo_schemas.py")
                continue
            required = REQUIRED[kind]
            if kind == "MedicalWebPage" and "headline" in node:
                required = ARTICLE
            found += [f"{where}: {kind} lacks {p}" for p in required if node.get(p) in NONE]
        for prop in TIMESTAMPS:
            if prop in node and not _zoned(node[prop]):
                found.append(f"{where}.{prop}: {node[prop]!r} is no ISO 8601 time with a zone")
        for prop in URLS:
            values = node.get(prop)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str) and not is_absolute(value):
                    found.append(f"{where}.{prop}: {value!r} is not an absolute URL")
        for author in _as_list(node.get("author")):
            if not types_of(author) & AUTHOR_TYPES or not author.get("url"):
                found.append(f"{where}.author: a Person or Organization with name and url")
        for publisher in _as_list(node.get("publisher")):
            if "Organization" not in types_of(publisher):
                found.append(f"{where}.publisher: not an Organization")
        if "BreadcrumbList" in kinds:
            positions = [item.get("position") for item in node.get("itemListElement", [])]
            if positions != list(range(1, len(positions) + 1)):
                found.append(f"{where}: breadcrumb positions {positions} are not 1..n")
        if "MedicalClinic" in kinds and "PostalAddress" not in types_of(node.get("address", {})):
            found.append(f"{where}.address: not a PostalAddress")
    return found


NONE = (None, "", [], {})


def _as_list(value) -> list[dict]:
    items = value if isinstance(value, list) else [value] if value else []
    return [item for item in items if isinstance(item, dict)]


def _zoned(value) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None


def urls_of(block: dict) -> list[str]:
    """Every URL a block states (url, item, @id, image, mainEntityOfPage, logo)."""
    found = []
    for _, node in nodes(block):
        for prop in URLS:
            values = node.get(prop)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str):
                    found.append(value)
    return found
