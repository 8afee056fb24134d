"""Previews of a manuscript, in one home: the full page the article would be (the real
articles/detail.html around the unsaved Article that `publish` would store), and the signed,
expiring links that show a manuscript to someone without an account.

A preview is never public: `noindex`, `Cache-Control: private, no-store`, and no URL of it is
in the sitemap (the links are signed tokens nobody can list)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from ketamine_association.articles import selectors as article_selectors
from ketamine_association.articles.categories import Category
from ketamine_association.articles.models import Tag
from ketamine_association.articles.review import review_lapsed
from ketamine_association.articles.seo import article_head, article_jsonld

from .models import Manuscript
from .services import Checked

PLACEHOLDER_IMAGE = "/static/img/article-placeholder.svg"
# Its own salt: a token of another signed link of the site is never a preview link.
SALT = "editorial.preview-link"


def private(response: HttpResponse) -> HttpResponse:
    """What every preview answer carries: never stored by a cache, never indexed."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def full_page(request: HttpRequest, checked: Checked, *, status: int = 200) -> HttpResponse:
    """The article page for `checked` (a text that parses), marked as a preview."""
    article = checked.article()
    image_url = article.featured_image if article.featured_image_exists else PLACEHOLDER_IMAGE
    head = article_head(article=article, image_url=image_url)
    reviewer = article_selectors.reviewer_for(article=article)
    tags = [Tag(name=name, slug=slugify(name)) for name in article.tags if slugify(name)]
    context = {
        "article": article,
        "head": head,
        "jsonld": article_jsonld(article=article, head=head, reviewer=reviewer),
        "reviewer": reviewer,
        "review_lapsed": review_lapsed(article.review_due, today=timezone.localdate()),
        "image_url": image_url,
        "related": [],
        "previous": None,
        "next": None,
        "category": Category(article.category),
        "tags": list({tag.slug: tag for tag in tags}.values()),
        "is_preview": False,  # the template's "scheduled" notice; ours says more
    }
    body = render_to_string("editorial/preview_page.html", context, request=request)
    return private(HttpResponse(body, status=status))


def not_ready(request: HttpRequest, checked: Checked, *, status: int = 200) -> HttpResponse:
    """A text that does not parse yet has no page: say why, at which lines."""
    body = render_to_string("editorial/preview_invalid.html", {"checked": checked}, request)
    return private(HttpResponse(body, status=status))


def render_preview(request: HttpRequest, checked: Checked) -> HttpResponse:
    return full_page(request, checked) if checked.ok else not_ready(request, checked)


# Signed links.


def preview_days() -> int:
    return int(getattr(settings, "EDITORIAL_PREVIEW_DAYS", 7))


def preview_token(manuscript: Manuscript) -> str:
    """A token naming the manuscript (its pk, nothing personal), signed and timestamped."""
    return signing.dumps({"m": manuscript.pk}, salt=SALT, compress=False)


def preview_url(manuscript: Manuscript) -> str:
    return reverse("editorial:shared_preview", kwargs={"token": preview_token(manuscript)})


def manuscript_for_token(token: str) -> Manuscript | None:
    """The manuscript a link names, or None when the token is bad, tampered with or older
    than EDITORIAL_PREVIEW_DAYS (the view answers 404 to all three alike)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=preview_days() * 24 * 3600)
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        return None
    pk = data.get("m") if isinstance(data, dict) else None
    if not isinstance(pk, int) or isinstance(pk, bool):
        return None
    return Manuscript.objects.filter(pk=pk).first()
