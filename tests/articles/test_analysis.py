"""The analysis checks one by one: each fires on a tiny article, and its near miss does not."""

import datetime as dt
import inspect
from pathlib import Path

import yaml

from ketamine_association.articles import analysis
from ketamine_association.articles.analysis import CHECKS, CheckContext, SiteKnowledge, analyse
from ketamine_association.articles.choices import FindingCode
from ketamine_association.articles.rendering import render_markdown
from ketamine_association.articles.source import parse_source

from .factories import EASY, HARD

TODAY = dt.date(2025, 6, 1)
SITE = SiteKnowledge(
    slugs={"this-article", "other-article"},
    image_problem=lambda url: "" if url == "/images/there.svg" else "does not exist",
    path_served=lambda path: path in {"/", "/blog"},
    categories={"CLINICAL_RESEARCH"},
)
# Codes the quality gate (quality.py) emits about whole files, not an analysis check.
NOT_FROM_A_CHECK = {FindingCode.FRONTMATTER_INVALID, FindingCode.SLUG_DUPLICATE}


def context(body: str = "Some plain words here.\n", **frontmatter) -> CheckContext:
    meta = {"title": "An article", "slug": "this-article", **frontmatter}
    text = f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n{body}"
    doc = parse_source(text, path=Path("this-article.md"))
    return CheckContext(doc, render_markdown(doc.body, first_line=doc.body_line), SITE, TODAY)


def codes(check, ctx: CheckContext) -> list[str]:
    findings = list(check(ctx))
    for found in findings:
        assert found.code in check.codes, f"{check.__name__} emitted {found.code}, undeclared"
        assert found.severity == FindingCode(found.code).severity
        assert (found.file, found.slug) == ("this-article.md", "this-article")
    return [found.code for found in findings]


def test_stated_wordcount():
    body = "one two three four five six seven eight nine ten\n"
    assert codes(analysis.check_stated_wordcount, context(body, wordCount=100)) == [
        FindingCode.STATED_WORDCOUNT_MISMATCH
    ]
    assert codes(analysis.check_stated_wordcount, context(body, wordCount=10)) == []


def test_stated_readingtime():
    check = analysis.check_stated_readingtime
    assert codes(check, context(readingTime="9 min read")) == [
        FindingCode.STATED_READINGTIME_MISMATCH
    ]
    assert codes(check, context(readingTime="2 min read")) == []


def test_frontmatter_images():
    check = analysis.check_frontmatter_images
    assert codes(check, context(featuredImage="/images/gone.svg")) == [FindingCode.IMAGE_MISSING]
    near = context(featuredImage="/images/there.svg", ogImage="https://example.org/x.png")
    assert codes(check, near) == []


def test_body_images():
    check = analysis.check_body_images
    assert codes(check, context("![](/images/gone.svg)\n")) == [
        FindingCode.IMAGE_MISSING,
        FindingCode.IMAGE_ALT_MISSING,
    ]
    assert codes(check, context("![A diagram](/images/there.svg)\n")) == []


def test_links():
    check = analysis.check_links
    dead = (
        "## Heading\n\n[a](#nowhere) [b](/blog/no-such) [c](/blog/category/nothing) "
        "[d](/images/gone.svg) [e](/no-such-page) [f](http://example.org)\n"
    )
    assert codes(check, context(dead)) == [
        FindingCode.ANCHOR_MISSING,
        FindingCode.INTERNAL_LINK_DEAD,
        FindingCode.INTERNAL_LINK_DEAD,
        FindingCode.IMAGE_MISSING,
        FindingCode.INTERNAL_LINK_DEAD,
        FindingCode.LINK_INSECURE,
    ]
    near = (
        "## Heading\n\n[a](#heading) [b](/blog/other-article) [c](/blog/category/clinical-research) "
        "[d](/images/there.svg) [e](/) [f](https://example.org)\n"
    )
    assert codes(check, context(near)) == []


def test_related():
    check = analysis.check_related
    assert codes(check, context(relatedArticles=["no-such"])) == [FindingCode.RELATED_MISSING]
    assert codes(check, context(relatedArticles=["other-article"])) == []


def test_multiple_h1():
    check = analysis.check_multiple_h1
    assert codes(check, context("# One\n\n# Two\n")) == [FindingCode.HEADING_MULTIPLE_H1]
    assert codes(check, context("# One\n\n## Two\n")) == []


def test_heading_levels():
    check = analysis.check_heading_levels
    assert codes(check, context("## Two\n\n#### Four\n")) == [FindingCode.HEADING_LEVEL_SKIP]
    assert codes(check, context("## Two\n\n### Three\n")) == []


def test_readability():
    check = analysis.check_readability
    assert codes(check, context(HARD * 8, audience="patients")) == [FindingCode.READABILITY_GRADE]
    assert codes(check, context(EASY * 8, audience="patients")) == []
    assert codes(check, context(HARD * 8)) == []  # no audience, no grade


def test_statistics():
    check = analysis.check_statistics
    assert codes(check, context("It helped 45% of people.\n")) == [FindingCode.STATISTIC_UNCITED]
    assert codes(check, context("It helped 45% of people (Zarate et al., 2006).\n")) == []


def test_meta_title():
    check = analysis.check_meta_title
    assert codes(check, context(metaTitle="x" * 61)) == [FindingCode.META_TITLE_LENGTH]
    assert codes(check, context(metaTitle="x" * 60)) == []


def test_meta_description():
    check = analysis.check_meta_description
    assert codes(check, context(metaDescription="x" * 100)) == [FindingCode.META_DESCRIPTION_LENGTH]
    assert codes(check, context(excerpt="x" * 161)) == [FindingCode.META_DESCRIPTION_LENGTH]
    assert codes(check, context(metaDescription="x" * 130, excerpt="x" * 10)) == []


def test_date_order():
    check = analysis.check_date_order
    late = context(publishedAt=dt.date(2024, 5, 2), updatedAt=dt.date(2024, 5, 1))
    assert codes(check, late) == [FindingCode.DATE_UPDATED_BEFORE_PUBLISHED]
    same = context(publishedAt=dt.date(2024, 5, 2), updatedAt=dt.date(2024, 5, 2))
    assert codes(check, same) == []


def test_date_future():
    check = analysis.check_date_future
    assert codes(check, context(publishedAt=TODAY + dt.timedelta(days=1))) == [
        FindingCode.DATE_FUTURE
    ]
    assert codes(check, context(publishedAt=TODAY)) == []


def test_analyse_runs_the_checks_in_order():
    ctx = context("# One\n\n# Two\n\n[x](http://example.org)\n", metaTitle="x" * 61)
    found = analyse(ctx.doc, ctx.rendered, site=SITE, today=TODAY)
    assert [f.code for f in found] == [
        FindingCode.LINK_INSECURE,
        FindingCode.HEADING_MULTIPLE_H1,
        FindingCode.META_TITLE_LENGTH,
    ]
    assert [f.code for check in CHECKS for f in check(ctx)] == [f.code for f in found]


def test_every_code_belongs_to_a_check_and_every_check_is_run():
    declared = set().union(*(check.codes for check in CHECKS))
    assert declared == set(FindingCode) - NOT_FROM_A_CHECK
    defined = {
        fn
        for name, fn in inspect.getmembers(analysis, inspect.isfunction)
        if name.startswith("check_") and fn.__module__ == analysis.__name__
    }
    assert defined == set(CHECKS)
    assert len(CHECKS) == len(set(CHECKS))


def test_codes_keep_their_strings():
    assert FindingCode.INTERNAL_LINK_DEAD == "internal-link-dead"
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for code in FindingCode:
        assert f"| `{code}` | {code.severity} |" in readme
