"""Thin views: parse the request, call a selector, render; published pages come from the cache."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from . import selectors
from .categories import Category
from .choices import Audience
from .images import ImageStore
from .seo import article_head, article_jsonld
from .services import content_version

PLACEHOLDER_IMAGE = "/static/img/article-placeholder.svg"
PAGE_SIZE = 12


def _cached_response(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["body"], content_type="text/html; charset=utf-8")
    response["ETag"] = entry["etag"]
    response["Last-Modified"] = entry["last_modified"]
    response["Cache-Control"] = "public, max-age=60, stale-while-revalidate=600"
    return response


@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    preview = request.user.is_staff
    path_key = hashlib.md5(request.path.encode(), usedforsecurity=False).hexdigest()
    key = f"page:{content_version()}:{path_key}"
    if not preview:
        entry = cache.get(key)
        if entry is not None:
            return _cached_response(entry)
    article = selectors.article_get_published(slug=slug, now=now, preview=preview)
    if article is None:
        raise Http404("No article with this address.")
    image_url = article.featured_image if article.featured_image_exists else PLACEHOLDER_IMAGE
    head = article_head(article=article, image_url=image_url)
    previous, following = selectors.article_neighbours(article=article, now=now)
    context = {
        "article": article,
        "head": head,
        "jsonld": article_jsonld(article=article, head=head),
        "image_url": image_url,
        "related": selectors.article_related(article=article, now=now),
        "previous": previous,
        "next": following,
        "category": Category(article.category),
        "is_preview": article.published_at > now,
    }
    body = render_to_string("articles/detail.html", context, request=request)
    if preview:
        return HttpResponse(body)
    entry = {
        "body": body.encode(),
        "etag": f'"{hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()}"',
        "last_modified": http_date(article.modified_at.timestamp()),
    }
    cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
    return _cached_response(entry)


@require_safe
def article_index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    audience = request.GET.get("audience")
    audience = audience if audience in Audience.values else None
    page = Paginator(selectors.article_list_published(now=now, audience=audience), PAGE_SIZE)
    page_obj = page.get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "articles": page_obj.object_list,
        "categories": selectors.category_list(now=now),
        "heading": "All articles",
        "intro": "Evidence-based articles for patients and practitioners.",
    }
    return render(request, "articles/list.html", context)


@require_safe
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    category, exact = selectors.category_for_slug(slug=slug, now=now)
    if category is None:
        raise Http404("No such category.")
    if not exact:
        return redirect(category.get_absolute_url(), permanent=True)
    page = Paginator(selectors.article_list_published(now=now, category=category.code), PAGE_SIZE)
    page_obj = page.get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "articles": page_obj.object_list,
        "categories": selectors.category_list(now=now),
        "heading": category.name,
        "intro": category.description,
        "current_category": category,
    }
    return render(request, "articles/list.html", context)


@require_safe
def article_image(request: HttpRequest, name: str) -> FileResponse:
    path = ImageStore().served_path(name)
    if path is None:
        raise Http404("No such image.")
    response = FileResponse(path.open("rb"))
    response["Cache-Control"] = "public, max-age=86400"
    # An SVG opened on its own must not run anything.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
