from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .sections import site_nav


def site(request):
    # A caller that renders many pages with nothing changing in between (the static export)
    # hands the navigation it read once as `request.site_nav`; otherwise it is read lazily.
    nav = getattr(request, "site_nav", None)
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "privacy_path": settings.PRIVACY_PAGE_PATH,
        # Read only by a template that shows the navigation (the pages, not feeds or files).
        "site_nav": SimpleLazyObject(site_nav) if nav is None else nav,
    }
