"""The sitemap: articles with lastmod, categories, tags and index pages, absolute URLs."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.utils import timezone

from ketamine_association.directory.sitemaps import DIRECTORY_SITEMAPS

from . import selectors
from .choices import Audience


class SiteSitemap(Sitemap):
    """Absolute URLs on SITE_URL, whatever host the request came to."""

    @property
    def limit(self):
        return settings.SITEMAP_LIMIT

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme


class ArticleSitemap(SiteSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return (
            selectors.article_list_published(now=timezone.now())
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


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
}
SITEMAPS.update(DIRECTORY_SITEMAPS)
