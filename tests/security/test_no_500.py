"""No URL and no query parameter answers 500.

Every URL pattern the resolver knows (Django's own admin aside) is requested with
hypothesis-generated values for its converters, and every public view with generated values
for the query parameters it reads: long strings, NUL, percent-encoded bytes that are not
UTF-8, unicode (right-to-left marks, emoji, combining marks), "..", "//", negative and huge
numbers, floats, "nan", "inf", empty values and repeated keys. GET and HEAD, through the test
client with `raise_request_exception=False`, so a crash is a 500 like in production.

The patterns come from the resolver, so a new URL is fuzzed without touching this file. The
parameters a view reads are data here (QUERY_PARAMETERS); every request records the keys the
view really read from request.GET, and a read of an undeclared key fails the test, so the list
cannot fall behind the views.

The site has content (the demo articles, generated ones to fill a second page, providers, a
photo, newsletter subscribers with valid links) and each pattern is also requested with real
values taken from the sitemap and a few known URLs, so the fuzz goes past "not found".
Examples are derandomized: a failure found once is found again, in CI too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import sys
import traceback
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.http import QueryDict
from django.test import Client, RequestFactory, override_settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import (
    IntConverter,
    PathConverter,
    SlugConverter,
    StringConverter,
    UUIDConverter,
)
from django.urls.resolvers import RoutePattern
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.management.commands.demo_reviewer import DEMO_REVIEWER
from ketamine_association.articles.models import Reviewer
from ketamine_association.articles.services import article_import_paths
from ketamine_association.directory.choices import Condition, Insurance, State, Treatment
from ketamine_association.editorial.preview import preview_url
from ketamine_association.editorial.services import manuscript_create
from ketamine_association.newsletter import tokens
from ketamine_association.newsletter.choices import SubscriberStatus
from ketamine_association.practitioners.models import ListingOwner
from tests.articles.factories import article_text, write
from tests.conftest import DEMO
from tests.directory.factories import bulk_providers, make_provider
from tests.newsletter.factories import subscriber

pytestmark = pytest.mark.django_db

# Django's own admin; django-allauth's pages (regex routes, forms, a signed-in dashboard) are
# fuzzed in test_no_500_accounts.py with real keys, a signed-in client and their forms.
# The editor (editor/...) needs a login and a role: tests/security/test_no_500_editor.py
# fuzzes it signed in; its public preview links (preview/<token>) are fuzzed here.
SKIPPED = ("admin/", "accounts/", "dashboard", "editor/")

# What the enumeration must find at least: if one disappears (an include dropped, a urls.py
# renamed), this fuzz would silently cover less.
EXPECTED_ROUTES = {
    "",
    "healthz",
    "blog",
    "blog/page/<int:page>",
    "blog/feed.xml",
    "blog/atom.xml",
    "blog/category/<slug:slug>",
    "blog/category/<slug:slug>/page/<int:page>",
    "blog/category/<slug:slug>/feed.xml",
    "blog/category/<slug:slug>/atom.xml",
    "blog/tag/<slug:slug>",
    "blog/tag/<slug:slug>/page/<int:page>",
    "blog/audience/<slug:audience>",
    "blog/audience/<slug:audience>/page/<int:page>",
    "blog/<slug:slug>",
    "search",
    "reviewers/<slug:slug>",
    "sitemap.xml",
    "sitemap-<slug:section>.xml",
    "robots.txt",
    "images/articles/<path:name>",
    "find-provider",
    "find-provider/<slug:state>",
    "find-provider/<slug:state>/<slug:city>",
    "providers/<slug:slug>",
    "media/providers/<str:name>",
    "newsletter",
    "newsletter/confirm/<str:token>",
    "newsletter/unsubscribe/<str:token>",
    "newsletter/preferences/<str:token>",
    "<pagepath:path>",
    "contact",
    "contact/sent",
    "provider-directory/apply",
    "provider-directory/apply/sent",
    "providers/<slug:slug>/claim",
    "providers/<slug:slug>/request",
    "consultation",
    "consultation/form",
    "consultation/sent",
    "preview/<str:token>",  # a draft's signed preview link (editorial/preview.py)
}

# The GET parameters each view reads, by the view's dotted name (a view not listed reads
# none). Kept honest by the recorder below: a read of a key not listed here fails.
_A = "ketamine_association.articles.views."
QUERY_PARAMETERS: dict[str, set[str]] = {
    _A + "article_index": {"page"},  # the old ?page=N form, redirected to /page/N
    _A + "category_detail": {"page"},
    _A + "tag_detail": {"page"},
    _A + "audience_detail": {"page"},
    _A + "search": {"q", "category", "audience", "page"},
    "ketamine_association.core.views.sitemap_xml": {"p"},  # django.contrib.sitemaps' page
    "ketamine_association.core.views.sitemap_section": {"p"},
    "ketamine_association.directory.views.find_provider": {
        "location",
        "radius",
        "treatment",
        "condition",
        "insurance",
        "telehealth",
        "accepting",
        "verified",
        "page",
    },
    "ketamine_association.directory.views.city_page": {"page"},
    "ketamine_association.association.views.contact": {"topic", "article"},
    "ketamine_association.consultations.views.public.start": {"zip", "step", "p"},
    "ketamine_association.consultations.views.public.form": {"p", "zip"},
}

# Values a parameter is meant to take, mixed into the fuzz so a hostile value meets a
# working search (a real location with a huge page, a real query with a NUL category...).
GOOD_VALUES: dict[str, list[str]] = {
    "page": ["1", "2", "3"],
    "topic": ["correction", "general", "media", "membership", "website"],
    "article": ["building-a-support-plan", "no-such-article"],
    "p": ["1", "2"],
    "q": ["ketamine", "what does an infusion feel like", "support plan", "PHQ-9"],
    "category": ["PATIENT_EDUCATION", "CLINICAL_RESEARCH"],
    "audience": ["patients", "practitioners"],
    "location": [
        "90210",
        "90210-1234",
        "Beverly Hills, CA",
        "Beverly Hills CA",
        "New York, New York",
        "Springfield",
        "Los Angelos, CA",
        "9021O",
        "California",
        "CA",
        "99546",  # Adak, Alaska: the antimeridian
    ],
    "radius": ["10", "25", "50", "100", "250", "50.0"],
    "treatment": list(Treatment.values),
    "condition": list(Condition.values),
    "insurance": list(Insurance.values),
    "telehealth": ["1", "0", "on", "yes"],
    "accepting": ["1", "0"],
    "verified": ["1", "0"],
    "zip": ["90210", "90210-1234", "10001", "00000", "9021O"],
    "step": ["choose"],
}

# --- hostile values --------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "\t",
    "\r\nSet-Cookie: x=y",
    "\x00",
    "a\x00b",
    "90210\x00",
    "..",
    "../..",
    "../../../../etc/passwd",
    "//",
    "/",
    ".",
    ".hidden",
    "~",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u200e",
    "مرحبا",
    "שלום",
    "🧪💊🏥",
    "👩‍⚕️",
    "e\u0301",
    "İ",
    "ß",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "\\ud800",
    "&#xD800;",
    "-1",
    "-0",
    "0",
    "00",
    "1",
    "1.5",
    "1e400",
    "-1e400",
    "1e-400",
    str(10**40),
    str(-(10**40)),
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "2147483648",
    "9" * 13,  # base 36, as a newsletter link's id: beyond a 64-bit integer
    "z" * 13,
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "0x10",
    "1_000",
    "١٢",  # Arabic-Indic digits: int() reads them
    "²",
    "true",
    "null",
    "None",
    "[]",
    "{}",
    "' OR '1'='1",
    '"; DROP TABLE x; --',
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "{% debug %}",
    "%s%s%n",
    "%",
    "NEAR(a b)",
    '"unclosed',
    "a*",
    "-ketamine OR",
]


def repeated(*specs: tuple[str, int]) -> st.SearchStrategy[str]:
    """Long values, made when drawn (a strategy holding them would print them whole)."""
    return st.sampled_from(specs).map(lambda spec: spec[0] * spec[1])


LONG = repeated(("a", 5000), ("9", 5000), ("é", 3000), ("x/", 600), ("ketamine ", 400))

# Already percent-encoded: bytes that are not UTF-8, overlong and surrogate encodings, NUL.
RAW_ENCODED = [
    "%00",
    "%FF",
    "%FE%FF",
    "%C0%AF",
    "%C0%AE%C0%AE",
    "%ED%A0%80",
    "%F4%90%80%80",
    "%E2%80%AE",
    "%E9",
    "%2e%2e",
    "%2F",
    "%252F",
    "%25",
    "%u0041",
    "%zz",
    "+",
]

texts = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    LONG,
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.integers(min_value=-(10**45), max_value=10**45).map(str),
    st.floats().map(repr),
)


def _quoted(safe: str = "") -> st.SearchStrategy[str]:
    return texts.map(lambda text: quote(text, safe=safe))


def components(safe: str = "") -> st.SearchStrategy[str]:
    """One percent-encoded URL component: text, raw bytes, or a mix of both."""
    part = st.one_of(_quoted(safe), st.sampled_from(RAW_ENCODED))
    return st.one_of(part, st.lists(part, min_size=2, max_size=4).map("".join))


INT_VALUES = st.one_of(
    st.integers(min_value=0, max_value=10**45).map(str),
    st.sampled_from(["0", "00", "1", "01", "0001", str(2**63), str(2**64)]),
    repeated(("9", 5000), ("0", 300)),
)
SLUG_VALUES = st.one_of(
    st.from_regex(r"\A[-a-zA-Z0-9_]{1,60}\Z"),
    st.sampled_from(["-", "_", "--", "CA", "ca", "DC"]),
    repeated(("a", 3000), ("a-", 1500), ("0", 300)),
)


def converter_values(converter) -> st.SearchStrategy[str]:
    """Values shaped to match the converter (so they reach the view) and values that do not."""
    if isinstance(converter, IntConverter):
        shaped = INT_VALUES
    elif isinstance(converter, SlugConverter):
        shaped = SLUG_VALUES
    elif isinstance(converter, UUIDConverter):
        shaped = st.uuids().map(str)
    elif isinstance(converter, PathConverter):
        return components(safe="/")
    elif isinstance(converter, StringConverter):
        return components()
    else:
        raise AssertionError(f"no strategy for the converter {type(converter).__name__}")
    return st.one_of(shaped, components())


# --- the URL patterns ------------------------------------------------------------------

_PARAMETER = re.compile(r"<(?:(?P<type>[^>:]+):)?(?P<name>[^>]+)>")


@dataclasses.dataclass(frozen=True)
class Route:
    route: str  # as ResolverMatch.route spells it: "blog/<slug:slug>"
    converters: tuple[tuple[str, object], ...]
    view: str  # dotted name of the view

    def __str__(self) -> str:
        return self.route or "(home)"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(f"Route({self.route!r})")

    def path(self, values: dict[str, str]) -> str:
        return "/" + _PARAMETER.sub(lambda m: values[m["name"]], self.route)


def view_name(callback) -> str:
    callback = getattr(callback, "view_class", callback)
    if not hasattr(callback, "__qualname__"):  # an instance, such as a syndication Feed
        callback = type(callback)
    return f"{callback.__module__}.{callback.__qualname__}"


def url_routes(patterns=None, prefix: str = "", converters=()) -> list[Route]:
    """Every URL pattern under the root URLconf, Django's admin aside."""
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED):
            continue
        if not isinstance(entry.pattern, RoutePattern):
            raise AssertionError(f"{entry.pattern!r}: only path() patterns are fuzzed")
        found = converters + tuple(entry.pattern.converters.items())
        if isinstance(entry, URLResolver):
            routes += url_routes(entry.url_patterns, route, found)
        elif isinstance(entry, URLPattern):
            routes.append(Route(route, found, view_name(entry.callback)))
    return routes


ROUTES = url_routes()

# --- the site ---------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# Real URLs beside the sitemap's (and the newsletter links, made with the subscribers).
SEED_URLS = [
    "/healthz",
    "/contact",
    "/contact/sent",
    "/provider-directory/apply",
    "/provider-directory/apply/sent",
    "/blog/page/2",
    "/blog/feed.xml",
    "/blog/atom.xml",
    "/blog/category/patient-education/page/2",
    "/blog/category/patient-education/feed.xml",
    "/blog/category/patient-education/atom.xml",
    "/blog/category/research",  # one word of a category: a redirect
    "/blog/tag/options/page/2",
    "/blog/audience/patients/page/2",
    "/blog/old-fuzz",
    "/blog/fuzz-future",
    "/search",
    "/reviewers/morgan-ellis",  # the demo articles' reviewer (manage.py demo_reviewer)
    "/robots.txt",
    "/sitemap.xml",
    "/sitemap-articles.xml",
    "/sitemap-providers.xml",
    "/images/articles/building-a-support-plan.svg",
    "/find-provider/ca",
    "/find-provider/new-york/new-york",
    "/media/providers/fuzz.png",
    "/consultation",
    "/consultation/form",
    "/consultation/sent",
    "/preview/not-a-signed-token",  # and a real one, made with the site (below)
]


@dataclasses.dataclass
class Site:
    seed_urls: list[str]
    # route -> parameter name -> real values (raw URL text) taken from the seed URLs
    seeds: dict[str, dict[str, list[str]]]
    # route -> the seed URLs it answers
    urls: dict[str, list[str]]

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis prints it with a failure
        printer.text(f"Site({len(self.seed_urls)} seed URLs)")


def _generated_articles(folder: Path) -> None:
    """Thirteen more articles in one category, audience and tag, so each has a page 2."""
    for n in range(13):
        text = article_text(f"fuzz-{n:02d}")
        text = text.replace('"2026-02-03"', f'"2026-01-{n + 1:02d}"')
        if n == 0:
            text = text.replace(
                'audience: "patients"', 'audience: "patients"\nredirectFrom: ["/blog/old-fuzz"]'
            )
        if n == 1:
            text = text.replace('"PATIENT_EDUCATION"', '"CLINICAL_RESEARCH"')
            text = text.replace('audience: "patients"', 'audience: "practitioners"')
        write(folder / f"fuzz-{n:02d}.md", text)
    future = article_text("fuzz-future").replace('"2026-02-03"', '"2099-01-01"')
    write(folder / "fuzz-future.md", future)


def _build_site(root: Path) -> Site:
    generated = root / "articles"
    _generated_articles(generated)
    Reviewer.objects.create(**DEMO_REVIEWER)  # the profile the demo articles name
    store = ImageStore(source=DEMO / "images", root=root / "images")
    report = article_import_paths(
        paths=[DEMO / "articles", DEMO / "pages", generated], images=store
    )
    assert not [o for o in report.outcomes if o.status == "failed"], report.outcomes

    (root / "photos").mkdir()
    (root / "photos" / "fuzz.png").write_bytes(PNG)
    claimable = make_provider(
        photo="fuzz.png",
        telehealth=True,
        telehealth_states=State.mask(["CA", "NY"]),
        conditions=Condition.mask(Condition.values[:2]),
        insurance=Insurance.mask(Insurance.values[:1]),
        price_min_usd=300,
        price_max_usd=600,
        bio="A bio with <b>markup</b> & an emoji 🧪.",
    )
    make_provider(city="New York", state="NY", zip_code="10001", accepting_new_patients=False)
    make_provider(city="Adak", state="AK", zip_code="99546")
    bulk_providers([{} for _ in range(22)])  # a second page of Beverly Hills
    # A listing that takes consultation requests (owned, accepting new patients).
    requestable = make_provider(name="Requestable Clinician")
    ListingOwner.objects.create(
        provider=requestable,
        account=get_user_model().objects.create_user("fuzz-owner", "owner@fuzz.example"),
    )

    # A draft written in the editor, and its signed preview link (a real token to fuzz from).
    writer = get_user_model().objects.create_superuser("fuzz-writer", "writer@fuzz.example")
    draft, _ = manuscript_create(user=writer, source=article_text("fuzz-draft"))

    pending = subscriber("pending@example.com", status=SubscriberStatus.PENDING)
    pending.confirm_nonce = "fuzznonce"
    pending.save(update_fields=["confirm_nonce"])
    person = subscriber("confirmed@example.com")
    links = [
        preview_url(draft),
        f"/providers/{claimable.slug}/claim",
        f"/providers/{requestable.slug}/request",
        "/newsletter/confirm/" + tokens.confirm_token(subscriber_id=pending.pk, nonce="fuzznonce"),
        *(
            f"/newsletter/{purpose}/"
            + tokens.recipient_token(purpose=purpose, subscriber_id=person.pk, key=person.key)
            for purpose in (tokens.UNSUBSCRIBE, tokens.PREFERENCES)
        ),
    ]

    sitemap = Client().get("/sitemap.xml")
    assert sitemap.status_code == 200
    locs = [el.text for el in ET.fromstring(sitemap.content).iter() if el.tag.endswith("loc")]
    seed_urls = [urlsplit(loc).path for loc in locs] + SEED_URLS + links
    seeds: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    urls: dict[str, list[str]] = defaultdict(list)
    for url in seed_urls:
        match = resolve(url)
        urls[match.route].append(url)
        raw = re.fullmatch(_route_regex(match.route), url[1:])
        assert raw, (url, match.route)
        for name, value in raw.groupdict().items():
            if value not in seeds[match.route][name]:
                seeds[match.route][name].append(value)
    return Site(seed_urls, {route: dict(values) for route, values in seeds.items()}, dict(urls))


def _route_regex(route: str) -> str:
    pieces, last = [], 0
    for m in _PARAMETER.finditer(route):
        pieces.append(re.escape(route[last : m.start()]))
        wide = m["type"] in ("path", "pagepath")  # converters that match across slashes
        pieces.append(f"(?P<{m['name']}>{'.+' if wide else '[^/]+'})")
        last = m.end()
    pieces.append(re.escape(route[last:]))
    return "".join(pieces)


@pytest.fixture(scope="module", autouse=True)
def _quiet_404s():
    """Thousands of "Not Found" warnings would bury a failure's own report."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The content every test of this module reads, made once and rolled back at the end."""
    root = tmp_path_factory.mktemp("no-500")
    with (
        override_settings(
            ARTICLE_IMAGES_ROOT=root / "images", PROVIDER_PHOTOS_ROOT=root / "photos"
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield _build_site(root)
        transaction.set_rollback(True)


# --- requests -----------------------------------------------------------------------------

_RECORDED: list[str] | None = None
_DEPTH = 0  # reads made by QueryDict's own methods (get calls __getitem__) are not the view's
_READERS = ("__getitem__", "get", "getlist", "__contains__", "pop", "setdefault")
_WHOLE = ("items", "lists", "keys", "values", "dict", "copy", "urlencode", "__iter__")
_QUIET = ("__init__",)  # building the dict checks its own keys


def _reader(name: str, original):
    def read(self, *args, **kwargs):
        global _DEPTH
        if _RECORDED is not None and _DEPTH == 0 and name not in _QUIET:
            _RECORDED.append("*" if name in _WHOLE else str(args[0]) if args else "")
        _DEPTH += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            _DEPTH -= 1

    read.__name__ = name
    return read


@contextlib.contextmanager
def recording_reads():
    """While active, the keys any QueryDict is asked for (`*` for a read of the whole dict)."""
    global _RECORDED
    names = _READERS + _WHOLE + _QUIET
    saved = {name: QueryDict.__dict__.get(name) for name in names}
    for name in names:
        setattr(QueryDict, name, _reader(name, getattr(QueryDict, name)))
    _RECORDED = []
    try:
        yield _RECORDED
    finally:
        _RECORDED = None
        for name, original in saved.items():
            if original is None:
                delattr(QueryDict, name)
            else:
                setattr(QueryDict, name, original)


@dataclasses.dataclass
class Answer:
    status: int
    view: str | None
    read: set[str]


# One client for the module: a new one would load the middleware again (whitenoise scans
# every static file) on each request.
CLIENT = Client(raise_request_exception=False)


def ask(method: str, url: str) -> Answer:
    """One request: never raises for a view's exception; any 5xx fails with its traceback."""
    with transaction.atomic(), recording_reads() as read:
        response = getattr(CLIENT, method)(url)
        transaction.set_rollback(True)  # a database error in the view must not leak onward
    if response.status_code >= 500:
        trace = "".join(traceback.format_exception(*response.exc_info)) if response.exc_info else ""
        pytest.fail(f"{method.upper()} {url[:500]!r} answered {response.status_code}\n{trace}")
    try:
        view = view_name(response.resolver_match.func)
    except Resolver404:  # the client resolves lazily; no pattern matched, the 404 handler ran
        view = None
    if view is not None:
        undeclared = set(read) - QUERY_PARAMETERS.get(view, set())
        assert not undeclared, (
            f"{view} read the GET parameters {sorted(undeclared)}, which QUERY_PARAMETERS in "
            f"{__name__} does not list: add them, so they are fuzzed"
        )
    return Answer(response.status_code, view, set(read))


methods = st.sampled_from(["get", "head"])

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@st.composite
def spoiled(draw, real: list[str]) -> str:
    """A real value with one of its parts (between '.', ':', '-', '_') replaced: a signed
    link with a strange id, a slug with a strange word."""
    parts = re.split(r"([.:_-])", draw(st.sampled_from(real)))
    at = draw(st.integers(min_value=0, max_value=len(parts) - 1))
    parts[at] = draw(components())
    return "".join(parts)


def path_values(route: Route, site: Site) -> st.SearchStrategy[dict[str, str]]:
    """Values for each parameter of the route: real ones, real ones spoiled, hostile ones."""
    fields = {}
    for name, converter in route.converters:
        real = site.seeds.get(route.route, {}).get(name, [])
        options = [converter_values(converter)]
        if real:
            options += [
                st.sampled_from(real),
                st.tuples(st.sampled_from(real), components()).map("".join),
                spoiled(real),
                st.sampled_from(real).map(str.upper),
            ]
        fields[name] = st.one_of(*options)
    return st.fixed_dictionaries(fields)


def query_strings(keys: list[str]) -> st.SearchStrategy[str]:
    """A query string of the view's keys and a few strange ones, with repeats and odd values."""
    known = sorted(keys) or ["page"]

    def values_for(key: str) -> st.SearchStrategy[str]:
        good = [quote(value, safe="") for value in GOOD_VALUES.get(key, [])]
        return st.one_of(components(), st.sampled_from(good)) if good else components()

    pair = st.one_of(
        st.sampled_from(known).flatmap(lambda key: values_for(key).map(lambda v: f"{key}={v}")),
        st.sampled_from(known).flatmap(
            lambda key: st.lists(values_for(key), min_size=2, max_size=4).map(
                lambda vs: "&".join(f"{key}={v}" for v in vs)  # ?page=1&page=x
            )
        ),
        st.sampled_from(known),  # a key with no "="
        components().map(lambda key: f"{key}=1"),
        st.sampled_from(["=", "&", "==", "=x", f"{known[0]}[]=1", "a=b=c", ";", "%26=%3D"]),
    )
    return st.lists(pair, max_size=8).map("&".join)


# --- the tests ----------------------------------------------------------------------------


def test_enumeration_finds_the_public_views():
    found = {route.route for route in ROUTES}
    assert not EXPECTED_ROUTES - found, f"not enumerated: {sorted(EXPECTED_ROUTES - found)}"
    assert not any(route.startswith("admin") for route in found)
    assert len(ROUTES) == len(found), "a route enumerated twice"
    for route in ROUTES:
        for _, converter in route.converters:
            converter_values(converter)  # a converter with no strategy fails here


def test_every_route_has_a_real_url_that_answers(site):
    """Each route is reached with real values too (from the sitemap and SEED_URLS), so the
    fuzz runs past its "not found" branch."""
    missing = [str(route) for route in ROUTES if route.route not in site.urls]
    assert not missing, f"routes with no real URL to start from (add one to SEED_URLS): {missing}"
    ok = set()
    for url in site.seed_urls:
        status = ask("get", url).status
        assert status in (200, 301, 302, 404), (url, status)
        if status == 200:
            ok.add(resolve(url).route)
    assert not {r.route for r in ROUTES} - ok, (
        f"no real URL answers 200: {sorted({r.route for r in ROUTES} - ok)}"
    )


def test_views_read_exactly_their_declared_parameters(site):
    """Every declared key is read by its view when given (so the list is not stale either)."""
    read: dict[str, set[str]] = defaultdict(set)
    for route in ROUTES:
        keys = QUERY_PARAMETERS.get(route.view, set())
        query = "&".join(f"{key}={quote(GOOD_VALUES[key][0])}" for key in sorted(keys))
        for base in site.urls[route.route]:
            for url in (base, f"{base}?{query}"):
                answer = ask("get", url)
                if answer.view is not None:
                    read[answer.view] |= answer.read
    for view, keys in QUERY_PARAMETERS.items():
        assert read[view] == keys, (view, read[view], keys)


@pytest.mark.parametrize("route", ROUTES, ids=str)
@settings(FUZZ, max_examples=30)
@given(data=st.data(), method=methods)
def test_no_500_on_path_parameters(site, route, data, method):
    values = data.draw(path_values(route, site), label="values")
    ask(method, route.path(values))


READING = [route for route in ROUTES if QUERY_PARAMETERS.get(route.view)]
NOT_READING = [route for route in ROUTES if not QUERY_PARAMETERS.get(route.view)]


@pytest.mark.parametrize("route", READING, ids=str)
@settings(FUZZ, max_examples=30)
@given(data=st.data(), method=methods)
def test_no_500_on_query_parameters(site, route, data, method):
    url = data.draw(st.sampled_from(site.urls[route.route]), label="url")
    keys = sorted(QUERY_PARAMETERS[route.view])
    for query in data.draw(st.lists(query_strings(keys), min_size=1, max_size=3), label="query"):
        ask(method, f"{url}?{query}")


@pytest.mark.parametrize("route", NOT_READING, ids=str)
@settings(FUZZ, max_examples=10)
@given(data=st.data(), method=methods)
def test_no_500_on_query_strings_a_view_does_not_read(site, route, data, method):
    url = data.draw(st.sampled_from(site.urls[route.route]), label="url")
    ask(method, f"{url}?{data.draw(query_strings([]), label='query')}")


@settings(FUZZ, max_examples=60)
@given(path=st.lists(components(safe="/"), min_size=1, max_size=4).map("/".join), method=methods)
def test_no_500_on_unknown_paths(site, path, method):
    """Paths no pattern matches meet the 404 handler, which looks for an old address."""
    ask(method, "/" + path)


class EnvironFactory(RequestFactory):
    """A WSGI environ as a server passes it (PATH_INFO holds the raw bytes, decoded as
    ISO-8859-1): RequestFactory's own request object rewrites PATH_INFO as it reads it."""

    def request(self, **request):
        return self._base_environ(**request)


def wsgi_application():
    """The application as production serves it (config.wsgi): the page cache before Django."""
    from config.wsgi import application

    return application


def wsgi_ask(method: str, url: str, if_none_match: str | None = None) -> int:
    """One request through the WSGI application; any 5xx, or an exception, fails."""
    environ = getattr(EnvironFactory(), method)(url)
    if if_none_match is not None:
        environ["HTTP_IF_NONE_MATCH"] = if_none_match.encode().decode("iso-8859-1")
    answered: list[str] = []
    errors: list = []

    def record(sender, request=None, **kwargs):
        errors.append(sys.exc_info())

    # As the test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(record)
    try:
        with transaction.atomic():
            result = wsgi_application()(
                environ, lambda status, headers, exc_info=None: answered.append(status)
            )
            try:
                b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            transaction.set_rollback(True)
    finally:
        got_request_exception.disconnect(record)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status = int(answered[-1].split()[0])
    if status >= 500:
        trace = "".join(traceback.format_exception(*errors[0])) if errors else ""
        pytest.fail(f"{method.upper()} {url[:500]!r} answered {status} through WSGI\n{trace}")
    return status


def test_page_cache_hands_django_the_path_as_the_server_sent_it(site):
    """A path with a character beyond U+00FF (an emoji, a right-to-left mark) reaches Django
    through the page cache as it does without it: a 404, not a UnicodeEncodeError.

    Found by the fuzz below: core/pagecache.py builds a WSGIRequest on the server's own environ
    to read the host, and WSGIRequest writes the decoded path back into PATH_INFO, which Django
    then cannot encode as ISO-8859-1 (`WSGIRequest(environ.copy())` leaves it as it came)."""
    for path in ("/blog/%F0%9F%A7%AA", "/robots.txt%E2%80%AE", "/caf%C3%A9"):
        assert wsgi_ask("get", path) == 404, path


@settings(FUZZ, max_examples=40)
@given(data=st.data(), method=methods)
def test_no_500_through_the_wsgi_page_cache(site, data, method):
    """The page cache reads the raw request before Django does: the same fuzz, through it,
    each request twice (the second may be answered from the cache)."""
    route = data.draw(st.sampled_from(ROUTES), label="route")
    if data.draw(st.booleans(), label="real path"):
        url = data.draw(st.sampled_from(site.urls[route.route]), label="url")
    else:
        url = route.path(data.draw(path_values(route, site), label="values"))
    query = data.draw(query_strings(sorted(QUERY_PARAMETERS.get(route.view, ()))), label="query")
    url = f"{url}?{query}" if query else url
    if_none_match = data.draw(st.none() | st.sampled_from(['"x"', "*", ""]) | texts, label="etag")
    for _ in range(2):
        wsgi_ask(method, url, if_none_match)
