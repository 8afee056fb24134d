"""The head of an article page: meta tags, Open Graph, Twitter and JSON-LD, as plain data."""

from __future__ import annotations

from django.conf import settings

from ketamine_association.core.seo import absolute

from .categories import Category
from .models import Article, Page, Reviewer
from .review import split_reviewed_by


def article_head(*, article: Article, image_url: str) -> dict:
    """The head as the import resolved it (services.seo_fields, the one home of the
    fallbacks); only what depends on the serving site is added here: the default canonical
    follows SITE_URL, and the image is the one that exists."""
    seo = article.seo
    return {
        "title": seo["title"],
        "description": seo["description"],
        "canonical": seo["canonical"] or absolute(article.get_absolute_url()),
        "og_title": seo["og_title"],
        "og_description": seo["og_description"],
        "og_image": absolute(image_url),
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
            "dateModified": reviewer.modified_at.date().isoformat(),
            "mainEntity": person,
        }
    ]


def article_jsonld(*, article: Article, head: dict, reviewer: Reviewer | None = None) -> list[dict]:
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
        "datePublished": article.published_at.date().isoformat(),
        "dateModified": article.updated_at.date().isoformat(),
        "author": {"@type": "Organization", "name": article.author},
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
        page["lastReviewed"] = page["dateModified"]
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


def page_jsonld(*, page: Page, reviewer: Reviewer | None = None) -> list[dict]:
    """A site page as schema.org sees it: a WebPage (a MedicalWebPage when it is written for
    patients, with its reviewer when one is named), and its breadcrumb."""
    url = absolute(page.path)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage" if page.audience == "patients" else "WebPage",
        "name": page.title,
        "description": page.description,
        "url": url,
        "dateModified": page.updated_at.date().isoformat(),
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
