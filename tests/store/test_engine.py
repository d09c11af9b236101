"""Engine set-up (pragmas, real transactions), sessions, UTCDateTime and collection paths.

Everything runs against real SQLite files under ``tmp_path``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import platformdirs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from calcideck.store.engine import make_engine, make_sessionmaker
from calcideck.store.migrate import ensure_schema
from calcideck.store.models import CardRow, DeckRow, NoteRow, ReviewLogRow, SourceRow
from calcideck.store.paths import default_collection_path, resolve_collection_target

NOW = datetime(2025, 3, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(tmp_path / "collection.sqlite")
    ensure_schema(eng)
    yield eng
    eng.dispose()


def count_sources(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(SourceRow)) or 0


def add_source(session: Session, name: str) -> SourceRow:
    row = SourceRow(name=name, root_path=f"/decks/{name}", created_at=NOW)
    session.add(row)
    return row


def add_note(session: Session, source_id: int, deck_id: int, guid: str) -> NoteRow:
    note = NoteRow(
        guid=guid,
        source_id=source_id,
        deck_id=deck_id,
        kind="basic",
        file_path="a.md",
        position=0,
        line=1,
        fingerprint="f",
        render_key="r",
        meta_key="m",
        source_text="Q?",
        breadcrumb=[],
        tags=[],
        fields={},
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(note)
    return note


# --- targets -------------------------------------------------------------------------------------


def test_file_target_creates_missing_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "does" / "not" / "exist" / "c.sqlite"
    eng = make_engine(target)
    try:
        assert target.parent.is_dir()
        ensure_schema(eng)
        assert target.is_file()
        assert eng.url.database == str(target)
    finally:
        eng.dispose()


def test_url_target_is_used_as_is(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.sqlite"
    path.parent.mkdir()
    eng = make_engine(f"sqlite:///{path}")
    try:
        assert eng.url.database == str(path)
        ensure_schema(eng)
        assert path.is_file()
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        eng.dispose()


# --- pragmas -------------------------------------------------------------------------------------


def test_pragmas_are_set_on_every_pooled_connection(engine: Engine) -> None:
    ensure_schema(engine)  # WAL is switched on once the file is known to be a collection
    with engine.connect() as first, engine.connect() as second:
        assert first.connection.driver_connection is not second.connection.driver_connection
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_foreign_keys_are_enforced_and_cascade(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with pytest.raises(IntegrityError), factory.begin() as session:
        deck = DeckRow(name="D")
        session.add(deck)
        session.flush()
        add_note(session, 999, deck.id, "g-dangling")  # there is no source 999

    with factory.begin() as session:
        source = add_source(session, "S")
        deck = DeckRow(name="D")
        session.add(deck)
        session.flush()
        add_note(session, source.id, deck.id, "g1")
    with engine.begin() as conn:
        assert conn.scalar(select(func.count()).select_from(NoteRow)) == 1
        conn.execute(delete(SourceRow))
        assert conn.scalar(select(func.count()).select_from(NoteRow)) == 0  # ON DELETE CASCADE


# --- transactions --------------------------------------------------------------------------------


def test_session_transaction_that_raises_rolls_back_inserts(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        add_source(session, "kept")

    with pytest.raises(RuntimeError, match="boom"), factory.begin() as session:
        add_source(session, "a")
        add_source(session, "b")
        session.flush()
        assert session.scalar(select(func.count()).select_from(SourceRow)) == 3
        raise RuntimeError("boom")

    with factory() as session:
        assert session.scalars(select(SourceRow.name)).all() == ["kept"]


def test_ddl_inside_a_failed_transaction_is_rolled_back(engine: Engine) -> None:
    # The sqlite3 driver's legacy mode never BEGINs before DDL, so without
    # SQLAlchemy emitting BEGIN this table would be autocommitted.
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
        assert "scratch" in inspect(conn).get_table_names()
        raise RuntimeError("undo")
    with engine.connect() as conn:
        assert "scratch" not in inspect(conn).get_table_names()


def test_released_savepoint_is_undone_by_outer_rollback(engine: Engine) -> None:
    # In legacy mode, a SAVEPOINT before any DML starts its own transaction and
    # its RELEASE commits; the outer ROLLBACK would then undo nothing.
    with engine.connect() as conn:
        outer = conn.begin()
        inner = conn.begin_nested()
        conn.execute(insert(SourceRow).values(name="sp", root_path="/", created_at=NOW))
        inner.commit()
        outer.rollback()
    assert count_sources(engine) == 0


def test_reads_in_one_transaction_see_one_snapshot(engine: Engine) -> None:
    with engine.connect() as reader:
        with reader.begin():
            before = reader.scalar(select(func.count()).select_from(SourceRow))
            assert before is not None
            with engine.begin() as writer:
                writer.execute(insert(SourceRow).values(name="w", root_path="/", created_at=NOW))
            # Without a real BEGIN the first SELECT ran in autocommit and this one would see the row.
            assert reader.scalar(select(func.count()).select_from(SourceRow)) == before
        assert reader.scalar(select(func.count()).select_from(SourceRow)) == before + 1


def test_sessions_do_not_expire_objects_on_commit(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with factory() as session:
        row = add_source(session, "s")
        session.commit()
        with engine.begin() as conn:
            conn.execute(update(SourceRow).values(root_path="/elsewhere"))
        # An expired attribute would be re-loaded from the database here.
        assert row.root_path == "/decks/s"


# --- UTCDateTime ---------------------------------------------------------------------------------


def _store_and_reload(engine: Engine, when: datetime) -> datetime:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        row = SourceRow(name="t", root_path="/", created_at=when)
        session.add(row)
        session.flush()
        row_id = row.id
    with factory() as session:
        loaded = session.get(SourceRow, row_id)
        assert loaded is not None
        value = loaded.created_at
        session.delete(loaded)
        session.commit()
    return value


def test_utc_datetime_round_trips_a_non_utc_instant_as_utc(engine: Engine) -> None:
    local = datetime(2025, 3, 30, 2, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5)))
    loaded = _store_and_reload(engine, local)
    assert loaded.tzinfo is UTC
    assert loaded == local
    assert (loaded.hour, loaded.minute, loaded.microsecond) == (7, 30, 123456)
    with engine.connect() as conn:  # and what is on disk is the naive UTC wall time
        conn.execute(insert(SourceRow).values(name="raw", root_path="/", created_at=local))
        raw = conn.exec_driver_sql("SELECT created_at FROM sources WHERE name = 'raw'").scalar()
    assert raw == "2025-03-30 07:30:15.123456"


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = make_engine(tmp_path_factory.mktemp("shared") / "collection.sqlite")
    ensure_schema(eng)
    yield eng
    eng.dispose()


@settings(max_examples=60, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30)),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_utc_datetime_round_trips_any_offset(shared_engine: Engine, when: datetime, offset_minutes: int) -> None:
    aware = when.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    loaded = _store_and_reload(shared_engine, aware)
    assert loaded == aware
    assert loaded.tzinfo is UTC


def test_utc_datetime_rejects_naive_datetimes_and_writes_nothing(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with pytest.raises(StatementError) as info, factory.begin() as session:
        session.add(SourceRow(name="naive", root_path="/", created_at=datetime(2025, 1, 1, 12, 0)))
    assert isinstance(info.value.orig, ValueError)
    assert "naive datetime" in str(info.value.orig)
    assert count_sources(engine) == 0


# --- collection paths ----------------------------------------------------------------------------


def test_default_collection_path_is_the_platform_user_data_dir() -> None:
    expected = platformdirs.user_data_path("CalciDeck", appauthor=False) / "collection.sqlite"
    assert default_collection_path() == expected
    assert default_collection_path().name == "collection.sqlite"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_DATA_HOME is a Linux convention")
def test_default_collection_path_is_computed_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "one"))
    assert default_collection_path() == tmp_path / "one" / "CalciDeck" / "collection.sqlite"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "two"))
    assert default_collection_path() == tmp_path / "two" / "CalciDeck" / "collection.sqlite"
    assert not (tmp_path / "two").exists()  # computing the path creates nothing


def test_resolve_prefers_explicit_then_env_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALCIDECK_COLLECTION", raising=False)
    assert resolve_collection_target(None) == default_collection_path()

    monkeypatch.setenv("CALCIDECK_COLLECTION", str(tmp_path / "env.sqlite"))
    assert resolve_collection_target(None) == str(tmp_path / "env.sqlite")
    assert resolve_collection_target(tmp_path / "explicit.sqlite") == tmp_path / "explicit.sqlite"
    assert resolve_collection_target("sqlite:///x.sqlite") == "sqlite:///x.sqlite"

    monkeypatch.setenv("CALCIDECK_COLLECTION", "")
    assert resolve_collection_target(None) == default_collection_path()
    assert resolve_collection_target("") == default_collection_path()


# --- ORM deletes ---------------------------------------------------------------------------------


def test_deleting_a_note_deletes_its_cards_and_their_review_log(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        source = add_source(session, "S")
        deck = DeckRow(name="D")
        session.add(deck)
        session.flush()
        note = add_note(session, source.id, deck.id, "g1")
        session.flush()
        card = CardRow(
            note_id=note.id,
            key="k",
            ordinal=0,
            match_text="",
            question_html="Q",
            answer_html="A",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(card)
        session.flush()
        session.add(ReviewLogRow(card_id=card.id, reviewed_at=NOW, rating=3, state_before=0, state_after=1))
    with factory.begin() as session:
        loaded = session.get(NoteRow, note.id)
        assert loaded is not None
        assert len(loaded.cards) == 1  # loaded collection: the ORM must not try to NULL note_id
        session.delete(loaded)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CardRow)) == 0
        assert conn.scalar(select(func.count()).select_from(ReviewLogRow)) == 0
