"""Addresses as the platform keys them (an email, a phone number): one address, one key, in
every app."""

from __future__ import annotations


def normalise_email(email: str) -> str:
    """Surrounding space dropped, lower-cased as a whole (mailbox parts are case-sensitive in
    theory, never in practice, and two rows for one person is the worse failure)."""
    return email.strip().lower()


def phone_digits(phone: str) -> str:
    """A phone number's digits only: "(512) 555-0199" and "512.555.0199" are one number."""
    return "".join(char for char in phone if char.isascii() and char.isdigit())
