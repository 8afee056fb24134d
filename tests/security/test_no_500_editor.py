"""No page of the browser editor answers 500 (the part of test_no_500.py for editor/..., which
needs a login and a role): every route, GET, HEAD and POST, by a visitor, an account without
a role, an author, a medical reviewer and an editor, with real and hostile ids; and the
editor's forms POSTed with hostile values (broken YAML, NUL, huge numbers, odd dates, files
that are not images) to every endpoint that reads them.

The routes come from the resolver: a new editor route fails here until it is given values."""

from __future__ import annotations

import traceback

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_association.editorial.roles import Role
from tests.editorial.factories import account, manuscript, reviewer_account, source

from .test_no_500 import FUZZ, HOSTILE_TEXT, texts

pytestmark = pytest.mark.django_db

VALUES = {
    "<int:pk>": ["{pk}", "0", "99999999999999999999"],
    "<slug:slug>": ["{slug}", "no-such-article", "a" * 300],
}


def editor_routes(patterns=None, prefix: str = "") -> list[str]:
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            found += editor_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith("editor/"):
            found.append(prefix + str(entry.pattern))
    return found


def paths(route: str) -> list[str]:
    for placeholder, values in VALUES.items():
        if placeholder in route:
            return [p for v in values for p in paths(route.replace(placeholder, v, 1))]
    assert "<" not in route, f"{route}: give its parameter values in VALUES"
    return ["/" + route]


ROUTES = editor_routes()
PATHS = [p for route in ROUTES for p in paths(route)]


@pytest.fixture
def clients():
    author = account("fuzz-author", Role.AUTHOR)
    made = manuscript(author, source("fuzz-manuscript"))
    signed = {}
    for name, user in {
        "nobody": account("fuzz-nobody"),
        "author": author,
        "reviewer": reviewer_account("fuzz-reviewer"),
        "editor": account("fuzz-editor", Role.EDITOR),
    }.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        signed[name] = client
    return {"visitor": Client(raise_request_exception=False), **signed}, made


def ask(client, method: str, url: str, data=None):
    response = (
        getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
    )
    if response.status_code >= 500:
        trace = "".join(traceback.format_exception(*response.exc_info)) if response.exc_info else ""
        pytest.fail(f"{method.upper()} {url[:300]!r} answered {response.status_code}\n{trace}")
    return response


def test_every_editor_route_is_covered():
    assert {"editor/", "editor/new", "editor/<int:pk>", "editor/<int:pk>/images"} <= set(ROUTES)
    assert len(ROUTES) >= 8


def test_every_editor_route_answers_without_a_500(clients):
    people, made = clients
    for template in PATHS:
        path = template.format(pk=made.pk, slug=made.slug)
        for client in people.values():
            for method in ("get", "head", "post"):
                status = ask(client, method, path, {} if method == "post" else None).status_code
                assert status in (200, 302, 400, 404, 405), (method, path, status)


FIELDS = [
    "title",
    "slug",
    "category",
    "author",
    "audience",
    "excerpt",
    "tags",
    "published_at",
    "featured_image",
    "extra",
    "body",
]
YAMLISH = [
    'key: "unclosed',
    "a: &x 1\nb: *x",
    "- a list\n- at the top",
    "title: twice",
    "reviewedBy: Someone, MD",
    "deep: " + "[" * 60 + "]" * 60,
    ": no key",
    "? complex\n: key",
    "k: !!python/object:os.system ls",
    "schema:\n  type: Nope",
    "relatedArticles: [Not A Slug]",
]
values = st.one_of(st.sampled_from(HOSTILE_TEXT + YAMLISH), texts)


@settings(FUZZ, max_examples=80)
@given(
    endpoint=st.sampled_from(["", "/check", "new"]),
    who=st.sampled_from(["author", "editor", "reviewer"]),
    data=st.data(),
)
def test_no_500_on_editor_form_posts(clients, endpoint, who, data):
    people, made = clients
    fields = {
        name: data.draw(values, label=name)
        for name in data.draw(st.sets(st.sampled_from(FIELDS)), label="fields")
    }
    if data.draw(st.booleans(), label="full"):
        fields["full"] = "1"
    url = "/editor/new" if endpoint == "new" else f"/editor/{made.pk}{endpoint}"
    ask(people[who], "post", url, fields)


@settings(FUZZ, max_examples=40)
@given(
    action=st.one_of(
        st.sampled_from(["submit", "approve", "request_changes", "publish", "archive", "restore"]),
        values,
    ),
    comment=values,
    publish_on=st.one_of(values, st.sampled_from(["2026-13-40T25:61", "9999-12-31T23:59"])),
    who=st.sampled_from(["author", "editor", "reviewer", "nobody"]),
)
def test_no_500_on_transitions(clients, action, comment, publish_on, who):
    people, made = clients
    data = {"action": action, "comment": comment, "publish_on": publish_on}
    ask(people[who], "post", f"/editor/{made.pk}/transition", data)


UPLOADS = [
    b"",
    b"GIF89a",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    b"<?xml version='1.0'?><svg/>",
    b"\xff\xd8\xff\xe0" + b"\x00" * 100,
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
]


@settings(FUZZ, max_examples=30)
@given(
    content=st.one_of(st.sampled_from(UPLOADS), st.binary(max_size=200)),
    name=st.one_of(st.sampled_from(["a.png", "../../etc/passwd", "\u202egnp.exe", ""]), texts),
    alt=values,
    as_json=st.booleans(),
)
def test_no_500_on_image_uploads(clients, settings_dir, content, name, alt, as_json):
    people, made = clients
    upload = SimpleUploadedFile(name.replace("\x00", "") or "x", content)
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    response = people["author"].post(
        f"/editor/{made.pk}/images", {"image": upload, "alt": alt}, **headers
    )
    assert response.status_code < 500, response.status_code


@pytest.fixture
def settings_dir(settings, tmp_path):
    settings.ARTICLE_IMAGES_ROOT = tmp_path / "images"
    return settings.ARTICLE_IMAGES_ROOT
