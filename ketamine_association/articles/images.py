"""Article images: where they come from (`--images DIR`) and where the site serves them.

Every name is checked by `core.files`: an image URL is a plain relative name under
ARTICLE_IMAGES_URL, and only a regular file reached without a symbolic link is published or
served."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from django.conf import settings

from ketamine_association.core.files import contained_file, plain_name


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
        return name if plain_name(name) else None

    def _candidate(self, name: str) -> Path | None:
        for base in (self.source, self.root):
            if base is not None and (path := contained_file(base, name)) is not None:
                return path
        return None

    def problem(self, url: str) -> str:
        """Why `url` cannot be shown ("does not exist", ...), or "" when it can."""
        if url.startswith(self.prefix) and self.name_for(url) is None:
            return (
                f"is not a plain file name under {self.prefix} (letters, digits, '.', '-', '_'; "
                "no leading '/', '..' or hidden parts)"
            )
        name = self.name_for(url)
        if name is None or self._candidate(name) is None:
            if name is not None and any(
                base is not None and (base / name).is_symlink() for base in (self.source, self.root)
            ):
                return "is a symbolic link; only regular files are published"
            return "does not exist"
        return ""

    def exists(self, url: str) -> bool:
        return not self.problem(url)

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
                    if contained_file(base, relative) is not None:
                        return f"{self.prefix}{relative}"
        return ""

    def publish(self, url: str) -> bool:
        """Copy the image into the served folder if it is newer; True when it is served.

        Only a regular file inside the source folder is copied, never a symbolic link."""
        name = self.name_for(url)
        if name is None:
            return False
        origin = contained_file(self.source, name) if self.source is not None else None
        if origin is not None:
            self.root.mkdir(parents=True, exist_ok=True)
            target = self.root.resolve().joinpath(*name.split("/"))
            if target.is_symlink():
                target.unlink()
            if not target.exists() or target.stat().st_mtime_ns < origin.stat().st_mtime_ns:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target, follow_symlinks=False)
        return contained_file(self.root, name) is not None
