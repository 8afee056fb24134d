"""Signed preview links: a draft shown to someone without an account, for
EDITORIAL_PREVIEW_DAYS; a tampered, foreign or expired token is a 404, never a 500; the
page is never indexed or stored by a cache."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.core import signing
from django.test import Client

from ketamine_association.editorial import preview
from ketamine_association.editorial.roles import Role

from .factories import account, manuscript, reviewer_account, source

pytestmark = pytest.mark.django_db


def shared_link(user, made) -> str:
    client = Client()
    client.force_login(user)
    page = client.post(f"/editor/{made.pk}/share", follow=True).content.decode()
    return re.search(r'class="ed-share-link" href="https?://[^/"]+(/preview/[^"]+)"', page)[1]


@pytest.fixture
def author():
    return account("author", Role.AUTHOR)


def test_a_link_shows_the_current_text_to_a_visitor_without_an_account(author):
    made = manuscript(author)
    link = shared_link(author, made)
    response = Client().get(link)
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Sleep Before a Session" in html and "Preview — not published" in html
    assert '<meta name="robots" content="noindex">' in html
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Cache-Control"] == "private, no-store"
    # The link shows the text as it is now, not as it was when the link was made.
    made.source = made.source.replace("Go to bed at your usual time.", "Keep the lights low.")
    made.save()
    assert "Keep the lights low." in Client().get(link).content.decode()
    assert link not in Client().get("/sitemap.xml").content.decode()


def test_an_expired_link_is_404(author, settings):
    settings.EDITORIAL_PREVIEW_DAYS = 7
    made = manuscript(author)
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        link = preview.preview_url(made)
    with time_machine.travel(dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC), tick=False):
        assert Client().get(link).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 8, 12, 1, tzinfo=dt.UTC), tick=False):
        assert Client().get(link).status_code == 404


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: signing.dumps({"m": 999_999}, salt="another.salt"),  # another salt
        lambda token: "not-a-token",
        lambda token: (
            signing.b64_encode(b'{"m":4242}').decode() + token[token.index(":") :]
        ),  # another payload under the old signature
        lambda token: signing.dumps({"m": "1"}, salt=preview.SALT),  # a pk that is no int
    ],
)
def test_a_tampered_or_foreign_token_is_404(author, tamper):
    made = manuscript(author)
    token = preview.preview_token(made)
    response = Client().get(f"/preview/{tamper(token)}")
    assert response.status_code == 404


def test_a_link_to_a_deleted_manuscript_is_404(author):
    made = manuscript(author, source("soon-gone"))
    link = preview.preview_url(made)
    made.delete()
    assert Client().get(link).status_code == 404


def test_only_editors_and_authors_who_see_it_make_links(author):
    made = manuscript(author)
    other = Client()
    other.force_login(account("other", Role.AUTHOR))
    assert other.post(f"/editor/{made.pk}/share").status_code == 404
    reviewer = Client()
    reviewer.force_login(reviewer_account())
    assert reviewer.post(f"/editor/{made.pk}/share").status_code == 404
    editor = account("editor", Role.EDITOR)
    assert Client().get(shared_link(editor, made)).status_code == 200
