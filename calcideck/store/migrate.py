"""Bringing a collection's schema up to date with Alembic, without paying for Alembic when it already is.

Revision ids are four-digit strings (``"0001"``, ``"0002"``, ...), listed
oldest first in :data:`KNOWN_REVISIONS`; the last one is
:data:`SCHEMA_REVISION`, the head. Adding a migration means adding its file
under ``migrations/versions`` *and* appending its id here (a test checks that
the two agree).

Opening a collection that is already current only reads
``alembic_version`` with plain SQLAlchemy: Alembic is imported only when a
migration actually has to run.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from calcideck.core.diagnostics import CollectionError, SchemaTooNewError
from calcideck.store.engine import describe_engine, schema_change_connection, use_wal

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

KNOWN_REVISIONS: tuple[str, ...] = ("0001", "0002")
SCHEMA_REVISION = "0002"

VERSION_TABLE = "alembic_version"
MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
_REVISION_ID = re.compile(r"\d{4}")

assert KNOWN_REVISIONS[-1] == SCHEMA_REVISION


def ensure_schema(engine: Engine) -> None:
    """Make the collection behind ``engine`` current, creating the schema in an empty database.

    Raises :class:`SchemaTooNewError` for a collection written by a newer
    CalciDeck, and :class:`CollectionError` for anything that is not a
    CalciDeck collection: another application's database, a file that is not a
    database at all, a file that cannot be opened. Those files are left exactly
    as they were; only a verified collection is switched to WAL.
    """
    _ensure_schema(engine)
    try:
        use_wal(engine)
    except DBAPIError as exc:
        raise CollectionError(f"cannot open collection {describe_engine(engine)}: {_reason(exc)}") from exc


def _ensure_schema(engine: Engine) -> None:
    where = describe_engine(engine)
    try:
        tables, versions = _read_state(engine)
    except DBAPIError as exc:
        raise CollectionError(f"cannot open collection {where}: {_reason(exc)}") from exc

    if versions is None:
        if tables:
            raise CollectionError(
                f"{where} is not a CalciDeck collection: it is a database with other tables "
                f"({', '.join(sorted(tables)[:5])}{', ...' if len(tables) > 5 else ''})"
            )
        logger.info("creating a new collection schema in %s", where)
        _upgrade(engine, where)
        return

    if len(versions) > 1:
        raise CollectionError(
            f"{where}: the schema version table holds several revisions ({', '.join(versions)}); "
            "this is not a collection CalciDeck wrote"
        )
    if not versions:
        # Migrated down to base (or stamped empty): only an empty schema may be upgraded.
        if tables - {VERSION_TABLE}:
            raise CollectionError(f"{where} has tables but no schema revision; it is not a CalciDeck collection")
        _upgrade(engine, where)
        return

    (current,) = versions
    if current == SCHEMA_REVISION:
        return
    if current in KNOWN_REVISIONS:
        logger.info("upgrading collection %s from schema revision %s to %s", where, current, SCHEMA_REVISION)
        _upgrade(engine, where)
        return
    if _REVISION_ID.fullmatch(current):
        raise SchemaTooNewError(
            f"collection {where} was created by a newer version of CalciDeck (schema revision {current}); "
            f"this version understands up to {SCHEMA_REVISION}. Update CalciDeck to open it."
        )
    raise CollectionError(f"{where} is not a CalciDeck collection (it carries foreign schema revision {current!r})")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for CalciDeck's migrations (no ``alembic.ini`` involved).

    ``connection``, if given, is the connection ``env.py`` migrates; commands
    such as ``upgrade`` and ``downgrade`` need one.
    """
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolation: a literal "%" in the path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _read_state(engine: Engine) -> tuple[set[str], list[str] | None]:
    """The database's table names, and the rows of ``alembic_version`` (None if there is no such table)."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if VERSION_TABLE not in tables:
            return tables, None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        return tables, [str(r) for r in rows]


def _upgrade(engine: Engine, where: str) -> None:
    from alembic import command

    try:
        with schema_change_connection(engine) as conn:
            command.upgrade(alembic_config(conn), "head")
    except DBAPIError as exc:
        raise CollectionError(f"cannot update the schema of collection {where}: {_reason(exc)}") from exc


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig) if exc.orig is not None else str(exc)
