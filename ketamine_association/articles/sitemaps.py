"""The sitemap: articles with lastmod, categories, tags and index pages, absolute URLs."""

import re

from django.urls import reverse
from django.utils import timezone

from ketamine_association.core.sitemaps import SiteSitemap

from . import selectors
from .categories import Category
from .choices import Audience
from .seo import canonical_is_self


class ArticleSitemap(SiteSitemap):
    changefreq = "monthly"
    priority = 0.8
    _around_slug: tuple[str, str] | None = None  # see location()

    def _listed(self):
        # An article whose medical review has lapsed is left out (its page says noindex)
        # until it is reviewed again; the blog and search still list it. So is one whose
        # canonical URL is another page of ours (items() and item_count() drop those): a
        # sitemap lists canonical URLs only.
        return selectors.article_list_published(now=timezone.now()).exclude(
            review_due__lt=timezone.localdate()
        )

    def items(self):
        articles = self._listed().only("slug", "updated_at", "modified_at", "seo").order_by("slug")
        return [article for article in articles if canonical_is_self(article)]

    def item_count(self) -> int:
        """len(items()) with one count and a read of the articles that state a canonical URL
        (only those can name another page)."""
        listed = self._listed()
        stated = listed.exclude(seo__canonical="").only("slug", "seo")
        return listed.count() - sum(1 for article in stated if not canonical_is_self(article))

    def location(self, item):
        # item.get_absolute_url() without a reverse() per article: the URL reversed once
        # with a stand-in slug, the slug put in its place. A slug reverse() would quote (or
        # refuse) is left to it.
        if not _PLAIN_SLUG.fullmatch(item.slug):
            return item.get_absolute_url()
        if self._around_slug is None:
            url = reverse("articles:detail", kwargs={"slug": _STAND_IN})
            head, _, tail = url.rpartition(_STAND_IN)
            self._around_slug = (head, tail)
        head, tail = self._around_slug
        return f"{head}{item.slug}{tail}"

    def lastmod(self, item):
        return item.updated_at


_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_STAND_IN = "slug-stand-in"


# List pages carry lastmod = the newest change (published or updated) of the articles they
# list, read with one grouped query per section, never one per page.


class CategorySitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        lastmods = selectors.article_lastmod_by(now=timezone.now(), field="category")
        return [(Category(code), lastmod) for code, lastmod in lastmods.items()]

    def location(self, item):
        return item[0].get_absolute_url()

    def lastmod(self, item):
        return item[1]


class TagSitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.3

    def items(self):
        return selectors.tag_list_published_with_lastmod(now=timezone.now())

    def lastmod(self, item):
        return item.lastmod


class PageSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        by_audience = selectors.article_lastmod_by(now=timezone.now(), field="audience")
        newest = max(by_audience.values(), default=None)
        audiences = [
            (f"/blog/audience/{value}", by_audience.get(value)) for value in Audience.values
        ]
        # The home page and /blog show the newest articles of all; the directory's search
        # and the newsletter page list none.
        return [
            ("/", newest),
            ("/blog", newest),
            *audiences,
            ("/find-provider", None),
            ("/newsletter", None),
        ]

    def location(self, item):
        return item[0]

    def lastmod(self, item):
        return item[1]


class SitePageSitemap(SiteSitemap):
    """The association's own pages (about, privacy, membership...)."""

    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return selectors.page_list()

    def lastmod(self, item):
        return item.updated_at


# The blog's sections of /sitemap.xml, registered with core in ArticlesConfig.ready().
ARTICLE_SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "site-pages": SitePageSitemap,
}
