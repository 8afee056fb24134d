"""The search: exactly what a brute-force great-circle scan over every provider returns, in
the same order, for random origins, radii, filters and pages; across the antimeridian, near
the poles, with telehealth from afar."""

import random

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ketamine_association.directory.choices import (
    Condition,
    Insurance,
    State,
    Treatment,
    VerificationStatus,
)
from ketamine_association.directory.geo import Place, haversine_mi, zip_place
from ketamine_association.directory.models import Provider
from ketamine_association.directory.selectors import (
    ProviderFilters,
    city_providers,
    provider_search,
    state_cities,
    state_counts,
)

from .factories import bulk_providers, make_provider

pytestmark = pytest.mark.django_db

FIELDS = (
    "id",
    "latitude",
    "longitude",
    "treatments",
    "conditions",
    "insurance",
    "accepting_new_patients",
    "verification_status",
    "telehealth",
    "telehealth_states",
)
# Where the random providers gather: a city, the Aleutians on both sides of 180°, the
# Arctic up to the pole, the equator on the prime meridian.
CENTRES = [(34.05, -118.25), (51.88, -176.65), (51.9, 179.7), (89.7, 40.0), (0.0, 0.0)]


def brute_force(rows, *, origin, radius_mi, filters, limit, offset, max_results):
    """The specification: scan every provider, in plain Python."""

    def matches(row):
        return (
            row["treatments"] & filters.treatments == filters.treatments
            and row["conditions"] & filters.conditions == filters.conditions
            and row["insurance"] & filters.insurance == filters.insurance
            and (row["accepting_new_patients"] or not filters.accepting)
            and (row["verification_status"] == "verified" or not filters.verified)
        )

    local = sorted(
        (d, row["id"])
        for row in rows
        if matches(row)
        and (
            d := haversine_mi(origin.latitude, origin.longitude, row["latitude"], row["longitude"])
        )
        <= radius_mi
    )
    remote = []
    if filters.telehealth and origin.state:
        near = {pk for _, pk in local}
        bit = State.bit(origin.state)
        remote = sorted(
            row["id"]
            for row in rows
            if matches(row)
            and row["telehealth"]
            and row["telehealth_states"] & bit
            and row["id"] not in near
        )
    everything = local + [(None, pk) for pk in remote]
    shown = everything[:max_results][offset : offset + limit]
    return shown, min(len(everything), max_results), len(everything) > max_results


def as_pairs(result):
    return [(hit.distance_mi, hit.provider.id) for hit in result.hits]


def random_rows(rng: random.Random, count: int) -> list[dict]:
    rows = []
    for n in range(count):
        if n % 10 == 9 and rows:  # some share a point exactly: ties are broken by id
            latitude, longitude = rows[-1]["latitude"], rows[-1]["longitude"]
        elif n % 7 == 6:
            latitude, longitude = rng.uniform(-90, 90), rng.uniform(-180, 180)
        else:
            (lat0, lon0), spread = rng.choice(CENTRES), rng.choice([0.2, 1.5])
            latitude = max(-90.0, min(90.0, lat0 + rng.gauss(0, spread)))
            longitude = (lon0 + rng.gauss(0, spread * 1.6) + 180) % 360 - 180
        telehealth = rng.random() < 0.4
        rows.append(
            {
                "latitude": latitude,
                "longitude": longitude,
                "treatments": rng.randrange(1, 1 << len(Treatment)),
                "conditions": rng.randrange(0, 1 << 4),
                "insurance": rng.randrange(0, 1 << 3),
                "accepting_new_patients": rng.random() < 0.7,
                "verification_status": rng.choice(list(VerificationStatus.values)),
                "telehealth": telehealth,
                "telehealth_states": State.mask(rng.sample(["CA", "AK", "NY"], 2))
                if telehealth
                else 0,
            }
        )
    return rows


@pytest.fixture
def world():
    bulk_providers(random_rows(random.Random(20260226), 600))
    return list(Provider.objects.values(*FIELDS))


def masks(flags, width):
    one = [flags.bit(value) for value in flags.values[:width]]
    two = flags.bit(flags.values[0]) | flags.bit(flags.values[1])
    return st.sampled_from([0, 0, 0, 0, *one, two])


filters_strategy = st.builds(
    ProviderFilters,
    treatments=masks(Treatment, 5),
    conditions=masks(Condition, 4),
    insurance=masks(Insurance, 3),
    accepting=st.sampled_from([False, False, True]),
    verified=st.sampled_from([False, False, True]),
    telehealth=st.booleans(),
)
near_a_centre = st.builds(
    lambda centre, dlat, dlon: (
        max(-90.0, min(90.0, centre[0] + dlat)),
        (centre[1] + dlon + 180) % 360 - 180,
    ),
    st.sampled_from(CENTRES),
    st.floats(-0.5, 0.5),
    st.floats(-0.8, 0.8),
)
anywhere = st.tuples(st.floats(-90, 90), st.floats(-180, 180))
origins = st.one_of(near_a_centre, near_a_centre, near_a_centre, anywhere)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    origin=origins,
    state=st.sampled_from([None, "CA", "AK", "NY", "TX"]),
    radius=st.sampled_from([1.0, 10, 25, 50, 100, 250]) | st.floats(0.5, 400),
    filters=filters_strategy,
    limit=st.integers(1, 25),
    offset=st.integers(0, 5) | st.integers(0, 60),
    max_results=st.sampled_from([1, 5, 20, 200, 200, 200]),
)
def test_search_is_exactly_the_brute_force_scan(
    world, origin, state, radius, filters, limit, offset, max_results
):
    place = Place(origin[0], origin[1], state, "Somewhere")
    result = provider_search(
        origin=place,
        radius_mi=radius,
        filters=filters,
        limit=limit,
        offset=offset,
        max_results=max_results,
    )
    shown, total, more = brute_force(
        world,
        origin=place,
        radius_mi=radius,
        filters=filters,
        limit=limit,
        offset=offset,
        max_results=max_results,
    )
    event(f"hits={bool(shown)} more={more} remote={any(d is None for d, _ in shown)}")
    assert as_pairs(result) == shown
    assert (result.total, result.more) == (total, more)


def test_adak_finds_providers_on_both_sides_of_the_antimeridian():
    adak = zip_place("99546")
    east = make_provider(
        name="East of 180",
        latitude=51.95,
        longitude=179.6,
        zip_code="99546",
        state="AK",
        city="Adak",
    )
    west = make_provider(
        name="West of 180",
        latitude=51.86,
        longitude=-176.7,
        zip_code="99546",
        state="AK",
        city="Adak",
    )
    near_180 = make_provider(
        name="At 180", latitude=51.9, longitude=-180.0, zip_code="99546", state="AK", city="Adak"
    )
    far = make_provider(
        name="Too far", latitude=52.0, longitude=172.5, zip_code="99546", state="AK", city="Adak"
    )
    result = provider_search(origin=adak, radius_mi=250, filters=ProviderFilters(), limit=20)
    assert [hit.provider.id for hit in result.hits] == [west.id, near_180.id, east.id]
    distances = [hit.distance_mi for hit in result.hits]
    assert distances == sorted(distances)
    assert 130 < distances[-1] < 150  # 179.6° E is about 141 miles west of Adak, not 24,000
    assert far.id not in [hit.provider.id for hit in result.hits]
    small = provider_search(origin=adak, radius_mi=25, filters=ProviderFilters(), limit=20)
    assert [hit.provider.id for hit in small.hits] == [west.id]


def test_search_near_the_north_pole_wraps_every_longitude():
    across = make_provider(latitude=89.95, longitude=179.0)
    behind = make_provider(latitude=89.9, longitude=-90.0)
    pole = Place(89.97, 0.0, None, "North Pole")
    result = provider_search(origin=pole, radius_mi=25, filters=ProviderFilters(), limit=5)
    assert {hit.provider.id for hit in result.hits} == {across.id, behind.id}


def test_telehealth_providers_from_afar_follow_the_local_ones():
    local = make_provider()  # Beverly Hills
    local_tele = make_provider(telehealth=True, telehealth_states=State.mask(["CA"]))
    remote = make_provider(
        zip_code="10001",
        city="New York",
        state="NY",
        telehealth=True,
        telehealth_states=State.mask(["CA", "NY"]),
    )
    make_provider(
        zip_code="10001",
        city="New York",
        state="NY",
        telehealth=True,
        telehealth_states=State.mask(["NY"]),
    )  # does not cover California
    origin = zip_place("90210")
    plain = provider_search(origin=origin, radius_mi=50, filters=ProviderFilters(), limit=20)
    assert [h.provider.id for h in plain.hits] == sorted([local.id, local_tele.id])
    tele = provider_search(
        origin=origin, radius_mi=50, filters=ProviderFilters(telehealth=True), limit=20
    )
    assert [h.provider.id for h in tele.hits] == [*sorted([local.id, local_tele.id]), remote.id]
    assert tele.hits[-1].is_remote and tele.hits[-1].distance_mi is None
    assert (tele.total, tele.nearby, tele.more) == (3, 2, False)
    page2 = provider_search(
        origin=origin, radius_mi=50, filters=ProviderFilters(telehealth=True), limit=2, offset=2
    )
    assert [h.provider.id for h in page2.hits] == [remote.id]


def test_filters_require_every_value_asked_for():
    both = make_provider(treatments=Treatment.mask(["iv-infusion", "kap"]))
    make_provider(treatments=Treatment.mask(["iv-infusion"]))
    wanted = ProviderFilters(treatments=Treatment.mask(["iv-infusion", "kap"]))
    result = provider_search(origin=zip_place("90210"), radius_mi=10, filters=wanted, limit=5)
    assert [h.provider.id for h in result.hits] == [both.id]


def test_more_than_max_results_is_said_not_counted():
    bulk_providers([{} for _ in range(12)])
    result = provider_search(
        origin=zip_place("90210"),
        radius_mi=50,
        filters=ProviderFilters(),
        limit=4,
        offset=8,
        max_results=10,
    )
    assert (result.total, result.more) == (10, True)
    assert len(result.hits) == 2  # positions 9 and 10 of at most 10


def test_search_queries_are_few(django_assert_max_num_queries):
    bulk_providers([{} for _ in range(30)])
    with django_assert_max_num_queries(8):
        provider_search(
            origin=zip_place("90210"),
            radius_mi=250,
            filters=ProviderFilters(telehealth=True),
            limit=20,
        )


def test_state_and_city_listings():
    make_provider()
    make_provider(city="Los Angeles", zip_code="90012")
    make_provider(city="Los Angeles", zip_code="90012")
    make_provider(city="Denver", state="CO", zip_code="80202")
    assert state_counts() == [("CA", 3), ("CO", 1)]
    cities = state_cities(state="CA")
    assert [(c.slug, c.name, c.count) for c in cities] == [
        ("beverly-hills", "Beverly Hills", 1),
        ("los-angeles", "Los Angeles", 2),
    ]
    assert city_providers(state="CA", city_slug="los-angeles").count() == 2
