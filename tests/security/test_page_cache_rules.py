"""Checklist: the WSGI page cache honours Django's rules before it answers.

A cached page answers plain HTTP with the redirect to HTTPS, a foreign Host with 400, and
carries the same security headers as an uncached answer, under the production settings."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys

import pytest
import redis
from cryptography.fernet import Fernet

from ketamine_association.articles.services import article_import_paths
from ketamine_association.core.pagecache import PageCacheMiddleware
from tests.articles.factories import article_text, write
from tests.core.test_pagecache import Spy, call

from .servers import ROOT, raw_get, running_server

SECURITY_HEADERS = [
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Frame-Options",
]
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}


def comparable(headers: dict) -> dict:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in {"date", "server"}}


@pytest.fixture
def production_like(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.ALLOWED_HOSTS = ["testserver"]
    return settings


@pytest.fixture
def cached_article(tmp_path, images, production_like):
    """An app with a page cache, an article, and that article's page cached over HTTPS."""
    article_import_paths(paths=[write(tmp_path / "a.md", article_text("cached"))], images=images)
    spy = Spy()
    app = PageCacheMiddleware(spy)
    first = call(app, "/blog/cached", **HTTPS)
    assert first[0].startswith("200") and spy.calls == 1
    second = call(app, "/blog/cached", **HTTPS)
    assert spy.calls == 1, "the second HTTPS request is answered from the cache"
    return app, spy, first, second


@pytest.mark.django_db(transaction=True)
def test_cached_page_over_plain_http_redirects_to_https(cached_article):
    app, spy, _, _ = cached_article
    status, headers, _ = call(app, "/blog/cached")
    assert status.startswith("301")
    assert headers["Location"] == "https://testserver/blog/cached"


@pytest.mark.django_db(transaction=True)
def test_cached_page_for_a_foreign_host_is_400(cached_article):
    app, spy, _, _ = cached_article
    status, _, body = call(app, "/blog/cached", **HTTPS, HTTP_HOST="evil.example")
    assert status.startswith("400")
    assert b"Understanding Your Options" not in body


@pytest.mark.django_db(transaction=True)
def test_cached_page_has_the_headers_of_an_uncached_one(cached_article):
    _, _, first, second = cached_article
    assert second[0] == first[0]
    assert comparable(second[1]) == comparable(first[1])
    assert second[2] == first[2]
    for name in SECURITY_HEADERS:
        assert name in second[1], name


# The same promises, end to end: granian serving config.wsgi under config.settings.production.


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    try:
        client = redis.Redis(host="127.0.0.1", port=6379, db=9)
        client.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis on 127.0.0.1:6379 is needed by the production settings' cache")
    var = tmp_path_factory.mktemp("production-var")
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "ketamineassociation.test",
        "SITE_URL": "https://ketamineassociation.test",
        "CACHE_URL": "redis://127.0.0.1:6379/9",
        "VAR_DIR": str(var),
    }
    full = {k: v for k, v in {**os.environ, **env}.items() if k != "DATABASE_URL"}  # own SQLite
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=full, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=full, check=True)
    subprocess.run(
        [*manage, "import_articles", "demo/articles", "--images", "demo/images"],
        cwd=ROOT, env=full, check=True, capture_output=True,
    )  # fmt: skip
    with running_server("granian", env={**full, "DATABASE_URL": None}) as port:
        yield port, var / "db.sqlite3"
    client.flushdb()


HOST = {"Host": "ketamineassociation.test", "X-Forwarded-Proto": "https"}


def test_production_server_applies_django_rules_to_cached_pages(production_server):
    port, database = production_server
    path = "/blog/building-a-support-plan"
    first = raw_get(port, path, HOST)
    assert first[0] == 200
    # Take the article out of the database: a 200 now can only come from the page cache.
    with sqlite3.connect(database) as db:
        db.execute("UPDATE articles_article SET published_at = '2999-01-01' WHERE slug = ?",
                   ("building-a-support-plan",))  # fmt: skip
    cached = raw_get(port, path, HOST)
    assert cached[0] == 200 and cached[2] == first[2]
    assert comparable(cached[1]) == comparable(first[1])
    for name in SECURITY_HEADERS:
        assert name.lower() in cached[1], name

    status, headers, _ = raw_get(port, path, {"Host": "ketamineassociation.test"})
    assert status == 301
    assert headers["location"] == f"https://ketamineassociation.test{path}"

    status, _, body = raw_get(port, path, {"Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert status == 400
    assert b"support" not in body.lower()
