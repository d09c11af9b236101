"""Engine and session factories; the only SQLite-specific code in CalciDeck.

A collection target is either a database URL (anything containing ``://``),
used as-is, or a file path, opened as SQLite. For the SQLite dialect this
module

* switches the driver's legacy transaction handling off and lets SQLAlchemy
  emit ``BEGIN`` itself, so SELECTs are repeatable, DDL is transactional and a
  rollback really undoes everything since the transaction began;
* sets WAL journalling, foreign-key enforcement, ``synchronous=NORMAL`` and a
  5 s busy timeout on every new DBAPI connection.

Other dialects get none of this.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from calcideck.core.diagnostics import CollectionError

logger = logging.getLogger(__name__)

# WAL is not set here: it is persistent in the file, and a file that turns out
# not to be a collection must be left exactly as it was (see use_wal).
_SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
)


def make_engine(target: str | os.PathLike[str]) -> Engine:
    """Create the engine for a collection ``target`` (database URL or SQLite file path).

    For a file path, missing parent directories are created; the file itself is
    created by SQLite on first connection.
    """
    text = os.fspath(target)
    if "://" in text:
        url = make_url(text)
    else:
        path = Path(text).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CollectionError(f"cannot create the folder for collection {path}: {exc.strerror or exc}") from None
        url = URL.create("sqlite+pysqlite", database=str(path))
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    logger.debug("engine created for %s", describe_engine(engine))
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def describe_engine(engine: Engine) -> str:
    """How to name the collection in messages: its file path, else its URL without password."""
    url = engine.url
    if engine.dialect.name == "sqlite" and url.database and url.database != ":memory:":
        return url.database
    return url.render_as_string(hide_password=True)


@contextmanager
def schema_change_connection(engine: Engine) -> Iterator[Connection]:
    """A connection, inside one transaction, for running schema migrations.

    Committed when the block exits normally, rolled back otherwise.

    On SQLite, foreign-key enforcement is switched off for the duration and
    restored afterwards (it can only be changed outside a transaction): batch
    migrations rebuild a table by copying it and dropping the original, and
    with enforcement on, that DROP would fire ``ON DELETE CASCADE`` and silently
    delete every dependent row.
    ``PRAGMA foreign_key_check`` runs before commit, so a migration that leaves
    dangling references is rolled back instead of committed.
    """
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                yield conn
            return
        raw = conn.connection.driver_connection
        assert raw is not None
        enforced = bool(raw.execute("PRAGMA foreign_keys").fetchone()[0])
        raw.execute("PRAGMA foreign_keys=OFF")  # no transaction is open yet: takes effect
        try:
            with conn.begin():
                yield conn
                violations = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if violations:
                    raise RuntimeError(f"schema migration left dangling foreign keys: {violations[:5]!r}")
        finally:
            try:
                if enforced:
                    raw.execute("PRAGMA foreign_keys=ON")
            except Exception:
                # Never hand a connection without FK enforcement back to the pool.
                conn.invalidate()
                raise


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Stop the sqlite3 driver from issuing (or skipping) BEGIN on its own;
        # the "begin" hook below emits it for every SQLAlchemy transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


BULK_CHUNK = 2000  # rows per executemany: bounds the memory a large build needs


def bulk_insert(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert rows that all have the same keys, in chunks; returns how many.

    ``rows`` may be a generator: only one chunk is held in memory at a time.
    Values go through the columns' own SQLAlchemy bind processors (UTC
    datetimes, JSON, booleans), so what is stored is exactly what an ORM insert
    would store. On SQLite the statement then goes straight to the driver's
    ``executemany``, which for a 30,000-note build is several times faster than
    SQLAlchemy's generic bulk path; other dialects use a Core insert.
    """
    iterator = iter(rows)
    total = 0
    sql: str | None = None
    names: list[str] = []
    processors: list[Callable[[Any], Any] | None] = []
    while chunk := list(itertools.islice(iterator, BULK_CHUNK)):
        total += len(chunk)
        if conn.dialect.name != "sqlite":
            conn.execute(table.insert(), chunk)
            continue
        if sql is None:
            names = list(chunk[0].keys())
            quote = conn.dialect.identifier_preparer.quote
            processors = [table.c[name].type.bind_processor(conn.dialect) for name in names]
            sql = (
                f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
                f"VALUES ({', '.join('?' for _ in names)})"
            )
        columns = [_process_column([row[name] for row in chunk], proc) for name, proc in zip(names, processors, strict=True)]
        conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))
    return total


def _process_column(values: list[Any], proc: Callable[[Any], Any] | None) -> list[Any]:
    """Bind-process one column; a value repeated from the row before (a build's
    timestamp, None, False) is processed once."""
    if proc is None:
        return values
    out: list[Any] = []
    last_in: Any = object()
    last_out: Any = None
    for value in values:
        if value is not last_in:
            last_in, last_out = value, proc(value)
        out.append(last_out)
    return out


@contextmanager
def database_errors(engine: Engine) -> Iterator[None]:
    """Turn driver errors into :class:`CollectionError` with a message a user can act on."""
    try:
        yield
    except OperationalError as exc:
        where = describe_engine(engine)
        text = str(exc.orig).lower()
        if "locked" in text or "busy" in text:
            raise CollectionError(
                f"collection {where} is in use by another CalciDeck process; try again when it has finished"
            ) from None
        raise CollectionError(f"cannot use collection {where}: {exc.orig}") from None
    except DatabaseError as exc:
        raise CollectionError(f"collection {describe_engine(engine)} is damaged or not a collection: {exc.orig}") from None


def use_wal(engine: Engine) -> None:
    """Switch a verified SQLite collection to write-ahead logging (kept in the file).

    WAL lets the app read while a build or an answer writes, and survives a
    killed process without losing committed transactions. No-op on other
    databases.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        if raw.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            raw.execute("PRAGMA journal_mode=WAL")
