"""Distances, search boxes (antimeridian, poles), and what people type as a location."""

import math

import pytest
import zipcodes
from hypothesis import given
from hypothesis import strategies as st

from ketamine_association.directory.choices import EARTH_RADIUS_MI
from ketamine_association.directory.geo import (
    bounding_box,
    city_key,
    city_place,
    haversine_mi,
    lat_band,
    location_resolve,
    place_crumbs,
    state_from_slug,
    state_from_text,
    zip_place,
)


def destination(lat, lon, bearing_deg, distance_mi):
    """The point `distance_mi` from (lat, lon) along `bearing_deg`, on the same sphere."""
    delta = distance_mi / EARTH_RADIUS_MI
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


def in_box(box, lat, lon):
    return box.lat_min <= lat <= box.lat_max and any(lo <= lon <= hi for lo, hi in box.lon_ranges)


def test_haversine_known_distances():
    # LAX to JFK: 2,469 miles on the mean-radius sphere (2,475 on the WGS 84 ellipsoid).
    assert haversine_mi(33.9425, -118.4081, 40.6398, -73.7789) == pytest.approx(2469, abs=2)
    assert haversine_mi(10, 20, 10, 20) == 0
    # One degree of latitude is R * pi / 180.
    assert haversine_mi(0, 0, 1, 0) == pytest.approx(EARTH_RADIUS_MI * math.pi / 180)
    # Across the antimeridian, the short way.
    assert haversine_mi(51.85, 179.9, 51.85, -179.9) < 10


def test_haversine_agrees_with_the_zipcodes_package():
    ours = haversine_mi(34.0901, -118.4065, 40.7506, -73.9972)
    theirs = zipcodes.haversine(-118.4065, 34.0901, -73.9972, 40.7506)
    assert ours == pytest.approx(theirs, rel=2e-3)


@given(
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-180, 180),
    radius=st.floats(0.1, 300),
    bearing=st.floats(0, 360),
    fraction=st.floats(0, 1),
)
def test_every_point_within_the_radius_is_in_the_box(lat, lon, radius, bearing, fraction):
    box = bounding_box(latitude=lat, longitude=lon, radius_mi=radius)
    point = destination(lat, lon, bearing, radius * fraction * 0.999999)
    assert haversine_mi(lat, lon, *point) <= radius
    assert in_box(box, *point)
    assert all(-180 <= lo <= hi <= 180 for lo, hi in box.lon_ranges)
    assert lat_band(point[0]) in box.bands


def test_box_across_the_antimeridian_is_split_in_two():
    adak = zip_place("99546")
    box = bounding_box(latitude=adak.latitude, longitude=adak.longitude, radius_mi=250)
    assert len(box.lon_ranges) == 2
    (east_lo, east_hi), (west_lo, west_hi) = box.lon_ranges
    assert east_hi == 180 and west_lo == -180
    assert 170 < east_lo < 180 and -177 < west_hi < -160
    assert in_box(box, 51.9, 179.6) and in_box(box, 51.9, -179.6)
    assert not in_box(box, 51.9, 0)


def test_box_near_a_pole_spans_every_longitude():
    box = bounding_box(latitude=89.5, longitude=10, radius_mi=50)
    assert box.lon_ranges == ((-180.0, 180.0),)
    assert box.lat_max > 90
    assert in_box(box, 89.9, -170)


def test_small_box_is_one_range_and_tight():
    box = bounding_box(latitude=40.75, longitude=-73.99, radius_mi=10)
    assert len(box.lon_ranges) == 1
    lo, hi = box.lon_ranges[0]
    assert hi - lo == pytest.approx(2 * 10 / (69.09 * math.cos(math.radians(40.75))), rel=0.01)


def test_lat_band_is_floor_of_tenths():
    assert lat_band(34.09) == 340
    assert lat_band(-0.05) == -1
    assert lat_band(0.3) == 3


def test_city_key_folds_abbreviations_and_punctuation():
    assert city_key("St. Louis") == city_key("Saint  Louis") == "st louis"
    assert city_key("Winston-Salem") == "winston salem"


def test_states_by_code_name_and_slug():
    assert state_from_text("ca") == state_from_text("California") == "CA"
    assert state_from_text("ZZ") is None
    assert state_from_slug("new-york") == "NY"
    assert state_from_slug("narnia") is None


def test_zip_places():
    place = zip_place("90210")
    assert (place.city, place.state) == ("Beverly Hills", "CA")
    assert place.label == "Beverly Hills, CA 90210"
    assert zip_place("00000") is None
    assert zip_place("09001") is None  # military mail, no coordinates


def test_city_place_by_slug():
    assert city_place(state="MO", slug="saint-louis").city == "Saint Louis"
    assert city_place(state="MO", slug="atlantis") is None


@pytest.mark.parametrize("text", ["90210", "90210-1234", "Beverly Hills, CA 90210"])
def test_zip_forms(text):
    assert location_resolve(text).place.zip_code == "90210"


@pytest.mark.parametrize(
    ("text", "city", "state"),
    [
        ("Los Angeles, CA", "Los Angeles", "CA"),
        ("los angeles ca", "Los Angeles", "CA"),
        ("St. Louis, MO", "Saint Louis", "MO"),
        ("Salt Lake City Utah", "Salt Lake City", "UT"),
        ("  Denver,   Colorado ", "Denver", "CO"),
        ("New York", "New York", "NY"),
        ("Adak, AK", "Adak", "AK"),
    ],
)
def test_cities(text, city, state):
    place = location_resolve(text).place
    assert (place.city, place.state) == (city, state)
    assert place.zip_code == ""


def test_city_is_the_average_of_its_zip_codes():
    rows = [z for z in zipcodes.filter_by(city="Adak", state="AK")]
    place = location_resolve("Adak, AK").place
    assert place.latitude == pytest.approx(sum(float(z["lat"]) for z in rows) / len(rows))


def test_empty_location_is_no_search():
    assert location_resolve("   ") == location_resolve("")
    assert location_resolve("").place is None and not location_resolve("").problem


def test_unknown_zip():
    result = location_resolve("00000")
    assert result.place is None and "could not find the ZIP code 00000" in result.problem


def test_zip_with_letters_suggests_the_digits():
    result = location_resolve("9021O")
    assert "only digits" in result.problem
    assert result.suggestions == ("90210",)


def test_short_zip():
    assert "has 4" in location_resolve("9021").problem


def test_ambiguous_city_lists_its_states():
    result = location_resolve("Springfield")
    assert "Which one?" in result.problem
    assert "Springfield, IL" in result.suggestions and "Springfield, MA" in result.suggestions


def test_misspelled_city_suggests_close_matches():
    result = location_resolve("Los Angelos, CA")
    assert result.place is None
    assert result.suggestions[0] == "Los Angeles, CA"
    assert "Springfield, IL" in location_resolve("Springfeild").suggestions


def test_unknown_state():
    result = location_resolve("Denver, XX")
    assert "not a US state" in result.problem and "Denver, CO" in result.suggestions


def test_a_state_alone_offers_its_page():
    result = location_resolve("California")
    assert result.state == "CA" and result.place is None


@pytest.mark.parametrize(
    "text",
    ["x" * 5000, "'; DROP TABLE directory_provider; --", "<script>alert(1)</script>", "\x00"],
)
def test_hostile_text_is_a_problem_not_an_error(text):
    result = location_resolve(text)
    assert result.place is None


def test_long_input_is_refused_before_any_matching():
    assert "5,000 characters" in location_resolve("9" * 5000).problem


@pytest.mark.parametrize(
    ("state", "city", "expected"),
    [
        ("NY", "New York", ("New York (state)", "New York City")),
        ("NY", "new  york", ("New York (state)", "New York City")),
        ("WA", "Washington", ("Washington (state)", "Washington (city)")),
        ("NY", "Buffalo", ("New York", "Buffalo")),
        ("CA", "New York", ("California", "New York")),
    ],
)
def test_place_crumbs_never_repeat_a_label_for_two_places(state, city, expected):
    crumbs = place_crumbs(state=state, city=city)
    assert (crumbs.state, crumbs.city) == expected
