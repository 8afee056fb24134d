"""Production: HTTPS only, HSTS, CSP, secure cookies, Redis cache. Refuses insecure defaults."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, env_bool

DEBUG = False

if SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of 50 characters or more.")

if not os.environ.get("FIELD_ENCRYPTION_KEYS", "").strip():
    raise ImproperlyConfigured(
        "Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys (comma-separated, the newest "
        "first): personal data is encrypted at rest with them. Make one with "
        "`manage.py rotate_field_keys --generate`."
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/1"),
        "OPTIONS": {"IGNORE_EXCEPTIONS": True},
    }
}

# Staff accounts must pass a second factor (TOTP) before the admin opens (accounts/middleware.py);
# only an explicit ADMIN_REQUIRES_MFA=0 in the environment turns it off.
ADMIN_REQUIRES_MFA = env_bool("ADMIN_REQUIRES_MFA", True)
