"""The one way a file on disk reaches the outside: a name is resolved inside its root or refused.

Every view that answers with a file and every command that publishes one into a served folder
goes through `contained_file`. A name is a plain relative path (`a.svg`, `2026/a.svg`): no
leading or doubled `/`, no `.`/`..` or hidden parts, no NUL, not over-long, and the path it
names is a regular file inside the resolved root with no symbolic link on the way. Anything
else is None, which a view turns into a 404 and the import into a finding.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404

# One path part: starts with a letter or digit; letters, digits, dot, dash, underscore after.
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_PART = 255  # bytes, the usual file-system limit of one name
MAX_NAME = 1024  # characters of the whole relative name
MAX_DEPTH = 8


def plain_name(name: object) -> bool:
    """True when `name` is a plain relative file name such as `photo.jpg` or `2026/a.svg`."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        return False
    parts = name.split("/")
    return len(parts) <= MAX_DEPTH and all(
        _PART.fullmatch(part) and len(part) <= MAX_PART for part in parts
    )


def contained_file(root: Path | str, name: str) -> Path | None:
    """The regular file `name` inside `root`, or None.

    The root itself may be reached through a symbolic link (it is resolved first); below it
    every part must be a real directory or file, so a link can never lead out of the root."""
    if not plain_name(name):
        return None
    try:
        base = Path(root).resolve(strict=True)
        candidate = base.joinpath(*name.split("/"))
        if os.path.realpath(candidate) != str(candidate):  # a symbolic link on the way
            return None
        mode = candidate.lstat().st_mode
    except (OSError, ValueError):  # missing, too long, not decodable, ...
        return None
    if not stat.S_ISREG(mode) or not candidate.is_relative_to(base):
        return None
    return candidate


# Answer headers of a served file: it may be cached a day, and nothing in it may run.
SANDBOX_CSP = "default-src 'none'; sandbox"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def file_response(
    *, root: Path | str, name: str, content_type: str | None = None, csp: str = SANDBOX_CSP
) -> FileResponse:
    """A FileResponse for `name` inside `root`, or Http404 when `contained_file` refuses it."""
    path = contained_file(root, name)
    if path is None:
        raise Http404("No such file.")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise Http404("No such file.") from exc
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = csp
    response["X-Content-Type-Options"] = "nosniff"
    return response


class RootedStorage(FileSystemStorage):
    """Uploads kept under a folder that settings decide when the file is used (tests move
    it), not when the model is imported: `root()` is asked each time. `base_url` is the URL
    prefix of the app's own serving view, or None for files no URL serves."""

    def __init__(self, root: Callable[[], Path], base_url: str | None = None):
        self._root = root
        self._served_at = base_url
        super().__init__()

    @property
    def base_location(self):
        return str(self._root())

    @property
    def location(self):
        return str(Path(self._root()).resolve())

    @property
    def base_url(self):
        return self._served_at
