"""Database backups and restores, on the engine the site runs on.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the live database through
Django's own connection, so it runs while the site serves (WAL mode: readers and the writer go
on); the copy is a single self-contained file (journal mode DELETE). PostgreSQL: `pg_dump
--format=custom`, restored with `pg_restore --clean --if-exists --no-owner` in one transaction.

A backup is written to a temporary file beside the target (mode 0600: it holds personal data),
verified (SQLite `PRAGMA integrity_check`; PostgreSQL: `pg_restore` reads the whole archive),
then renamed over the target atomically, so the target is either absent, the previous file or
a complete, checked backup. A restore checks its source before it touches the database (SQLite:
the same checks; PostgreSQL: the archive's table of contents), and a restore that fails halfway
leaves the database as it was (SQLite's one backup step and PostgreSQL's `--single-transaction`
both commit at the end or not at all). Either file must hold a `django_migrations` table.

The password reaches pg_dump and pg_restore through PGPASSWORD, never the command line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.db import connections
from django.db.backends.postgresql.client import DatabaseClient

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# A backup of this site always holds Django's migration table; a file without it is not one.
MARKER_TABLE = "django_migrations"
# "216; 1259 16390 TABLE public articles_article postgres" in `pg_restore --list`.
_PG_TABLE_RE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ", re.MULTILINE)


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message names the file."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    database: str
    size: int
    tables: int


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    engine: str
    database: str
    tables: int


def database_backup(*, target: Path, using: str = "default", force: bool = False) -> BackupResult:
    """Back up the database `using` to the file `target`, verified before it takes its place."""
    connection = connections[using]
    engine = _engine(connection, using=using, path=target)
    target = Path(target).absolute()
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the path of the backup file")
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; pass --force to overwrite it")
    if engine == POSTGRESQL:
        pg_dump = _pg_tool("pg_dump", path=target)
    _refuse_inside_transaction(connection, path=target)

    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(fd)
    temporary = Path(name)
    try:
        if engine == SQLITE:
            _sqlite_backup(connection, into=temporary, target=target)
            tables = _sqlite_check(temporary, path=target)
        else:
            _pg_run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-password",
                    f"--file={temporary}",
                    f"--dbname={connection.settings_dict['NAME']}",
                ],
                env=_pg_env(connection.settings_dict),
                failure=f"pg_dump could not write {target}",
            )
            tables = _pg_check(temporary, path=target)
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync(target.parent)
    finally:
        temporary.unlink(missing_ok=True)
    return BackupResult(
        path=target,
        engine=engine,
        database=str(connection.settings_dict["NAME"]),
        size=target.stat().st_size,
        tables=tables,
    )


def database_restore(
    *, source: Path, using: str = "default", name: str | Path | None = None
) -> RestoreResult:
    """Replace the database `using` with the backup `source`.

    `name` restores into another database of the same engine instead, with `using`'s
    connection settings: a file for SQLite, a database on the same server for PostgreSQL
    (it must exist). Restoring into `using` itself clears the cache, whose pages and values
    were derived from the data that was just replaced.
    """
    connection = connections[using]
    source = Path(source).absolute()
    engine = _engine(connection, using=using, path=source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist or is not a file")
    if engine == POSTGRESQL:
        pg_restore = _pg_tool("pg_restore", path=source)
        tables = _pg_check(source, path=source, full=False)
    else:
        tables = _sqlite_check(source, path=source)
    if name is None:
        _refuse_inside_transaction(connection, path=source)

    database = str(name if name is not None else connection.settings_dict["NAME"])
    if engine == SQLITE:
        _sqlite_restore(connection, source=source, name=name)
    else:
        _pg_run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--dbname={database}",
                str(source),
            ],
            env=_pg_env(connection.settings_dict),
            failure=f"pg_restore could not restore {source} into database {database!r} "
            "(nothing was changed)",
        )
        if name is None:
            connection.close()  # the tables were dropped and created again under it
    if name is None:
        cache.clear()
    return RestoreResult(source=source, engine=engine, database=database, tables=tables)


def _engine(connection, *, using: str, path: Path) -> str:
    if connection.vendor in (SQLITE, POSTGRESQL):
        return connection.vendor
    raise BackupError(
        f"cannot back up or restore {path}: database {using!r} uses "
        f"{connection.settings_dict['ENGINE']}; only SQLite and PostgreSQL are supported"
    )


def _refuse_inside_transaction(connection, *, path: Path) -> None:
    # A copy from inside a transaction would carry its uncommitted writes, and a PostgreSQL
    # restore would wait forever on the locks this very connection holds.
    if connection.in_atomic_block:
        raise BackupError(f"cannot back up or restore {path} inside a transaction")


# SQLite ------------------------------------------------------------------------------------


def _sqlite_backup(connection, *, into: Path, target: Path) -> None:
    connection.ensure_connection()
    try:
        with contextlib.closing(sqlite3.connect(into)) as copy:
            # One step (pages=-1): a consistent snapshot under one read transaction, which in
            # WAL mode never blocks the site's writer.
            connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
    except sqlite3.Error as exc:
        raise BackupError(f"could not back up the database to {target}: {exc}") from exc


def _sqlite_check(file: Path, *, path: Path) -> int:
    """Open `file` read-only, check its integrity and that it is this site's; count tables.

    `path` is the name the messages give (the target of a backup still being written)."""
    try:
        with contextlib.closing(_sqlite_open_readonly(file)) as db:
            (page_size,) = db.execute("PRAGMA page_size").fetchone()
            (page_count,) = db.execute("PRAGMA page_count").fetchone()
            problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
            names = {
                row[0]
                for row in db.execute(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            }
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a readable SQLite backup: {exc}") from exc
    if problems != ["ok"]:
        raise BackupError(f"{path} fails SQLite's integrity check: {'; '.join(problems[:5])}")
    # SQLite reads missing bytes at the end as zeros, so a copy cut short can pass the check.
    size = file.stat().st_size
    if size != page_size * page_count:
        raise BackupError(
            f"{path} is cut short or padded: {size:,} bytes, but its header says "
            f"{page_count:,} pages of {page_size:,} bytes"
        )
    if MARKER_TABLE not in names:
        raise BackupError(
            f"{path} is an SQLite file but no backup of this site's database "
            f"(no {MARKER_TABLE} table)"
        )
    return len(names)


def _sqlite_open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)


def _sqlite_restore(connection, *, source: Path, name: str | Path | None) -> None:
    try:
        with contextlib.closing(_sqlite_open_readonly(source)) as backup:
            if name is not None:
                with contextlib.closing(sqlite3.connect(name)) as target:
                    backup.backup(target)
            else:
                # Into the live connection: the copy commits in one step or not at all, other
                # connections see the restored data at their next transaction, and the
                # database keeps its journal mode (WAL).
                connection.ensure_connection()
                backup.backup(connection.connection)
    except sqlite3.Error as exc:
        raise BackupError(f"could not restore {source}: {exc} (nothing was changed)") from exc


# PostgreSQL --------------------------------------------------------------------------------


def _pg_tool(tool: str, *, path: Path) -> str:
    found = shutil.which(tool)
    if not found:
        raise BackupError(
            f"cannot back up or restore {path}: {tool} is not on PATH "
            "(install the PostgreSQL client tools of the server's version, e.g. postgresql-client)"
        )
    return found


def _pg_env(settings_dict: dict) -> dict[str, str]:
    """The environment that points libpq at the database: password in PGPASSWORD only."""
    # Django's own dbshell mapping: the password, the service file and the SSL options.
    _args, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(env or {})}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _pg_run(args: list[str], *, env: dict[str, str], failure: str) -> str:
    completed = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        detail = completed.stderr.strip() or f"exit status {completed.returncode}"
        raise BackupError(f"{failure}: {detail}")
    return completed.stdout


def _pg_check(archive: Path, *, path: Path, full: bool = True) -> int:
    """Read the archive's table of contents (and with `full`, all of its data); count tables."""
    pg_restore = _pg_tool("pg_restore", path=path)
    listing = _pg_run(
        [pg_restore, "--list", str(archive)],
        env=dict(os.environ),  # no database: only the file is read
        failure=f"{path} is not a readable pg_dump custom-format backup",
    )
    if full:
        _pg_run(
            [pg_restore, f"--file={os.devnull}", str(archive)],
            env=dict(os.environ),  # no database: only the file is read
            failure=f"{path} is incomplete or damaged",
        )
    tables = {name for _schema, name in _PG_TABLE_RE.findall(listing)}
    if MARKER_TABLE not in tables:
        raise BackupError(
            f"{path} is a pg_dump archive but no backup of this site's database "
            f"(no {MARKER_TABLE} table)"
        )
    return len(tables)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
