"""The sitemap: articles with lastmod, categories, tags and index pages, absolute URLs."""

from django.utils import timezone

from ketamine_association.core.sitemaps import SiteSitemap

from . import selectors
from .choices import Audience


class ArticleSitemap(SiteSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        # An article whose medical review has lapsed is left out (its page says noindex)
        # until it is reviewed again; the blog and search still list it.
        return (
            selectors.article_list_published(now=timezone.now())
            .exclude(review_due__lt=timezone.localdate())
            .only("slug", "updated_at", "modified_at")
            .order_by("slug")
        )

    def lastmod(self, item):
        return item.updated_at


class CategorySitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return [category for category, _ in selectors.category_list(now=timezone.now())]


class TagSitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.3

    def items(self):
        return selectors.tag_list_published(now=timezone.now())


class PageSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        audiences = [f"/blog/audience/{value}" for value in Audience.values]
        return ["/", "/blog", *audiences, "/find-provider", "/newsletter"]

    def location(self, item):
        return item


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
