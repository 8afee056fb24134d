"""The editor's forms: a manuscript's file split into fields and composed back, an image
upload, a workflow step.

The file is the truth. The form shows its main frontmatter keys as fields, every other key
in "More frontmatter (YAML)" (as written, in the file's order), and the body. Composing puts
each key back where the file had it (new keys after), through `source_text`; a block of
YAML that does not parse is kept as typed so a draft is saved with nothing lost, and the
pipeline's error names its line."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django import forms
from django.utils import timezone
from django.utils.text import slugify
from PIL import ImageOps

from ketamine_association.articles.categories import DESCRIPTIONS, category_name
from ketamine_association.articles.choices import DEFAULT_CATEGORY, Audience
from ketamine_association.articles.source import (
    SourceInvalid,
    parse_frontmatter,
    source_text,
    split_frontmatter,
)
from ketamine_association.core.files import plain_name
from ketamine_association.core.forms import CONTROL_BUT_LINE_BREAKS, DescribedErrors
from ketamine_association.directory import photos

# Frontmatter key -> form field, in the order the form shows them.
MAIN = {
    "title": "title",
    "slug": "slug",
    "category": "category",
    "author": "author",
    "audience": "audience",
    "excerpt": "excerpt",
    "tags": "tags",
    "publishedAt": "published_at",
    "featuredImage": "featured_image",
}
FIELD_KEYS = {name: key for key, name in MAIN.items()}
# Written by a reviewer's approval (services), shown read-only, carried over unchanged.
REVIEW_KEYS = ("reviewedBy", "lastReviewed", "reviewDue")
# A blank field removes these keys; other blank keys the file had stay (as "").
DROPPED_WHEN_BLANK = {"audience", "publishedAt", "featuredImage"}

_KEY_LINE = re.compile(r"""^(?:"([^"]+)"|'([^']+)'|([^\s#:'"\-][^:#]*?))\s*:(?:\s|$)""")


# --- the file's frontmatter as blocks of lines, one a top-level key --------------------


@dataclass
class Block:
    key: str | None  # None: comments or blank lines before the first key
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def blocks_of(yaml_text: str) -> list[Block]:
    """Split YAML into top-level key blocks; works on text that does not parse too."""
    blocks: list[Block] = []
    for line in yaml_text.split("\n") if yaml_text else []:
        match = _KEY_LINE.match(line) if line[:1] not in (" ", "\t", "-", "#", "") else None
        if match:
            blocks.append(Block(next(g for g in match.groups() if g is not None).strip(), [line]))
        elif blocks:
            blocks[-1].lines.append(line)
        else:
            blocks.append(Block(None, [line]))
    return blocks


def _value_of(block: Block):
    """(True, value) when the block parses alone as its key's mapping, else (False, None)."""
    try:
        data, _ = parse_frontmatter(block.text)
    except SourceInvalid:
        return False, None
    if block.key not in data or len(data) != 1:
        return False, None
    return True, data[block.key]


def _dump(key: str, value) -> str:
    """One key written the way source_text writes it."""
    return source_text({key: value}, "")[4:-4].rstrip("\n")


def _split(source: str) -> tuple[str, str]:
    try:
        yaml_text, body, _ = split_frontmatter(source)
    except SourceInvalid:
        return "", source
    return yaml_text, body


def _strip_blank_edges(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


@dataclass
class Decomposed:
    initial: dict
    review: dict  # reviewer key -> value as written (read-only)


def decompose(source: str) -> Decomposed:
    """The form's initial values for a manuscript's file."""
    yaml_text, body = _split(source)
    initial: dict = {"body": body}
    extra: list[str] = []
    review: dict = {}
    for block in blocks_of(yaml_text):
        ok, value = _value_of(block) if block.key else (False, None)
        if block.key in REVIEW_KEYS:
            review[block.key] = value if ok else block.text.partition(":")[2].strip()
            continue
        name = MAIN.get(block.key or "")
        if name and ok and _fits(name, value):
            initial[name] = ", ".join(value) if name == "tags" else ("" if value is None else value)
            continue
        extra.append(block.text)
    initial["extra"] = _strip_blank_edges(extra)
    return Decomposed(initial, review)


def _fits(name: str, value) -> bool:
    if value is None:
        return True
    if name == "tags":
        return isinstance(value, list) and all(isinstance(v, str) and "," not in v for v in value)
    return isinstance(value, str) and "\n" not in value


# --- the form ---------------------------------------------------------------------------


def category_choices(current: str = "") -> list[tuple[str, str]]:
    codes = sorted({DEFAULT_CATEGORY, *DESCRIPTIONS})
    if current and current not in codes:
        codes.append(current)  # a category the file names that we do not know: kept
    choices = [(code, f"{category_name(code)} ({code})") for code in codes]
    return choices if current else [("", "Choose a category"), *choices]


def _text(**kwargs) -> forms.CharField:
    return forms.CharField(required=False, **kwargs)


class EditorForm(DescribedErrors, forms.Form):
    title = _text(max_length=300)
    slug = _text(
        max_length=200, help_text="The address: /blog/<slug>. Lower-case words and hyphens."
    )
    category = forms.ChoiceField(required=False, choices=())
    author = _text(max_length=200)
    audience = forms.ChoiceField(required=False, choices=[("", "Everyone"), *Audience.choices])
    excerpt = _text(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    tags = _text(max_length=1000, help_text="Separated by commas.")
    published_at = _text(
        label="Published at",
        max_length=40,
        help_text="publishedAt: a date (2026-05-01) or a date and time. Approval may set it.",
    )
    featured_image = _text(
        label="Featured image",
        max_length=500,
        help_text="featuredImage: e.g. /images/articles/a.png",
    )
    extra = _text(
        label="More frontmatter (YAML)",
        strip=False,
        max_length=64 * 1024,
        help_text="Every other key, as YAML, in the file's order.",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
    )
    body = _text(
        label="Body (Markdown)",
        strip=False,
        max_length=2 * 1024 * 1024,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "true", "class": "code"}),
    )

    def __init__(self, *args, original: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.original = original
        current = self.data.get("category") if self.is_bound else self.initial.get("category")
        self.fields["category"].choices = category_choices(str(current or ""))

    def clean(self):
        data = super().clean()
        for name in ("extra", "body"):
            value = (data.get(name) or "").replace("\r\n", "\n").replace("\r", "\n")
            if CONTROL_BUT_LINE_BREAKS.search(value):
                self.add_error(name, "Remove the control characters from this text.")
            data[name] = value
        for name in MAIN.values():
            if name in ("extra", "body", "excerpt"):
                continue
            if "\n" in str(data.get(name) or "") or "\r" in str(data.get(name) or ""):
                self.add_error(name, "Write this on one line.")
        for block in blocks_of(data.get("extra", "")):
            if block.key in REVIEW_KEYS:
                self.add_error("extra", f"{block.key} is written by the review, not here.")
            elif block.key in MAIN and (data.get(MAIN[block.key]) or "").strip():
                self.add_error("extra", f"{block.key} has its own field above: set it there.")
        return data

    def compose(self) -> str:
        """The file the form's values make (call after is_valid())."""
        return compose(self.cleaned_data, self.original)


def _main_values(cleaned: dict, original_keys: set[str]) -> dict:
    values = {}
    for key, name in MAIN.items():
        raw = cleaned.get(name)
        if name == "tags":
            tags = [t.strip() for t in (raw or "").split(",") if t.strip()]
            if tags or key in original_keys:
                values[key] = tags
            continue
        text = (raw or "").strip()
        if text:
            values[key] = text
        elif key in original_keys and key not in DROPPED_WHEN_BLANK:
            values[key] = ""
    return values


def compose(cleaned: dict, original: str) -> str:
    yaml_text, _ = _split(original)
    original_blocks = [b for b in blocks_of(yaml_text) if b.key]
    order = [b.key for b in original_blocks]
    review = {b.key: b for b in original_blocks if b.key in REVIEW_KEYS}
    main = _main_values(cleaned, set(order))
    extra_text = cleaned.get("extra", "")
    extra_blocks = blocks_of(extra_text)
    body = cleaned.get("body", "")
    try:
        extras, _ = parse_frontmatter(extra_text) if extra_text.strip() else ({}, {})
        review_values = {}
        for key, block in review.items():
            ok, value = _value_of(block)
            if not ok:
                raise SourceInvalid([])
            review_values[key] = value
    except SourceInvalid:
        return _compose_raw(order, main, review, extra_blocks, body)
    present = {**main, **review_values, **extras}
    keys = [k for k in order if k in present]
    keys += [k for k in main if k not in keys] + [k for k in extras if k not in keys]
    text = source_text({k: present[k] for k in keys}, body)
    return original if _same(text, original) else text


def _compose_raw(order, main, review, extra_blocks, body) -> str:
    """Frontmatter whose extra YAML does not parse: kept as typed, each key in its place."""
    by_key = {b.key: b.text for b in extra_blocks if b.key}
    loose = [b.text for b in extra_blocks if not b.key]
    texts = {key: _dump(key, value) for key, value in main.items()}
    texts.update({key: block.text for key, block in review.items()})
    texts.update(by_key)
    keys = [k for k in order if k in texts]
    keys += [k for k in main if k not in keys] + [k for k in by_key if k not in keys]
    lines = [texts[k] for k in keys] + loose
    frontmatter = "\n".join(line for line in lines if line.strip())
    return f"---\n{frontmatter}\n---\n{body}"


def _same(text: str, original: str) -> bool:
    """Whether two files mean the same (the stored spelling is then kept: no new revision)."""
    try:
        a_yaml, a_body, _ = split_frontmatter(text)
        b_yaml, b_body, _ = split_frontmatter(original)
        a, _ = parse_frontmatter(a_yaml)
        b, _ = parse_frontmatter(b_yaml)
    except SourceInvalid:
        return False
    return list(a.items()) == list(b.items()) and a_body.rstrip() == b_body.rstrip()


# --- where a finding's line is in the form -----------------------------------------------


def locate(line: int | None, source: str, extra_text: str) -> tuple[str, int | None]:
    """(element id, line inside that element) for a line of the composed file."""
    if not line:
        return "", None
    try:
        yaml_text, _, body_line = split_frontmatter(source)
    except SourceInvalid:
        return "id_body", line
    if line >= body_line:
        return "id_body", line - body_line + 1
    if line <= 1 or line == body_line - 1:
        return "id_extra", None
    start = 2
    for block in blocks_of(yaml_text):
        end = start + len(block.lines)
        if start <= line < end:
            return _in_form(block.key, line - start, extra_text)
        start = end
    return "id_extra", None


def _in_form(key: str | None, offset: int, extra_text: str) -> tuple[str, int | None]:
    if key in MAIN:
        return f"id_{MAIN[key]}", None
    if key in REVIEW_KEYS:
        return "review-fields", None
    start = 1
    for block in blocks_of(extra_text):
        if block.key == key:
            return "id_extra", start + min(offset, len(block.lines) - 1)
        start += len(block.lines)
    return "id_extra", None


# --- images ------------------------------------------------------------------------------

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# The size limit of every image upload of the site (directory/photos.py), said once.
IMAGE_MAX_BYTES = photos.MAX_BYTES
IMAGE_MESSAGES = {
    **photos.MESSAGES,
    "too-large": f"The image is larger than {IMAGE_MAX_BYTES // (1024 * 1024)} MB. Export it "
    "smaller (1600 px wide is plenty for an article).",
    "svg": "SVG and other XML files are not accepted: they can carry scripts. Upload a JPEG, "
    "PNG, WebP or GIF image.",
    "not-image": "This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF image.",
    "format": "Only JPEG, PNG, WebP and GIF images are accepted.",
}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes  # what is stored: re-encoded without metadata (GIF as sent)
    extension: str


def check_image(upload) -> CheckedImage:
    """The site's upload checks (directory/photos.py: size known before reading, no XML,
    Pillow reads it, no decompression bomb), for the formats an article may show. The
    image is re-encoded without its metadata (no GPS, no camera); a GIF is kept as sent."""
    try:
        data, image = photos.read_image(upload, formats=IMAGE_FORMATS)
    except photos.PhotoRefused as exc:
        raise forms.ValidationError(IMAGE_MESSAGES[exc.code], code=exc.code) from exc
    kind = image.format
    if kind == "GIF":
        return CheckedImage(data, "gif")
    image = ImageOps.exif_transpose(image)
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, kind, **({"quality": 88, "optimize": True} if kind == "JPEG" else {}))
    return CheckedImage(out.getvalue(), IMAGE_FORMATS[kind])


def image_name(*, slug: str, original: str, image: CheckedImage) -> str:
    """A plain, safe file name: the article's slug, the upload's name, a content hash."""
    stem = slugify(PurePosixPath(original or "").stem)[:60] or "image"
    digest = hashlib.sha256(image.data).hexdigest()[:10]
    name = f"{slugify(slug)[:80] or 'article'}-{stem}-{digest}.{image.extension}"
    return name if plain_name(name) else f"image-{digest}.{image.extension}"


class ImageUploadForm(DescribedErrors, forms.Form):
    image = forms.FileField(label="Image", help_text="JPEG, PNG, WebP or GIF, at most 5 MB.")
    alt = forms.CharField(
        label="Alt text",
        max_length=300,
        help_text="What the image shows, for someone who cannot see it.",
        error_messages={"required": "Describe the image: its alt text is required."},
    )

    def clean_image(self):
        upload = self.cleaned_data["image"]
        self.checked_image = check_image(upload)
        return upload

    def clean_alt(self):
        alt = self.cleaned_data["alt"].strip()
        if CONTROL_BUT_LINE_BREAKS.search(alt) or "\n" in alt:
            raise forms.ValidationError("Write the alt text on one line.")
        return alt.replace("[", "(").replace("]", ")")


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=30)
    comment = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    publish_on = forms.DateTimeField(
        label="Publish on",
        required=False,
        help_text="Optional, with Approve: a future time schedules the publication (UTC).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    def clean_publish_on(self):
        value = self.cleaned_data.get("publish_on")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value
