"""The archive database itself: engine creation (SQLite configured for concurrent crawlers), safe URL rendering,
the Alembic migrations (current and head revision, upgrade, downgrade, the schema of an empty database) and the
check that a database's schema is the one this newsarchive needs. Everything that goes wrong here is a
`StoreUnavailable`.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = "migrations"  # the Alembic scripts, a folder of this package
# The newest of them, which every crawl and command checks the database against: stated here so that the check
# imports no Alembic (~0.2 s of every crawl's start), which only a migration needs. tests/test_store.py holds it
# to what Alembic reads from the scripts.
HEAD_REVISION = "0008"
VERSION_TABLE = "alembic_version"  # where Alembic keeps a database's revision
# Key of the PostgreSQL advisory lock that serialises article writes and migrations (the bytes of "newsarc")
ARTICLE_WRITE_LOCK = int.from_bytes(b"newsarc", "big")

Migration = Callable[["Config", str], None]  # alembic.command.upgrade or downgrade
POSTGRESQL_DISK_FULL = "53100"  # SQLSTATE disk_full


BUSY_ATTEMPTS = 10  # opening a SQLite file another process holds a moment (turning it to WAL)
BUSY_RETRY = 0.5  # seconds between them
SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class StoreUnavailable(RuntimeError):
    """The database cannot be used: unreachable, not a newsarchive database, or its schema needs an upgrade."""


class NoArchive(StoreUnavailable):
    """There is no archive where a command that only reads was pointed (and it created none)."""

    def __init__(self, where: str) -> None:
        super().__init__(f"no archive at {where}; crawl first or pass --db")


class DatabaseUnreachable(StoreUnavailable):
    """The database did not answer (a server down or refusing us, a file that cannot be opened)."""


def connect(database_url: str, *, create: bool = True) -> Engine:
    """An engine for `database_url` whose database answered; raises `StoreUnavailable` with one line otherwise.

    Without `create`, a SQLite file that does not exist is a `NoArchive` (neither it nor its folder is made).
    """
    engine = _create_engine(database_url, create)
    attempt = 1
    while True:
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return engine
        except DBAPIError as exc:
            # Another run turning a new SQLite file to WAL at this moment answers "locked" without waiting: busy, not
            # unreachable.
            if getattr(exc.orig, "sqlite_errorcode", None) in SQLITE_BUSY_CODES and attempt < BUSY_ATTEMPTS:
                attempt += 1
                time.sleep(BUSY_RETRY)
                continue
            engine.dispose()
            reason = first_line(exc.orig)
            raise DatabaseUnreachable(f"cannot reach database {safe_url(database_url)}: {reason}") from None


def is_disk_full(error: BaseException) -> bool:
    """True when the database cannot grow: SQLite's "database or disk is full", PostgreSQL's `disk_full`."""
    cause = getattr(error, "orig", None) or error
    return (getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or getattr(cause, "sqlstate", None) == POSTGRESQL_DISK_FULL)


def first_line(error: BaseException | None) -> str:
    """The first line of `error`'s message (SQLAlchemy adds a line pointing at its documentation)."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def exclusive(engine: Engine) -> Engine:
    """`engine`, its transactions started with `BEGIN IMMEDIATE` on SQLite (a writer's lock from the start)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def safe_url(database_url: str) -> str:
    """`database_url` fit for a message: the password hidden."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(database_url)


# --- migrations ---------------------------------------------------------------------------------------------------
def current_revision(engine: Engine) -> str | None:
    """The Alembic revision of the database schema (None for an empty database)."""
    with engine.connect() as connection:
        return _revision(connection)


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revisions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(revisions) > 1:
        raise StoreUnavailable(f"the schema has several revisions at once ({', '.join(revisions)}): not one this "
                               "newsarchive made")
    return revisions[0] if revisions else None


def head_revision() -> str:
    """The newest schema revision this version of newsarchive ships."""
    return HEAD_REVISION


def upgrade(engine: Engine, database_url: str, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (two processes upgrading at once take turns)."""
    from alembic import command

    _migrate(engine, database_url, command.upgrade, revision)


def downgrade(engine: Engine, database_url: str, revision: str) -> None:
    """Revert the migrations down to `revision` ("base" drops every table)."""
    from alembic import command

    _migrate(engine, database_url, command.downgrade, revision)


def create_schema_if_empty(engine: Engine, database_url: str) -> None:
    """The first use of a database: the schema at head, unless another process created it meanwhile.

    A database holding other tables is refused.
    """
    if current_revision(engine) is None:
        from alembic import command

        _migrate(engine, database_url, command.upgrade, "head", only_if_empty=True)


def check_schema(engine: Engine, database_url: str) -> None:
    """Raise `StoreUnavailable` unless the schema is at the head revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise StoreUnavailable(
            f"the schema of {safe_url(database_url)} is at revision {current}, this newsarchive needs "
            f"{head}: run `newsarchive db upgrade`"
        )


def _migrate(
    engine: Engine, database_url: str, action: Migration, revision: str, only_if_empty: bool = False
) -> None:
    """Run an Alembic command in one exclusive transaction (processes starting together take turns)."""
    with exclusive(engine).begin() as connection:
        if is_postgresql(engine):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ARTICLE_WRITE_LOCK})")
        if only_if_empty:
            if _revision(connection) is not None:
                return
            tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
            if tables:
                raise StoreUnavailable(
                    f"{safe_url(database_url)} holds tables ({', '.join(sorted(tables)[:5])}, ...) "
                    "but no newsarchive schema revision: not a newsarchive database"
                )
        action(_alembic_config(connection), revision)


@lru_cache(maxsize=1)
def migrations_folder() -> Path:
    """The Alembic scripts as a folder Alembic can list: the package's own, or, when the package is imported from
    a zip (the egg scrapyd runs), a copy in a temporary folder removed when the process exits."""
    scripts = resources.files(__package__) / MIGRATIONS
    if isinstance(scripts, Path):
        return scripts
    copy = Path(tempfile.mkdtemp(prefix="newsarchive-migrations-"))
    atexit.register(shutil.rmtree, copy, True)
    _copy_tree(scripts, copy)
    return copy


def _copy_tree(source: Traversable, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                (target / entry.name).mkdir()
                _copy_tree(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    config.attributes["connection"] = connection
    return config


# --- engine -------------------------------------------------------------------------------------------------------
def _create_engine(database_url: str, create: bool) -> Engine:
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise StoreUnavailable(f"not a database URL: {database_url!r} ({exc})") from None
    try:
        if url.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        if url.database and url.database != ":memory:":
            path = Path(url.database).expanduser()
            if not create and not path.is_file():
                raise NoArchive(str(path))
            folder = path.parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"cannot create the folder of {safe_url(database_url)}: {exc}") from None
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreUnavailable(f"no driver for {safe_url(database_url)}: {exc}") from None
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL (readers do not block the writer), and our own BEGIN so writers can ask for IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite's implicit transactions off: we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())
