import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - after Django is set up

from ketamine_association.core.pagecache import PageCacheMiddleware  # noqa: E402
from ketamine_association.core.warmup import warm_up  # noqa: E402

warm_up()  # e.g. the directory's ZIP index, built before the worker takes a request

# Public pages are answered from the cache before Django runs (see core/pagecache.py).
application = PageCacheMiddleware(application, timeout=settings.PAGE_CACHE_SECONDS)
