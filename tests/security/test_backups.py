"""Backups: every row of the site comes back in a fresh database; a bad file changes nothing.

Runs on the engine of the test database (SQLite in memory by default, PostgreSQL with
DATABASE_URL). transaction=True: the rows are committed, so pg_dump (another connection) and
SQLite's backup API see them.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection

from ketamine_association.articles.models import Article, SearchEntry, Tag
from ketamine_association.articles.services import article_import_paths
from ketamine_association.core.backup import BackupError, database_backup, database_restore
from ketamine_association.directory.models import Provider
from ketamine_association.newsletter.models import Campaign, ConsentEvent, Subscriber
from tests.articles.factories import article_text, write
from tests.directory.factories import make_provider
from tests.newsletter.factories import campaign, subscriber

pytestmark = pytest.mark.django_db(transaction=True)

ON_POSTGRESQL = connection.vendor == "postgresql"
User = get_user_model()
# The tables the fixture fills: a restore that loses any of them must fail the tests.
FILLED = [Article, SearchEntry, Tag, Provider, Subscriber, ConsentEvent, Campaign, User]


# Reading a whole database, the same way on the source and on the restored copy -------------


def fingerprint(cursor) -> dict[str, list[str]]:
    """Every table and every row of it, as sorted text: equal fingerprints, equal databases."""
    if ON_POSTGRESQL:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        query = 'SELECT t::text FROM "{}" AS t'  # the server's own text of each row
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        query = 'SELECT * FROM "{}"'
    tables = sorted(name for (name,) in cursor.fetchall())
    rows = {}
    for table in tables:
        cursor.execute(query.format(table))
        rows[table] = sorted(repr(row) for row in cursor.fetchall())
    return rows


def current_fingerprint() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        return fingerprint(cursor)


def pg_params(dbname: str) -> dict:
    s = connection.settings_dict
    return {
        "host": s["HOST"] or None,
        "port": s["PORT"] or None,
        "user": s["USER"] or None,
        "password": s["PASSWORD"] or None,
        "dbname": dbname,
    }


@contextlib.contextmanager
def open_database(name):
    """A plain DB-API cursor on a database that Django does not know: the restored copy."""
    if ON_POSTGRESQL:
        import psycopg

        with psycopg.connect(**pg_params(name)) as db, db.cursor() as cursor:
            yield cursor
    else:
        # Django's converters are registered globally; the same detect_types reads the same
        # Python values as Django's own connection does.
        types = sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
        with contextlib.closing(sqlite3.connect(name, detect_types=types)) as db:
            yield db.cursor()


def select(cursor, model, *columns) -> list[tuple]:
    names = ", ".join(columns)
    table = model._meta.db_table
    cursor.execute(f"SELECT {names} FROM {table} ORDER BY {columns[0]}")  # noqa: S608
    return [tuple(row) for row in cursor.fetchall()]


def counts(rows: dict[str, list[str]]) -> dict[str, int]:
    return {table: len(table_rows) for table, table_rows in rows.items()}


# Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def site_with_rows(tmp_path, images):
    """Rows in many real tables, written the way the site writes them."""
    folder = tmp_path / "articles"
    for slug in ("first-visit", "after-treatment", "research-roundup"):
        write(folder / f"{slug}.md", article_text(slug))
    report = article_import_paths(paths=[folder], images=images)
    assert not report.failed
    make_provider(name="Dana Reyes", city="Beverly Hills")
    make_provider(name="Sam Okafor", city="Beverly Hills")
    subscriber("ana@example.org", interests=["research"])
    subscriber("ben@example.org")
    campaign(subject="Spring research roundup")
    User.objects.create_user("editor", "editor@example.org", "a long test password")
    for model in FILLED:
        assert model.objects.exists(), model


@pytest.fixture
def fresh_database(tmp_path):
    """An empty database the site has never touched: a new SQLite file, or a new PostgreSQL
    database on the test server (dropped afterwards)."""
    if not ON_POSTGRESQL:
        yield tmp_path / "fresh.sqlite3"
        return
    from psycopg import sql

    name = f"test_restore_{uuid.uuid4().hex[:12]}"
    with psycopg_admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg_admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def psycopg_admin():
    import psycopg

    return psycopg.connect(**pg_params("postgres"), autocommit=True)


# Tests --------------------------------------------------------------------------------------


def test_backup_restores_every_row_into_a_fresh_database(site_with_rows, fresh_database, tmp_path):
    result = database_backup(target=tmp_path / "site.backup")
    source = current_fingerprint()

    assert result.path == tmp_path / "site.backup"
    assert result.engine == connection.vendor
    assert result.size == result.path.stat().st_size > 0
    assert result.tables == len([t for t in source if not t.startswith("sqlite_")])

    database_restore(source=result.path, name=fresh_database)

    with open_database(fresh_database) as cursor:
        restored = fingerprint(cursor)
        articles = select(cursor, Article, "slug", "title")
        providers = select(cursor, Provider, "name", "npi")
        subscribers = select(cursor, Subscriber, "email", "status")
        users = select(cursor, User, "username", "password")

    assert counts(restored) == counts(source)
    for table in source:
        assert restored[table] == source[table], f"{table} differs after the restore"
    for model in FILLED:
        assert counts(restored)[model._meta.db_table] == model.objects.count() > 0
    assert articles == list(Article.objects.order_by("slug").values_list("slug", "title"))
    assert [name for name, _npi in providers] == ["Dana Reyes", "Sam Okafor"]
    assert providers == list(Provider.objects.order_by("name").values_list("name", "npi"))
    assert subscribers == list(Subscriber.objects.order_by("email").values_list("email", "status"))
    assert users == [("editor", User.objects.get(username="editor").password)]


def test_backup_command_reports_the_file_and_restore_command_brings_back_deleted_rows(
    site_with_rows, tmp_path
):
    path = tmp_path / "nightly.backup"
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    before = current_fingerprint()

    assert str(path) in out.getvalue()
    assert f"{path.stat().st_size:,} bytes" in out.getvalue()
    assert connection.vendor in out.getvalue()
    assert f"{len([t for t in before if not t.startswith('sqlite_')])} tables" in out.getvalue()
    assert path.stat().st_mode & 0o077 == 0, "a backup holds personal data: owner only"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []

    Campaign.objects.all().delete()
    Provider.objects.filter(name="Dana Reyes").delete()
    User.objects.all().delete()
    assert current_fingerprint() != before
    cache.set("derived-from-the-old-data", 1)

    call_command("restore", str(path), "--yes", stdout=io.StringIO())

    assert current_fingerprint() == before
    assert Campaign.objects.get().subject == "Spring research roundup"
    assert User.objects.get(username="editor").check_password("a long test password")
    assert cache.get("derived-from-the-old-data") is None


def damaged_backups(tmp_path: Path, good: Path, fresh_database) -> dict[str, Path]:
    data = good.read_bytes()
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"this is not a backup\n" * 500)
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(data[: len(data) // 2])
    # Its table of contents intact, its last data block cut: on PostgreSQL the restore starts
    # and must roll back everything it did.
    tail_cut = tmp_path / "tail-cut.backup"
    tail_cut.write_bytes(data[:-100])
    foreign = tmp_path / "foreign.backup"  # a valid file of the right kind, of another database
    if ON_POSTGRESQL:
        env = {**os.environ, "PGPASSWORD": connection.settings_dict["PASSWORD"] or ""}
        params = pg_params(fresh_database)
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={foreign}", f"--dbname={fresh_database}"]
            + [f"--host={params['host']}", f"--port={params['port']}"]
            + [f"--username={params['user']}"],
            env=env,
            check=True,
        )
    else:
        with contextlib.closing(sqlite3.connect(foreign)) as db:
            db.execute("CREATE TABLE notes (text TEXT)")
            db.commit()
    return {"garbage": garbage, "truncated": truncated, "tail-cut": tail_cut, "foreign": foreign}


@pytest.mark.parametrize("kind", ["garbage", "truncated", "tail-cut", "foreign"])
def test_restoring_a_damaged_or_foreign_file_fails_clearly_and_changes_nothing(
    kind, site_with_rows, fresh_database, tmp_path
):
    good = database_backup(target=tmp_path / "good.backup").path
    bad = damaged_backups(tmp_path, good, fresh_database)[kind]
    Provider.objects.filter(name="Sam Okafor").delete()  # the backup differs from the database
    before = current_fingerprint()

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(bad), "--yes")

    assert str(bad) in str(refused.value)
    assert current_fingerprint() == before


def test_restore_without_yes_asks_and_changes_nothing_when_nobody_can_answer(
    site_with_rows, tmp_path
):
    path = database_backup(target=tmp_path / "site.backup").path
    Campaign.objects.all().delete()
    before = current_fingerprint()

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(path))  # stdin is not a terminal under pytest

    assert current_fingerprint() == before


class Terminal(io.StringIO):
    """Someone at a terminal who will type `answer`."""

    def isatty(self):
        return True


@pytest.mark.parametrize(("answer", "restored"), [("no\n", False), ("yes\n", True)])
def test_restore_on_a_terminal_overwrites_only_after_yes(
    answer, restored, site_with_rows, tmp_path, monkeypatch, capsys
):
    path = database_backup(target=tmp_path / "site.backup").path
    backed_up = current_fingerprint()
    Campaign.objects.all().delete()
    changed = current_fingerprint()
    monkeypatch.setattr("sys.stdin", Terminal(answer))

    if restored:
        call_command("restore", str(path), stdout=io.StringIO())
    else:
        with pytest.raises(CommandError, match="cancelled"):
            call_command("restore", str(path))

    assert "Type 'yes' to continue" in capsys.readouterr().out
    assert current_fingerprint() == (backed_up if restored else changed)


def test_backup_refuses_to_overwrite_a_file_unless_forced(site_with_rows, fresh_database, tmp_path):
    path = tmp_path / "site.backup"
    path.write_text("last week's backup")

    with pytest.raises(CommandError, match="already exists") as refused:
        call_command("backup", str(path))

    assert str(path) in str(refused.value)
    assert path.read_text() == "last week's backup"

    call_command("backup", str(path), "--force", stdout=io.StringIO())
    assert database_restore(source=path, name=fresh_database).tables > 0  # a real backup now
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_backup_refuses_an_engine_other_than_sqlite_and_postgresql(monkeypatch, tmp_path):
    monkeypatch.setattr(connection, "vendor", "mysql")
    target = tmp_path / "site.backup"

    with pytest.raises(BackupError, match="only SQLite and PostgreSQL") as refused:
        database_backup(target=target)

    assert str(target) in str(refused.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump is only used on PostgreSQL")
def test_backup_refuses_clearly_when_pg_dump_is_missing(monkeypatch, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    target = tmp_path / "site.backup"

    with pytest.raises(CommandError, match="pg_dump is not on PATH") as refused:
        call_command("backup", str(target))

    assert str(target) in str(refused.value)
    assert list(tmp_path.iterdir()) == [empty]
