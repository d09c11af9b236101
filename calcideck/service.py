"""The public facade: scripts, the CLI and the GUI reach the collection only through here."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from calcideck.store import build as _build
from calcideck.store.engine import database_errors, describe_engine, make_engine, make_sessionmaker
from calcideck.store.migrate import ensure_schema
from calcideck.store.models import CardRow, DeckRow, MediaRow, NoteRow
from calcideck.store.paths import resolve_collection_target

BuildReport = _build.BuildReport
Counts = _build.Counts


@dataclass(frozen=True, slots=True)
class CardView:
    """A card as the outside world sees it (no ORM row ever leaves the store)."""

    id: int
    note_id: int
    note_guid: str
    kind: str
    key: str
    deck: str
    breadcrumb: tuple[str, ...]
    tags: tuple[str, ...]
    question_html: str
    answer_html: str
    retired: bool
    source_file: str
    source_line: int
    data: dict[str, Any] | None = None  # occlusion cards: image, size, mode, target label and shapes


class Collection:
    """An open collection. Use ``with Collection.open(path) as col: ...``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions: sessionmaker[Session] = make_sessionmaker(engine)

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Collection:
        """Open (creating or upgrading if needed) the collection at ``path``.

        ``None`` means ``$CALCIDECK_COLLECTION`` or the default collection in the
        user's data directory. A database URL (``postgresql://...``) also works.
        """
        engine = make_engine(resolve_collection_target(path))
        try:
            ensure_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def location(self) -> str:
        return describe_engine(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- building ------------------------------------------------------------

    def build(self, paths: Sequence[str | os.PathLike[str]], now: datetime | None = None) -> BuildReport:
        """Compile deck files or folders into the collection, keeping review history.

        All or nothing: if any file has an error, nothing is written and the
        report's ``diagnostics`` say where.
        """
        with database_errors(self._engine), self._sessions() as session:
            return _build.build(session, paths, now)

    # -- reading -------------------------------------------------------------

    def card_ids(self, deck: str | None = None) -> list[int]:
        """Active (not retired) cards, in deck-file order; ``deck`` includes its subdecks."""
        with self._sessions() as s:
            q = (
                select(CardRow.id)
                .join(NoteRow, NoteRow.id == CardRow.note_id)
                .where(CardRow.retired_at.is_(None), NoteRow.retired_at.is_(None))
                .order_by(NoteRow.source_id, NoteRow.file_path, NoteRow.position, CardRow.ordinal)
            )
            if deck is not None:
                q = q.join(DeckRow, DeckRow.id == NoteRow.deck_id).where(
                    (DeckRow.name == deck) | DeckRow.name.startswith(f"{deck}::", autoescape=True)
                )
            return list(s.scalars(q))

    def card(self, card_id: int) -> CardView:
        with self._sessions() as s:
            row = s.execute(
                select(CardRow, NoteRow, DeckRow.name)
                .join(NoteRow, NoteRow.id == CardRow.note_id)
                .join(DeckRow, DeckRow.id == NoteRow.deck_id)
                .where(CardRow.id == card_id)
            ).one_or_none()
            if row is None:
                raise KeyError(f"no card {card_id}")
            card, note, deck = row
            return CardView(
                id=card.id,
                note_id=note.id,
                note_guid=note.guid,
                kind=note.kind,
                key=card.key,
                deck=deck,
                breadcrumb=tuple(note.breadcrumb),
                tags=tuple(note.tags),
                question_html=card.question_html,
                answer_html=card.answer_html,
                retired=card.retired_at is not None or note.retired_at is not None,
                source_file=note.file_path,
                source_line=note.line,
                data=card.data,
            )

    def decks(self) -> list[str]:
        with self._sessions() as s:
            return list(s.scalars(select(DeckRow.name).order_by(DeckRow.name)))

    def media(self, filename: str) -> bytes | None:
        """Bytes of an image cards reference by ``filename`` (``<sha256>.<ext>``)."""
        with self._sessions() as s:
            return s.scalar(select(MediaRow.data).where(MediaRow.filename == filename))
