"""Sitemap sections of the directory: state and city pages, and real providers' profiles.
Registered with core (DirectoryConfig.ready), so /sitemap.xml lists them."""

from ketamine_association.core.sitemaps import SiteSitemap

from . import selectors
from .geo import state_slug


class PlaceSitemap(SiteSitemap):
    """/find-provider/<state> and /find-provider/<state>/<city> with a real provider."""

    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return selectors.sitemap_places()

    def location(self, item):
        state, city_slug = item
        path = f"/find-provider/{state_slug(state)}"
        return f"{path}/{city_slug}" if city_slug else path


class ProviderSitemap(SiteSitemap):
    """Profiles of real providers; fictional demo listings are left out."""

    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return selectors.sitemap_providers()

    def lastmod(self, item):
        return item.updated_at


DIRECTORY_SITEMAPS = {"find-provider": PlaceSitemap, "providers": ProviderSitemap}
