"""Security checklist, CSRF: every form that posts is refused (403) without its CSRF token and
accepted with it. The forms are found by parsing the pages, so a form added to one of these
pages is covered without a change here; the one documented exemption, RFC 8058's one-click
unsubscribe (mailbox providers POST it with no cookie and no token), is the only csrf_exempt
view anywhere in the URLconf, admin included.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from ketamine_association.editorial.preview import preview_url
from ketamine_association.editorial.services import manuscript_create
from ketamine_association.practitioners.models import ListingOwner
from tests.articles.factories import article_text

from .site_content import PASSWORD, SiteContent, build_site, staff_user

pytestmark = pytest.mark.django_db

# The pages a visitor (or an editor, for the admin login) reaches, once each. Their forms with
# method="post" are discovered below.
PAGES = {
    "home": lambda site: "/",
    "blog": lambda site: "/blog",
    "article": lambda site: site.article,
    "search": lambda site: "/search?q=options",
    "find-provider": lambda site: "/find-provider",
    "provider": lambda site: site.provider.get_absolute_url(),
    "newsletter": lambda site: "/newsletter",
    "confirm": lambda site: site.confirm,
    "unsubscribe": lambda site: site.unsubscribe,
    "preferences": lambda site: site.preferences,
    "admin-login": lambda site: "/admin/login/",
    "contact": lambda site: "/contact",
    "account-login": lambda site: "/accounts/login/",
    "account-signup": lambda site: "/accounts/signup/",
    "password-reset": lambda site: "/accounts/password/reset/",
    # A listing that takes consultation requests: its profile and its request page.
    "consultation-profile": lambda site: requestable(site).get_absolute_url(),
    "consultation-request": lambda site: f"/providers/{requestable(site).slug}/request",
    "consultation-form": lambda site: f"/consultation/form?p={requestable(site).slug}",
    # A draft's signed preview link, opened without an account (it holds no POST form; the
    # editor's own forms, behind a login, are checked in tests/editorial/test_editor_views.py).
    "shared-preview": lambda site: shared_preview(),
}
# The pages known to hold a POST form today. A form added to any page above is tested
# without a change here; this list only guards against a parser that finds nothing.
KNOWN_POST_FORMS = {
    "newsletter",
    "confirm",
    "unsubscribe",
    "preferences",
    "admin-login",
    "contact",
    "account-login",
    "account-signup",
    "password-reset",
    "consultation-profile",
    "consultation-request",
    "consultation-form",
}
# RFC 8058 one-click unsubscribe: the only view that may accept a POST without a token.
EXEMPT = {"newsletter:unsubscribe"}
TOKEN = "csrfmiddlewaretoken"


@dataclasses.dataclass
class Form:
    action: str
    fields: list[tuple[str, str]]  # what a browser submits: name, value (first submit button)

    def data(self, *, token: bool) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            if name == TOKEN and not token:
                continue
            data.setdefault(name, []).append(value)
        return data


class FormParser(HTMLParser):
    """The forms of a page with method=post, and what submitting each would send."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._submitted = False

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            if attrs.get("method", "get").lower() == "post":
                action = urljoin(self.page_url, attrs.get("action") or self.page_url)
                self._form = Form(action=action, fields=[])
                self._submitted = False
            return
        if self._form is None or "name" not in attrs:
            return
        kind = attrs.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "input" and kind in ("checkbox", "radio") and "checked" not in attrs:
            return
        if kind == "submit" or tag == "button":
            if kind != "submit" or self._submitted:
                return
            self._submitted = True
        value = attrs.get("value", "")
        if attrs["name"] == "email" or kind == "email":
            value = value or "visitor@example.org"
        self._form.fields.append((attrs["name"], value))

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def post_forms(client: Client, url: str) -> list[Form]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = FormParser(url)
    parser.feed(response.content.decode())
    return parser.forms


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def csrf_exempt_views(patterns=None, namespace: str = "") -> set[str]:
    found = set()
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= csrf_exempt_views(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and getattr(entry.callback, "csrf_exempt", False):
            found.add(f"{namespace}{entry.name or entry.pattern}")
    return found


def requestable(site: SiteContent):
    """The site's provider, owned by a practitioner account: it takes consultation requests."""
    ListingOwner.objects.get_or_create(
        provider=site.provider, defaults={"account": staff_user("owner", is_staff=False)}
    )
    return site.provider


def shared_preview() -> str:
    writer = staff_user("preview-writer", is_superuser=True)
    draft, _ = manuscript_create(user=writer, source=article_text("preview-draft"))
    return preview_url(draft)


def site_with_editor(tmp_path, settings) -> SiteContent:
    site = build_site(tmp_path, settings)
    staff_user("editor")
    return site


def fill_login(form: Form) -> Form:
    fields = [
        (name, {"username": "editor", "password": PASSWORD}.get(name, value))
        for name, value in form.fields
    ]
    return Form(form.action, fields)


@pytest.mark.parametrize("page", PAGES)
def test_every_post_form_needs_its_token(page, tmp_path, settings):
    site = site_with_editor(tmp_path, settings)
    url = PAGES[page](site)
    forms = post_forms(Client(enforce_csrf_checks=True), url)
    if page in KNOWN_POST_FORMS:  # a parser that finds nothing would prove nothing
        assert forms, f"{url}: no form with method=post found"
    for index in range(len(forms)):
        # Without the token (the CSRF cookie is there, as in a forged cross-site POST).
        client = Client(enforce_csrf_checks=True)
        form = fill_login(post_forms(client, url)[index])
        refused = client.post(local(form.action), form.data(token=False))
        if resolve(urlsplit(form.action).path).view_name in EXEMPT:  # see the test below
            assert refused.status_code == 200, "the one-click unsubscribe takes no token"
            continue
        assert refused.status_code == 403, (url, form.action, refused.status_code)
        assert any(name == TOKEN for name, _ in form.fields), f"{url}: a form without a token"
        # A token from another visitor's session is no better than none.
        other_token = dict(post_forms(Client(enforce_csrf_checks=True), url)[index].fields)[TOKEN]
        foreign = {**form.data(token=False), TOKEN: [other_token]}
        assert client.post(local(form.action), foreign).status_code == 403, url
        # With the form's own token, as a browser submits it.
        accepted = client.post(local(form.action), form.data(token=True))
        assert accepted.status_code != 403, (url, form.action)
        assert accepted.status_code < 500, (url, form.action, accepted.status_code)


def test_the_one_click_unsubscribe_is_the_only_csrf_exempt_view():
    assert csrf_exempt_views() == EXEMPT
