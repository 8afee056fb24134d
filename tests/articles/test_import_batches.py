"""The import in batches (articles/services.py): files read, rendered and checked in a pool of
worker processes, stored a batch per transaction with a savepoint per file. What batching could
break: a bad file in the middle of a batch, a crash in the middle of one, two imports at once,
a rename whose file lands in another batch than before, and the unchanged re-import that skips
parsing (the hash of the file's bytes)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from ketamine_association.articles import hooks, services
from ketamine_association.articles.models import (
    Article,
    ArticleFinding,
    Redirect,
    SearchEntry,
    Tag,
)
from ketamine_association.articles.services import article_import_paths
from tests.articles.factories import article_text, write

ROOT = Path(__file__).resolve().parents[2]


def good(slug: str, **replace: str) -> str:
    """A valid article of its own slug, title and tags (so rows can be told apart)."""
    return article_text(
        slug,
        **{
            'title: "Understanding Your Options"': f'title: "Options, part {slug}"',
            'tags: ["options", "questions"]': f'tags: ["options", "tag {slug}"]',
            **replace,
        },
    )


def statuses(report) -> dict[str, str]:
    return {Path(o.source).name: o.status for o in report.outcomes}


def search_rows(article_id: int) -> int:
    from django.db import connection

    if connection.vendor != "sqlite":
        return SearchEntry.objects.filter(article_id=article_id).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_fts WHERE rowid = %s", [article_id])
        return cursor.fetchone()[0]


# --------------------------------------------------------------------------- in this process


@pytest.mark.django_db
@pytest.mark.parametrize("workers", [1, 2])
def test_a_bad_file_in_the_middle_of_a_batch_fails_alone(
    tmp_path, images, monkeypatch, workers, caplog
):
    monkeypatch.setattr(services, "POOL_MIN_FILES", 1)  # the pool, even for a few files
    folder = tmp_path / "in"
    for index in range(7):
        write(folder / f"{index}-good.md", good(f"good-{index}"))
    # In the middle of the second batch of three: a wrong type (a field and a line) ...
    bad_text = good("bad").replace('tags: ["options", "tag bad"]', "tags: 7")
    write(folder / "4-bad.md", bad_text)
    tags_line = bad_text.split("\n").index("tags: 7") + 1
    # ... and a file that fails in the store, after its article row was written: the hook
    # the editorial app uses runs inside the file's savepoint.
    write(folder / "5-breaks.md", good("breaks"))

    def stored(doc, article_id, force):
        if doc.meta.slug == "breaks":
            raise RuntimeError("the hook broke")

    hook = hooks.ImportHook(refuse=lambda doc, existing, force: None, stored=stored)
    monkeypatch.setattr(hooks, "_HOOKS", [*hooks._HOOKS, hook])

    report = article_import_paths(paths=[folder], images=images, batch_size=3, workers=workers)

    result = statuses(report)
    assert result.pop("4-bad.md") == "failed"
    assert result.pop("5-breaks.md") == "failed"
    assert set(result.values()) == {"imported"}
    assert [Path(o.source).name for o in report.outcomes] == sorted(
        p.name for p in folder.iterdir()
    )
    bad = next(o for o in report.failed if o.source.endswith("4-bad.md"))
    assert (bad.errors[0].field, bad.errors[0].line) == ("tags", tags_line)
    broken = next(o for o in report.failed if o.source.endswith("5-breaks.md"))
    assert "the hook broke" in broken.errors[0].message
    slugs = set(Article.objects.values_list("slug", flat=True))
    assert slugs == {f"good-{index}" for index in range(7)}
    # Nothing of the two failed files is left behind: no row points at a rolled-back article.
    kept = [o for o in report.outcomes if not o.failed]
    assert ArticleFinding.objects.count() == sum(len(o.findings) for o in kept)
    assert SearchEntry.objects.count() == Article.objects.count() == len(kept)
    assert Article.tag_set.through.objects.count() == 2 * len(kept)
    # ... and the batch's rows went in together: it never fell back to file by file.
    assert "file by file" not in caplog.text
    assert not Tag.objects.filter(slug="tag-breaks").exists()  # rolled back with its file
    for article in Article.objects.all():
        reported = next(o for o in report.outcomes if o.key == article.slug)
        assert ArticleFinding.objects.filter(article=article).count() == len(reported.findings)
        assert set(article.tag_set.values_list("slug", flat=True)) == {
            "options",
            f"tag-{article.slug}",
        }
        assert SearchEntry.objects.filter(article=article).exists()
        assert search_rows(article.id) == 1


@pytest.mark.django_db
def test_new_articles_inserted_together_keep_each_files_rows(tmp_path, images, monkeypatch, caplog):
    """New articles no hook watches wait for one insert at the end of their batch; a file that
    fails after its row was put aside leaves nothing, and every kept file's findings, tag
    links and search row point at its own article."""
    folder = tmp_path / "in"
    for index in range(6):
        write(folder / f"{index}-good.md", good(f"good-{index}"))
    write(folder / "3-breaks.md", good("breaks"))
    real = services._store_redirects

    def redirects(article, paths, **kwargs):
        if article.slug == "breaks":
            assert article.id is None  # its row is still waiting for the batch's insert
            raise RuntimeError("the redirects broke")
        return real(article, paths, **kwargs)

    monkeypatch.setattr(services, "_store_redirects", redirects)
    inserts = []
    real_bulk = type(Article.objects).bulk_create

    def bulk_create(manager, objs, *args, **kwargs):
        if manager.model is Article:
            inserts.append(sorted(a.slug for a in objs))
        return real_bulk(manager, objs, *args, **kwargs)

    monkeypatch.setattr(type(Article.objects), "bulk_create", bulk_create)

    report = article_import_paths(paths=[folder], images=images, batch_size=4, workers=1)

    result = statuses(report)
    assert result.pop("3-breaks.md") == "failed"
    assert set(result.values()) == {"imported"}
    assert inserts == [["good-0", "good-1", "good-2"], ["good-3", "good-4", "good-5"]]
    assert "file by file" not in caplog.text
    assert set(Article.objects.values_list("slug", flat=True)) == {f"good-{i}" for i in range(6)}
    assert not Tag.objects.filter(slug="tag-breaks").exists()
    for article in Article.objects.all():
        reported = next(o for o in report.outcomes if o.key == article.slug)
        assert ArticleFinding.objects.filter(article=article).count() == len(reported.findings)
        assert {(f.code, f.line) for f in article.findings.all()} == {
            (str(f.code), f.line) for f in reported.findings
        }
        assert set(article.tag_set.values_list("slug", flat=True)) == {
            "options",
            f"tag-{article.slug}",
        }
        assert search_rows(article.id) == 1


@pytest.mark.django_db
def test_a_batch_whose_insert_fails_is_stored_file_by_file(tmp_path, images, monkeypatch, caplog):
    folder = tmp_path / "in"
    for index in range(5):
        write(folder / f"{index}.md", good(f"file-{index}"))
    real_bulk = type(Article.objects).bulk_create
    failures = []

    def bulk_create(manager, objs, *args, **kwargs):
        if manager.model is Article and not failures:
            failures.append(len(objs))
            raise services.IntegrityError("a clash with another import")
        return real_bulk(manager, objs, *args, **kwargs)

    monkeypatch.setattr(type(Article.objects), "bulk_create", bulk_create)

    report = article_import_paths(paths=[folder], images=images, batch_size=10, workers=1)

    assert failures == [5]
    assert "file by file" in caplog.text
    assert set(statuses(report).values()) == {"imported"}
    assert Article.objects.count() == SearchEntry.objects.count() == 5
    assert ArticleFinding.objects.count() == sum(len(o.findings) for o in report.outcomes)
    assert Article.tag_set.through.objects.count() == 10


@pytest.mark.django_db
def test_the_pool_stores_what_one_process_stores(tmp_path, served_images, monkeypatch):
    from ketamine_association.articles.images import ImageStore

    for index in range(6):
        write(tmp_path / "in" / f"{index}.md", good(f"same-{index}"))
    monkeypatch.setattr(services, "POOL_MIN_FILES", 1)

    def stored_rows():
        return {
            a.slug: (
                a.body_html,
                a.seo,
                a.word_count,
                sorted(a.findings.values_list("code", "line")),
            )
            for a in Article.objects.all()
        }

    first = article_import_paths(
        paths=[tmp_path / "in"], images=ImageStore(root=served_images), batch_size=4, workers=2
    )
    pooled = stored_rows()
    Article.objects.all().delete()
    again = article_import_paths(
        paths=[tmp_path / "in"], images=ImageStore(root=served_images), batch_size=4, workers=1
    )
    assert statuses(first) == statuses(again) == {f"{i}.md": "imported" for i in range(6)}
    assert pooled == stored_rows()
    assert all(seo.get("card") for _, seo, _, _ in pooled.values())


@pytest.mark.django_db
def test_a_rename_is_found_across_batch_boundaries(tmp_path, images):
    folder = tmp_path / "in"
    for name in "bcde":
        write(folder / f"{name}.md", good(f"art-{name}"))
    article_import_paths(paths=[folder], images=images, batch_size=2)  # batches: b c | d e
    renamed = Article.objects.get(slug="art-d")

    # d.md takes a new slug, and two new files in front move it into the second batch of
    # three, beside files that were not its neighbours before.
    write(folder / "d.md", good("art-d-renamed"))
    write(folder / "a1.md", good("art-a1"))
    write(folder / "a2.md", good("art-a2"))
    report = article_import_paths(paths=[folder], images=images, batch_size=3)

    assert statuses(report) == {
        "a1.md": "imported",
        "a2.md": "imported",
        "b.md": "unchanged",
        "c.md": "unchanged",
        "d.md": "updated",
        "e.md": "unchanged",
    }
    moved = Article.objects.get(slug="art-d-renamed")
    assert moved.id == renamed.id
    assert not Article.objects.filter(slug="art-d").exists()
    redirect = Redirect.objects.get(old_path="/blog/art-d")
    assert (redirect.article_id, redirect.source) == (moved.id, Redirect.Source.RENAME)
    assert Article.objects.count() == 6


@pytest.mark.django_db
def test_an_unchanged_file_is_known_before_it_is_parsed(tmp_path, images, monkeypatch):
    folder = tmp_path / "in"
    for index in range(3):
        write(folder / f"{index}.md", good(f"same-{index}"))
    first = article_import_paths(paths=[folder], images=images)
    parsed = []
    real = services.parse_source
    monkeypatch.setattr(
        services, "parse_source", lambda text, *, path: parsed.append(path) or real(text, path=path)
    )

    again = article_import_paths(paths=[folder], images=images)

    assert parsed == []
    assert set(statuses(again).values()) == {"unchanged"}
    # An unchanged file still reports the findings stored with it, each as first reported
    # (code, severity, message, line, suggestion, file and slug).
    assert [o.findings for o in again.outcomes] == [o.findings for o in first.outcomes]
    assert any(o.findings for o in again.outcomes)
    write(folder / "1.md", good("same-1") + "\nOne more line.\n")
    third = article_import_paths(paths=[folder], images=images)
    assert [Path(p).name for p in parsed] == ["1.md"]
    assert statuses(third)["1.md"] == "updated"


@pytest.mark.django_db
def test_a_hook_that_says_what_it_watches_is_asked_about_those_files_alone(
    tmp_path, images, monkeypatch
):
    folder = tmp_path / "in"
    for name in ("kept", "watched", "other"):
        write(folder / f"{name}.md", good(name))
    asked, told = [], []

    def refuse(doc, existing, force):
        asked.append(doc.meta.slug)
        return "kept in the browser" if doc.meta.slug == "kept" else None

    hook = hooks.ImportHook(
        refuse=refuse,
        stored=lambda doc, article_id, force: told.append(doc.meta.slug),
        watched=lambda: (set(), {"kept", "watched"}),
    )
    monkeypatch.setattr(hooks, "_HOOKS", [hook])

    report = article_import_paths(paths=[folder], images=images)

    assert statuses(report) == {
        "kept.md": "failed",
        "other.md": "imported",
        "watched.md": "imported",
    }
    assert report.failed[0].errors[0].message == "kept in the browser"
    assert sorted(asked) == ["kept", "watched"]
    assert told == ["watched"]


# --------------------------------------------------------------------------- real processes


def _env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        VAR_DIR=str(var_dir),
        DEBUG="0",
        LOG_LEVEL="CRITICAL",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _import(env: dict[str, str], *paths: Path, batch: int = 20) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_articles", *map(str, paths), "--json"]
        + ["--batch-size", str(batch)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@contextlib.contextmanager
def _database(engine: str, tmp_path: Path) -> Iterator[tuple[str | None, str]]:
    """(DATABASE_URL or None for VAR_DIR's SQLite file, what to read it with)."""
    if engine == "sqlite":
        yield None, str(tmp_path / "var" / "db.sqlite3")
        return
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL: run with DATABASE_URL=postgres://… to test it there too")
    name = f"ka_imports_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        database = urlunsplit(parts._replace(path=f"/{name}"))
        yield database, database
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(where: str, sql: str) -> list[tuple]:
    if where.startswith("postgres"):
        import psycopg

        with psycopg.connect(where) as connection:
            return connection.execute(sql).fetchall()
    with contextlib.closing(sqlite3.connect(where, timeout=30)) as connection:
        return connection.execute(sql).fetchall()


def _count(where: str, table: str) -> int:
    try:
        return _query(where, f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608
    except Exception:  # the database is being made
        return 0


def _assert_whole_files(where: str, engine: str) -> set[str]:
    """Every stored article has its findings, tags and search rows; returns the slugs."""
    articles = dict(_query(where, "SELECT id, slug FROM articles_article"))
    with_findings = {
        r[0] for r in _query(where, "SELECT DISTINCT article_id FROM articles_articlefinding")
    }
    links = _query(where, "SELECT article_id, count(*) FROM articles_article_tag_set GROUP BY 1")
    entries = {r[0] for r in _query(where, "SELECT article_id FROM articles_searchentry")}
    assert with_findings == set(articles)  # every generated file has findings (its image)
    assert dict(links) == {id_: 2 for id_ in articles}
    assert entries == set(articles)
    if engine == "sqlite":
        for table in ("articles_fts", "articles_fts_head"):
            fts = [r[0] for r in _query(where, f"SELECT rowid FROM {table}")]  # noqa: S608
            assert sorted(fts) == sorted(articles), table
    else:
        vectors = _query(where, "SELECT count(*) FROM articles_searchentry WHERE vector IS NULL")
        assert vectors == [(0,)]
    return set(articles.values())


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_crash_mid_batch_leaves_whole_files_and_a_rerun_completes(engine, tmp_path):
    folder = tmp_path / "in"
    total = 400
    for index in range(total):
        write(folder / f"{index:03d}.md", good(f"crash-{index:03d}"))
    with _database(engine, tmp_path) as (url, where):
        env = _env(tmp_path / "var", url)
        assert _manage(env, "migrate", "--noinput", "-v0").returncode == 0
        process = _import(env, folder)
        deadline = time.monotonic() + 300
        while _count(where, "articles_article") == 0 and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read()[-3000:]
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
        process.stderr.close()

        stored = _assert_whole_files(where, engine)
        assert 0 < len(stored) < total  # killed in the middle

        rerun = _import(env, folder)
        out, err = rerun.communicate(timeout=600)
        assert rerun.returncode == 0, err[-3000:]
        report = json.loads(out)
        assert (report["imported"], report["unchanged"], report["failed"]) == (
            total - len(stored),
            len(stored),
            [],
        )
        assert _assert_whole_files(where, engine) == {f"crash-{i:03d}" for i in range(total)}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_two_imports_of_overlapping_folders_at_once(engine, tmp_path):
    only_a, shared, only_b = tmp_path / "a", tmp_path / "shared", tmp_path / "b"
    for index in range(60):
        write(only_a / f"a{index:02d}.md", good(f"a-{index:02d}"))
        write(only_b / f"b{index:02d}.md", good(f"b-{index:02d}"))
        write(shared / f"s{index:02d}.md", good(f"s-{index:02d}"))
    with _database(engine, tmp_path) as (url, where):
        env = _env(tmp_path / "var", url)
        assert _manage(env, "migrate", "--noinput", "-v0").returncode == 0
        # A first version of the shared files is stored; both imports bring the second.
        assert _manage(env, "import_articles", str(shared)).returncode == 0
        for index in range(60):
            write(shared / f"s{index:02d}.md", good(f"s-{index:02d}") + "\nA second version.\n")

        first, second = _import(env, only_a, shared, batch=7), _import(env, shared, only_b, batch=5)
        results = [p.communicate(timeout=600) for p in (first, second)]

        for process, (out, err) in zip((first, second), results, strict=True):
            assert process.returncode == 0, err[-3000:]
            report = json.loads(out)
            assert report["failed"] == []
            assert report["imported"] + report["updated"] + report["unchanged"] == 120
        slugs = _assert_whole_files(where, engine)
        assert len(slugs) == 180
        assert _count(where, "articles_article") == 180
        # No duplicate rows: the files of a folder are alike, so are their findings' counts.
        counts = _query(
            where,
            "SELECT substr(a.slug, 1, 2), count(f.id) FROM articles_article a "
            "JOIN articles_articlefinding f ON f.article_id = a.id GROUP BY a.id, a.slug",
        )
        for group in ("a-", "b-", "s-"):
            assert len({n for prefix, n in counts if prefix == group}) == 1, (group, counts)
        # No lost update: every stored article is its file's second version.
        bodies = _query(
            where, "SELECT slug, body_markdown FROM articles_article WHERE slug LIKE 's-%'"
        )
        assert len(bodies) == 60
        assert all("A second version." in body for _, body in bodies)
        again = _manage(env, "import_articles", str(only_a), str(shared), str(only_b), "--json")
        assert again.returncode == 0, again.stderr[-3000:]
        assert json.loads(again.stdout)["unchanged"] == 180
