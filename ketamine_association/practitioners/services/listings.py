"""Listings kept current by their owners and editors."""

__all__: list[str] = []
