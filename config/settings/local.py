"""`make run`: an SQLite file under var/, DEBUG on."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)

WHITENOISE_USE_FINDERS = True
