"""Admin: listings."""
