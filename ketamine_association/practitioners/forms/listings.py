"""Forms: listings."""
