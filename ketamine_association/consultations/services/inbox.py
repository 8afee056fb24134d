"""The provider's side: statuses, the private note, the access log."""
