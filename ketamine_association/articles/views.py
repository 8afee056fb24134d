"""Thin views: parse the request, call a selector, render; published pages come from the cache."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from ketamine_association.core.files import SVG_CSP, file_response
from ketamine_association.core.pagecache import publicly_cacheable
from ketamine_association.core.pagination import page_links
from ketamine_association.core.sections import fill_slots
from ketamine_association.core.seo import absolute

from . import selectors
from .cards import page_card_url
from .categories import Category
from .choices import Audience
from .images import ImageStore
from .review import review_lapsed
from .search import article_search
from .seo import NOT_LOOKED_UP, article_head, article_jsonld, page_jsonld, reviewer_jsonld

PLACEHOLDER_IMAGE = "/static/img/article-placeholder.svg"
PAGE_SIZE = 12
CARD_TEMPLATE = "articles/_card.html"


def card_html(article) -> str:
    """One article's card (articles/_card.html), which reads nothing but the article: what
    `{% include %}` of it in a loop writes for that article. A card the static export marks
    (`keep_card`, its cards are on many pages) is rendered once and kept on the instance."""
    kept = article.__dict__.get("_card_html")
    if kept is not None:
        return kept
    html = get_template(CARD_TEMPLATE).render({"article": article})
    if article.__dict__.get("keep_card"):
        article._card_html = html
    return html


def cards_html(articles) -> SafeString:
    """The cards of `articles`, one after the other, as the templates' card lists show them."""
    # Each card is the template's output, escaped there.
    return mark_safe("".join(card_html(article) for article in articles))  # noqa: S308


def _ordered_tags(article) -> list:
    """The article's tags as links, in the order the editor wrote them."""
    from django.utils.text import slugify

    by_slug = {tag.slug: tag for tag in article.tag_set.all()}
    ordered = [by_slug.get(slugify(name)) for name in article.tags]
    return list(dict.fromkeys(tag for tag in ordered if tag is not None))


@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    preview = request.user.is_staff
    article = selectors.article_get_published(slug=slug, now=now, preview=preview)
    if article is None:
        target = selectors.redirect_target(path=request.path, now=now)
        if target:
            return redirect(target, permanent=True)
        raise Http404("No article with this address.")
    body = article_page(request, article, now=now)
    if preview:
        return HttpResponse(body)
    return _public_page(body, modified=article.modified_at)


@dataclass(frozen=True)
class ArticleSurroundings:
    """What an article page shows besides the article, when the caller has read it already
    (the static export reads it for every article at once); see article_page()."""

    previous: object
    next: object
    related: list
    reviewer: object
    tags: list
    # The byline's own profile (selectors.reviewer_named(reviewed_by=article.author)), None
    # when the caller looked and found none; NOT_LOOKED_UP: article_jsonld looks for it.
    author_profile: object = NOT_LOOKED_UP


def article_page(
    request: HttpRequest, article, *, now, known: ArticleSurroundings | None = None
) -> str:
    """The article page's HTML: the selectors' reads, or the same values from `known`."""
    if known is None:
        previous, following = selectors.article_neighbours(article=article, now=now)
        known = ArticleSurroundings(
            previous=previous,
            next=following,
            related=selectors.article_related(article=article, now=now),
            reviewer=selectors.reviewer_for(article=article),
            tags=_ordered_tags(article),
        )
    image_url = article.featured_image if article.featured_image_exists else PLACEHOLDER_IMAGE
    head = article_head(article=article, image_url=image_url)
    # What the caller found (None included) saves article_jsonld its query.
    jsonld = article_jsonld(
        article=article, head=head, reviewer=known.reviewer, author_profile=known.author_profile
    )
    context = {
        "article": article,
        "head": head,
        "jsonld": jsonld,
        "reviewer": known.reviewer,
        # From today's date at each request; the daily review job bumps the page cache's
        # content version the first day a review has lapsed (review.review_reminders).
        "review_lapsed": review_lapsed(article.review_due, today=timezone.localdate(now)),
        "image_url": image_url,
        "related": known.related,
        "related_cards": cards_html(known.related),
        "previous": known.previous,
        "next": known.next,
        "category": _category_addressed(article.category),
        "tags": known.tags,
        "is_preview": article.published_at > now,
    }
    return render_to_string("articles/detail.html", context, request=request)


def _category_addressed(code: str) -> Category:
    """The article's category, its address made once: the page shows it three times."""
    category = Category(code)
    url = category.get_absolute_url()
    # The dataclass is frozen; the attribute is the instance's own, like a cached property.
    category.__dict__["get_absolute_url"] = lambda: url
    return category


def _public_page(body: str, *, modified) -> HttpResponse:
    """A page the same for every visitor: stored whole by the WSGI page cache
    (core/pagecache.py), the one page cache; the validators let a browser revalidate with
    304 (ConditionalGetMiddleware)."""
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["ETag"] = f'"{hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()}"'
    response["Last-Modified"] = http_date(modified.timestamp())
    return publicly_cacheable(response)


@require_safe
def site_page(request: HttpRequest, path: str) -> HttpResponse:
    """One of the association's pages (about, privacy, membership...), at its own path."""
    page = selectors.page_get(path=f"/{path}")
    if page is None:
        raise Http404("No page with this address.")
    reviewer = selectors.reviewer_named(reviewed_by=page.reviewed_by)
    card = page_card_url(path=page.path, title=page.title)
    card_url = absolute(card.url) if card else ""
    context = {
        "page": page,
        "body_html": fill_slots(page.body_html, request),
        "canonical": absolute(page.path),
        "jsonld": page_jsonld(page=page, reviewer=reviewer, image=card_url),
        "card": card,
        "card_url": card_url,
        "reviewer": reviewer,
    }
    body = render_to_string("articles/page.html", context, request=request)
    return _public_page(body, modified=page.modified_at)


@require_safe
def reviewer_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A medical reviewer's profile and the articles they reviewed (never their email)."""
    reviewer = selectors.reviewer_get(slug=slug)
    if reviewer is None:
        raise Http404("No reviewer with this address.")
    context = {
        "reviewer": reviewer,
        "articles": list(selectors.reviewer_articles(reviewer=reviewer, now=timezone.now())),
        "canonical": absolute(reviewer.get_absolute_url()),
        "jsonld": reviewer_jsonld(reviewer=reviewer),
    }
    body = render_to_string("articles/reviewer.html", context, request=request)
    return _public_page(body, modified=reviewer.modified_at)


def page_url(base: str, number: int) -> str:
    return base if number == 1 else f"{base}/page/{number}"


def _list_page(
    request: HttpRequest, queryset, *, base: str, page: int, heading: str, intro: str, **extra
) -> HttpResponse:
    """A numbered page of article cards. Pages live at <base>/page/<n>: real paths, so each
    has its own canonical URL and a static export can hold every one of them."""
    if "page" in request.GET:  # the old ?page=N form
        try:
            return redirect(page_url(base, max(1, int(request.GET["page"]))), permanent=True)
        except ValueError:
            return redirect(base, permanent=True)
    if page == 1 and request.path != base:
        return redirect(base, permanent=True)
    paginator = Paginator(queryset, PAGE_SIZE)
    if page < 1 or page > paginator.num_pages:
        raise Http404("No such page.")
    body = list_page(
        request, paginator, base=base, page=page, heading=heading, intro=intro, **extra
    )
    return publicly_cacheable(HttpResponse(body))


def list_page(
    request: HttpRequest,
    paginator: Paginator,
    *,
    base: str,
    page: int,
    heading: str,
    intro: str,
    categories: list | None = None,
    category_links: list | None = None,
    **extra,
) -> str:
    """A list page's HTML. `paginator` pages a queryset or, in the static export, the whole
    list read once; `categories` is selectors.category_list() when the caller has it, and
    `category_links` what make_category_links() makes of it (the export makes it once)."""
    page_obj = paginator.page(page)
    if category_links is None:
        if categories is None:
            categories = selectors.category_list(now=timezone.now())
        category_links = make_category_links(categories)
    context = {
        "page_obj": page_obj,
        "articles": page_obj.object_list,
        "cards": cards_html(page_obj.object_list),
        "page_links": page_links(paginator, page, lambda n: page_url(base, n)),
        "previous_url": page_url(base, page - 1) if page_obj.has_previous() else "",
        "next_url": page_url(base, page + 1) if page_obj.has_next() else "",
        "categories": categories,
        "category_links": category_links,
        "audiences": Audience.choices,
        "heading": heading,
        "intro": intro,
        "canonical": absolute(page_url(base, page)),
        "base": base,
        **extra,
    }
    return render_to_string("articles/list.html", context, request=request)


def make_category_links(categories: list) -> list[tuple[str, str, str, int]]:
    """(code, address, name, count) of each of selectors.category_list()'s categories, as a
    list page's filters show them."""
    return [
        (category.code, category.get_absolute_url(), category.name, count)
        for category, count in categories
    ]


# What each kind of list says about itself: its address, heading and introduction.


def index_list() -> dict:
    return {
        "base": "/blog",
        "heading": "All articles",
        "intro": "Evidence-based articles for patients and practitioners, newest first.",
        "feed_url": "/blog/feed.xml",
    }


def category_list_page(category: Category) -> dict:
    return {
        "base": category.get_absolute_url(),
        "heading": category.name,
        "intro": category.description,
        "current_category": category,
        "feed_url": f"{category.get_absolute_url()}/feed.xml",
    }


def tag_list_page(tag) -> dict:
    return {
        "base": tag.get_absolute_url(),
        "heading": f"Tagged “{tag.name}”",
        "intro": f"Articles about {tag.name}.",
    }


def audience_list_page(audience: str) -> dict:
    return {
        "base": f"/blog/audience/{audience}",
        "heading": f"For {Audience(audience).label.lower()}",
        "intro": AUDIENCE_INTROS[audience],
        "current_audience": audience,
    }


@require_safe
def article_index(request: HttpRequest, page: int = 1) -> HttpResponse:
    queryset = selectors.article_list_published(now=timezone.now())
    return _list_page(request, queryset, page=page, **index_list())


@require_safe
def category_detail(request: HttpRequest, slug: str, page: int = 1) -> HttpResponse:
    now = timezone.now()
    category, exact = selectors.category_for_slug(slug=slug, now=now)
    if category is None:
        raise Http404("No such category.")
    if not exact:
        return redirect(page_url(category.get_absolute_url(), page), permanent=True)
    queryset = selectors.article_list_published(now=now, category=category.code)
    return _list_page(request, queryset, page=page, **category_list_page(category))


@require_safe
def tag_detail(request: HttpRequest, slug: str, page: int = 1) -> HttpResponse:
    tag = selectors.tag_get(slug=slug)
    if tag is None:
        raise Http404("No such tag.")
    queryset = selectors.article_list_published(now=timezone.now(), tag=tag)
    return _list_page(request, queryset, page=page, **tag_list_page(tag))


AUDIENCE_INTROS = {
    "patients": "Plain-language articles for people considering or receiving ketamine care.",
    "practitioners": "Protocols, evidence and practice guidance for clinicians.",
}


@require_safe
def audience_detail(request: HttpRequest, audience: str, page: int = 1) -> HttpResponse:
    if audience not in Audience.values:
        raise Http404("No such audience.")
    queryset = selectors.article_list_published(now=timezone.now(), audience=audience)
    return _list_page(request, queryset, page=page, **audience_list_page(audience))


SEARCH_PAGE_SIZE = 10


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    query = request.GET.get("q", "")[:1000].strip()
    categories = selectors.category_list(now=now)
    codes = {c.code for c, _ in categories}
    category = request.GET.get("category", "")
    category = category if category in codes else ""
    audience = request.GET.get("audience", "")
    audience = audience if audience in Audience.values else ""
    try:
        number = max(1, min(int(request.GET.get("page", "1")), 1000))
    except ValueError:
        number = 1
    result = article_search(
        query=query,
        now=now,
        category=category or None,
        audience=audience or None,
        offset=(number - 1) * SEARCH_PAGE_SIZE,
        limit=SEARCH_PAGE_SIZE,
    )
    pages = max(1, -(-result.total // SEARCH_PAGE_SIZE))
    base = {"q": query, "category": category, "audience": audience}
    context = {
        "query": query,
        "result": result,
        "number": number,
        "pages": range(1, pages + 1) if pages > 1 else [],
        "page_query": urlencode({k: v for k, v in base.items() if v}),
        "categories": categories,
        "category": category,
        "audience": audience,
        "audiences": Audience.choices,
        "latest": [] if result.total else list(selectors.article_list_published(now=now)[:5]),
    }
    response = render(request, "articles/search.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def article_image(request: HttpRequest, name: str) -> FileResponse:
    return file_response(root=ImageStore().root, name=name, csp=SVG_CSP)


# What the blog offers core's pages (registered in ArticlesConfig.ready).


def home_latest() -> dict:
    """The home page's latest articles."""
    return {"latest": list(selectors.article_list_published(now=timezone.now())[:6])}


def not_found_latest() -> dict:
    """The 404 page's latest articles."""
    return {"latest": list(selectors.article_list_published(now=timezone.now())[:5])}


def old_address_target(path: str) -> str | None:
    """Where an old address of a published article now lives (a missing page asks)."""
    return selectors.redirect_target(path=path, now=timezone.now())
