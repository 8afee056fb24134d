"""Reads of the provider directory. Each selector owns its query shape and count.

The search narrows with an indexed box and decides with the exact great-circle distance,
computed here in Python, so SQLite and PostgreSQL run the same code and give the same order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.dateformat import format as date_format

from .choices import (
    CACHE_SECONDS,
    CACHE_VERSION_KEY,
    EARTH_RADIUS_MI,
    MAX_RESULTS,
    CheckKind,
    State,
    VerificationStatus,
)
from .geo import Place, bounding_box, zip_density, zip_index
from .models import Provider
from .verification import BadgeLine, badge_lines, verification_decide

MIN_RADIUS_MI = 0.5
# What a search result shows of a provider.
CARD_FIELDS = (
    "slug",
    "name",
    "credentials",
    "practice_name",
    "city",
    "state",
    "zip_code",
    "treatments",
    "telehealth",
    "accepting_new_patients",
    "verification_status",
    "verification_method",
    "is_demo",
)
BOOLEAN_CARD_FIELDS = {"telehealth", "accepting_new_patients", "is_demo"}
# What makes a listing public: every public read (search, state and city pages, sitemaps,
# profiles) asks for it, the ORM through provider_listed(), the search's SQL through
# _box_query. A suspended listing leaves them all; its profile answers 410 Gone.
LISTED: dict[str, bool] = {"is_suspended": False}


def provider_listed() -> QuerySet[Provider]:
    """The providers the public may see (LISTED): the start of every public query."""
    return Provider.objects.filter(**LISTED)


def provider_is_listed(provider: Provider) -> bool:
    """Whether the public may see this provider: LISTED, for one row already read."""
    return all(getattr(provider, field) == value for field, value in LISTED.items())


@dataclass(frozen=True)
class ProviderFilters:
    """Masks require every bit they hold; True flags require the property."""

    treatments: int = 0
    conditions: int = 0
    insurance: int = 0
    accepting: bool = False
    verified: bool = False
    telehealth: bool = False  # also include telehealth providers covering the state

    def required(self) -> list[tuple[str, str, int | bool | str]]:
        """What the filters require, as (field, test, value) with test "mask" (every bit of
        value set) or "equals": the one statement of their meaning, which the ORM path
        (provider_filtered) and the SQL path (_box_query) both translate."""
        required: list[tuple[str, str, int | bool | str]] = [
            (field, "mask", mask)
            for field, mask in (
                ("treatments", self.treatments),
                ("conditions", self.conditions),
                ("insurance", self.insurance),
            )
            if mask
        ]
        if self.accepting:
            required.append(("accepting_new_patients", "equals", True))
        if self.verified:
            required.append(("verification_status", "equals", VerificationStatus.VERIFIED.value))
        return required


@dataclass(frozen=True)
class ProviderHit:
    provider: Provider
    distance_mi: float | None  # None: a telehealth provider from outside the radius

    @property
    def is_remote(self) -> bool:
        return self.distance_mi is None


@dataclass(frozen=True)
class SearchResult:
    hits: list[ProviderHit]
    total: int  # providers found, at most max_results
    more: bool  # more than max_results were found
    nearby: int  # of total, those within the radius (the rest are telehealth from afar)


def provider_filtered(queryset: QuerySet[Provider], filters: ProviderFilters) -> QuerySet:
    for field, test, value in filters.required():
        if test == "mask":
            queryset = queryset.filter(Exact(F(field).bitand(value), value))
        else:
            queryset = queryset.filter(**{field: value})
    return queryset


def _column(name: str) -> str:
    return connection.ops.quote_name(Provider._meta.get_field(name).column)


def _box_query(*, bands: list[int], filters: ProviderFilters) -> tuple[str, list]:
    """The candidate query, in SQL both databases run as written. The ORM would build the
    same statement, but compiling it costs several times more than running it, and a search
    runs it a few times: this is the hot path of the directory.

    Every column it reads is in provider_geo_idx (is_suspended too: only listed providers,
    LISTED), so it is an index-only range scan per latitude band (EXPLAIN: SEARCH ... USING
    COVERING INDEX provider_geo_idx (lat_band=? AND longitude>? AND longitude<?)).
    The values of the box come first, then `params`."""
    where = [
        f"{_column('lat_band')} IN ({', '.join(['%s'] * len(bands))})",
        f"{_column('longitude')} >= %s",
        f"{_column('longitude')} <= %s",
        f"{_column('latitude')} >= %s",
        f"{_column('latitude')} <= %s",
    ]
    params: list = []
    for field, value in LISTED.items():
        where.append(f"{_column(field)} = %s")
        params.append(value)
    for field, test, value in filters.required():
        if test == "mask":
            where.append(f"({_column(field)} & %s) = %s")
            params += [value, value]
        else:
            where.append(f"{_column(field)} = %s")
            params.append(value)
    table = connection.ops.quote_name(Provider._meta.db_table)
    columns = ", ".join(_column(name) for name in ("id", "latitude", "longitude"))
    # Identifiers come from the model; every value is a parameter.
    return f"SELECT {columns} FROM {table} WHERE {' AND '.join(where)}", params  # noqa: S608


def _within(
    *, origin: Place, radius_mi: float, filters: ProviderFilters
) -> list[tuple[float, int]]:
    """(distance, id) of every matching provider within the radius: the box finds
    candidates through the index, the great-circle distance decides."""
    box = bounding_box(latitude=origin.latitude, longitude=origin.longitude, radius_mi=radius_mi)
    sql, filter_params = _box_query(bands=box.bands, filters=filters)
    found: dict[int, float] = {}
    # geo.haversine_mi inlined, operation for operation (same result to the last bit), with
    # the origin's terms computed once: a search computes a few hundred distances.
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
    phi0, lon0 = radians(origin.latitude), origin.longitude
    cos0 = cos(phi0)
    diameter = 2 * EARTH_RADIUS_MI
    with connection.cursor() as cursor:
        for low, high in box.lon_ranges:
            params = [*box.bands, low, high, box.lat_min, box.lat_max, *filter_params]
            cursor.execute(sql, params)
            for pk, latitude, longitude in cursor.fetchall():
                phi = radians(latitude)
                a = (
                    sin((phi - phi0) / 2) ** 2
                    + cos0 * cos(phi) * sin(radians(longitude - lon0) / 2) ** 2
                )
                distance = diameter * asin(min(1.0, sqrt(a)))
                if distance <= radius_mi:
                    found[pk] = distance
    return [(distance, pk) for pk, distance in found.items()]


def _first_radius(*, origin: Place, radius_mi: float, needed: int) -> float:
    """A first guess at the circle holding `needed` providers: the providers' density near
    the origin, guessed from the density of ZIP codes there (ZIP codes follow where people
    live). The rounds that follow correct a bad guess; a good one saves them."""
    total, zips = _cached("count", Provider.objects.count), len(zip_index().zips)
    density = total / zips * zip_density(origin.latitude, origin.longitude)
    if density <= 0:
        return radius_mi
    guess = math.sqrt(1.2 * needed / (math.pi * density))
    return min(radius_mi, max(guess, MIN_RADIUS_MI))


def _nearest(
    *, origin: Place, radius_mi: float, filters: ProviderFilters, max_results: int
) -> tuple[list[tuple[float, int]], bool]:
    """The matching providers nearest the origin, sorted by (distance, id): all of those
    within the radius (complete=True), or more than max_results of the nearest.

    Starts with a small circle and widens it from the density it sees, so a search in a big
    city reads a few hundred index entries instead of every provider within 50 miles."""
    radius = _first_radius(origin=origin, radius_mi=radius_mi, needed=max_results + 1)
    seen = -1
    while True:
        found = _within(origin=origin, radius_mi=radius, filters=filters)
        if radius >= radius_mi:
            return sorted(found), True
        if len(found) > max_results:
            # Every provider outside this circle is farther than every one inside it.
            return sorted(found), False
        # Aim at 1.2 times what is needed, from the density seen so far. A handful of hits
        # says little about the density, so the circle grows at most fourfold a round: at
        # least twofold, by a quarter once half of what is needed is in, and fourfold when
        # the last ring added nothing.
        needed = max_results + 1
        wanted = radius * math.sqrt(1.2 * needed / max(len(found), 1))
        least = 4 if len(found) == seen else 1.25 if 2 * len(found) >= needed else 2
        radius = min(radius_mi, max(radius * least, min(wanted, radius * 4)))
        seen = len(found)


def _cards(ids: list[int]) -> dict[int, Provider]:
    """The providers of one result page, with CARD_FIELDS loaded (the others deferred).
    Plain SQL for the same reason as _box_query; booleans are converted as Django would."""
    if not ids:
        return {}
    names = ("id", *CARD_FIELDS)
    booleans = [n for n, name in enumerate(names) if name in BOOLEAN_CARD_FIELDS]
    table = connection.ops.quote_name(Provider._meta.db_table)
    sql = (  # noqa: S608 - identifiers come from the model; every value is a parameter
        f"SELECT {', '.join(_column(name) for name in names)} FROM {table} "  # noqa: S608
        f"WHERE {_column('id')} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    cards = {}
    for row in rows:
        values = list(row)
        for n in booleans:
            values[n] = bool(values[n])
        cards[row[0]] = Provider.from_db(connection.alias, names, values)
    return cards


def provider_search(
    *,
    origin: Place,
    radius_mi: float,
    filters: ProviderFilters,
    limit: int,
    offset: int = 0,
    max_results: int = MAX_RESULTS,
) -> SearchResult:
    """Providers within `radius_mi` of `origin` matching `filters`, nearest first (ties by
    id); with filters.telehealth, then the telehealth providers covering the origin's state
    from farther away, by id. At most `max_results` are counted and can be paged to."""
    local, complete = _nearest(
        origin=origin, radius_mi=radius_mi, filters=filters, max_results=max_results
    )
    nearby = min(len(local), max_results)
    more = len(local) > max_results
    remote_ids: list[int] = []
    remote_total = 0
    end = min(offset + limit, max_results)
    if filters.telehealth and origin.state and complete and not more:
        bit = State.bit(origin.state)
        remote = (
            provider_filtered(provider_listed().filter(telehealth=True), filters)
            .filter(Exact(F("telehealth_states").bitand(bit), bit))
            .exclude(id__in=[pk for _, pk in local])
            .order_by("id")
        )
        room = max_results - nearby
        remote_total = remote.values("id")[: room + 1].count()  # up to one more than fits
        more = remote_total > room
        remote_total = min(remote_total, room)
        start = max(offset - nearby, 0)
        stop = max(end - nearby, 0)
        if stop > start and start < remote_total:
            remote_ids = list(remote.values_list("id", flat=True)[start:stop])
    page_local = local[offset:end] if offset < nearby else []
    ids = [pk for _, pk in page_local] + remote_ids
    rows = _cards(ids)
    hits = [ProviderHit(rows[pk], distance) for distance, pk in page_local]
    hits += [ProviderHit(rows[pk], None) for pk in remote_ids]
    return SearchResult(hits=hits, total=nearby + remote_total, more=more, nearby=nearby)


# --------------------------------------------------------------------------- pages


def directory_version() -> str:
    return cache.get_or_set(CACHE_VERSION_KEY, "0", None)


def _cached(name: str, compute):
    return cache.get_or_set(f"directory:{directory_version()}:{name}", compute, CACHE_SECONDS)


def provider_get(*, slug: str) -> Provider | None:
    """The provider of a profile page, listed or not (a suspended one answers 410 Gone:
    provider_is_listed), with its membership tier."""
    return Provider.objects.filter(slug=slug).select_related("membership_tier").first()


@dataclass(frozen=True)
class Badge:
    verified: bool  # by the rule, today: an expired license hides it even before the daily job
    lines: list[BadgeLine]


def provider_badge(*, provider: Provider, today: dt.date | None = None) -> Badge:
    """The profile's badge: each kind of check recorded, its latest, worded with its date."""
    today = today or timezone.localdate()
    checks = [check.facts for check in provider.checks.order_by("checked_at", "id")]
    decision = verification_decide(checks=checks, today=today)
    lines = badge_lines(checks=checks, today=today, local_date=timezone.localdate)
    return Badge(decision.status == VerificationStatus.VERIFIED, lines)


def provider_membership(*, provider: Provider, today: dt.date | None = None) -> str:
    """The profile's membership badge, worded: "Association member · Practitioner tier, since
    March 2025, until June 30, 2027"; "" unless the membership is current today
    (Provider.membership_on). Set by staff; it never changes the order of results."""
    today = today or timezone.localdate()
    if not provider.membership_on(today):
        return ""
    details = []
    if provider.membership_tier is not None:
        details.append(f"{provider.membership_tier.name} tier")
    if provider.membership_starts_on is not None:
        details.append(f"since {date_format(provider.membership_starts_on, 'F Y')}")
    if provider.membership_ends_on is not None:
        details.append(f"until {date_format(provider.membership_ends_on, 'F j, Y')}")
    return f"Association member · {', '.join(details)}" if details else "Association member"


def state_counts() -> list[tuple[str, int]]:
    """(state, providers) for every state with a provider, in the order of State."""

    def compute():
        rows = dict(provider_listed().values_list("state").annotate(n=Count("id")).order_by())
        return [(state, rows[state]) for state in State.values if rows.get(state)]

    return _cached("states", compute)


@dataclass(frozen=True)
class CityCount:
    slug: str
    name: str
    count: int


def state_cities(*, state: str) -> list[CityCount]:
    """The cities of a state that have providers, by name, with their counts."""

    def compute():
        rows = (
            provider_listed()
            .filter(state=state)
            .values_list("city_slug", "city")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts: Counter[str] = Counter()
        names: dict[str, Counter[str]] = {}
        for slug, name, n in rows:
            counts[slug] += n
            names.setdefault(slug, Counter())[name] += n
        cities = [CityCount(s, names[s].most_common(1)[0][0], n) for s, n in counts.items()]
        return sorted(cities, key=lambda c: (c.name.lower(), c.slug))

    return _cached(f"cities:{state}", compute)


def city_providers(*, state: str, city_slug: str) -> QuerySet[Provider]:
    return (
        provider_listed()
        .filter(state=state, city_slug=city_slug)
        .defer("bio")
        .order_by("name", "id")
    )


def sitemap_providers() -> QuerySet[Provider]:
    """Real listed providers only: fictional demo profiles are never offered to search
    engines, nor suspended ones."""
    return provider_listed().filter(is_demo=False).only("slug", "updated_at").order_by("id")


def sitemap_places() -> list[tuple[str, str | None]]:
    """(state, city_slug or None) of every state and city page with a real listed provider."""
    rows = (
        provider_listed()
        .filter(is_demo=False)
        .values_list("state", "city_slug")
        .distinct()
        .order_by("state", "city_slug")
    )
    places: list[tuple[str, str | None]] = []
    for state, city_slug in rows:
        if not places or places[-1][0] != state:
            places.append((state, None))
        places.append((state, city_slug))
    return places


def providers_due_registry_check(*, limit: int) -> list[Provider]:
    """Real providers (demo NPIs are never in the registry) whose NPI the registry has not
    matched yet, never-checked first, then the longest ago."""
    last = Max("checks__checked_at", filter=Q(checks__kind=CheckKind.NPI_REGISTRY))
    return list(
        Provider.objects.filter(is_demo=False)
        .annotate(last_registry=last)
        .order_by(F("last_registry").asc(nulls_first=True), "id")[:limit]
    )
