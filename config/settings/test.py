"""Tests: fast hasher, in-memory email, DATABASE_URL honoured (SQLite in memory without it)."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "https://ketamineassociation.test"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost", "ketamineassociation.test"]
ARTICLE_IMAGES_ROOT = Path(
    os.environ.get("ARTICLE_IMAGES_ROOT", tempfile.mkdtemp(prefix="ka-test-images-"))
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

WHITENOISE_USE_FINDERS = True

# This machine's key, made once in var/, unless FIELD_ENCRYPTION_KEYS is set (core/crypto.py).
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [local_field_key(VAR_DIR)]  # noqa: F405
