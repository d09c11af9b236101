"""Alembic migrations versus the models, and what ``ensure_schema`` does with every kind of file.

Everything runs against real SQLite files under ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, String, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from calcideck.core.diagnostics import CollectionError, SchemaTooNewError
from calcideck.store.engine import make_engine, make_sessionmaker, schema_change_connection
from calcideck.store.migrate import KNOWN_REVISIONS, SCHEMA_REVISION, alembic_config, ensure_schema
from calcideck.store.models import Base, DeckRow, NoteRow, SourceRow
from tests.store.test_engine import add_note

REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 3, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "collection.sqlite"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    eng = make_engine(db_path)
    yield eng
    eng.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def version_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def file_digest(path: Path) -> str:
    """Hash of the database file and of any WAL content next to it."""
    digest = hashlib.sha256(path.read_bytes())
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


def normalized_schema(engine: Engine) -> dict[str, Any]:
    """Everything the inspector sees, per table, in an order-independent form."""
    with engine.connect() as conn:
        insp = inspect(conn)
        result: dict[str, Any] = {}
        for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
            result[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in insp.get_columns(table)],
                "pk": insp.get_pk_constraint(table),
                "fks": sorted(
                    (
                        fk["name"],
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        tuple(fk["referred_columns"]),
                        tuple(sorted(fk["options"].items())),
                    )
                    for fk in insp.get_foreign_keys(table)
                ),
                "uniques": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)),
            }
        return result


def seed_source_with_note(engine: Engine) -> None:
    with make_sessionmaker(engine).begin() as session:
        source = SourceRow(name="S", root_path="/decks/S", created_at=NOW)
        deck = DeckRow(name="D")
        session.add_all([source, deck])
        session.flush()
        add_note(session, source.id, deck.id, "g1")


def count_notes(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(NoteRow)) or 0


# --- migrations versus models --------------------------------------------------------------------


def test_upgrade_produces_exactly_the_models_schema(engine: Engine) -> None:
    ensure_schema(engine)
    assert version_rows(engine) == [SCHEMA_REVISION]
    assert schema_diff(engine) == []


def test_migrated_schema_matches_create_all_in_every_reflected_detail(engine: Engine, tmp_path: Path) -> None:
    # compare_metadata ignores some details (constraint names, FK actions); the inspector does not.
    ensure_schema(engine)
    reference = make_engine(tmp_path / "create_all.sqlite")
    try:
        Base.metadata.create_all(reference)
        expected = normalized_schema(reference)
    finally:
        reference.dispose()
    assert set(expected) == set(Base.metadata.tables)
    assert normalized_schema(engine) == expected


def test_downgrade_to_base_then_upgrade_again(engine: Engine) -> None:
    ensure_schema(engine)
    seed_source_with_note(engine)
    with schema_change_connection(engine) as conn:
        command.downgrade(alembic_config(conn), "base")
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["alembic_version"]
    assert version_rows(engine) == []

    ensure_schema(engine)  # an emptied collection is upgraded again
    assert version_rows(engine) == [SCHEMA_REVISION]
    assert schema_diff(engine) == []
    assert count_notes(engine) == 0


def test_known_revisions_match_the_migration_scripts() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    oldest_first = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert oldest_first == list(KNOWN_REVISIONS)
    assert script.get_heads() == [SCHEMA_REVISION]


def test_ensure_schema_on_a_current_collection_changes_nothing(engine: Engine, db_path: Path) -> None:
    ensure_schema(engine)
    seed_source_with_note(engine)
    engine.dispose()
    before = file_digest(db_path)
    ensure_schema(engine)
    engine.dispose()
    assert file_digest(db_path) == before
    assert count_notes(engine) == 1


# --- files that are not (current) collections ----------------------------------------------------


def test_newer_schema_revision_is_refused_and_the_file_left_untouched(engine: Engine, db_path: Path) -> None:
    ensure_schema(engine)
    seed_source_with_note(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    engine.dispose()
    before = file_digest(db_path)

    reopened = make_engine(db_path)
    try:
        with pytest.raises(SchemaTooNewError) as info:
            ensure_schema(reopened)
    finally:
        reopened.dispose()
    message = str(info.value)
    assert "schema revision 0007" in message
    assert str(db_path) in message
    assert f"understands up to {SCHEMA_REVISION}" in message
    assert "Update CalciDeck" in message
    assert file_digest(db_path) == before


def test_text_file_is_a_collection_error_and_is_left_untouched(db_path: Path) -> None:
    content = b"these are my lecture notes, not a database\n" * 200
    db_path.write_bytes(content)
    eng = make_engine(db_path)
    try:
        with pytest.raises(CollectionError) as info:
            ensure_schema(eng)
    finally:
        eng.dispose()
    assert str(db_path) in str(info.value)
    assert "not a database" in str(info.value)
    assert not isinstance(info.value, SchemaTooNewError)
    assert db_path.read_bytes() == content


def test_unopenable_target_is_a_collection_error(tmp_path: Path) -> None:
    eng = make_engine(tmp_path)  # a directory
    try:
        with pytest.raises(CollectionError, match="cannot open collection"):
            ensure_schema(eng)
    finally:
        eng.dispose()


def test_database_with_foreign_tables_is_a_collection_error(db_path: Path) -> None:
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO patients (name) VALUES ('Ada')")
    con.commit()
    con.close()
    before = file_digest(db_path)

    eng = make_engine(db_path)
    try:
        with pytest.raises(CollectionError) as info:
            ensure_schema(eng)
        eng.dispose()
        assert file_digest(db_path) == before, "another application's database must be left byte for byte"
        with eng.connect() as conn:  # nothing was created or dropped
            assert inspect(conn).get_table_names() == ["patients"]
            assert conn.exec_driver_sql("SELECT name FROM patients").scalars().all() == ["Ada"]
    finally:
        eng.dispose()
    assert "not a CalciDeck collection" in str(info.value)
    assert "patients" in str(info.value)
    assert not isinstance(info.value, SchemaTooNewError)


def test_foreign_alembic_revision_is_not_mistaken_for_a_newer_calcideck(db_path: Path) -> None:
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    con.commit()
    con.close()

    eng = make_engine(db_path)
    try:
        with pytest.raises(CollectionError, match="not a CalciDeck collection") as info:
            ensure_schema(eng)
    finally:
        eng.dispose()
    assert not isinstance(info.value, SchemaTooNewError)


def test_collection_errors_are_not_sqlalchemy_errors() -> None:
    # The tests above catch CollectionError; make sure that could not also match a raw DB error.
    assert not issubclass(CollectionError, SQLAlchemyError)


# --- migration connection ------------------------------------------------------------------------


def _rebuild_sources_table(conn: Any) -> None:
    """What a future batch migration on SQLite does: copy the table, drop the old one, rename."""
    ops = Operations(MigrationContext.configure(conn, opts={"render_as_batch": True}))
    with ops.batch_alter_table("sources", recreate="always") as batch:
        batch.add_column(Column("colour", String(16), nullable=True))


def test_batch_table_rebuild_keeps_dependent_rows(engine: Engine) -> None:
    ensure_schema(engine)
    seed_source_with_note(engine)
    with schema_change_connection(engine) as conn:
        _rebuild_sources_table(conn)
    assert count_notes(engine) == 1
    with engine.connect() as conn:
        assert "colour" in {c["name"] for c in inspect(conn).get_columns("sources")}
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_batch_table_rebuild_with_foreign_keys_on_would_cascade(engine: Engine) -> None:
    # Control for the test above: on an ordinary connection the same rebuild deletes the notes.
    ensure_schema(engine)
    seed_source_with_note(engine)
    with engine.begin() as conn:
        _rebuild_sources_table(conn)
    assert count_notes(engine) == 0


def test_migration_leaving_dangling_references_is_rolled_back(engine: Engine) -> None:
    ensure_schema(engine)
    seed_source_with_note(engine)
    with pytest.raises(RuntimeError, match="dangling foreign keys"), schema_change_connection(engine) as conn:
        raw = conn.connection.driver_connection
        conn.exec_driver_sql("DELETE FROM sources")  # no cascade: enforcement is off
    assert count_notes(engine) == 1
    with engine.connect() as conn:
        assert conn.connection.driver_connection is raw  # the same pooled connection...
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # ...with enforcement back on
        assert conn.scalar(select(func.count()).select_from(SourceRow)) == 1


# --- opening a current collection does not import alembic ----------------------------------------

_PROBE = (
    "import sys\n"
    "from calcideck.store.engine import make_engine\n"
    "from calcideck.store.migrate import ensure_schema\n"
    "engine = make_engine(sys.argv[1])\n"
    "ensure_schema(engine)\n"
    "engine.dispose()\n"
    "print('alembic' in sys.modules)\n"
)


def _run_probe(path: Path) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.slow
def test_opening_a_current_collection_does_not_import_alembic(engine: Engine, db_path: Path) -> None:
    ensure_schema(engine)
    engine.dispose()
    assert _run_probe(db_path) == "False"


@pytest.mark.slow
def test_probe_does_see_alembic_when_a_migration_runs(tmp_path: Path) -> None:
    # Control for the test above: creating a collection must import alembic.
    fresh = tmp_path / "fresh.sqlite"
    assert _run_probe(fresh) == "True"
    eng = make_engine(fresh)
    try:
        assert version_rows(eng) == [SCHEMA_REVISION]
    finally:
        eng.dispose()
