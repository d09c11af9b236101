"""The collection schema: SQLAlchemy 2 typed ORM rows.

Rows (suffix ``Row``) never leave the ``calcideck.store`` package; other layers
see frozen DTOs. Nothing here is SQLite-specific: dialect set-up lives in
``engine.py`` only, so the same models run on another database URL.

Every schema change needs a new Alembic revision under ``migrations/versions``
and a bump of ``SCHEMA_REVISION``; ``tests/store/test_migrations.py`` fails if
the models and the migrations disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """UTC-aware instants on every backend.

    Written as naive UTC (SQLite has no time zones), read back as aware UTC, so
    no naive datetime ever leaves the store. A naive value is a bug and raises.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: CalciDeck stores UTC-aware instants only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SourceRow(Base):
    """A deck root that has been built (identified by its folder name)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    root_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeckRow(Base):
    """A deck in the ``A::B::C`` hierarchy; parents exist as rows too."""

    __tablename__ = "decks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(1024), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("decks.id"), index=True)
    # The options preset of this deck; None: the parent's (the default preset at the top).
    preset_id: Mapped[int | None] = mapped_column(ForeignKey("presets.id", ondelete="SET NULL"))


class SourceFileRow(Base):
    """One deck file of a source, with the hash of the bytes last built."""

    __tablename__ = "source_files"
    __table_args__ = (UniqueConstraint("source_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    # The images the file's notes use (paths relative to the deck root) and a
    # digest of their bytes: a changed image re-parses the file.
    media_paths: Mapped[list[str]] = mapped_column(JSON)
    media_digest: Mapped[str] = mapped_column(String(64))


class NoteRow(Base):
    """A note: one authored item (basic, cloze, list, occlusion) that yields cards."""

    __tablename__ = "notes"
    __table_args__ = (
        UniqueConstraint("source_id", "anchor"),
        Index("ix_notes_source_fingerprint", "source_id", "fingerprint"),
        Index("ix_notes_source_file", "source_id", "file_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guid: Mapped[str] = mapped_column(String(64), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    deck_id: Mapped[int] = mapped_column(ForeignKey("decks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_path: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)
    anchor: Mapped[str | None] = mapped_column(String(255))
    meaning_rev: Mapped[int] = mapped_column(Integer, default=0)
    fingerprint: Mapped[str] = mapped_column(String(64))
    render_key: Mapped[str] = mapped_column(String(64))
    # Digest of deck, breadcrumb, tags and language: lets a rebuild tell a note
    # is unchanged without decoding its JSON columns.
    meta_key: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)
    breadcrumb: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    lang: Mapped[str | None] = mapped_column(String(32))
    fields: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The student's own tags (``leech``, ...): never touched by a build.
    user_tags: Mapped[list[str] | None] = mapped_column(JSON)

    # Deleting a note deletes its cards (the database cascades to review_log).
    # Without this the ORM would try to set the NOT NULL cards.note_id to NULL.
    # No delete-orphan: detaching a card from its note must fail, not delete history.
    cards: Mapped[list[CardRow]] = relationship(
        back_populates="note", order_by="CardRow.ordinal", cascade="all", passive_deletes=True
    )


class CardRow(Base):
    """A reviewable card; scheduling state lives here, history in ``review_log``."""

    __tablename__ = "cards"
    __table_args__ = (
        Index("ix_cards_note_key", "note_id", "key"),
        Index("ix_cards_deck_state_due", "deck_id", "state", "due"),
        Index("ix_cards_state_due", "state", "due"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    ordinal: Mapped[int] = mapped_column(Integer)
    match_text: Mapped[str] = mapped_column(Text)
    question_html: Mapped[str] = mapped_column(Text)
    answer_html: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when an author's meaning-change marker replaced this card: it is
    # never revived, but its history stays.
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    # Scheduling state (owned by calcideck.scheduling).
    state: Mapped[int] = mapped_column(Integer, default=0)  # 0 new, 1 learning, 2 review, 3 relearning
    step: Mapped[int | None] = mapped_column(Integer)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    buried_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flag: Mapped[int] = mapped_column(Integer, default=0)
    # The note's deck, copied here (kept in step by the build) so the daily
    # queues and counts read one index, as Anki's cards(did, queue, due) does.
    deck_id: Mapped[int | None] = mapped_column(ForeignKey("decks.id"))

    note: Mapped[NoteRow] = relationship(back_populates="cards")


class ReviewLogRow(Base):
    """One row per answer: everything an FSRS optimiser needs, and undo."""

    __tablename__ = "review_log"
    __table_args__ = (Index("ix_review_log_card_time", "card_id", "reviewed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    rating: Mapped[int] = mapped_column(Integer)  # 1 again, 2 hard, 3 good, 4 easy
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    state_before: Mapped[int] = mapped_column(Integer)
    step_before: Mapped[int | None] = mapped_column(Integer)
    due_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stability_before: Mapped[float | None] = mapped_column(Float)
    difficulty_before: Mapped[float | None] = mapped_column(Float)
    last_review_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state_after: Mapped[int] = mapped_column(Integer)
    step_after: Mapped[int | None] = mapped_column(Integer)
    due_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stability_after: Mapped[float | None] = mapped_column(Float)
    difficulty_after: Mapped[float | None] = mapped_column(Float)


class PresetRow(Base):
    """A named set of deck options, shared by the decks that use it (``calcideck.scheduling.Preset``)."""

    __tablename__ = "presets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    config: Mapped[dict[str, object]] = mapped_column(JSON)


class SettingRow(Base):
    """Collection-wide settings (time zone, study-day rollover hour, ...), one JSON value per key."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


class UndoRow(Base):
    """One undoable action (an answer, a bury, ...): what to put back, newest last."""

    __tablename__ = "undo_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)


class FsrsFitRow(Base):
    """One fit of a preset's FSRS parameters to the student's review log, kept or not."""

    __tablename__ = "fsrs_fits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    preset_id: Mapped[int] = mapped_column(ForeignKey("presets.id", ondelete="CASCADE"), index=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviews_used: Mapped[int] = mapped_column(Integer)
    log_loss_before: Mapped[float] = mapped_column(Float)
    log_loss_after: Mapped[float] = mapped_column(Float)
    kept: Mapped[bool] = mapped_column(Boolean)
    parameters: Mapped[list[float]] = mapped_column(JSON)


class MediaRow(Base):
    """An image, stored once by the sha256 of its bytes."""

    __tablename__ = "media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(80), unique=True)  # "<sha256>.<ext>", as cards reference it
    mime: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class NoteMediaRow(Base):
    __tablename__ = "note_media"

    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("media.sha256"), primary_key=True)


class BuildRunRow(Base):
    """One ``calcideck build``: when, what, and what it changed."""

    __tablename__ = "build_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Always "ok" today: a build with errors writes nothing, not even this row.
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict[str, object]] = mapped_column(JSON)
