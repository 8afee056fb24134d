"""Provider photos made safe: whatever staff upload, the site serves only JPEGs it encoded
itself, square, at the sizes the profile uses, with no EXIF (no GPS, no camera, no date).

Refused, each with its own message (`PhotoRefused.code`): a file over 5 MB (known from its size
before it is read), SVG or any XML (it can carry script), anything Pillow cannot open as a
JPEG, PNG or WebP, and images over 40 megapixels (a decompression bomb: a small file that
declares huge dimensions; Pillow's own DecompressionBombWarning/Error count as refusals too)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG", "PNG", "WEBP"}
# The profile shows the photo at 160 CSS px (profile.html); 400 serves screens of 2x and more.
SIZES = (400, 160)
QUALITY = 85

MESSAGES = {
    "too-large": "The photo is larger than 5 MB. Export it smaller (a 1000 px JPEG is plenty).",
    "svg": "SVG and other XML files are not accepted: they can carry scripts. Upload a JPEG, "
    "PNG or WebP photo.",
    "not-image": "This file is not an image we can read. Upload a JPEG, PNG or WebP photo.",
    "format": "Only JPEG, PNG and WebP photos are accepted.",
    "too-many-pixels": "The image is over 40 megapixels. Resize it to at most 4000 × 4000 px.",
    "empty": "The file is empty.",
}


class PhotoRefused(ValueError):
    def __init__(self, code: str):
        super().__init__(MESSAGES[code])
        self.code = code
        self.message = MESSAGES[code]


@dataclass(frozen=True)
class ProcessedPhoto:
    files: dict[int, bytes]  # edge in px -> JPEG bytes
    digest: str  # of the largest, for a stable file name
    extension: str = "jpg"


def upload_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        position = upload.tell()
        size = upload.seek(0, io.SEEK_END)
        upload.seek(position)
    return size


def looks_like_xml(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf\x00\xfe\xff \t\r\n").lower()
    return text.startswith(b"<") or b"<svg" in head.lower() or b"<?xml" in head.lower()


def _square(image: Image.Image, edge: int) -> bytes:
    fitted = ImageOps.fit(image, (edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    fitted.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)  # no exif=
    return out.getvalue()


def read_image(
    upload, *, formats: set[str] | frozenset[str] = FORMATS
) -> tuple[bytes, Image.Image]:
    """The one check of every uploaded image (provider photos, article images): its size
    known before it is read, no XML, Pillow reads it as one of `formats`, no decompression
    bomb. Returns the bytes and the loaded image; raises PhotoRefused(code) otherwise."""
    size = upload_size(upload)
    if size > MAX_BYTES:
        raise PhotoRefused("too-large")
    if size == 0:
        raise PhotoRefused("empty")
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    upload.seek(0)
    if len(data) > MAX_BYTES:
        raise PhotoRefused("too-large")
    if looks_like_xml(data[:1024]):
        raise PhotoRefused("svg")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format not in formats:
                raise PhotoRefused("format")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused("too-many-pixels")
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoRefused("too-many-pixels") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            if isinstance(exc, PhotoRefused):
                raise
            raise PhotoRefused("not-image") from exc
    return data, image


def photo_process(upload) -> ProcessedPhoto:
    """Check and re-encode an uploaded photo; raise PhotoRefused with the reason otherwise."""
    _, image = read_image(upload)
    image = ImageOps.exif_transpose(image)  # keep the orientation the camera meant
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    files = {edge: _square(image, edge) for edge in SIZES}
    return ProcessedPhoto(files, hashlib.sha256(files[SIZES[0]]).hexdigest()[:16])


def validate_photo(upload) -> ProcessedPhoto:
    """photo_process as a Django validator: a ValidationError with the reason's message."""
    try:
        return photo_process(upload)
    except PhotoRefused as exc:
        raise ValidationError(exc.message, code=exc.code) from exc


class PhotoField(forms.FileField):
    """A form field that accepts only what photo_process accepts; its cleaned value is the
    upload with `.processed` (the re-encoded files) attached."""

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(data, UploadedFile):
            value.processed = validate_photo(data)
        return value
