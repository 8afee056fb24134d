"""The sitemap: articles with lastmod, categories, tags and index pages, absolute URLs."""

from django.utils import timezone

from ketamine_association.core.sitemaps import SiteSitemap

from . import selectors
from .categories import Category
from .choices import Audience
from .seo import canonical_is_self


class ArticleSitemap(SiteSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        # An article whose medical review has lapsed is left out (its page says noindex)
        # until it is reviewed again; the blog and search still list it. So is one whose
        # canonical URL is another page of ours: a sitemap lists canonical URLs only.
        articles = (
            selectors.article_list_published(now=timezone.now())
            .exclude(review_due__lt=timezone.localdate())
            .only("slug", "updated_at", "modified_at", "seo")
            .order_by("slug")
        )
        return [article for article in articles if canonical_is_self(article)]

    def lastmod(self, item):
        return item.updated_at


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
