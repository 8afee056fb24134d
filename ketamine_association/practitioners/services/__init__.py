"""Writes of the practitioners' side, one module per subject: applications to be listed,
claims on existing listings (and the editors an owner invites), and listings kept current
by their owners (edits, identity changes under review, license reminders)."""

from .applications import DecisionRefused, application_decide, application_submit
from .claims import *  # noqa: F403
from .listings import *  # noqa: F403

__all__ = ["DecisionRefused", "application_decide", "application_submit"]
