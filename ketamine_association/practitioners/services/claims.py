"""Claims on existing listings and the editors an owner invites."""

__all__: list[str] = []
