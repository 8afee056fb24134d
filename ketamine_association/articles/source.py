"""Read, split and validate one article file: bytes -> ArticleSource.

Each step is a pure function over plain data. Every problem is a SourceError naming the
field and the 1-based line of the file, so an editor can go straight to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from .choices import (
    DEFAULT_AUTHOR,
    DEFAULT_CATEGORY,
    MAX_FRONTMATTER_CHARS,
    MAX_FRONTMATTER_DEPTH,
    MAX_SOURCE_BYTES,
)

try:  # the C loader is many times faster; both are the *safe* loader.
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - libyaml is in PyYAML's wheels
    from yaml import SafeLoader

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CATEGORY_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
SAFE_URL_RE = re.compile(r"^(?:/(?!/)|https?://)", re.IGNORECASE)


@dataclass(frozen=True)
class SourceError:
    field: str | None
    line: int | None
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "line": self.line, "message": self.message}


class SourceInvalid(Exception):
    def __init__(self, errors: list[SourceError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = tuple(errors)


class SchemaBlock(BaseModel):
    """The `schema:` block editors write to steer JSON-LD."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Article", "MedicalWebPage", "BlogPosting", "NewsArticle"] = "Article"
    datePublished: dt.date | None = None
    dateModified: dt.date | None = None
    author: str | None = None


def _check_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not SAFE_URL_RE.match(value) or any(c in value for c in "\"'<>` \t\n"):
        raise ValueError("must be a site path starting with / or an http(s) URL")
    return value


class ArticleSource(BaseModel):
    """The frontmatter schema: the single definition of what an article file may say."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, str_strip_whitespace=True)
    KIND: ClassVar[str] = "article"
    BODY_H1: ClassVar[int] = 1  # the body's own h1 is the page's h1

    title: str = Field(min_length=1, max_length=300)
    slug: str = Field(min_length=1, max_length=200)
    excerpt: str = Field(default="", max_length=1000)
    category: str = DEFAULT_CATEGORY
    author: str = Field(default=DEFAULT_AUTHOR, min_length=1, max_length=200)
    published_at: dt.date | dt.datetime | None = Field(default=None, alias="publishedAt")
    updated_at: dt.date | dt.datetime | None = Field(default=None, alias="updatedAt")
    featured_image: str | None = Field(default=None, alias="featuredImage")
    tags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    meta_title: str | None = Field(default=None, alias="metaTitle", max_length=300)
    meta_description: str | None = Field(default=None, alias="metaDescription", max_length=1000)
    canonical_url: str | None = Field(default=None, alias="canonicalUrl")
    og_title: str | None = Field(default=None, alias="ogTitle", max_length=300)
    og_description: str | None = Field(default=None, alias="ogDescription", max_length=1000)
    og_image: str | None = Field(default=None, alias="ogImage")
    twitter_card: Literal["summary", "summary_large_image"] | None = Field(
        default=None, alias="twitterCard"
    )
    schema_block: SchemaBlock | None = Field(default=None, alias="schema")
    reading_time: str | int | None = Field(default=None, alias="readingTime")
    word_count: int | None = Field(default=None, alias="wordCount", ge=0)
    audience: Literal["patients", "practitioners"] | None = None
    related_articles: list[str] = Field(default_factory=list, alias="relatedArticles")
    redirect_from: list[str] = Field(default_factory=list, alias="redirectFrom")
    # Medical review (review.py): "Jane Doe, MD", the review's date, the next one's.
    reviewed_by: str | None = Field(default=None, alias="reviewedBy", max_length=200)
    last_reviewed: dt.date | None = Field(default=None, alias="lastReviewed")
    review_due: dt.date | None = Field(default=None, alias="reviewDue")

    @field_validator("reviewed_by")
    @classmethod
    def _reviewer(cls, value: str | None) -> str | None:
        if value is not None and not value.partition(",")[0].strip():
            raise ValueError('write the reviewer as "Name, credentials", e.g. "Jane Doe, MD"')
        return value or None

    @field_validator("review_due")
    @classmethod
    def _review_due(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        last = info.data.get("last_reviewed")
        if value is not None and last is None:
            raise ValueError("needs lastReviewed, the date of the review it follows")
        if value is not None and value < last:
            raise ValueError(f"{value} is before lastReviewed {last}")
        return value

    @property
    def review_due_date(self) -> dt.date | None:
        """When the next review is due: reviewDue, else 12 months after lastReviewed."""
        from .review import default_review_due

        if self.review_due is not None or self.last_reviewed is None:
            return self.review_due
        return default_review_due(self.last_reviewed)

    @property
    def description_of(self) -> tuple[str, str]:
        """The page's description and the key it comes from: `metaDescription`, or the
        excerpt standing in for it. The head stores it and the gate measures it."""
        if self.meta_description:
            return self.meta_description, "metaDescription"
        return self.excerpt, "excerpt"

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if "/" in value or ".." in value:
            raise ValueError("a slug may not contain '/' or '..'")
        if not SLUG_RE.match(value):
            raise ValueError("use lower-case letters, digits and single hyphens, e.g. my-article")
        return value

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if not CATEGORY_RE.match(value):
            raise ValueError("use an upper-case identifier such as CLINICAL_RESEARCH")
        return value

    @field_validator("featured_image", "canonical_url", "og_image")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _check_url(value)

    @field_validator("tags", "keywords")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v.strip()]

    @field_validator("related_articles")
    @classmethod
    def _related(cls, value: list[str]) -> list[str]:
        for slug in value:
            if not SLUG_RE.match(slug):
                raise ValueError(f"{slug!r} is not a slug")
        return value

    @field_validator("redirect_from")
    @classmethod
    def _redirects(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.startswith("/") or ".." in item or "//" in item:
                raise ValueError(f"{item!r} must be a site path starting with /")
        return value

    @property
    def unknown_keys(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


NAV_PLACES = ("header", "footer")
PAGE_PATH_RE = re.compile(r"^/[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")


class PageSource(BaseModel):
    """The frontmatter of a site page (about, privacy, membership...): a file whose
    frontmatter names a `path`. Pages go through the same pipeline as articles (read, split,
    validate, render, check, store, export) and live at their own paths, not under /blog/."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, str_strip_whitespace=True)
    KIND: ClassVar[str] = "page"
    BODY_H1: ClassVar[int] = 0  # the title is the page's h1; the body starts below it

    title: str = Field(min_length=1, max_length=300)
    path: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=1000)
    updated_at: dt.date | dt.datetime | None = Field(default=None, alias="updatedAt")
    meta_title: str | None = Field(default=None, alias="metaTitle", max_length=300)
    nav: list[Literal["header", "footer"]] = Field(default_factory=list)
    nav_label: str | None = Field(default=None, alias="navLabel", max_length=60)
    nav_order: int = Field(default=100, alias="navOrder", ge=0, le=10_000)
    audience: Literal["patients", "practitioners"] | None = None
    reviewed_by: str | None = Field(default=None, alias="reviewedBy", max_length=200)
    last_reviewed: dt.date | None = Field(default=None, alias="lastReviewed")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if value != "/" and value.endswith("/"):
            value = value.rstrip("/")
        if not PAGE_PATH_RE.match(value):
            raise ValueError(
                "a page path is like /about or /membership/practitioners: lower-case words "
                "and hyphens between slashes"
            )
        if value == "/blog" or value.startswith("/blog/"):
            raise ValueError("/blog/... belongs to the articles; a page lives at its own path")
        return value

    @field_validator("nav", mode="before")
    @classmethod
    def _nav(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def slug(self) -> str:
        """What a finding names the page by: its path."""
        return self.path

    @property
    def related_articles(self) -> list[str]:
        return []

    @property
    def unknown_keys(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def description_of(self) -> tuple[str, str]:
        return self.description, "description"


def schema_for(frontmatter: dict) -> type[ArticleSource] | type[PageSource]:
    """A file whose frontmatter names a `path` is a page; every other file is an article."""
    return PageSource if "path" in frontmatter else ArticleSource


@dataclass(frozen=True)
class SourceDocument:
    """A validated article file: the parsed frontmatter exactly as written, and the body."""

    path: str
    meta: ArticleSource | PageSource
    frontmatter: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int
    content_hash: str
    unknown: dict[str, Any] = field(default_factory=dict)


def read_text(path: Path) -> str:
    """Bytes to text: size limit first, UTF-8 only (BOM stripped), newlines normalised."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceInvalid([SourceError(None, None, f"cannot read file: {exc.strerror}")]) from exc
    if size > MAX_SOURCE_BYTES:
        raise SourceInvalid(
            [SourceError(None, None, f"file is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")]
        )
    try:
        data = path.read_bytes()
    except OSError as exc:  # removed or made unreadable since it was listed
        raise SourceInvalid([SourceError(None, None, f"cannot read file: {exc.strerror}")]) from exc
    return decode(data)


def decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceInvalid(
            [
                SourceError(
                    None, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save as UTF-8"
                )
            ]
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_frontmatter(text: str) -> tuple[str, str, int]:
    """Return (yaml text, body, 1-based line where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise SourceInvalid(
            [SourceError(None, 1, "no frontmatter: the file must start with a line '---'")]
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            yaml_text = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return yaml_text, body, index + 2
    raise SourceInvalid([SourceError(None, 1, "frontmatter is not closed by a line '---'")])


def _plain(value: Any) -> Any:
    """YAML values to JSON-able values (dates become ISO strings), order kept."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _walk_lines(
    node: yaml.Node, prefix: str, lines: dict[str, int], seen: set[int], *, line: int, depth: int
) -> None:
    """Record the 0-based line of every key; refuse aliases and deep nesting. `line` is where
    this node is used: an alias resolves to the anchored node, whose own mark is elsewhere."""
    if id(node) in seen:
        raise SourceInvalid(
            [
                SourceError(
                    prefix or None,
                    line,
                    "YAML anchors and aliases (&name / *name) are not allowed in frontmatter",
                )
            ]
        )
    if depth > MAX_FRONTMATTER_DEPTH:
        raise SourceInvalid(
            [
                SourceError(
                    prefix.split(".", 1)[0] or None,
                    line,
                    f"frontmatter is nested more than {MAX_FRONTMATTER_DEPTH} levels deep",
                )
            ]
        )
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            key_line = key_node.start_mark.line
            lines.setdefault(key, key_line)
            _walk_lines(value_node, key, lines, seen, line=key_line, depth=depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = f"{prefix}.{index}"
            item_line = line if id(item) in seen else item.start_mark.line
            lines.setdefault(key, item_line)
            _walk_lines(item, key, lines, seen, line=item_line, depth=depth + 1)


def _frontmatter_too_large(yaml_text: str, first_line: int) -> SourceInvalid:
    """The size error, naming the longest line and the key it starts with."""
    rows = yaml_text.split("\n")
    index = max(range(len(rows)), key=lambda i: len(rows[i]))
    key = re.match(r"\s*([A-Za-z_][\w-]*)\s*:", rows[index])
    return SourceInvalid(
        [
            SourceError(
                key.group(1) if key else None,
                first_line + index,
                f"frontmatter is {len(yaml_text):,} characters; the limit is "
                f"{MAX_FRONTMATTER_CHARS:,} (this line alone has {len(rows[index]):,})",
            )
        ]
    )


def parse_frontmatter(yaml_text: str, *, first_line: int = 2) -> tuple[dict, dict[str, int]]:
    """YAML (safe loader) to a mapping and the line of every key; aliases, deep nesting and
    oversized frontmatter refused."""
    if len(yaml_text) > MAX_FRONTMATTER_CHARS:
        raise _frontmatter_too_large(yaml_text, first_line)
    loader = SafeLoader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SourceInvalid([SourceError(None, first_line, "frontmatter is empty")])
        if not isinstance(node, yaml.MappingNode):
            raise SourceInvalid(
                [SourceError(None, first_line, "frontmatter must be a mapping of key: value")]
            )
        relative: dict[str, int] = {}
        try:
            _walk_lines(node, "", relative, set(), line=0, depth=0)
        except SourceInvalid as exc:  # lines of the YAML text -> lines of the file
            raise SourceInvalid(
                [SourceError(e.field, e.line + first_line, e.message) for e in exc.errors]
            ) from None
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        problem_mark = getattr(exc, "problem_mark", None)
        context_mark = getattr(exc, "context_mark", None)
        mark = problem_mark or context_mark
        # An unclosed quote or bracket is detected at the end of the frontmatter; the line
        # where it was opened is the one the editor needs.
        at_end = problem_mark is not None and problem_mark.line >= yaml_text.count("\n")
        if context_mark is not None and at_end:
            mark = context_mark
        line = mark.line + first_line if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{problem} ({context})" if context else problem
        raise SourceInvalid([SourceError(None, line, f"invalid YAML: {detail}")]) from exc
    finally:
        loader.dispose()
    return _plain(data), {k: v + first_line for k, v in relative.items()}


def content_hash(frontmatter: dict, body: str) -> str:
    """Hash of what the file means, not how it is spelled: a re-export hashes the same."""
    canonical = json.dumps(frontmatter, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{canonical}\n\0{body.rstrip()}".encode()).hexdigest()


def validate(
    frontmatter: dict, key_lines: dict[str, int], *, default_slug: str
) -> ArticleSource | PageSource:
    """The frontmatter against its kind's schema (schema_for). An article without `slug:`
    takes the file name's; every problem names its field and line."""
    schema = schema_for(frontmatter)
    data = dict(frontmatter)
    if schema is ArticleSource:
        data.setdefault("slug", default_slug)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = [str(part) for part in err["loc"]]
            name = ".".join(loc) or None
            line = None
            for depth in range(len(loc), 0, -1):
                line = key_lines.get(".".join(loc[:depth]))
                if line is not None:
                    break
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                message = "required field is missing"
            errors.append(SourceError(name, line, f"{name}: {message}"))
        raise SourceInvalid(errors) from exc


def default_slug_for(path: Path) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    return stem or "article"


def load_source(path: Path) -> SourceDocument:
    """The read, split and validate steps for one file. Raises SourceInvalid."""
    text = read_text(path)
    return parse_source(text, path=path)


def parse_source(text: str, *, path: Path) -> SourceDocument:
    yaml_text, body, body_line = split_frontmatter(text)
    frontmatter, key_lines = parse_frontmatter(yaml_text, first_line=2)
    meta = validate(frontmatter, key_lines, default_slug=default_slug_for(path))
    return SourceDocument(
        path=str(path),
        meta=meta,
        frontmatter=frontmatter,
        key_lines=key_lines,
        body=body,
        body_line=body_line,
        content_hash=content_hash(frontmatter, body),
        unknown=_plain(meta.unknown_keys),
    )


class _FrontmatterDumper(yaml.SafeDumper):
    """Block style for mappings (one key a line, as people write frontmatter, even when
    every value is a scalar), flow style for a list of scalars (tags: [a, b])."""

    def represent_list(self, data):
        flat = all(not isinstance(item, dict | list) for item in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_FrontmatterDumper.add_representer(list, _FrontmatterDumper.represent_list)


def source_text(frontmatter: dict, body: str) -> str:
    """The inverse of parse_source: a Markdown file with YAML frontmatter."""
    dumped = yaml.dump(
        frontmatter,
        Dumper=_FrontmatterDumper,
        sort_keys=False,
        allow_unicode=True,
        width=10_000,
        default_flow_style=False,
    )
    return f"---\n{dumped}---\n{body}"
