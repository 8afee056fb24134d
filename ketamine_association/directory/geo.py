"""Geography without a network: great-circle distance, search boxes, and US places from the
`zipcodes` package (ZIP -> point, "City, ST" -> the average point of the city's ZIP codes)."""

from __future__ import annotations

import bisect
import difflib
import functools
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.text import slugify

from .choices import EARTH_RADIUS_MI, LAT_BANDS_PER_DEGREE, MAX_LOCATION_LENGTH, State

# --------------------------------------------------------------------------- distance and boxes

BOX_MARGIN_DEG = 1e-6  # about 0.1 m: floating-point slack; the exact distance decides anyway


def haversine_mi(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles on a sphere of the Earth's mean radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MI * math.asin(min(1.0, math.sqrt(a)))


def lat_band(latitude: float) -> int:
    return math.floor(latitude * LAT_BANDS_PER_DEGREE)


@dataclass(frozen=True)
class Box:
    """Every point within the radius lies in lat_min..lat_max and one of the lon ranges."""

    lat_min: float
    lat_max: float
    lon_ranges: tuple[tuple[float, float], ...]

    @property
    def bands(self) -> list[int]:
        return list(range(lat_band(self.lat_min), lat_band(self.lat_max) + 1))


def bounding_box(*, latitude: float, longitude: float, radius_mi: float) -> Box:
    """The smallest latitude/longitude box around a circle on the sphere (J. P. Matuschek,
    "Finding Points Within a Distance of a Latitude/Longitude Using Bounding Coordinates").

    Near a pole the circle contains the pole and the box spans every longitude; across the
    antimeridian the longitude range wraps and is split in two ranges."""
    delta = math.degrees(radius_mi / EARTH_RADIUS_MI)
    lat_min, lat_max = latitude - delta, latitude + delta
    if lat_min <= -90 or lat_max >= 90:
        full = ((-180.0, 180.0),)
        return Box(max(lat_min, -90.0) - BOX_MARGIN_DEG, min(lat_max, 90.0) + BOX_MARGIN_DEG, full)
    sin_ratio = math.sin(math.radians(delta)) / math.cos(math.radians(latitude))
    dlon = math.degrees(math.asin(min(1.0, sin_ratio))) + BOX_MARGIN_DEG
    lon_min, lon_max = longitude - dlon, longitude + dlon
    if dlon >= 180:
        ranges: tuple[tuple[float, float], ...] = ((-180.0, 180.0),)
    elif lon_min < -180:
        ranges = ((lon_min + 360, 180.0), (-180.0, lon_max))
    elif lon_max > 180:
        ranges = ((lon_min, 180.0), (-180.0, lon_max - 360))
    else:
        ranges = ((lon_min, lon_max),)
    return Box(lat_min - BOX_MARGIN_DEG, lat_max + BOX_MARGIN_DEG, ranges)


# --------------------------------------------------------------------------- US places


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    state: str | None  # a State value; None for places outside the states we list
    city: str
    zip_code: str = ""

    @property
    def label(self) -> str:
        where = f"{self.city}, {self.state}" if self.state else self.city
        return f"{where} {self.zip_code}".strip()


@dataclass(frozen=True)
class ZipInfo:
    zip_code: str
    latitude: float
    longitude: float
    state: str
    city: str
    county: str
    kind: str  # STANDARD, PO BOX, UNIQUE
    active: bool


@dataclass
class ZipIndex:
    zips: dict[str, ZipInfo] = field(default_factory=dict)
    cities: dict[tuple[str, str], Place] = field(default_factory=dict)  # (city key, state)
    states_of_city: dict[str, list[str]] = field(default_factory=dict)  # city key -> states
    city_size: dict[tuple[str, str], int] = field(default_factory=dict)  # ZIP codes per city
    sorted_zips: list[str] = field(default_factory=list)
    cells: dict[tuple[int, int], int] = field(default_factory=dict)  # ZIP codes per 1°
    fine_cells: dict[tuple[int, int], int] = field(default_factory=dict)  # per 1/10°


_NON_WORD = re.compile(r"[^a-z0-9]+")
_ABBREVIATIONS = {"saint": "st", "sainte": "ste", "mount": "mt", "fort": "ft"}


def city_key(name: str) -> str:
    """ "St. Louis", "Saint Louis" and "saint  louis" are one city."""
    words = _NON_WORD.sub(" ", name.lower()).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


@functools.cache
def zip_index() -> ZipIndex:
    """Built once per process from the package's data (about a second)."""
    import zipcodes

    states = set(State.values)
    index = ZipIndex()
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    names: dict[tuple[str, str], str] = {}
    for row in zipcodes.list_all():
        lat, lon = float(row["lat"] or 0), float(row["long"] or 0)
        if row["state"] not in states or (lat == 0 and lon == 0):
            continue  # military mail (AA, AE, AP), freely associated states, no coordinates
        info = ZipInfo(
            row["zip_code"],
            lat,
            lon,
            row["state"],
            row["city"],
            row["county"] or "",
            row["zip_code_type"],
            bool(row["active"]),
        )
        index.zips[info.zip_code] = info
        for cells, scale in ((index.cells, 1), (index.fine_cells, 10)):
            cell = (math.floor(lat * scale), math.floor(lon * scale))
            cells[cell] = cells.get(cell, 0) + 1
        key = (city_key(info.city), info.state)
        total = sums[key]
        total[0] += lat
        total[1] += lon
        total[2] += 1
        names.setdefault(key, info.city)
    for key, (lat_sum, lon_sum, count) in sums.items():
        index.cities[key] = Place(lat_sum / count, lon_sum / count, key[1], names[key])
        index.city_size[key] = int(count)
        index.states_of_city.setdefault(key[0], []).append(key[1])
    index.sorted_zips = sorted(index.zips)
    return index


def zip_density(latitude: float, longitude: float) -> float:
    """ZIP codes per square mile around a point: the higher of the densities over the 3 x 3
    tenths of a degree and over the 3 x 3 degrees around it (a city centre, or the region)."""
    index = zip_index()
    degree_mi = EARTH_RADIUS_MI * math.pi / 180
    cos_lat = max(math.cos(math.radians(latitude)), 0.05)
    densities = []
    for cells, scale in ((index.fine_cells, 10), (index.cells, 1)):
        lat, lon = math.floor(latitude * scale), math.floor(longitude * scale)
        count = sum(
            cells.get((lat + dlat, lon + dlon), 0) for dlat in (-1, 0, 1) for dlon in (-1, 0, 1)
        )
        densities.append(count / (9 * (degree_mi / scale) ** 2 * cos_lat))
    return max(densities)


def zip_place(zip_code: str) -> Place | None:
    info = zip_index().zips.get(zip_code)
    if info is None:
        return None
    return Place(info.latitude, info.longitude, info.state, info.city, info.zip_code)


@functools.cache
def _cities_by_slug() -> dict[tuple[str, str], Place]:
    return {(place.state, slugify(place.city)): place for place in zip_index().cities.values()}


def city_place(*, state: str, slug: str) -> Place | None:
    """The place of a city page's address, /find-provider/<state>/<slug>."""
    return _cities_by_slug().get((state, slug))


def state_from_text(text: str) -> str | None:
    """ "CA", "ca", "California" -> "CA"."""
    text = text.strip()
    if len(text) == 2 and text.upper() in State.values:
        return text.upper()
    return _STATE_BY_NAME.get(city_key(text))


def state_slug(state: str) -> str:
    return slugify(State(state).label)


def state_from_slug(slug: str) -> str | None:
    return _STATE_BY_SLUG.get(slug)


_STATE_BY_NAME = {city_key(label): value for value, label in State.choices}
_STATE_BY_NAME["virgin islands"] = "VI"
_STATE_BY_SLUG = {slugify(label): value for value, label in State.choices}


# --------------------------------------------------------------------------- breadcrumbs

# The usual name of a city named like its state, when it has one.
_CITY_CRUMBS = {("NY", city_key("New York")): "New York City"}


@dataclass(frozen=True)
class Crumbs:
    state: str
    city: str


def place_crumbs(*, state: str, city: str) -> Crumbs:
    """The labels of a state's and a city's breadcrumbs, never one label for two places: a
    city named like its state makes the state "New York (state)" and the city "New York
    City" (its usual name, where we know one) or "<City> (city)". Elsewhere the plain names."""
    state_name = State(state).label
    if city_key(city) != city_key(state_name):
        return Crumbs(state=state_name, city=city)
    usual = _CITY_CRUMBS.get((state, city_key(city)), f"{city} (city)")
    return Crumbs(state=f"{state_name} (state)", city=usual)


# --------------------------------------------------------------------------- what people type


@dataclass(frozen=True)
class Resolution:
    """What a typed location means: a place, or a problem to explain with suggestions."""

    place: Place | None = None
    problem: str = ""
    suggestions: tuple[str, ...] = ()  # locations to search instead
    state: str | None = None  # a state was typed on its own: offer its page


_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_ZIPISH = re.compile(r"^([0-9A-Za-z]{5})(?:-[0-9A-Za-z]{4})?$")
_TRAILING_ZIP = re.compile(r"^(.*?)[,\s]+(\d{5})(?:-\d{4})?$")
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "i": "1", "S": "5", "B": "8"})


def location_resolve(text: str) -> Resolution:
    text = " ".join(text.split())
    if not text:
        return Resolution()
    if len(text) > MAX_LOCATION_LENGTH:
        return Resolution(
            problem=(
                f"That location is {len(text):,} characters long. Type a 5-digit ZIP code or a "
                "city and state, such as “Denver, CO”."
            )
        )
    if match := _ZIP.match(text):
        return _zip_resolution(match.group(1))
    digits = sum(char.isdigit() for char in text)
    if text.isdigit():
        return Resolution(
            problem=f"A ZIP code has 5 digits; “{text}” has {len(text)}. Check the number, "
            "or type the city and state."
        )
    if (match := _ZIPISH.match(text)) and digits >= 3:
        fixed = match.group(1).translate(_LOOKALIKES)
        suggestions = (fixed,) if fixed.isdigit() and zip_place(fixed) else ()
        return Resolution(
            problem=f"A ZIP code has only digits, and “{text}” has letters in it.",
            suggestions=suggestions,
        )
    if match := _TRAILING_ZIP.match(text):  # "Beverly Hills, CA 90210": the ZIP says it all
        return _zip_resolution(match.group(2))
    return _city_resolution(text)


def _zip_resolution(zip_code: str) -> Resolution:
    place = zip_place(zip_code)
    if place is not None:
        return Resolution(place=place)
    index = zip_index()
    at = bisect.bisect_left(index.sorted_zips, zip_code)
    near = [z for z in index.sorted_zips[max(0, at - 2) : at + 2] if z[:3] == zip_code[:3]]
    return Resolution(
        problem=f"We could not find the ZIP code {zip_code}. Check the digits, or type the "
        "city and state instead.",
        suggestions=tuple(near),
    )


def _split_state(text: str) -> tuple[str, str | None, str]:
    """("City", state or None, what was typed as the state)."""
    if "," in text:
        city, _, rest = text.rpartition(",")
        return city.strip(), state_from_text(rest), rest.strip()
    words = text.split()
    for size in (3, 2, 1):  # "Salt Lake City Utah", "New York New York", "Denver CO"
        if len(words) > size:
            state = state_from_text(" ".join(words[-size:]))
            if state:
                return " ".join(words[:-size]), state, " ".join(words[-size:])
    return text, None, ""


def _label(key: tuple[str, str]) -> str:
    place = zip_index().cities[key]
    return f"{place.city}, {place.state}"


def _by_size(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    sizes = zip_index().city_size
    return sorted(keys, key=lambda k: (-sizes[k], k))


def _city_resolution(text: str) -> Resolution:
    index = zip_index()
    only_state = state_from_text(text)
    if only_state and (city_key(text), only_state) not in index.cities:  # not "New York"
        name = State(only_state).label
        same_name = _by_size(
            [(city_key(text), s) for s in index.states_of_city.get(city_key(text), [])]
        )
        return Resolution(
            problem=f"{name} is a big place: type a city or ZIP code in {name} to search by "
            "distance, or browse every provider in the state.",
            suggestions=tuple(_label(k) for k in same_name[:3]),
            state=only_state,
        )
    if only_state:
        return Resolution(place=index.cities[(city_key(text), only_state)])
    city, state, typed_state = _split_state(text)
    key = city_key(city)
    if not key:
        return Resolution(problem="Type a 5-digit ZIP code or a city and state.")
    if state and (key, state) in index.cities:
        return Resolution(place=index.cities[(key, state)])
    states = index.states_of_city.get(key, [])
    if state is None and not typed_state and len(states) == 1:
        return Resolution(place=index.cities[(key, states[0])])
    if states and state is None:
        keys = _by_size([(key, s) for s in states])
        problem = (
            f"There is a {index.cities[keys[0]].city} in {len(states)} states. Which one?"
            if not typed_state
            else f"“{typed_state}” is not a US state. Did you mean one of these?"
        )
        return Resolution(problem=problem, suggestions=tuple(_label(k) for k in keys[:12]))
    if state:
        names = [k for k, s in index.cities if s == state]
        close = difflib.get_close_matches(key, names, n=5, cutoff=0.7)
        keys = [(name, state) for name in close] + _by_size([(key, s) for s in states])[:3]
        where = State(state).label
        problem = f"We could not find “{city}” in {where}."
    else:
        names = [name for name in index.states_of_city if name[:1] == key[:1]]
        close = difflib.get_close_matches(key, names, n=4, cutoff=0.75)
        keys = [
            k
            for name in close
            for k in _by_size([(name, s) for s in index.states_of_city[name]])[:2]
        ]
        problem = f"We could not find a place called “{city}”."
    if keys:
        problem += " Did you mean one of these?"
    else:
        problem += " Type a 5-digit ZIP code, or the city and its state, such as “Denver, CO”."
    return Resolution(problem=problem, suggestions=tuple(_label(k) for k in keys[:8]))
