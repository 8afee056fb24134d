"""Security checklist, safe `next`: after a successful admin login, a `next` that names another
site (absolute, scheme-relative, backslash tricks a browser reads as `//`, userinfo, control
characters) is not followed: the redirect stays inside this site. A `next` inside the site is
followed, so the check is not simply ignoring `next`.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from django.utils.http import url_has_allowed_host_and_scheme

from .site_content import PASSWORD, staff_user

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = [
    "https://evil.example/",
    "http://evil.example/admin/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "///evil.example",
    "https:evil.example",
    "https://testserver@evil.example/",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


def login(client, next_url: str):
    client.get("/admin/login/", {"next": next_url})
    return client.post(
        f"/admin/login/?{_query(next_url)}",
        {"username": "editor", "password": PASSWORD, "next": next_url},
    )


def _query(next_url: str) -> str:
    return urlencode({"next": next_url})


def inside_the_site(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"})
    )


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_login_never_redirects_off_the_site(next_url, client):
    staff_user("editor")
    response = login(client, next_url)
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert inside_the_site(location), location
    assert "evil.example" not in location


def test_an_off_site_next_lands_on_a_page_that_exists(client):
    staff_user("editor")
    location = login(client, "https://evil.example/")["Location"]
    assert client.get(location).status_code == 200, location


def test_login_follows_a_next_inside_the_site(client):
    staff_user("editor")
    response = login(client, "/admin/newsletter/subscriber/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/newsletter/subscriber/"


@pytest.mark.parametrize(
    "location", ["https://evil.example/", "//evil.example", "/\\evil.example", "http:/x"]
)
def test_the_check_itself_refuses_off_site_locations(location):
    assert not inside_the_site(location)
