"""The head of an article page: meta tags, Open Graph, Twitter and JSON-LD, as plain data."""

from __future__ import annotations

import datetime as dt
from typing import Final
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from ketamine_association.core.seo import absolute

from .categories import Category
from .choices import DEFAULT_AUTHOR, EDITORIAL_PAGE_PATH
from .models import Article, Page, Reviewer
from .review import reviewer_key, split_reviewed_by

# One canonical host. The rule: a canonicalUrl on SITE_URL's host (scheme aside, host and
# port compared case-insensitively; www. is another host) is honoured: canonical, og:url and
# the JSON-LD url all use it, on SITE_URL's origin. One on another host is ignored (the
# page's own URL is used everywhere) and the quality gate warns (canonical-foreign-host). A
# page whose canonical is another path is not a canonical URL itself: canonical_is_self.


def own_host() -> str:
    return urlsplit(settings.SITE_URL).netloc.lower()


def foreign_host(url: str | None) -> str:
    """The host of an absolute URL when it is not SITE_URL's, else ""."""
    host = urlsplit(url or "").netloc.lower()
    return host if host and host != own_host() else ""


def canonical_url(article: Article) -> str:
    """The page's one canonical URL, on SITE_URL's host (the rule above)."""
    stated = article.seo.get("canonical") or ""
    if not stated or foreign_host(stated):
        return absolute(article.get_absolute_url())
    parts = urlsplit(stated)
    return absolute((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))


def canonical_is_self(article: Article) -> bool:
    """Whether the article's own URL is its canonical one: what a sitemap may list."""
    stated = article.seo.get("canonical") or ""
    if not stated or foreign_host(stated):
        return True  # canonical_url is the page's own URL (the rule above)
    return canonical_url(article) == absolute(article.get_absolute_url())


def timestamp(value: dt.datetime | dt.date) -> str:
    """ISO 8601 with the zone (TIME_ZONE's, as the page's <time> elements show the date):
    2026-01-08T00:00:00+00:00."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return timezone.localtime(value).isoformat(timespec="seconds")


def author_jsonld(*, author: str, profile: Reviewer | None) -> dict:
    """The byline as schema.org sees it: a Person with their profile page when one is
    named like them, the association (an Organization) when it wrote the article, else a
    Person; without a profile, `url` is the editorial policy page (EDITORIAL_PAGE_PATH)."""
    if profile is not None:
        return {"@type": "Person", "name": author, "url": absolute(profile.get_absolute_url())}
    is_association = author == DEFAULT_AUTHOR or author.casefold().startswith(
        settings.SITE_NAME.casefold()
    )
    return {
        "@type": "Organization" if is_association else "Person",
        "name": author,
        "url": absolute(EDITORIAL_PAGE_PATH),
    }


def article_head(*, article: Article, image_url: str) -> dict:
    """The head as the import resolved it (services.seo_fields, the one home of the
    fallbacks); only what depends on the serving site is added here: the default canonical
    follows SITE_URL, and the image is the article's social card (articles/cards.py) when
    the import drew one, else the one that exists."""
    seo = article.seo
    card = seo.get("card") or {}
    return {
        "title": seo["title"],
        "description": seo["description"],
        "canonical": canonical_url(article),
        "og_title": seo["og_title"],
        "og_description": seo["og_description"],
        "og_image": absolute(card.get("url") or image_url),
        "og_image_width": card.get("width"),
        "og_image_height": card.get("height"),
        "og_image_type": card.get("type"),
        "twitter_card": seo["twitter_card"],
        "keywords": ", ".join(article.keywords or article.tags),
    }


def reviewed_by_jsonld(*, reviewed_by: str, reviewer: Reviewer | None) -> dict:
    """The reviewer as schema.org's Person: the name, the credentials, the profile page."""
    name, credentials = split_reviewed_by(reviewed_by)
    person: dict = {"@type": "Person", "name": name}
    if credentials:
        person["honorificSuffix"] = credentials
    if reviewer is not None:
        person["url"] = absolute(reviewer.get_absolute_url())
    return person


def reviewer_jsonld(*, reviewer: Reviewer) -> list[dict]:
    """A reviewer's page: a ProfilePage about a Person."""
    url = absolute(reviewer.get_absolute_url())
    person: dict = {"@type": "Person", "name": reviewer.name, "url": url}
    if reviewer.credentials:
        person["honorificSuffix"] = reviewer.credentials
    if reviewer.bio:
        person["description"] = reviewer.bio
    return [
        {
            "@context": "https://schema.org",
            "@type": "ProfilePage",
            "url": url,
            "name": str(reviewer),
            "dateModified": timestamp(reviewer.modified_at),
            "mainEntity": person,
        }
    ]


# article_jsonld's `author_profile` when the caller has not looked the profile up.
NOT_LOOKED_UP: Final = object()


def article_jsonld(
    *,
    article: Article,
    head: dict,
    reviewer: Reviewer | None = None,
    author_profile: Reviewer | None | object = NOT_LOOKED_UP,
) -> list[dict]:
    """`author_profile`: the byline's own profile, or None when the caller looked it up
    (selectors.reviewer_named(reviewed_by=article.author)) and found none; left out
    (NOT_LOOKED_UP), it is looked up here."""
    if author_profile is NOT_LOOKED_UP:
        author_profile = None
        if reviewer_key(article.author):
            from .selectors import reviewer_named  # the byline's own profile, when one exists

            author_profile = reviewer_named(reviewed_by=article.author)
    category = Category(article.category)
    publisher = {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": settings.SITE_URL + "/",
    }
    page: dict = {
        "@context": "https://schema.org",
        "@type": article.seo["schema_type"],
        "headline": article.title[:110],
        "description": head["description"],
        "datePublished": timestamp(article.published_at),
        "dateModified": timestamp(article.updated_at),
        "author": author_jsonld(author=article.author, profile=author_profile),
        "publisher": publisher,
        "image": head["og_image"],
        "wordCount": article.word_count,
        "timeRequired": f"PT{article.reading_minutes}M",
        "mainEntityOfPage": head["canonical"],
        "url": head["canonical"],
        "inLanguage": "en",
        "articleSection": category.name,
        "keywords": head["keywords"],
        "about": [{"@type": "Thing", "name": tag} for tag in article.tags[:8]],
    }
    if article.audience:
        page["audience"] = {
            "@type": "PeopleAudience" if article.audience == "patients" else "MedicalAudience",
            "audienceType": "Patient" if article.audience == "patients" else "Clinician",
        }
    if page["@type"] == "MedicalWebPage":
        page["name"] = article.title
        page["lastReviewed"] = article.updated_at.date().isoformat()
    if article.reviewed_by:
        page["reviewedBy"] = reviewed_by_jsonld(reviewed_by=article.reviewed_by, reviewer=reviewer)
    if article.last_reviewed:
        page["lastReviewed"] = article.last_reviewed.isoformat()
    breadcrumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            _crumb(1, "Home", absolute("/")),
            _crumb(2, "Blog", absolute("/blog")),
            _crumb(3, category.name, absolute(category.get_absolute_url())),
            _crumb(4, article.display_title, head["canonical"]),
        ],
    }
    blocks = [page, breadcrumbs]
    if article.faq:
        blocks.append(
            {
                "@context": "https://schema.org",
                "@type": "FAQPage",
                "mainEntity": [
                    {
                        "@type": "Question",
                        "name": entry["question"],
                        "acceptedAnswer": {"@type": "Answer", "text": entry["answer"]},
                    }
                    for entry in article.faq
                ],
            }
        )
    return blocks


def page_jsonld(*, page: Page, reviewer: Reviewer | None = None, image: str = "") -> list[dict]:
    """A site page as schema.org sees it: a WebPage (a MedicalWebPage when it is written for
    patients, with its reviewer when one is named), and its breadcrumb."""
    url = absolute(page.path)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage" if page.audience == "patients" else "WebPage",
        "name": page.title,
        "description": page.description,
        "url": url,
        "dateModified": timestamp(page.updated_at),
        "inLanguage": "en",
        "publisher": {
            "@type": "Organization",
            "name": settings.SITE_NAME,
            "url": settings.SITE_URL + "/",
        },
    }
    if page.reviewed_by:
        data["reviewedBy"] = reviewed_by_jsonld(reviewed_by=page.reviewed_by, reviewer=reviewer)
    if page.last_reviewed:
        data["lastReviewed"] = page.last_reviewed.isoformat()
    if image:  # the page's social card
        data["image"] = image
    crumbs = [_crumb(1, "Home", absolute("/"))]
    prefix = ""
    parts = page.path.strip("/").split("/")
    for depth, part in enumerate(parts[:-1], start=2):  # /membership/practitioners
        prefix += f"/{part}"
        crumbs.append(_crumb(depth, part.replace("-", " ").capitalize(), absolute(prefix)))
    crumbs.append(_crumb(len(parts) + 1, page.title, url))
    breadcrumbs = {"@context": "https://schema.org", "@type": "BreadcrumbList"}
    return [data, {**breadcrumbs, "itemListElement": crumbs}]


def _crumb(position: int, name: str, url: str) -> dict:
    return {"@type": "ListItem", "position": position, "name": name, "item": url}
