"""`make run`: an SQLite file under var/, DEBUG off so a visitor sees the site's own pages.

`DEBUG=1 make run` turns on Django's debug pages (tracebacks, the URL list on a 404).
"""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", False)

# Static files straight from the app folders, no collectstatic: WhiteNoise finds them (and
# picks up an edited file without a restart), and `{% static %}` needs no manifest, which the
# base settings' manifest storage would demand as soon as DEBUG is off.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# `make run` prints mail to the console unless EMAIL_BACKEND says otherwise.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# This machine's key, made once in var/, unless FIELD_ENCRYPTION_KEYS is set (core/crypto.py).
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [local_field_key(VAR_DIR)]  # noqa: F405
