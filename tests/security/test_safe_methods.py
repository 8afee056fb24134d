"""Security checklist, no state change on GET or HEAD: every URL pattern of the site, the admin
included, is requested with GET and HEAD, by a visitor and by a signed-in superuser, with real
ids, slugs and signed links, and after each request every table of the database (its row
count and a checksum of its rows) is what it was. In particular the confirm and unsubscribe
links of the newsletter change nothing until they are POSTed.

The patterns come from the resolver: a new URL is requested without a change here, and one
whose parameters this file cannot fill fails the test, naming it, until a real value is given.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from ketamine_association.articles.models import Article
from ketamine_association.consultations.choices import AccessKind
from ketamine_association.consultations.models import ConsultationRequest, RequestAccess
from ketamine_association.core.sitemaps import sitemap_sections
from ketamine_association.directory.geo import state_slug
from ketamine_association.editorial.models import Manuscript
from ketamine_association.editorial.preview import preview_token
from ketamine_association.newsletter.choices import SubscriberStatus
from ketamine_association.practitioners.models import ListingOwner
from ketamine_association.practitioners.services import editor_invitation_token

from .site_content import SiteContent, build_site, one_of_every_admin_model

pytestmark = pytest.mark.django_db

_PARAMETER = re.compile(r"<(?:(?P<type>[^>:]+):)?(?P<name>[^>]+)>")


def public_values(site: SiteContent) -> dict[str, dict[str, list[str]]]:
    """Real values for the parameters of each public route."""
    token = {
        kind: getattr(site, kind).rsplit("/", 1)[1]
        for kind in ("confirm", "unsubscribe", "preferences")
    }
    provider = site.provider
    return {
        "blog/page/<int:page>": {"page": ["1", "2"]},
        "blog/category/<slug:slug>": {"slug": ["patient-education", "clinical-research"]},
        "blog/category/<slug:slug>/page/<int:page>": {
            "slug": ["patient-education"],
            "page": ["1", "2"],
        },
        "blog/category/<slug:slug>/feed.xml": {"slug": ["patient-education"]},
        "blog/category/<slug:slug>/atom.xml": {"slug": ["patient-education"]},
        "blog/tag/<slug:slug>": {"slug": ["options"]},
        "blog/tag/<slug:slug>/page/<int:page>": {"slug": ["options"], "page": ["1", "2"]},
        "blog/audience/<slug:audience>": {"audience": ["patients", "practitioners"]},
        "blog/audience/<slug:audience>/page/<int:page>": {
            "audience": ["patients"],
            "page": ["1"],
        },
        "blog/<slug:slug>": {"slug": ["probe-article", "probe-research"]},
        "reviewers/<slug:slug>": {"slug": ["private-reviewer"]},  # one_of_every_admin_model's
        "sitemap-<slug:section>.xml": {"section": list(sitemap_sections())},
        "images/articles/<path:name>": {"name": ["probe-article.png"]},
        "find-provider/<slug:state>": {"state": [state_slug(provider.state)]},
        "find-provider/<slug:state>/<slug:city>": {
            "state": [state_slug(provider.state)],
            "city": [provider.city_slug],
        },
        "providers/<slug:slug>": {"slug": [provider.slug]},
        "providers/<slug:slug>/claim": {"slug": [provider.slug]},
        "providers/<slug:slug>/request": {"slug": [provider.slug]},
        "dashboard/listings/<int:pk>/editors": {"pk": [str(provider.pk)]},
        "dashboard/listings/<int:pk>": {"pk": [str(provider.pk)]},
        "dashboard/listings/<int:pk>/history": {"pk": [str(provider.pk)]},
        "dashboard/invitation/<str:token>": {"token": [invitation_token(provider), "junk"]},
        "dashboard/requests/<int:pk>": {"pk": [str(consultation_pk(provider))]},
        "media/providers/<str:name>": {"name": [provider.photo.name]},
        "newsletter/confirm/<str:token>": {"token": [token["confirm"]]},
        "newsletter/unsubscribe/<str:token>": {"token": [token["unsubscribe"]]},
        "newsletter/preferences/<str:token>": {"token": [token["preferences"]]},
        "<pagepath:path>": {"path": ["probe/page"]},
        **editor_values(),
    }


def editor_values() -> dict[str, list[str]]:
    """The browser editor's routes: the manuscript one_of_every_admin_model writes, a
    published article to open (a GET shows the offer; only a POST makes its manuscript),
    and a real signed preview link beside a junk one."""
    manuscript = Manuscript.objects.order_by("pk").first()
    pk = [str(manuscript.pk)] if manuscript else ["1"]
    token = [preview_token(manuscript)] if manuscript else []
    return {
        "editor/open/<slug:slug>": {"slug": ["probe-article"]},
        **{
            f"editor/<int:pk>{tail}": {"pk": pk}
            for tail in ("", "/check", "/transition", "/images", "/share")
        },
        "preview/<str:token>": {"token": [*token, "junk"]},
    }


def invitation_token(provider) -> str:
    """A real invitation to edit the listing, from its owner (one_of_every_admin_model's)."""
    owner = ListingOwner.objects.get(provider=provider).account
    return editor_invitation_token(provider=provider, email="invited@example.org", inviter=owner)


def consultation_pk(provider) -> int:
    """A request to the listing, whose owner is the superuser (one_of_every_admin_model's)."""
    return ConsultationRequest.objects.filter(provider=provider).values_list("pk", flat=True)[0]


# Query strings worth a request of their own: the views that read them.
QUERIES = {
    "search": ["q=options", "q=options&audience=patients&page=2"],
    "blog": ["page=2"],
    "consultation": ["zip=90210"],
    "dashboard/requests": ["status=booked", "page=2"],
}


def admin_values(route: str, model_admin, user) -> dict[str, list[str]]:
    if model_admin is not None:
        obj = model_admin.model._default_manager.order_by("pk").first()
        assert obj is not None, f"{route}: no {model_admin.model._meta.label} to request"
        values = {"object_id": [str(obj.pk)]}
        if "<int:history_id>" in route:  # a manuscript's revision: its oldest (restore page)
            values["history_id"] = [str(obj.history.order_by("history_id")[0].history_id)]
        return values
    if route.startswith("admin/r/"):
        article = Article.objects.order_by("pk").first()
        return {
            "content_type_id": [str(ContentType.objects.get_for_model(Article).pk)],
            "object_id": [str(article.pk)],
        }
    if route == "admin/auth/user/<id>/password/":
        return {"id": [str(user.pk)]}
    return {}


def expand(route: str, values: dict[str, list[str]]) -> list[str]:
    """The paths of a route: each value of each parameter once, the others at their first."""
    names = [m["name"] for m in _PARAMETER.finditer(route)]
    missing = [name for name in names if not values.get(name)]
    assert not missing, f"{route or '(home)'}: give a real value for {missing} in this file"
    first = {name: values[name][0] for name in names}
    choices = [first] + [{**first, name: v} for name in names for v in values[name][1:]]
    return [
        "/" + _PARAMETER.sub(lambda m, chosen=chosen: chosen[m["name"]], route)
        for chosen in choices
    ]


def regex_paths(prefix: str, pattern: RegexPattern) -> list[str]:
    """The admin's two regex patterns: the app index per app, and its catch-all."""
    regex = pattern.regex.pattern
    if "(?P<app_label>" in regex:
        labels = re.search(r"\(\?P<app_label>([^)]*)\)", regex)[1].split("|")
        return [f"/{prefix}{label}/" for label in labels]
    if "(?P<url>" in regex:
        return [f"/{prefix}no-such-page/"]
    # django-allauth's two signed links: a key that is not valid (a real one is tested in
    # tests/accounts/: opening it changes nothing until the page's button is pressed).
    if "(?P<uidb36>" in regex:
        return [f"/{prefix}password/reset/key/1-set-password/", f"/{prefix}password/reset/key/z-x/"]
    if "confirm-email/(?P<key>" in regex:
        return [f"/{prefix}confirm-email/MQ:1vQxYz:not-a-real-key/"]
    raise AssertionError(f"{prefix}{regex}: no values for this regex pattern")


def site_paths(site: SiteContent, user, patterns=None, prefix: str = "") -> list[str]:
    """A real path (or several) for every URL pattern of the root URLconf."""
    public = public_values(site)
    paths: list[str] = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            paths += site_paths(site, user, entry.url_patterns, prefix + str(entry.pattern))
            continue
        assert isinstance(entry, URLPattern)
        if isinstance(entry.pattern, RegexPattern):
            paths += regex_paths(prefix, entry.pattern)
            continue
        assert isinstance(entry.pattern, RoutePattern)
        route = prefix + str(entry.pattern)
        if route.startswith("admin/"):
            values = admin_values(route, getattr(entry.callback, "model_admin", None), user)
        else:
            values = public.get(route, {})
        found = expand(route, values)
        paths += found
        for query in QUERIES.get(route, []):
            paths += [f"{path}?{query}" for path in found]
    return paths


# The one write a GET may make (RFC 9110 §9.2.1 lets a safe method log): a provider opening a
# consultation request appends an "opened" row to its access log (tests/consultations/
# test_inbox.py checks that row). Every other row of that table is still compared.
LOGGED_READS = {
    RequestAccess._meta.db_table: f"WHERE kind <> '{AccessKind.OPENED.value}'",
}


def snapshot() -> dict[str, tuple[int, str]]:
    """Every table of the database: (row count, checksum of its rows in any order)."""
    tables = connection.introspection.table_names(include_views=False)
    result = {}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            where = LOGGED_READS.get(table, "")
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} {where}")  # noqa: S608
            rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            result[table] = (len(rows), digest)
    return result


def changed(before: dict, after: dict) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def test_get_and_head_change_no_table(tmp_path, settings):
    site = build_site(tmp_path, settings)
    superuser = one_of_every_admin_model(site)
    visitor = Client()
    editor = Client()
    editor.force_login(superuser)
    paths = site_paths(site, superuser)
    assert len(paths) > 100, len(paths)  # the admin's pages and the site's

    before = snapshot()
    assert before, "no table found"
    answered = {}
    for path in paths:
        for who, client in (("visitor", visitor), ("superuser", editor)):
            for method in ("get", "head"):
                response = getattr(client, method)(path)
                answered[(path, who, method)] = response.status_code
                after = snapshot()
                assert after == before, (
                    f"{method.upper()} {path} as {who} ({response.status_code}) changed "
                    f"{changed(before, after)}"
                )

    # Real values reached real pages, not a wall of 404s.
    ok = {path for (path, who, method), status in answered.items() if status == 200}
    opened = f"/dashboard/requests/{consultation_pk(site.provider)}"
    for path in (site.confirm, site.unsubscribe, site.preferences, site.article, "/admin/", opened):
        assert path in ok, path
    # A manuscript's revisions and the page of restoring its oldest (a GET shows, a POST acts).
    manuscript = Manuscript.objects.order_by("pk").first()
    oldest = manuscript.history.order_by("history_id")[0].history_id
    revisions = f"/admin/editorial/manuscript/{manuscript.pk}/revisions/"
    assert {revisions, f"{revisions}{oldest}/restore/"} <= ok
    # The editor's pages and a preview link answered, and changed nothing (above).
    edit_page = "/editor/" + editor_values()["editor/<int:pk>"]["pk"][0]
    assert {"/editor/", "/editor/new", edit_page, "/editor/open/probe-article"} <= ok
    assert any(path.startswith("/preview/") and path != "/preview/junk" for path in ok)
    # The confirm and unsubscribe links in particular: nothing happened to either person.
    site.pending.refresh_from_db()
    site.confirmed.refresh_from_db()
    assert site.pending.status == SubscriberStatus.PENDING and site.pending.confirm_nonce
    assert site.confirmed.status == SubscriberStatus.CONFIRMED

    # The snapshot sees a change when there is one: the same confirm link, POSTed.
    assert visitor.post(site.confirm).status_code == 200
    assert "newsletter_subscriber" in changed(before, snapshot())
