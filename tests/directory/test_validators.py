"""The NPI check: 10 digits, a Luhn check digit over the prefix 80840 and the first nine."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from ketamine_association.directory.validators import (
    luhn_check_digit,
    npi_check_digit,
    npi_is_valid,
    npi_problem,
    validate_npi,
)

# 1234567893 is the worked example of CMS's "NPI check digit" paper. The others were computed
# by hand with its method: double every other digit of the base from the right, add 24 for
# the prefix 80840, and take the distance to the next multiple of ten.
#   123456789: doubled 9,7,5,3,1 -> 18,14,10,6,2 -> digits 9+5+1+6+2 = 23; 8+6+4+2 = 20;
#              24 + 23 + 20 = 67 -> check digit 3
#   100000000: doubled 0,0,0,0,1 -> 2; 24 + 2 = 26 -> 4
#   200000000: doubled 2 -> 4; 24 + 4 = 28 -> 2
#   999999999: doubled 9 (x5) -> 18 -> 9 each = 45; undoubled 9 (x4) = 36; 24+45+36 = 105 -> 5
KNOWN_VALID = ["1234567893", "1000000004", "2000000002", "9999999995"]


@pytest.mark.parametrize("npi", KNOWN_VALID)
def test_known_npis_are_valid(npi):
    assert npi_is_valid(npi)
    assert npi_problem(npi) is None
    validate_npi(npi)


def test_check_digit_of_the_cms_example():
    assert npi_check_digit("123456789") == 3
    assert luhn_check_digit("80840123456789") == 3
    assert luhn_check_digit("7992739871") == 3  # the textbook Luhn example


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1234567890", "check digit"),
        ("1234567894", "check digit"),
        ("123456789", "10 digits"),
        ("12345678933", "10 digits"),
        ("12345A7893", "10 digits"),
        ("１２３４５６７８９３", "10 digits"),  # full-width digits are digits, not ASCII
        ("", "10 digits"),
        (" 1234567893", "10 digits"),
    ],
)
def test_bad_npis_say_why(value, reason):
    assert not npi_is_valid(value)
    assert reason in npi_problem(value)
    with pytest.raises(ValidationError, match="not a valid NPI"):
        validate_npi(value)


def test_the_message_names_the_expected_check_digit():
    assert "need 3 at the end" in npi_problem("1234567890")


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_every_base_has_exactly_one_check_digit(base):
    valid = [digit for digit in "0123456789" if npi_is_valid(base + digit)]
    assert valid == [str(npi_check_digit(base))]


@given(st.from_regex(r"\A[0-9]{9}\Z"), st.integers(0, 8), st.integers(1, 9))
def test_a_single_mistyped_digit_is_caught(base, position, shift):
    npi = base + str(npi_check_digit(base))
    wrong = npi[:position] + str((int(npi[position]) + shift) % 10) + npi[position + 1 :]
    assert not npi_is_valid(wrong)
