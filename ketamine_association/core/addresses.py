"""Email addresses as the platform keys them: one address, one row, in every app."""

from __future__ import annotations


def normalise_email(email: str) -> str:
    """Surrounding space dropped, lower-cased as a whole (mailbox parts are case-sensitive in
    theory, never in practice, and two rows for one person is the worse failure)."""
    return email.strip().lower()
