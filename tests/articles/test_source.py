"""read -> split -> validate: every bad input names the file's field and line."""

from pathlib import Path

import pytest

from ketamine_association.articles.choices import MAX_SOURCE_BYTES
from ketamine_association.articles.source import (
    SourceInvalid,
    content_hash,
    load_source,
    parse_source,
    source_text,
)

from .factories import article_text, write


def errors_of(path: Path):
    with pytest.raises(SourceInvalid) as caught:
        load_source(path)
    return caught.value.errors


def test_valid_file_loads_with_key_lines(tmp_path):
    doc = load_source(write(tmp_path / "a.md", article_text()))
    assert doc.meta.title == "Understanding Your Options"
    assert doc.meta.audience == "patients"
    assert doc.key_lines["title"] == 2
    assert doc.key_lines["tags.1"] == 9
    assert doc.body_line == 12


def test_invalid_yaml_reports_line(tmp_path):
    text = "---\ntitle: ok\nslug: fine\ntags: [unclosed\nexcerpt: x\n---\nbody\n"
    (error,) = errors_of(write(tmp_path / "bad.md", text))
    assert "invalid YAML" in error.message
    assert error.line in (4, 5, 6)


def test_missing_title_names_field(tmp_path):
    text = article_text().replace('title: "Understanding Your Options"\n', "")
    (error,) = errors_of(write(tmp_path / "untitled.md", text))
    assert error.field == "title"
    assert "missing" in error.message


def test_wrong_type_names_field_and_line(tmp_path):
    text = article_text().replace('tags: ["options", "questions"]', "tags: 42")
    (error,) = errors_of(write(tmp_path / "t.md", text))
    assert error.field == "tags"
    assert error.line == 9


def test_wrong_type_inside_list_names_item(tmp_path):
    text = article_text().replace('tags: ["options", "questions"]', 'tags: ["ok", [1, 2]]')
    (error,) = errors_of(write(tmp_path / "t.md", text))
    assert error.field == "tags.1"
    assert error.line == 9


def test_non_utf8_is_reported_with_line(tmp_path):
    data = article_text().encode("utf-8").replace(b"Write down", b"Write \xff down")
    (error,) = errors_of(write(tmp_path / "latin.md", data))
    assert "UTF-8" in error.message
    assert error.line == 22


def test_utf8_bom_and_crlf_are_accepted(tmp_path):
    data = b"\xef\xbb\xbf" + article_text().replace("\n", "\r\n").encode()
    doc = load_source(write(tmp_path / "bom.md", data))
    assert doc.meta.slug == "understanding-options"
    assert "\r" not in doc.body


def test_no_frontmatter(tmp_path):
    (error,) = errors_of(write(tmp_path / "plain.md", "# Just a heading\n\nText.\n"))
    assert error.line == 1
    assert "frontmatter" in error.message


def test_unclosed_frontmatter(tmp_path):
    (error,) = errors_of(write(tmp_path / "open.md", "---\ntitle: x\n\n# Body\n"))
    assert "not closed" in error.message


@pytest.mark.parametrize("slug", ["../etc/passwd", "a/b", "..", "two..dots"])
def test_slug_with_path_parts_is_refused(tmp_path, slug):
    text = article_text().replace('slug: "understanding-options"', f'slug: "{slug}"')
    (error,) = errors_of(write(tmp_path / "s.md", text))
    assert error.field == "slug"
    assert error.line == 3


def test_file_over_two_megabytes_is_refused_before_parsing(tmp_path):
    text = article_text() + "word " * (MAX_SOURCE_BYTES // 5 + 10)
    (error,) = errors_of(write(tmp_path / "huge.md", text))
    assert "limit" in error.message


def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    bomb = "---\ntitle: bomb\na: &a [x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{previous}, *{previous}, *{previous}, *{previous}]\n"
    bomb += "---\nbody\n"
    (error,) = errors_of(write(tmp_path / "bomb.md", bomb))
    assert "alias" in error.message
    # the first alias (*a) is used on line 4 of the file, in b's list ("---" is line 1)
    assert bomb.splitlines()[3].startswith("b: &b [*a")
    assert error.line == 4
    assert error.field == "b.0"


def test_category_must_be_upper_case_identifier(tmp_path):
    text = article_text().replace('"PATIENT_EDUCATION"', '"patient education"')
    (error,) = errors_of(write(tmp_path / "c.md", text))
    assert error.field == "category"


def test_open_category_set_accepts_new_identifier(tmp_path):
    text = article_text().replace('"PATIENT_EDUCATION"', '"COMMUNITY_VOICES"')
    assert load_source(write(tmp_path / "c.md", text)).meta.category == "COMMUNITY_VOICES"


def test_audience_is_patients_practitioners_or_absent(tmp_path):
    text = article_text().replace('audience: "patients"', 'audience: "everyone"')
    (error,) = errors_of(write(tmp_path / "a.md", text))
    assert error.field == "audience"
    absent = article_text().replace('audience: "patients"\n', "")
    assert load_source(write(tmp_path / "b.md", absent)).meta.audience is None


@pytest.mark.parametrize("field", ["featuredImage", "canonicalUrl", "ogImage"])
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.test/x"])
def test_url_fields_refuse_script_and_data_urls(tmp_path, field, url):
    text = article_text().replace("tags:", f'{field}: "{url}"\ntags:')
    text = text.replace('featuredImage: "/images/articles/understanding-options.svg"\n', "")
    errors = errors_of(write(tmp_path / "u.md", text))
    assert [e.field for e in errors] == [field]


def test_unknown_keys_are_kept(tmp_path):
    text = article_text().replace("tags:", "editorNote: Dr. Example\ntags:")
    doc = load_source(write(tmp_path / "k.md", text))
    assert doc.unknown == {"editorNote": "Dr. Example"}
    assert doc.frontmatter["editorNote"] == "Dr. Example"


def test_missing_slug_derives_from_file_name(tmp_path):
    text = article_text().replace('slug: "understanding-options"\n', "")
    assert load_source(write(tmp_path / "My First Visit.md", text)).meta.slug == "my-first-visit"


def test_several_errors_are_all_reported(tmp_path):
    text = (
        article_text()
        .replace('audience: "patients"', 'audience: "x"')
        .replace('category: "PATIENT_EDUCATION"', "category: lower")
    )
    fields = {e.field for e in errors_of(write(tmp_path / "m.md", text))}
    assert fields == {"audience", "category"}


def test_source_text_round_trips_to_the_same_hash(tmp_path):
    doc = load_source(write(tmp_path / "a.md", article_text()))
    again = parse_source(source_text(doc.frontmatter, doc.body), path=tmp_path / "a.md")
    assert again.content_hash == doc.content_hash
    assert again.frontmatter == doc.frontmatter
    assert again.body == doc.body


def test_hash_changes_with_content():
    assert content_hash({"title": "a"}, "body") != content_hash({"title": "b"}, "body")
    assert content_hash({"title": "a"}, "body") != content_hash({"title": "a"}, "body 2")
