"""The quality gate: every code fires on a fixture of our own, and a near miss does not."""

import io
import json
import textwrap

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketamine_association.articles.images import ImageStore
from ketamine_association.articles.quality import content_check
from ketamine_association.articles.rendering import render_markdown
from ketamine_association.articles.services import article_import_paths
from ketamine_association.articles.source import split_frontmatter

from .factories import EASY, HARD, article_text, write

pytestmark = pytest.mark.django_db

SLUG = "understanding-options"


@pytest.fixture
def store(tmp_path, images):
    source = tmp_path / "image-source"
    for name in (f"{SLUG}.svg", "diagram.svg", "other.svg"):
        write(source / name, "<svg xmlns='http://www.w3.org/2000/svg'/>")
    return ImageStore(source=source, root=images.root)


def check(tmp_path, store, text, *extra):
    folder = tmp_path / "articles"
    write(folder / "main.md", text)
    for index, other in enumerate(extra):
        write(folder / f"extra-{index}.md", other)
    report = content_check(paths=[folder], images=store)
    return report


def codes(report, file="main.md"):
    return {f.code for f in report.findings if f.file.endswith(file)}


def add_body(text, addition):
    return text + "\n" + textwrap.dedent(addition) + "\n"


def add_field(text, line):
    return text.replace("tags:", f"{line}\ntags:", 1)


def computed_words(text):
    _, body, _ = split_frontmatter(text)
    return render_markdown(body).word_count


def test_clean_fixture_yields_no_finding(tmp_path, store):
    assert check(tmp_path, store, article_text()).findings == []


def test_demo_articles_yield_no_finding(tmp_path):
    from tests.conftest import DEMO

    call_command("demo_reviewer", stdout=io.StringIO())  # as `make demo` does
    report = content_check(
        paths=[DEMO / "articles"], images=ImageStore(source=DEMO / "images", root=tmp_path)
    )
    assert report.checked >= 3
    assert report.findings == []


BASE = article_text()
WORDS = computed_words(BASE)

CASES = {
    # code: (text that triggers it, near miss that must not)
    "frontmatter-invalid": (
        BASE.replace('title: "Understanding Your Options"', "title: 42"),
        BASE.replace('title: "Understanding Your Options"', 'title: "42"'),
    ),
    "anchor-missing": (
        add_body(BASE, "[Jump](#nowhere-at-all)"),
        add_body(BASE, "[Jump](#questions-to-ask)"),
    ),
    "internal-link-dead": (add_body(BASE, "[Press](/press-kit)"), add_body(BASE, "[Blog](/blog)")),
    "image-missing": (
        add_body(BASE, "![A diagram](/images/articles/absent.svg)"),
        add_body(BASE, "![A diagram](/images/articles/diagram.svg)"),
    ),
    "related-missing": (
        add_field(BASE, 'relatedArticles: ["ghost-article"]'),
        add_field(BASE, f'relatedArticles: ["{SLUG}"]'),
    ),
    "stated-wordcount-mismatch": (
        add_field(BASE, f"wordCount: {round(WORDS * 1.2)}"),
        add_field(BASE, f"wordCount: {round(WORDS * 1.09)}"),
    ),
    "stated-readingtime-mismatch": (
        add_field(BASE, 'readingTime: "3 min read"'),
        add_field(BASE, 'readingTime: "2 min read"'),
    ),
    "heading-multiple-h1": (
        add_body(BASE, "# A Second Title"),
        add_body(BASE, "## A Second Title"),
    ),
    "heading-level-skip": (
        add_body(BASE, "## More\n\n#### Too Deep"),
        add_body(BASE, "## More\n\n### Just Right"),
    ),
    "image-alt-missing": (
        add_body(BASE, "![](/images/articles/diagram.svg)"),
        add_body(BASE, "![Timeline of a visit](/images/articles/diagram.svg)"),
    ),
    "meta-title-length": (
        add_field(BASE, f'metaTitle: "{"T" * 61}"'),
        add_field(BASE, f'metaTitle: "{"T" * 60}"'),
    ),
    "meta-description-length": (
        add_field(BASE, f'metaDescription: "{"d" * 119}"'),
        add_field(BASE, f'metaDescription: "{"d" * 120}"'),
    ),
    "readability-grade": (add_body(BASE, HARD * 8), add_body(BASE, EASY * 8)),
    "statistic-uncited": (
        add_body(BASE, "About 45% of people felt better."),
        add_body(BASE, "About 45% of people felt better (Rivera et al., 2021)."),
    ),
    "date-updated-before-published": (
        add_field(BASE, 'updatedAt: "2026-01-01"'),
        add_field(BASE, 'updatedAt: "2026-02-03"'),
    ),
    "date-future": (
        BASE.replace('"2026-02-03"', '"2099-05-01"'),
        BASE.replace('"2026-02-03"', '"2020-05-01"'),
    ),
    "link-insecure": (
        add_body(BASE, "[Source](http://example.org/study)"),
        add_body(BASE, "[Source](https://example.org/study)"),
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_fires_and_near_miss_does_not(tmp_path, store, code):
    triggering, near_miss = CASES[code]
    assert code in codes(check(tmp_path / "hit", store, triggering))
    assert code not in codes(check(tmp_path / "miss", store, near_miss))


def test_severities_are_as_documented(tmp_path, store):
    expected = {
        "frontmatter-invalid": "error",
        "anchor-missing": "error",
        "internal-link-dead": "error",
        "image-missing": "error",
        "related-missing": "warning",
        "stated-wordcount-mismatch": "warning",
        "stated-readingtime-mismatch": "warning",
        "heading-multiple-h1": "error",
        "heading-level-skip": "warning",
        "image-alt-missing": "warning",
        "meta-title-length": "warning",
        "meta-description-length": "warning",
        "readability-grade": "warning",
        "statistic-uncited": "warning",
        "date-updated-before-published": "error",
        "date-future": "info",
        "link-insecure": "info",
    }
    for code, severity in expected.items():
        report = check(tmp_path / code, store, CASES[code][0])
        assert {f.severity for f in report.findings if f.code == code} == {severity}, code


def test_slug_duplicate_and_its_near_miss(tmp_path, store):
    report = check(tmp_path / "dup", store, BASE, BASE)
    (finding,) = [f for f in report.findings if f.code == "slug-duplicate"]
    assert finding.severity == "error" and finding.line == 3
    other = BASE.replace(f'slug: "{SLUG}"', 'slug: "another-slug"')
    assert not [
        f
        for f in check(tmp_path / "nodup", store, BASE, other).findings
        if f.code == "slug-duplicate"
    ]


def test_other_statistic_forms(tmp_path, store):
    for text in (
        "Nearly 2 of 3 people felt calm.",
        "1 out of every 4 people.",
        "It helped 40 percent.",
    ):
        assert "statistic-uncited" in codes(
            check(tmp_path / str(hash(text)), store, add_body(BASE, text))
        ), text
    for text in (
        "The 24-hour window matters.",
        "Treatment began in 2019.",
        "See [the study](https://example.org): 40% improved.",
        "40% improved.[^1]",
    ):
        assert "statistic-uncited" not in codes(
            check(tmp_path / str(hash(text)), store, add_body(BASE, text))
        ), text


def test_readability_limit_for_practitioners_is_higher(tmp_path, store):
    medium = (
        "Practitioners document baseline depression scores and review them after every infusion to judge response. "
        * 10
    )
    text = add_body(BASE.replace('audience: "patients"', 'audience: "practitioners"'), medium)
    assert "readability-grade" not in codes(check(tmp_path / "pr", store, text))
    assert "readability-grade" in codes(check(tmp_path / "pa", store, add_body(BASE, medium)))


def test_dead_blog_link_suggests_the_closest_slug(tmp_path, store):
    text = add_body(BASE, "[More](/blog/understanding-option)")
    report = check(tmp_path, store, text)
    (finding,) = [f for f in report.findings if f.code == "internal-link-dead"]
    assert finding.suggestion == f"/blog/{SLUG}"
    # the line of the link in the file (1-based, frontmatter included), counted independently
    link_line = text.splitlines().index("[More](/blog/understanding-option)") + 1
    assert link_line > 30
    assert finding.line == link_line


def test_category_links_follow_the_categories_that_exist(tmp_path, store):
    assert "internal-link-dead" not in codes(
        check(tmp_path / "a", store, add_body(BASE, "[More](/blog/category/education)"))
    )
    assert "internal-link-dead" in codes(
        check(tmp_path / "b", store, add_body(BASE, "[More](/blog/category/astrology)"))
    )


PRESS_PAGE = """---
title: "Press kit"
path: "/press-kit"
description: "Logos, facts and contacts for journalists writing about the association and about ketamine-assisted treatment in the United States."
---

Write to us for interviews.
"""


def test_page_that_comes_to_exist_stops_being_reported(tmp_path, store, images):
    """A page-shaped path is served only when a site page has it: in the batch, or stored."""
    text = add_body(BASE, "[Press](/press-kit)")
    assert "internal-link-dead" in codes(check(tmp_path / "before", store, text))
    # checked beside the page's file: the batch serves it
    assert "internal-link-dead" not in codes(check(tmp_path / "beside", store, text, PRESS_PAGE))
    # imported: the site serves it
    article_import_paths(paths=[write(tmp_path / "press.md", PRESS_PAGE)], images=images)
    assert "internal-link-dead" not in codes(check(tmp_path / "after", store, text))


def test_gate_never_rewrites_the_source(tmp_path, store):
    text = add_field(BASE, "wordCount: 9999")
    report = check(tmp_path, store, text)
    assert report.findings
    assert (tmp_path / "articles" / "main.md").read_text() == text


def test_unparseable_file_gives_one_finding_and_the_rest_are_checked(tmp_path, store):
    report = check(tmp_path, store, "---\ntitle: [broken\n---\n", add_body(BASE, "[x](#nope)"))
    broken = [f for f in report.findings if f.file.endswith("main.md")]
    assert [f.code for f in broken] == ["frontmatter-invalid"]
    assert broken[0].line == 2
    assert "anchor-missing" in codes(report, "extra-0.md")
    assert report.checked == 2


def test_without_paths_checks_the_stored_articles(tmp_path, store):
    write(tmp_path / "in" / "a.md", add_body(BASE, "[x](#nope)"))
    article_import_paths(paths=[tmp_path / "in"], images=store)
    report = content_check(paths=None, images=store)
    assert report.checked == 1
    (finding,) = [f for f in report.findings if f.code == "anchor-missing"]
    assert finding.line == BASE.count("\n") + 2  # the line in the original file


def test_links_resolve_against_stored_and_checked_articles(tmp_path, store):
    write(tmp_path / "stored" / "s.md", BASE.replace(SLUG, "stored-one"))
    article_import_paths(paths=[tmp_path / "stored"], images=store)
    text = add_body(BASE, "[Stored](/blog/stored-one) and [batch](/blog/batch-one)")
    batch = BASE.replace(SLUG, "batch-one")
    assert "internal-link-dead" not in codes(check(tmp_path, store, text, batch))


# -- the command --------------------------------------------------------------------------


def run(capsys, *args):
    try:
        call_command("check_content", *map(str, args))
        code = 0
    except CommandError as exc:
        code = exc.returncode
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_format_and_exit_codes(tmp_path, store, capsys):
    folder = tmp_path / "articles"
    write(folder / "warn.md", add_field(BASE, "wordCount: 9999"))
    code, out, _ = run(capsys, folder, "--images", store.source, "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["checked"] == 1
    assert data["counts"] == {"error": 0, "warning": 1, "info": 0}
    assert set(data["findings"][0]) == {
        "file",
        "slug",
        "line",
        "code",
        "severity",
        "message",
        "suggestion",
    }
    assert run(capsys, folder, "--images", store.source, "--fail-on", "warning")[0] == 1
    write(folder / "err.md", add_body(BASE.replace(f'slug: "{SLUG}"', 'slug: "err"'), "[x](#nope)"))
    assert run(capsys, folder, "--images", store.source)[0] == 1
    assert run(capsys, folder, "--images", store.source, "--fail-on", "never")[0] == 0


def test_text_format_groups_by_file_and_ends_with_counts(tmp_path, store, capsys):
    folder = tmp_path / "articles"
    write(folder / "one.md", add_body(BASE, "[x](#nope)"))
    write(
        folder / "two.md",
        add_body(BASE.replace(f'slug: "{SLUG}"', 'slug: "two"'), "[y](http://example.org)"),
    )
    code, out, _ = run(capsys, folder, "--images", store.source)
    assert code == 1
    assert (
        out.index("one.md")
        < out.index("anchor-missing")
        < out.index("two.md")
        < out.index("link-insecure")
    )
    assert out.rstrip().endswith("2 checked: 1 errors, 0 warnings, 1 info")


def test_bad_input_gets_clear_messages(tmp_path, store, capsys):
    (tmp_path / "empty").mkdir()
    code, _, _ = run(capsys, tmp_path / "empty")
    assert code == 2
    write(tmp_path / "txt" / "notes.txt", "not markdown")
    assert run(capsys, tmp_path / "txt")[0] == 2
    assert run(capsys, tmp_path / "missing-folder")[0] == 2
    write(tmp_path / "bin" / "image.md", bytes(range(256)) * 10)
    code, out, _ = run(capsys, tmp_path / "bin", "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and finding["code"] == "frontmatter-invalid" and "UTF-8" in finding["message"]


def test_fifty_thousand_line_article(tmp_path, store):
    body = "".join(
        f"Line {n} of a very long article.\n\n" if n % 500 else f"## Part {n}\n\n"
        for n in range(25_000)
    )
    report = check(tmp_path, store, BASE + body)
    assert report.checked == 1
    assert all(f.code != "frontmatter-invalid" for f in report.findings)


def test_file_that_vanishes_mid_run(tmp_path, store):
    folder = tmp_path / "articles"
    write(folder / "a.md", BASE)
    write(folder / "b.md", BASE.replace(f'slug: "{SLUG}"', 'slug: "b-article"'))

    def vanish(path):
        (folder / "b.md").unlink(missing_ok=True)

    report = content_check(paths=[folder], images=store, on_checked=vanish)
    (finding,) = [f for f in report.findings if f.file.endswith("b.md")]
    assert finding.code == "frontmatter-invalid"
    assert "cannot read" in finding.message


def test_import_and_gate_agree_on_a_link_to_a_file_without_slug(tmp_path, store):
    """A file without `slug:` is known by its file name to the gate and to the import alike."""
    folder = tmp_path / "batch"
    nameless = article_text("ignored").replace('slug: "ignored"\n', "")
    write(folder / "named-by-its-file.md", nameless)
    linking = add_body(article_text("linking"), "See [the other one](/blog/named-by-its-file).")
    write(folder / "linking.md", linking)
    gate = content_check(paths=[folder], images=store)
    imported = article_import_paths(paths=[folder], images=store)
    gate_dead = {f.file for f in gate.findings if f.code == "internal-link-dead"}
    import_dead = {
        o.source for o in imported.outcomes for f in o.findings if f.code == "internal-link-dead"
    }
    assert gate_dead == import_dead == set()
    assert {o.key for o in imported.outcomes} == {"named-by-its-file", "linking"}


def test_a_large_folder_is_checked_in_a_pool_with_the_same_findings(tmp_path, store):
    # Enough files for the pool (the import's rule): a duplicate slug across files, a file
    # that does not parse, dead links to others; every finding as the one-process run's.
    from ketamine_association.articles.services import POOL_MIN_FILES

    folder = tmp_path / "many"
    for index in range(POOL_MIN_FILES + 6):
        slug = f"note-{index}" if index % 10 else "shared-slug"
        text = add_body(BASE.replace(f'slug: "{SLUG}"', f'slug: "{slug}"'), f"[x](/blog/n{index})")
        write(folder / f"{index:03}.md", text)
    write(folder / "broken.md", "---\ntitle: [broken\n---\n")
    seen = {1: [], 2: []}
    one, pooled = (
        content_check(paths=[folder], images=store, workers=n, on_checked=seen[n].append)
        for n in (1, 2)
    )
    assert pooled.findings == one.findings and pooled.checked == one.checked == POOL_MIN_FILES + 7
    assert seen[2] == seen[1] and len(seen[2]) == pooled.checked
    assert {"slug-duplicate", "frontmatter-invalid", "internal-link-dead"} <= {
        f.code for f in one.findings
    }
