"""Writes of consultation requests, one module per side: `requests` (a patient's request
stored encrypted and announced by mail), `inbox` (the provider's statuses and private note,
each access logged) and `retention` (the purge)."""
