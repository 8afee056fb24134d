"""The National Provider Identifier: 10 digits, the last a Luhn check digit computed with the
prefix 80840 (CMS, "Requirements for Check Digit Algorithm for the NPI")."""

from __future__ import annotations

from django.core.exceptions import ValidationError

NPI_PREFIX = "80840"  # the NPI's ISO 7812 issuer prefix for US health applications
# CMS issues NPIs beginning with 1 or 2 only (the demo directory's fictional ones begin with 9).
ISSUED_FIRST_DIGITS = ("1", "2")


def luhn_check_digit(digits: str) -> int:
    """The digit that, appended to `digits`, makes the Luhn sum a multiple of 10."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # the rightmost digit of the payload is doubled
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def npi_check_digit(base: str) -> int:
    """The check digit of a 9-digit NPI base."""
    if len(base) != 9 or not base.isascii() or not base.isdigit():
        raise ValueError("an NPI base is 9 digits")
    return luhn_check_digit(NPI_PREFIX + base)


def npi_problem(value: str) -> str | None:
    """Why `value` is not a well-formed NPI, or None when it is."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return "an NPI is exactly 10 digits"
    expected = npi_check_digit(value[:9])
    if int(value[9]) != expected:
        return f"the check digit is wrong (the first nine digits need {expected} at the end)"
    return None


def npi_is_valid(value: str) -> bool:
    return isinstance(value, str) and npi_problem(value) is None


def issued_npi_problem(value: str) -> str | None:
    """Why `value` cannot be an NPI CMS issued (a practitioner's own), or None."""
    problem = npi_problem(value)
    if problem is None and not value.startswith(ISSUED_FIRST_DIGITS):
        problem = "a real NPI starts with 1 or 2"
    return problem


def validate_npi(value: str) -> None:
    problem = npi_problem(value if isinstance(value, str) else str(value))
    if problem:
        raise ValidationError(f"{value} is not a valid NPI: {problem}.", code="npi")
