from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .sections import site_nav


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "privacy_path": settings.PRIVACY_PAGE_PATH,
        # Read only by a template that shows the navigation (the pages, not feeds or files).
        "site_nav": SimpleLazyObject(site_nav),
    }
