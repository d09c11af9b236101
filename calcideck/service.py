"""The public facade: scripts, the CLI and the GUI reach the collection only through here."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from calcideck.scheduling.presets import Preset
from calcideck.scheduling.queue import QueueCounts
from calcideck.scheduling.tree import DeckNode
from calcideck.scheduling.types import AnswerResult, CardState, Outcome, Rating, ReviewEntry
from calcideck.store import build as _build
from calcideck.store.engine import database_errors, describe_engine, make_engine, make_sessionmaker
from calcideck.store.insight import FitReport, Insight, Stats
from calcideck.store.lock import CollectionLock
from calcideck.store.migrate import ensure_schema
from calcideck.store.models import CardRow, DeckRow, MediaRow, NoteRow
from calcideck.store.paths import resolve_collection_target
from calcideck.store.reviewer import Reviewer, UndoResult

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


@dataclass(frozen=True, slots=True)
class ReviewCard:
    """The card to show next, with what each answer button would do (:meth:`preview`)."""

    id: int
    note_id: int
    kind: str
    deck: str
    breadcrumb: tuple[str, ...]
    question_html: str
    answer_html: str
    flag: int = 0
    data: dict[str, Any] | None = None
    _preview: Callable[[int, datetime | None], dict[Rating, Outcome]] | None = field(default=None, repr=False, compare=False)

    def preview(self, now: datetime | None = None) -> dict[Rating, Outcome]:
        """Each rating's outcome; ``outcome.label()`` gives button text such as ``10m``, ``1d``, ``3d``."""
        if self._preview is None:
            raise RuntimeError("this ReviewCard is not attached to an open collection")
        return self._preview(self.id, now)

    def button_labels(self, now: datetime | None = None) -> tuple[str, str, str, str]:
        """Again, Hard, Good, Easy delays as short labels, e.g. ``("1m", "6m", "10m", "9d")``."""
        p = self.preview(now)
        return (p[Rating.AGAIN].label(), p[Rating.HARD].label(), p[Rating.GOOD].label(), p[Rating.EASY].label())


def _card_id(card: ReviewCard | CardView | int) -> int:
    return card if isinstance(card, int) else card.id


class Collection:
    """An open collection. Use ``with Collection.open(path) as col: ...``.

    While open, a file collection is locked: another process opening it gets
    :class:`calcideck.store.lock.CollectionInUseError` (a :class:`CollectionError`).
    Every time-dependent method takes an optional UTC-aware ``now`` (default:
    the system clock), so scripts and tests control time.
    """

    def __init__(self, engine: Engine, lock: CollectionLock | None = None) -> None:
        self._engine = engine
        self._lock = lock
        self._sessions: sessionmaker[Session] = make_sessionmaker(engine)
        self._reviewer = Reviewer(self._sessions)
        self._insight = Insight(self._reviewer)

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Collection:
        """Open (creating or upgrading if needed) the collection at ``path``.

        ``None`` means ``$CALCIDECK_COLLECTION`` or the default collection in the
        user's data directory. A database URL (``postgresql://...``) also works.
        """
        target = resolve_collection_target(path)
        engine = make_engine(target)  # creates the folder, or says clearly why it cannot
        lock = None
        try:
            if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
                lock = CollectionLock(Path(engine.url.database))
                lock.acquire()
            ensure_schema(engine)
            collection = cls(engine, lock)
            with database_errors(engine):
                collection._reviewer.ensure_default_preset()
        except BaseException:
            engine.dispose()
            if lock is not None:
                lock.release()
            raise
        return collection

    @property
    def location(self) -> str:
        return describe_engine(self._engine)

    def close(self) -> None:
        self._engine.dispose()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

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
            report = _build.build(session, paths, now)
        self._reviewer.invalidate()
        return report

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
                tags=tuple(dict.fromkeys([*note.tags, *(note.user_tags or [])])),
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

    # -- reviewing -----------------------------------------------------------

    def deck_tree(self, now: datetime | None = None) -> list[DeckNode]:
        """Top-level decks, each with its subdecks and today's new / learning / review counts."""
        with database_errors(self._engine):
            return self._reviewer.deck_tree(now)

    def next_card(self, deck: str | None = None, now: datetime | None = None) -> ReviewCard | None:
        """The card to study next in ``deck`` (with its subdecks; None: every deck), or None when done."""
        with database_errors(self._engine):
            card_id = self._reviewer.next_card_id(deck, now)
            if card_id is None:
                return None
            view = self.card(card_id)
            flag = self._reviewer.card_state(card_id).flag
        return ReviewCard(
            id=view.id,
            note_id=view.note_id,
            kind=view.kind,
            deck=view.deck,
            breadcrumb=view.breadcrumb,
            question_html=view.question_html,
            answer_html=view.answer_html,
            flag=flag,
            data=view.data,
            _preview=self._reviewer.preview,
        )

    def queue_counts(self, deck: str | None = None, now: datetime | None = None) -> QueueCounts:
        """New / learning / review cards left in today's queue for ``deck``."""
        with database_errors(self._engine):
            return self._reviewer.queue_counts(deck, now)

    def preview(self, card: ReviewCard | CardView | int, now: datetime | None = None) -> dict[Rating, Outcome]:
        with database_errors(self._engine):
            return self._reviewer.preview(_card_id(card), now)

    def answer(
        self, card: ReviewCard | CardView | int, rating: Rating | int, elapsed_ms: int = 0, now: datetime | None = None
    ) -> AnswerResult:
        """Record an answer: the card's new state and its review-log row, in one transaction."""
        with database_errors(self._engine):
            return self._reviewer.answer(_card_id(card), Rating(rating), elapsed_ms, now)

    def undo(self) -> UndoResult:
        """Revert the last answer / bury / suspend / flag (several levels; kept across restarts)."""
        with database_errors(self._engine):
            return self._reviewer.undo()

    def undo_available(self) -> str | None:
        return self._reviewer.undo_available()

    def bury(self, card: ReviewCard | CardView | int | Iterable[int], now: datetime | None = None) -> None:
        """Hide cards until the next study day."""
        self._reviewer.bury(_ids(card), now)

    def suspend(self, card: ReviewCard | CardView | int | Iterable[int], now: datetime | None = None) -> None:
        self._reviewer.suspend(_ids(card), now)

    def unsuspend(self, card: ReviewCard | CardView | int | Iterable[int], now: datetime | None = None) -> None:
        self._reviewer.unsuspend(_ids(card), now)

    def flag(self, card: ReviewCard | CardView | int | Iterable[int], n: int, now: datetime | None = None) -> None:
        """Set a coloured flag (1-7) on cards; 0 removes it."""
        self._reviewer.flag(_ids(card), n, now)

    def card_state(self, card_id: int) -> CardState:
        return self._reviewer.card_state(card_id)

    def review_log(self, card_id: int) -> list[ReviewEntry]:
        """Every answer given to a card, oldest first (kept for retired cards too)."""
        return self._reviewer.review_log(card_id)

    # -- options -------------------------------------------------------------

    def preset(self, deck: str) -> Preset:
        """The options preset ``deck`` uses (its own, else inherited from its parent)."""
        return self._reviewer.preset(deck)

    def update_preset(self, deck: str, **fields: Any) -> Preset:
        """Change options of the preset ``deck`` uses; shared, so every deck using it changes."""
        return self._reviewer.update_preset(deck, **fields)

    def presets(self) -> dict[str, Preset]:
        return self._reviewer.presets()

    def add_preset(self, name: str, **fields: Any) -> Preset:
        return self._reviewer.add_preset(name, **fields)

    def use_preset(self, deck: str, name: str | None) -> None:
        """Give ``deck`` its own preset ``name`` (None: inherit its parent's)."""
        self._reviewer.use_preset(deck, name)

    # -- personal parameters and workload ------------------------------------

    def optimize(self, preset: str | None = None, *, reschedule: bool = False, now: datetime | None = None) -> FitReport:
        """Fit a preset's FSRS parameters (default preset when None) to the student's review log.

        The new parameters replace the current ones only if they have a lower
        log loss on the same answers. ``reschedule`` also moves review cards'
        due dates to what the new parameters give.
        """
        with database_errors(self._engine):
            return self._insight.optimize(preset, reschedule=reschedule, now=now)

    def reoptimize_if_due(self, now: datetime | None = None) -> list[FitReport]:
        """Re-fit presets whose last fit is a month old and that have enough new reviews (run it in the background)."""
        with database_errors(self._engine):
            return self._insight.reoptimize_if_due(now)

    def fits(self, preset: str | None = None) -> list[dict[str, Any]]:
        """The record of a preset's fits: date, reviews used, log loss before and after, kept or not."""
        return self._insight.fits(preset)

    def stats(self, deck: str | None = None, now: datetime | None = None, *, simulate: bool = True) -> Stats:
        """Due today, the 30-day forecast, true retention, and "help me decide" simulations."""
        with database_errors(self._engine):
            return self._insight.stats(deck, now, simulate)

    def settings(self) -> dict[str, Any]:
        """Collection settings: ``timezone`` (None: the computer's), ``rollover_hour``, ``learn_ahead_minutes``."""
        return self._reviewer.settings()

    def update_settings(self, **values: Any) -> None:
        self._reviewer.update_settings(**values)


def _ids(card: ReviewCard | CardView | int | Iterable[int]) -> list[int]:
    if isinstance(card, (ReviewCard, CardView, int)):
        return [_card_id(card)]
    return [int(c) for c in card]
