"""The public URL contract of /find-provider, parsed without ever failing."""

import pytest
from django.http import QueryDict

from ketamine_association.directory.choices import Treatment
from ketamine_association.directory.params import SearchParams, search_params


def parse(query: str):
    return search_params(QueryDict(query))


def test_defaults():
    params, notes = parse("")
    assert params == SearchParams() and notes == []
    assert params.radius == 50 and params.page == 1


def test_every_parameter():
    params, notes = parse(
        "location=90210&radius=25&treatment=kap&condition=ptsd&insurance=aetna"
        "&telehealth=1&accepting=on&verified=true&page=3&utm_source=newsletter"
    )
    assert notes == []
    assert params == SearchParams("90210", 25, ("kap",), ("ptsd",), ("aetna",), True, True, True, 3)
    assert params.filters.treatments == Treatment.bit("kap")


@pytest.mark.parametrize("radius", ["30", "0", "-50", "1e9", "fifty", "nan", "inf", "50.5"])
def test_radius_out_of_range_falls_back_with_a_note(radius):
    params, notes = parse(f"radius={radius}")
    assert params.radius == 50
    assert "10, 25, 50, 100 or 250 miles" in notes[0]


def test_radius_written_as_a_decimal_is_accepted():
    assert parse("radius=100.0")[0].radius == 100


def test_unknown_filter_values_are_ignored_with_a_note():
    params, notes = parse("treatment=kap&treatment=magic&condition=<b>x</b>&insurance=")
    assert params.treatment == ("kap",) and params.condition == ()
    assert any("treatment “magic”" in n for n in notes)
    assert any("condition “<b>x</b>”" in n for n in notes)


def test_flags_accept_yes_and_no_words_only():
    params, notes = parse("telehealth=maybe&accepting=0&verified=")
    assert (params.telehealth, params.accepting, params.verified) == (False, False, False)
    assert len(notes) == 1 and "telehealth" in notes[0]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999", "1.5"])
def test_odd_pages(page):
    params, notes = parse(f"page={page}")
    assert 1 <= params.page <= 10_000


def test_query_is_canonical_and_keeps_every_filter():
    params, _ = parse("location=Denver,%20CO&treatment=kap&telehealth=yes&radius=50")
    assert params.query(page=2) == "location=Denver%2C+CO&treatment=kap&telehealth=1&page=2"
    assert params.query(radius=100) == "location=Denver%2C+CO&radius=100&treatment=kap&telehealth=1"


def test_long_lists_are_cut():
    params, _ = parse("&".join(["treatment=kap"] * 900))
    assert params.treatment == ("kap",)
