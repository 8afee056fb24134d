"""Reads of the publishing pipeline. Each selector owns its query shape and count."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import Greatest
from django.urls import reverse

from ketamine_association.core.content import content_version

from .categories import Category, category_code_for_slug
from .models import Article, Page, Redirect, Reviewer, Tag
from .review import reviewer_key

CARD_FIELDS = (
    "slug",
    "title",
    "headline",
    "excerpt",
    "category",
    "audience",
    "published_at",
    "updated_at",
    "featured_image",
    "featured_image_exists",
    "reading_minutes",
    "tags",
)


def article_list_published(
    *,
    now: dt.datetime,
    category: str | None = None,
    audience: str | None = None,
    tag: Tag | None = None,
) -> QuerySet[Article]:
    queryset = Article.objects.filter(published_at__lte=now).only(*CARD_FIELDS)
    if category:
        queryset = queryset.filter(category=category)
    if audience:
        queryset = queryset.filter(audience=audience)
    if tag is not None:
        # Membership, not a join, and `id + 0` so SQLite cannot turn the tag's article ids into
        # row lookups: it walks the newest-first index instead and stops after the page. A
        # join read every tagged article's wide row to sort them (a deep page of a tag on
        # 8,000 articles: 260 ms, now 8 ms).
        tagged = Article.tag_set.through.objects.filter(tag=tag).values("article_id")
        queryset = queryset.alias(id_plus_0=F("id") + 0).filter(id_plus_0__in=tagged)
    return queryset.order_by("-published_at", "slug")


def article_get_published(*, slug: str, now: dt.datetime, preview: bool = False) -> Article | None:
    queryset = Article.objects.all() if preview else Article.objects.filter(published_at__lte=now)
    return queryset.filter(slug=slug).first()


def article_related(*, article: Article, now: dt.datetime, limit: int = 4) -> list[Article]:
    """The editors' relatedArticles that exist, topped up with same-category/tag articles."""
    published = article_list_published(now=now).exclude(id=article.id)
    chosen = {a.slug: a for a in published.filter(slug__in=article.related_slugs)}
    related = [chosen[s] for s in article.related_slugs if s in chosen][:limit]
    if len(related) < limit:
        candidates = published.exclude(slug__in=[a.slug for a in related]).filter(
            category=article.category
        )[: limit * 3]
        tags = set(article.tags)
        ranked = sorted(candidates, key=lambda a: -len(tags & set(a.tags or [])))
        related += ranked[: limit - len(related)]
    return related


def article_neighbours(
    *, article: Article, now: dt.datetime
) -> tuple[Article | None, Article | None]:
    """(previous, next) in the article's category, by publication date then slug."""
    siblings = article_list_published(now=now, category=article.category)
    older = siblings.filter(
        Q(published_at__lt=article.published_at)
        | Q(published_at=article.published_at, slug__gt=article.slug)
    ).first()
    newer = (
        siblings.filter(
            Q(published_at__gt=article.published_at)
            | Q(published_at=article.published_at, slug__lt=article.slug)
        )
        .order_by("published_at", "-slug")
        .first()
    )
    return older, newer


def category_list(*, now: dt.datetime) -> list[tuple[Category, int]]:
    rows = (
        Article.objects.filter(published_at__lte=now)
        .values("category")
        .annotate(n=Count("id"))
        .order_by("category")
    )
    return [(Category(row["category"]), row["n"]) for row in rows]


def category_for_slug(*, slug: str, now: dt.datetime) -> tuple[Category | None, bool]:
    codes = [c.code for c, _ in category_list(now=now)]
    code, exact = category_code_for_slug(slug, codes)
    return (Category(code) if code else None), exact


def tag_get(*, slug: str) -> Tag | None:
    return Tag.objects.filter(slug=slug).first()


def tag_list_published(*, now: dt.datetime) -> QuerySet[Tag]:
    return (
        Tag.objects.filter(articles__published_at__lte=now)
        .annotate(n=Count("articles"))
        .order_by("slug")
    )


def _newest_change(prefix: str = ""):
    """An aggregate: the newest date an article of the group was published or updated."""
    return Greatest(Max(f"{prefix}updated_at"), Max(f"{prefix}published_at"))


def article_lastmod_by(*, now: dt.datetime, field: str) -> dict[str, dt.datetime]:
    """{value of `field` ("category", "audience"): the newest change of its published
    articles}, in one grouped query. The sitemap's lastmod of a list page."""
    rows = (
        Article.objects.filter(published_at__lte=now)
        .values(field)
        .annotate(lastmod=_newest_change())
        .order_by(field)
    )
    return {row[field]: row["lastmod"] for row in rows}


def tag_list_published_with_lastmod(*, now: dt.datetime) -> QuerySet[Tag]:
    """tag_list_published, each tag with `lastmod`: the newest change of its published
    articles (the filter above comes first, so articles not yet published do not count)."""
    return tag_list_published(now=now).annotate(lastmod=_newest_change("articles__"))


def redirect_target(*, path: str, now: dt.datetime) -> str | None:
    """Where an old address of a published article now lives."""
    found = (
        Redirect.objects.filter(old_path=path.rstrip("/") or "/", article__published_at__lte=now)
        .select_related("article")
        .only("article__slug")
        .first()
    )
    return found.article.get_absolute_url() if found else None


def page_list() -> QuerySet[Page]:
    return Page.objects.only("path", "updated_at").order_by("path")


def page_get(*, path: str) -> Page | None:
    return Page.objects.filter(path=path).defer("body_markdown", "frontmatter_json").first()


def page_nav() -> dict[str, list[tuple[int, str, str]]]:
    """(order, label, path) of the site pages placed in the header and in the footer, plus
    the blog's own header link; read once per content version (the nav is on every page)."""

    def compute():
        rows = Page.objects.values_list("nav", "nav_order", "nav_label", "title", "path")
        places: dict[str, list[tuple[int, str, str]]] = {
            "header": [(10, "Learn", reverse("articles:index"))]
        }
        for nav, order, label, title, path in rows:
            for place in nav:
                places.setdefault(place, []).append((order, label or title, path))
        return places

    return cache.get_or_set(f"page-nav:{content_version()}", compute, 3600)


def reviewer_for(*, article: Article) -> Reviewer | None:
    """The profile of the article's medical reviewer, matched by name (review.py)."""
    if not article.reviewer_key:
        return None
    return Reviewer.objects.filter(name_key=article.reviewer_key).first()


def reviewer_named(*, reviewed_by: str) -> Reviewer | None:
    """The profile a `reviewedBy` line names (a site page's), matched as an article's is."""
    key = reviewer_key(reviewed_by)
    return Reviewer.objects.filter(name_key=key).first() if key else None


def reviewer_get(*, slug: str) -> Reviewer | None:
    return Reviewer.objects.filter(slug=slug).first()


def reviewer_articles(*, reviewer: Reviewer, now: dt.datetime) -> QuerySet[Article]:
    """The published articles a reviewer reviewed, newest first."""
    return article_list_published(now=now).filter(reviewer_key=reviewer.name_key)


def review_queue(*, today: dt.date, within_days: int) -> QuerySet[Article]:
    """Articles whose review has lapsed or falls due within `within_days`, oldest due first."""
    horizon = today + dt.timedelta(days=within_days)
    return Article.objects.filter(review_due__lte=horizon).order_by("review_due", "slug")
