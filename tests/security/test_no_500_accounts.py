"""No account page answers 500 (the part of test_no_500.py for django-allauth's pages, which
that file leaves out: their routes are regexes, their pages forms, the dashboard needs a login).

Every route under accounts/ and /dashboard is requested (GET and HEAD) by a visitor and by a
signed-in practitioner, with hostile query strings (a hostile `next` above all), hostile keys
in the two signed links, and the login, signup and reset forms are POSTed with hostile values.
The enumeration comes from the resolver: a new allauth route is covered without a change."""

from __future__ import annotations

import traceback
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from hypothesis import given, settings
from hypothesis import strategies as st

from .test_no_500 import FUZZ, HOSTILE_TEXT, components, texts

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase 42"
SIGNED_LINKS = {
    "account_confirm_email": "/accounts/confirm-email/{key}/",
    "account_reset_password_from_key": "/accounts/password/reset/key/{uidb36}-{key}/",
}


# The dashboard's own pages (a listing, its history and editors, an invitation, the requests
# inbox): each parameter with a value that may exist and hostile ones.
DASHBOARD_VALUES = {
    "<int:pk>": ["1", "0", "99999999999999999999"],
    "<str:token>": ["not-a-token", "a" * 500, "..%2F..%2Fetc%2Fpasswd"],
}


def account_paths() -> list[str]:
    """A path for every route under accounts/ (the signed links with a placeholder key) and
    under dashboard (each parameter with the values above)."""
    paths = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and str(entry.pattern) == "accounts/":
            paths += _walk(entry.url_patterns, "/accounts/")
        elif isinstance(entry, URLResolver) and str(entry.pattern) == "":
            for route in entry.url_patterns:
                if str(route.pattern).startswith("dashboard"):
                    paths += _dashboard(str(route.pattern))
    return paths


def _dashboard(route: str) -> list[str]:
    for placeholder, values in DASHBOARD_VALUES.items():
        if placeholder in route:
            return [path for v in values for path in _dashboard(route.replace(placeholder, v))]
    assert "<" not in route, f"{route}: give its parameter values in DASHBOARD_VALUES"
    return ["/" + route]


def _walk(patterns, prefix: str) -> list[str]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RegexPattern):
            assert entry.name in SIGNED_LINKS, f"{entry.pattern}: add it to SIGNED_LINKS"
            found.append(SIGNED_LINKS[entry.name].format(uidb36="1", key="set-password"))
        else:
            assert "<" not in str(entry.pattern), f"{entry.pattern}: give it a value here"
            found.append(prefix + str(entry.pattern))
    return found


PATHS = account_paths()


@pytest.fixture
def clients():
    user = get_user_model().objects.create_user("fuzz", "fuzz@example.org", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    member = Client(raise_request_exception=False)
    member.force_login(user)
    return {"visitor": Client(raise_request_exception=False), "member": member}


def ask(client, method: str, url: str, data=None):
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    if response.status_code >= 500:
        trace = "".join(traceback.format_exception(*response.exc_info)) if response.exc_info else ""
        pytest.fail(f"{method.upper()} {url[:300]!r} answered {response.status_code}\n{trace}")
    return response


def test_every_account_route_is_covered():
    assert {"/accounts/login/", "/accounts/signup/", "/dashboard"} <= set(PATHS)
    assert {"/dashboard/requests", "/dashboard/listings/1", "/dashboard/requests/1"} <= set(PATHS)
    assert len(PATHS) > 15


def test_every_account_page_answers_without_a_500(clients):
    for path in PATHS:
        for client in clients.values():
            for method in ("get", "head"):
                assert ask(client, method, path).status_code in (200, 302, 400, 404, 405, 429)


@settings(FUZZ, max_examples=60)
@given(
    path=st.sampled_from(PATHS),
    who=st.sampled_from(["visitor", "member"]),
    query=st.lists(
        st.tuples(st.sampled_from(["next", "code", "email", "x"]), components()), max_size=3
    ),
)
def test_no_500_on_query_strings(clients, path, who, query):
    url = path + "?" + "&".join(f"{key}={value}" for key, value in query)
    ask(clients[who], "get", url)


@settings(FUZZ, max_examples=40)
@given(
    link=st.sampled_from(sorted(SIGNED_LINKS.values())),
    uidb36=st.one_of(st.from_regex(r"\A[0-9A-Za-z]{1,20}\Z"), st.just("1")),
    key=st.one_of(st.from_regex(r"\A[-:\w]{1,80}\Z"), components()),
)
def test_no_500_on_signed_link_keys(clients, link, uidb36, key):
    ask(clients["visitor"], "get", link.format(uidb36=uidb36, key=key))


FORMS = {
    "/accounts/login/": ["login", "password", "remember", "next"],
    "/accounts/signup/": ["email", "password1", "password2", "next"],
    "/accounts/password/reset/": ["email"],
}
values = st.one_of(st.sampled_from(HOSTILE_TEXT), texts).map(lambda v: v.replace("\x00", ""))


@settings(FUZZ, max_examples=60)
@given(form=st.sampled_from(sorted(FORMS)), data=st.data())
def test_no_500_on_form_posts(form, data):
    fields = {name: data.draw(values, label=name) for name in FORMS[form]}
    client = Client(raise_request_exception=False, enforce_csrf_checks=False)
    ask(client, "post", form, fields)


def test_a_nul_in_a_form_is_not_a_500():
    client = Client(raise_request_exception=False)
    ask(client, "post", "/accounts/login/", {"login": "a\x00b@example.org", "password": "x"})
    ask(client, "get", "/accounts/login/?next=" + quote("\x00//evil.example"))
