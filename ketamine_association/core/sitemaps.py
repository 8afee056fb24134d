"""The base of every sitemap section: absolute URLs on SITE_URL, whatever host was asked."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap


class SiteSitemap(Sitemap):
    """Absolute URLs on SITE_URL, whatever host the request came to."""

    @property
    def limit(self):
        return settings.SITEMAP_LIMIT

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme
