"""One form of an email address, for every app that keys rows by one."""

from __future__ import annotations

import pytest

from ketamine_association.core.addresses import normalise_email


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Ada@Example.ORG", "ada@example.org"),
        ("  ada@example.org\t\n", "ada@example.org"),
        ("ADA.LOVELACE+News@EXAMPLE.org ", "ada.lovelace+news@example.org"),
        ("ada@example.org", "ada@example.org"),
    ],
)
def test_normalise_email(raw, expected):
    assert normalise_email(raw) == expected


def test_normalise_email_keeps_what_makes_addresses_different():
    # dots and +tags are the mailbox owner's business: two different rows
    assert normalise_email("a.da@example.org") != normalise_email("ada@example.org")
    assert normalise_email("ada+x@example.org") != normalise_email("ada@example.org")
