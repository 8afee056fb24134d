"""Article images: where they come from (`--images DIR`) and where the site serves them."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from django.conf import settings


class ImageStore:
    """Files served under ARTICLE_IMAGES_URL, published from an optional source folder."""

    def __init__(self, *, source: Path | None = None, root: Path | None = None):
        self.source = Path(source) if source else None
        self.root = Path(root or settings.ARTICLE_IMAGES_ROOT)
        self.prefix = settings.ARTICLE_IMAGES_URL

    def name_for(self, url: str) -> str | None:
        """The file name behind a site URL, or None if the URL is not one of ours or unsafe."""
        if not url.startswith(self.prefix):
            return None
        name = url[len(self.prefix) :].split("?", 1)[0].split("#", 1)[0]
        parts = PurePosixPath(name).parts
        if not name or any(p in ("..", ".", "") or p.startswith(".") for p in parts):
            return None
        return name

    def _candidate(self, name: str) -> Path | None:
        for base in (self.source, self.root):
            if base is not None and (base / name).is_file():
                return base / name
        return None

    def exists(self, url: str) -> bool:
        name = self.name_for(url)
        return name is not None and self._candidate(name) is not None

    def alternative(self, url: str) -> str:
        """The URL of an image with the same name and another extension, if one exists."""
        name = self.name_for(url)
        if name is None:
            return ""
        stem = PurePosixPath(name).stem
        for base in (self.source, self.root):
            if base is not None and (base / name).parent.is_dir():
                for candidate in sorted((base / name).parent.glob(f"{stem}.*")):
                    relative = candidate.relative_to(base).as_posix()
                    return f"{self.prefix}{relative}"
        return ""

    def publish(self, url: str) -> bool:
        """Copy the image into the served folder if it is newer; True when it is served."""
        name = self.name_for(url)
        if name is None:
            return False
        target = self.root / name
        if self.source is not None and (self.source / name).is_file():
            origin = self.source / name
            if not target.exists() or target.stat().st_mtime_ns < origin.stat().st_mtime_ns:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)
        return target.is_file()

    def served_path(self, name: str) -> Path | None:
        parts = PurePosixPath(name).parts
        if not parts or any(p in ("..", ".") or p.startswith(".") for p in parts):
            return None
        path = self.root / name
        return path if path.is_file() else None
