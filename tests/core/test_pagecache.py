"""The WSGI page cache: whole pages served before Django runs, invalidated by an import."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler

from ketamine_association.articles.services import article_import_paths
from ketamine_association.core.pagecache import PageCacheMiddleware
from tests.articles.factories import article_text, write

pytestmark = pytest.mark.django_db(transaction=True)


class Spy:
    """Counts the requests that reach Django."""

    def __init__(self):
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


def call(app, path, **extra):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(b""), **extra}
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = extra.get("HTTP_HOST", "testserver")
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def test_second_request_never_reaches_django_and_reimport_invalidates(tmp_path, images):
    path = write(tmp_path / "p.md", article_text("cached-page"))
    article_import_paths(paths=[path], images=images)
    spy = Spy()
    app = PageCacheMiddleware(spy, version_ttl=0)
    status, headers, first = call(app, "/blog/cached-page")
    assert status.startswith("200") and spy.calls == 1
    assert "X-Page-Cacheable" not in headers
    status, again_headers, second = call(app, "/blog/cached-page")
    assert spy.calls == 1 and second == first
    assert again_headers["Content-Security-Policy"] == headers["Content-Security-Policy"]
    status, _, body = call(app, "/blog/cached-page", HTTP_IF_NONE_MATCH=headers["ETag"])
    assert status.startswith("304") and body == b"" and spy.calls == 1
    write(path, article_text("cached-page").replace("Bring the list", "Carry the list"))
    article_import_paths(paths=[path], images=images)
    status, _, third = call(app, "/blog/cached-page")
    assert spy.calls == 2 and b"Carry the list" in third


def test_other_pages_and_methods_pass_through(tmp_path, images):
    spy = Spy()
    app = PageCacheMiddleware(spy)
    for _ in range(2):
        status, _, _ = call(app, "/blog/no-such-article")
        assert status.startswith("404")
    assert spy.calls == 2
    status, _, _ = call(app, "/", REQUEST_METHOD="POST")
    assert spy.calls == 3


def test_a_worker_rechecks_the_content_version_within_its_ttl(tmp_path, images, monkeypatch):
    path = write(tmp_path / "p.md", article_text("ttl-page"))
    article_import_paths(paths=[path], images=images)
    spy = Spy()
    app = PageCacheMiddleware(spy, version_ttl=60)
    clock = [1000.0]
    monkeypatch.setattr("ketamine_association.core.pagecache.time.monotonic", lambda: clock[0])
    call(app, "/blog/ttl-page")
    call(app, "/blog/ttl-page")
    assert spy.calls == 1
    write(path, article_text("ttl-page").replace("Bring the list", "Carry the list"))
    article_import_paths(paths=[path], images=images)
    assert b"Carry the list" not in call(app, "/blog/ttl-page")[2]  # within the TTL
    clock[0] += 61
    assert b"Carry the list" in call(app, "/blog/ttl-page")[2]
    assert spy.calls == 2
