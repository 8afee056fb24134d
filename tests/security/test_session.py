"""Security checklist, session rotation: signing in through the admin login form gives the
browser a new session key (a key planted before the login, session fixation, is dead
afterwards), and signing out flushes the session: its key is dead and nothing of the signed-in
session is left.

Real POSTs through the test client (django-axes sits in AUTHENTICATION_BACKENDS and wants the
request, so client.login is not how a person signs in).
"""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings

from .site_content import PASSWORD, staff_user

pytestmark = pytest.mark.django_db


def store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_key(client) -> str:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie is not None else ""


def sign_in(client, username: str = "editor"):
    client.get("/admin/login/")
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})


def test_admin_login_rotates_the_session_key(client):
    user = staff_user("editor")
    planted = client.session  # a session that exists before the login, as an attacker plants
    planted["before-login"] = "kept"
    planted.save()
    planted_key = planted.session_key
    assert session_key(client) == planted_key

    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    new_key = session_key(client)
    assert new_key and new_key != planted_key
    assert not store()().exists(planted_key), "the planted key still opens a session"
    session = store()(session_key=new_key)
    assert session["_auth_user_id"] == str(user.pk)
    assert client.get("/admin/").status_code == 200


def test_admin_logout_flushes_the_session(client):
    staff_user("editor")
    assert sign_in(client).status_code == 302
    signed_in_key = session_key(client)
    assert store()().exists(signed_in_key)

    response = client.post("/admin/logout/")
    assert response.status_code == 200
    assert not store()().exists(signed_in_key), "the signed-in session survived the logout"
    left = session_key(client)
    assert left != signed_in_key
    assert "_auth_user_id" not in store()(session_key=left or None).load()
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    # The old cookie, replayed, is no longer a session either.
    client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_key
    assert client.get("/admin/").status_code == 302
