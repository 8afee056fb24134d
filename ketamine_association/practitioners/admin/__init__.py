"""The staff's queues of the practitioners' side: applications, claims (and disputes), and
identity changes waiting for review; each listing's change history."""

from . import applications, claims, listings  # noqa: F401 - each registers its models
