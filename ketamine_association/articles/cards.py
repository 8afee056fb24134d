"""Social cards: the 1200×630 raster picture a shared article or page shows.

Facebook, LinkedIn, X, Slack and iMessage do not render SVG previews, so every article and
page gets a PNG (a JPEG when its picture is a photo) at import, stored beside the article
images under `<ARTICLE_IMAGES_ROOT>/cards/` and served by the same view (core.files):

- from its picture when it is raster (a raster `ogImage` first, then `featuredImage`):
  cover-cropped to 1200×630 with Pillow;
- from its picture when it is SVG: rendered by CairoSVG (no external file or URL is ever
  fetched: CairoSVG's safe mode) and fitted onto the site's background;
- otherwise, or when the picture cannot be read, a generated card: the title (at most three
  lines), the category and the association's name in the site's colours, drawn with the
  DejaVu fonts shipped in `articles/fonts/` (their licence, `fonts/LICENSE`, allows it; a
  font of our own keeps a card the same on every machine).

A card's name is `<slug>-<hash>.<ext>`; the hash covers everything the card is drawn from
(title, category, the picture's bytes, CARD_VERSION), so a card is drawn only when one of
them changes, and the slug's previous card is then removed. `SOCIAL_CARDS = False` (the
environment's `SOCIAL_CARDS=0`) turns the import's card drawing off; pages then fall back to
the article's own image.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import io
import logging
import math
import os
import re
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from PIL import ExifTags, Image, ImageDraw, ImageFont, ImageOps

from ketamine_association.core.files import contained_file, plain_name

from .categories import Category
from .images import ImageStore

logger = logging.getLogger(__name__)

CARD_VERSION = 1  # bump when the drawing changes: every card is drawn again at next import
WIDTH, HEIGHT = 1200, 630
FOLDER = "cards"
MAX_SOURCE_BYTES = 10 * 1024 * 1024  # a larger picture is not read: a generated card instead
FONTS = Path(__file__).resolve().parent / "fonts"
# The palette of core/static/css/site.css.
BRAND = "#1d4e89"
BRAND_DARK = "#143a66"
FOCUS = "#ffbf47"
PAPER = "#ffffff"
TINT = "#f3f6fa"
RASTER = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "PNG", ".webp": "PNG"}
_OWN = r"-[0-9a-f]{16}\.(?:png|jpg)"
# PNG cards are compressed with zlib's run-length strategy: the same pixels as the default
# (level 6), 1.5-2 times faster to encode for a drawn card (6 times for a photo), in files
# up to 1.5 times larger (40-110 kB for the drawn ones; a photo's is smaller).
PNG_OPTIONS = {"compress_type": zlib.Z_RLE}


@dataclass(frozen=True)
class Card:
    url: str
    width: int
    height: int
    type: str  # "image/png" or "image/jpeg"
    source: str  # "raster", "svg" or "generated"

    def as_dict(self) -> dict:
        return asdict(self)


def cards_enabled() -> bool:
    return bool(getattr(settings, "SOCIAL_CARDS", True))


def article_card(
    *, slug: str, title: str, category: str, picture_urls: list[str], images: ImageStore
) -> Card | None:
    """The card of an article, drawn if it does not exist yet; None when cards are off."""
    return _card(
        stem=slug,
        title=title,
        label=Category(category).name if category else "",
        picture=_picture(picture_urls, images),
        images=images,
    )


def page_card(*, path: str, title: str, images: ImageStore | None = None) -> Card | None:
    """The (generated) card of a site page; None when cards are off."""
    return _card(stem=page_stem(path), title=title, label="", picture=None, images=images)


def page_card_url(*, path: str, title: str) -> Card | None:
    """The card a page's head names, if it has been drawn (no drawing here: a request)."""
    images = ImageStore()
    name, extension = _name(page_stem(path), title, "", None)
    if contained_file(images.root, f"{FOLDER}/{name}") is None:
        return None
    return Card(f"{images.prefix}{FOLDER}/{name}", WIDTH, HEIGHT, "image/png", "generated")


def page_stem(path: str) -> str:
    return "page-" + (path.strip("/").replace("/", "-") or "home")


# --------------------------------------------------------------------------- choosing


def _picture(urls: list[str], images: ImageStore) -> tuple[str, bytes] | None:
    """(extension, bytes) of the first picture that exists: the ogImage, the featured image,
    or a featured image of the same name and another extension."""

    def candidates():
        yield from (u for u in urls if u)
        yield from (alt for u in urls if u and (alt := images.alternative(u)))

    for url in candidates():
        name = images.name_for(url)
        if name is None:
            continue
        extension = PurePosixPath(name).suffix.lower()
        if extension not in RASTER and extension != ".svg":
            continue
        path = contained_file(images.root, name) or (
            contained_file(images.source, name) if images.source else None
        )
        if path is None:
            continue
        try:
            if path.stat().st_size > MAX_SOURCE_BYTES:
                continue
            return extension, path.read_bytes()
        except OSError:
            continue
    return None


def _name(stem: str, title: str, label: str, picture: tuple[str, bytes] | None):
    digest = hashlib.sha256()
    for part in (str(CARD_VERSION), title, label, settings.SITE_NAME):
        digest.update(part.encode() + b"\x00")
    extension = ".png"
    if picture is not None:
        digest.update(picture[0].encode() + b"\x00" + hashlib.sha256(picture[1]).digest())
        if RASTER.get(picture[0]) == "JPEG":
            extension = ".jpg"
    return f"{stem}{'-' + digest.hexdigest()[:16]}{extension}", extension


@dataclass(frozen=True)
class CardDrawing:
    """A card decided (and drawn, when its file does not exist yet) but not yet written: the
    import draws in its worker processes and writes in the process that stores the article,
    once the file is known to be stored (card_commit)."""

    stem: str
    name: str
    kind: str
    source: str
    data: bytes | None  # None: the card's file already exists


def article_card_drawing(
    *, slug: str, title: str, category: str, picture_urls: list[str], images: ImageStore
) -> CardDrawing | None:
    """article_card's drawing without the writing; None when cards are off."""
    return _drawing(
        stem=slug,
        title=title,
        label=Category(category).name if category else "",
        picture=_picture(picture_urls, images),
        images=images,
    )


# The last few cards drawn in this process, by everything they are drawn from: articles whose
# cards are the same picture (the same title, label and image) are drawn once.
_DRAWN: dict[str, tuple[str, bytes]] = {}
_DRAWN_MAX = 16


def _drawing(
    *,
    stem: str,
    title: str,
    label: str,
    picture: tuple[str, bytes] | None,
    images: ImageStore | None,
) -> CardDrawing | None:
    if not cards_enabled():
        return None
    images = images or ImageStore()
    name, extension = _name(stem, title, label, picture)
    if not plain_name(f"{FOLDER}/{name}"):
        return None
    kind = "image/jpeg" if extension == ".jpg" else "image/png"
    source = "generated" if picture is None else ("svg" if picture[0] == ".svg" else "raster")
    if (images.root / FOLDER / name).is_file():
        return CardDrawing(stem, name, kind, source, None)
    inputs = name[len(stem) :]  # the hash of what the card is drawn from, and its extension
    drawn = _DRAWN.get(inputs)
    if drawn is None:
        drawn = _draw(title=title, label=label, picture=picture, jpeg=extension == ".jpg")
        if len(_DRAWN) >= _DRAWN_MAX:
            _DRAWN.pop(next(iter(_DRAWN)))
        _DRAWN[inputs] = drawn
    source, data = drawn
    return CardDrawing(stem, name, kind, source, data)


def card_commit(
    drawing: CardDrawing,
    images: ImageStore | None = None,
    folder_index: dict[str, set[str]] | None = None,
) -> Card:
    """Write a drawn card (atomically: a request never sees half a card) and remove the
    stem's previous card. `folder_index` (cards_folder_index) spares listing the folder for
    each card of a large import."""
    images = images or ImageStore()
    folder = images.root / FOLDER
    target = folder / drawing.name
    if drawing.data is not None and not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{drawing.name}.{os.getpid()}.tmp"
        temporary.write_bytes(drawing.data)
        temporary.replace(target)
        if folder_index is None:
            _remove_previous(folder, drawing.stem, keep=drawing.name)
        else:
            names = folder_index.setdefault(drawing.stem, set())
            for name in names - {drawing.name}:
                old = folder / name
                if not old.is_symlink():
                    old.unlink(missing_ok=True)
            names.intersection_update({drawing.name})
            names.add(drawing.name)
    url = f"{images.prefix}{FOLDER}/{drawing.name}"
    return Card(url, WIDTH, HEIGHT, drawing.kind, drawing.source)


def _card(
    *,
    stem: str,
    title: str,
    label: str,
    picture: tuple[str, bytes] | None,
    images: ImageStore | None,
) -> Card | None:
    images = images or ImageStore()
    drawing = _drawing(stem=stem, title=title, label=label, picture=picture, images=images)
    return None if drawing is None else card_commit(drawing, images)


def cards_folder_index(images: ImageStore) -> dict[str, set[str]]:
    """The cards in the folder by stem (one listing), for card_commit."""
    own = re.compile(r"(.+)" + _OWN)
    index: dict[str, set[str]] = {}
    try:
        names = os.listdir(images.root / FOLDER)
    except OSError:
        return index
    for name in names:
        if match := own.fullmatch(name):
            index.setdefault(match.group(1), set()).add(name)
    return index


def _remove_previous(folder: Path, stem: str, *, keep: str) -> None:
    own = re.compile(re.escape(stem) + _OWN)
    for old in folder.glob(f"{glob.escape(stem)}-*"):
        if old.name != keep and own.fullmatch(old.name) and not old.is_symlink():
            old.unlink(missing_ok=True)


# --------------------------------------------------------------------------- drawing


# The last few cards drawn from a picture, by the picture: a card drawn from a picture is the
# picture's alone (no title on it), so articles that share a picture share its drawing.
_FROM_PICTURE: dict[tuple[str, bytes, bool], tuple[str, bytes]] = {}
_FROM_PICTURE_MAX = 8


def _draw(
    *, title: str, label: str, picture: tuple[str, bytes] | None, jpeg: bool
) -> tuple[str, bytes]:
    """(how it was drawn, the encoded card). A picture that cannot be read gives the
    generated card: the import never fails for a card."""
    if picture is not None:
        extension, data = picture
        key = (extension, hashlib.sha256(data).digest(), jpeg)
        if (drawn := _FROM_PICTURE.get(key)) is not None:
            return drawn
        try:
            image = _from_svg(data) if extension == ".svg" else _from_raster(data)
        except Exception as exc:  # a picture CairoSVG or Pillow cannot read
            logger.warning("social card: picture not readable (%s); a generated card instead", exc)
        else:
            drawn = ("svg" if extension == ".svg" else "raster", _encode(image, jpeg=jpeg))
            if len(_FROM_PICTURE) >= _FROM_PICTURE_MAX:
                _FROM_PICTURE.pop(next(iter(_FROM_PICTURE)))
            _FROM_PICTURE[key] = drawn
            return drawn
    return "generated", _encode(_generated(title=title, label=label), jpeg=jpeg)


def _encode(image: Image.Image, *, jpeg: bool) -> bytes:
    if image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    if jpeg:
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    else:
        image.save(out, "PNG", **PNG_OPTIONS)
    return out.getvalue()


def _from_raster(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as opened:
        _draft(opened)
        opened.load()
        ImageOps.exif_transpose(opened, in_place=True)  # in place: no copy of the pixels
        picture = opened
    if picture.mode in ("RGBA", "LA", "P"):
        if picture.mode != "RGBA":
            picture = picture.convert("RGBA")
        base = Image.new("RGBA", picture.size, PAPER)
        picture = Image.alpha_composite(base, picture)
    if picture.mode != "RGB":
        picture = picture.convert("RGB")
    return ImageOps.fit(picture, (WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def _draft(opened: Image.Image) -> None:
    """A JPEG larger than twice the card is decoded by libjpeg at 1/2, 1/4 or 1/8 of its size
    (Pillow's draft, as its thumbnail() does), never below what the cover crop needs: several
    times less to decode and to resize, for a card that differs from the full decoding's by
    less than one level of 255 on average."""
    if opened.format != "JPEG":
        return
    width, height = WIDTH, HEIGHT
    if opened.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8):
        width, height = height, width  # turned a quarter by exif_transpose
    scale = max(width / opened.width, height / opened.height)
    if scale <= 0.5:
        opened.draft(None, (math.ceil(opened.width * scale), math.ceil(opened.height * scale)))


def _from_svg(data: bytes) -> Image.Image:
    # Imported when needed: an import whose cards all exist never pays for it.
    from cairosvg.parser import Tree
    from cairosvg.surface import PNGSurface

    # Safe mode (no `unsafe`, no url_fetcher): no entities, no external file or URL fetched.
    # Drawn into memory and handed to Pillow as pixels: no PNG encoded and decoded between.
    # The SVG's own preserveAspectRatio fits it inside 1200×630 (transparent around it).
    surface = PNGSurface(Tree(bytestring=data), None, 96, output_width=WIDTH, output_height=HEIGHT)
    pixels = surface.cairo
    pixels.flush()
    size, stride = (pixels.get_width(), pixels.get_height()), pixels.get_stride()
    buffer = bytes(pixels.get_data())
    if size == (WIDTH, HEIGHT) and not _alpha(buffer, size[0], stride).strip(b"\xff"):
        # Opaque everywhere: the background would not show, so the pixels are the card
        # (what compositing them on the background gives, without the compositing).
        return Image.frombuffer("RGB", size, buffer, "raw", "BGRX", stride, 1)
    drawn = Image.frombuffer("RGBA", size, buffer, "raw", "BGRa", stride, 1)
    if drawn.size != (WIDTH, HEIGHT):
        drawn = ImageOps.contain(drawn, (WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    card = Image.new("RGBA", (WIDTH, HEIGHT), TINT)
    card.alpha_composite(drawn, ((WIDTH - drawn.width) // 2, (HEIGHT - drawn.height) // 2))
    return card


def _alpha(buffer: bytes, width: int, stride: int) -> bytes:
    """The alpha bytes of cairo's ARGB32 pixels (native order: little-endian BGRA)."""
    if stride == width * 4:
        return buffer[3::4]
    return b"".join(buffer[row + 3 : row + width * 4 : 4] for row in range(0, len(buffer), stride))


@functools.lru_cache(maxsize=16)
def _font(name: str, size: int):
    try:
        return ImageFont.truetype(str(FONTS / name), size)
    except OSError:  # the shipped font missing: Pillow's own, so a card is still drawn
        return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _generated(*, title: str, label: str) -> Image.Image:
    card = Image.new("RGB", (WIDTH, HEIGHT), BRAND)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, HEIGHT - 110, WIDTH, HEIGHT), fill=BRAND_DARK)
    draw.rectangle((80, 96, 200, 104), fill=FOCUS)
    margin, width = 80, WIDTH - 160
    if label:
        draw.text((margin, 130), label.upper(), font=_font("DejaVuSans-Bold.ttf", 30), fill=FOCUS)
    for size in (68, 60, 52):
        font = _font("DejaVuSans-Bold.ttf", size)
        lines = _wrap(draw, title, font, width)
        if len(lines) <= 3:
            break
    if len(lines) > 3:
        lines = lines[:3]
        while lines[2] and draw.textlength(lines[2] + " …", font=font) > width:
            lines[2] = lines[2].rsplit(" ", 1)[0] if " " in lines[2] else lines[2][:-1]
        lines[2] += " …"
    top = 190
    for line in lines:
        draw.text((margin, top), line, font=font, fill=PAPER)
        top += int(size * 1.22)
    name_font = _font("DejaVuSans.ttf", 32)
    draw.text((margin, HEIGHT - 75), settings.SITE_NAME, font=name_font, fill=PAPER)
    return card
