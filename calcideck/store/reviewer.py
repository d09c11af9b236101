"""Reviewing: the day's queues, answers, undo, burying, suspending, flags, presets and settings.

Every write is one transaction: an answer writes the card's new state, its
review-log row, any sibling burial or leech mark and its undo record together,
so a crash leaves either all of it or none. The day's queue for the deck being
studied is built once and then kept up to date in memory (another process
cannot change the collection meanwhile: the collection is locked while open).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from calcideck.core.diagnostics import CalciDeckError
from calcideck.scheduling import scheduler
from calcideck.scheduling.days import DEFAULT_ROLLOVER_HOUR, StudyDays
from calcideck.scheduling.presets import DEFAULT_PRESET_NAME, Preset, PresetError
from calcideck.scheduling.queue import DayQueue, QueueCounts
from calcideck.scheduling.tree import DeckCounts, DeckInfo, DeckNode, build_tree, effective_presets, subtree
from calcideck.scheduling.types import AnswerResult, CardState, Outcome, Rating, ReviewEntry, State
from calcideck.store.models import CardRow, DeckRow, NoteRow, PresetRow, ReviewLogRow, SettingRow, UndoRow

logger = logging.getLogger(__name__)

UNDO_DEPTH = 100
LEECH_TAG = "leech"
_DEFAULT_LEARN_AHEAD_MIN = 20
_SCHED_FIELDS = (
    "state",
    "step",
    "due",
    "stability",
    "difficulty",
    "reps",
    "lapses",
    "last_review",
    "suspended",
    "buried_until",
    "flag",
)
_TIME_FIELDS = frozenset({"due", "last_review", "buried_until"})


class ReviewError(CalciDeckError):
    """A review action that cannot be done (unknown or retired card, nothing to undo, ...)."""


class UndoError(ReviewError):
    """Undo is not possible; the message says why."""


def system_zone() -> ZoneInfo:
    """The computer's time zone (IANA name), UTC if it cannot be told."""
    try:
        import tzlocal

        return ZoneInfo(tzlocal.get_localzone_name() or "UTC")
    except (ImportError, ZoneInfoNotFoundError, ValueError, OSError):  # pragma: no cover - platform dependent
        return ZoneInfo("UTC")


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass a UTC-aware instant")
    return now.astimezone(UTC)


def state_of(row: Any) -> CardState:
    return CardState(
        state=State(row.state),
        due=row.due,
        stability=row.stability,
        difficulty=row.difficulty,
        reps=row.reps,
        lapses=row.lapses,
        last_review=row.last_review,
        step=row.step,
        suspended=row.suspended,
        buried_until=row.buried_until,
        flag=row.flag,
    )


def _columns(st: CardState) -> dict[str, Any]:
    return {name: (int(st.state) if name == "state" else getattr(st, name)) for name in _SCHED_FIELDS}


def _snapshot(card_id: int, st: CardState) -> dict[str, Any]:
    out: dict[str, Any] = {"id": card_id}
    for name, value in _columns(st).items():
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _restore(snap: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (datetime.fromisoformat(snap[name]) if name in _TIME_FIELDS and snap[name] is not None else snap[name])
        for name in _SCHED_FIELDS
    }


@dataclass(frozen=True, slots=True)
class UndoResult:
    """What an undo put back."""

    action: str
    card_ids: tuple[int, ...]


class Reviewer:
    """The scheduling side of one open collection (used by :class:`calcideck.Collection`)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._queue: DayQueue | None = None
        self._queue_key: tuple[int | None, int] | None = None
        self._days: StudyDays | None = None
        # Decks, presets and each deck's preset: read once, not on every answer.
        self._options: tuple[list[DeckInfo], dict[int, Preset], dict[int, int]] | None = None

    # -- settings ------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        with self._sessions() as s:
            stored = {k: v for k, v in s.execute(select(SettingRow.key, SettingRow.value))}
        return {
            "timezone": stored.get("timezone"),
            "rollover_hour": stored.get("rollover_hour", DEFAULT_ROLLOVER_HOUR),
            "learn_ahead_minutes": stored.get("learn_ahead_minutes", _DEFAULT_LEARN_AHEAD_MIN),
        }

    def update_settings(self, **values: Any) -> None:
        allowed = {"timezone", "rollover_hour", "learn_ahead_minutes"}
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ReviewError(f"unknown setting(s): {', '.join(unknown)}")
        problems = []
        if "timezone" in values and values["timezone"] is not None:
            try:
                ZoneInfo(str(values["timezone"]))
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(f"unknown time zone {values['timezone']!r}")
        if "rollover_hour" in values and not (isinstance(values["rollover_hour"], int) and 0 <= values["rollover_hour"] <= 23):
            problems.append("rollover_hour must be 0-23")
        if "learn_ahead_minutes" in values and not (
            isinstance(values["learn_ahead_minutes"], int) and 0 <= values["learn_ahead_minutes"] <= 1440
        ):
            problems.append("learn_ahead_minutes must be 0-1440")
        if problems:
            raise ReviewError("; ".join(problems))
        with self._sessions.begin() as s:
            for key, value in values.items():
                s.merge(SettingRow(key=key, value=value))
        self._days = None
        self.invalidate()

    def days(self) -> StudyDays:
        """Study-day calendar: the stored time zone (else the computer's) and rollover hour."""
        if self._days is None:
            st = self.settings()
            zone = ZoneInfo(st["timezone"]) if st["timezone"] else system_zone()
            self._days = StudyDays(zone, int(st["rollover_hour"]))
        return self._days

    def invalidate(self) -> None:
        """Forget the cached queue and options (after a build, a preset change, an undo ...)."""
        self._queue = None
        self._queue_key = None
        self._options = None

    # -- decks and presets ---------------------------------------------------

    def _decks(self, s: Session) -> list[DeckInfo]:
        return [DeckInfo(*row) for row in s.execute(select(DeckRow.id, DeckRow.name, DeckRow.parent_id, DeckRow.preset_id))]

    def ensure_default_preset(self) -> None:
        """Create the default preset if the collection has none yet (once, at open)."""
        with self._sessions.begin() as s:
            if s.scalar(select(PresetRow.id).where(PresetRow.name == DEFAULT_PRESET_NAME)) is None:
                s.execute(insert(PresetRow).values(name=DEFAULT_PRESET_NAME, config=Preset().to_json()))

    def _default_preset_id(self, s: Session) -> int:
        found = s.scalar(select(PresetRow.id).where(PresetRow.name == DEFAULT_PRESET_NAME))
        if found is None:
            raise ReviewError("the collection has no default preset")
        return found

    def _presets(self, s: Session) -> dict[int, Preset]:
        return {
            pid: Preset.from_json({**cfg, "name": name})
            for pid, name, cfg in s.execute(select(PresetRow.id, PresetRow.name, PresetRow.config))
        }

    def _deck_id(self, s: Session, deck: str) -> int:
        found = s.scalar(select(DeckRow.id).where(DeckRow.name == deck))
        if found is None:
            raise ReviewError(f"no deck named {deck!r}")
        return found

    def _preset_map(self, s: Session) -> tuple[list[DeckInfo], dict[int, Preset], dict[int, int]]:
        if self._options is None:
            default = self._default_preset_id(s)
            decks = self._decks(s)
            self._options = (decks, self._presets(s), effective_presets(decks, default))
        return self._options

    def preset(self, deck: str) -> Preset:
        with self._sessions() as s:
            deck_id = self._deck_id(s, deck)
            _decks, presets, eff = self._preset_map(s)
            return presets[eff[deck_id]]

    def update_preset(self, deck: str, **fields: Any) -> Preset:
        """Change the preset ``deck`` uses (shared: every deck using it sees the change)."""
        with self._sessions() as s:
            deck_id = self._deck_id(s, deck)
            _decks, presets, eff = self._preset_map(s)
            preset_id = eff[deck_id]
            current = presets[preset_id]
        if "name" in fields:
            raise PresetError("rename a preset with rename_preset(); update_preset changes options only")
        updated = current.replace(**fields)
        with self._sessions.begin() as s:
            s.execute(update(PresetRow).where(PresetRow.id == preset_id).values(config=updated.to_json()))
        self.invalidate()
        return updated

    def presets(self) -> dict[str, Preset]:
        with self._sessions() as s:
            self._default_preset_id(s)
            return {p.name: p for p in self._presets(s).values()}

    def add_preset(self, name: str, **fields: Any) -> Preset:
        preset = Preset(name=name).replace(**fields)
        with self._sessions.begin() as s:
            if s.scalar(select(PresetRow.id).where(PresetRow.name == name)) is not None:
                raise PresetError(f"a preset named {name!r} already exists")
            s.execute(insert(PresetRow).values(name=name, config=preset.to_json()))
        self.invalidate()
        return preset

    def use_preset(self, deck: str, name: str | None) -> None:
        """Make ``deck`` (and the subdecks that inherit) use preset ``name``; None: inherit the parent's."""
        with self._sessions.begin() as s:
            deck_id = self._deck_id(s, deck)
            preset_id = None
            if name is not None:
                preset_id = s.scalar(select(PresetRow.id).where(PresetRow.name == name))
                if preset_id is None:
                    raise PresetError(f"no preset named {name!r}")
            s.execute(update(DeckRow).where(DeckRow.id == deck_id).values(preset_id=preset_id))
        self.invalidate()

    # -- counts ----------------------------------------------------------------

    def _done_today(self, s: Session, day_start: datetime) -> dict[int, tuple[int, int]]:
        """Per deck: new cards introduced and review cards answered since ``day_start``."""
        done: dict[int, list[int]] = {}
        rows = s.execute(
            select(CardRow.deck_id, ReviewLogRow.state_before, func.count())
            .join(CardRow, CardRow.id == ReviewLogRow.card_id)
            .where(ReviewLogRow.reviewed_at >= day_start)
            .group_by(CardRow.deck_id, ReviewLogRow.state_before)
        )
        for deck_id, state_before, n in rows:
            if deck_id is None:
                continue
            entry = done.setdefault(deck_id, [0, 0])
            if state_before == State.NEW:
                entry[0] += n
            elif state_before == State.REVIEW:
                entry[1] += n
        return {k: (v[0], v[1]) for k, v in done.items()}

    @staticmethod
    def _available(now: datetime) -> Any:
        return and_(
            CardRow.retired_at.is_(None),
            CardRow.suspended.is_(False),
            or_(CardRow.buried_until.is_(None), CardRow.buried_until <= now),
        )

    def _limits(
        self, decks: list[DeckInfo], presets: dict[int, Preset], eff: dict[int, int], done: dict[int, tuple[int, int]]
    ) -> dict[int, tuple[int, int]]:
        """Each deck's (new, review) limits left today, after what it and its subdecks did."""
        by_parent: dict[int | None, list[int]] = {}
        for d in decks:
            by_parent.setdefault(d.parent_id, []).append(d.id)
        subtotal: dict[int, tuple[int, int]] = {}

        def total(deck_id: int) -> tuple[int, int]:
            if deck_id not in subtotal:
                n, r = done.get(deck_id, (0, 0))
                for child in by_parent.get(deck_id, []):
                    cn, cr = total(child)
                    n, r = n + cn, r + cr
                subtotal[deck_id] = (n, r)
            return subtotal[deck_id]

        out = {}
        for d in decks:
            p = presets[eff[d.id]]
            n, r = total(d.id)
            out[d.id] = (max(0, p.new_per_day - n), max(0, p.reviews_per_day - r))
        return out

    def deck_tree(self, now: datetime | None = None) -> list[DeckNode]:
        now = _utc(now)
        days = self.days()
        today = days.day_of(now)
        day_start, day_end = days.start_of(today), days.start_of(today + 1)
        with self._sessions() as s:
            decks, presets, eff = self._preset_map(s)
            limits = self._limits(decks, presets, eff, self._done_today(s, day_start))
            available = self._available(now)
            conn = s.connection()

            def limited_count(q: Select[Any], limit: int) -> int:
                if limit <= 0:
                    return 0
                return conn.execute(select(func.count()).select_from(q.limit(limit).subquery())).scalar_one()

            def own(deck_id: int) -> DeckCounts:
                new_left, review_left = limits[deck_id]
                base = select(CardRow.id).where(CardRow.deck_id == deck_id, available)
                new = limited_count(base.where(CardRow.state == State.NEW), new_left)
                review = limited_count(base.where(CardRow.state == State.REVIEW, CardRow.due < day_end), review_left)
                learning = conn.execute(
                    select(func.count()).where(
                        CardRow.deck_id == deck_id,
                        CardRow.state.in_((State.LEARNING, State.RELEARNING)),
                        CardRow.due < day_end,
                        available,
                    )
                ).scalar_one()
                return DeckCounts(new, learning, review)

            return build_tree(decks, own, lambda d: limits[d])

    # -- the day's queue -----------------------------------------------------

    def _build_queue(self, s: Session, deck: str | None, now: datetime) -> DayQueue:
        days = self.days()
        today = days.day_of(now)
        day_start, day_end = days.start_of(today), days.start_of(today + 1)
        decks, presets, eff = self._preset_map(s)
        limits = self._limits(decks, presets, eff, self._done_today(s, day_start))
        parents = {d.id: d.parent_id for d in decks}
        if deck is None:
            roots = [d.id for d in sorted(decks, key=lambda d: d.name.casefold()) if d.parent_id is None]
        else:
            roots = [self._deck_id(s, deck)]
        order = [d for root in roots for d in subtree(decks, root)]
        selected = set(order)
        available = self._available(now)
        notes: dict[int, int] = {}
        seen_notes: set[int] = set()

        learning: list[tuple[datetime, int]] = []
        for cid, nid, due in s.execute(
            select(CardRow.id, CardRow.note_id, CardRow.due).where(
                CardRow.deck_id.in_(order),
                CardRow.state.in_((State.LEARNING, State.RELEARNING)),
                CardRow.due < day_end,
                available,
            )
        ):
            if due is not None:
                learning.append((due, cid))
                notes[cid] = nid

        def chain(deck_id: int) -> list[int]:
            out = []
            d: int | None = deck_id
            while d is not None and d in selected:
                out.append(d)
                d = parents.get(d)
            return out

        def gather(state: State, which: int, query: Callable[[int], Select[int, int]]) -> list[int]:
            left = {d: limits[d][which] for d in order}
            picked: list[int] = []
            for deck_id in order:
                up = chain(deck_id)
                want = min(left[a] for a in up)
                if want <= 0:
                    continue
                for cid, nid in s.execute(query(deck_id)).yield_per(256):
                    if want <= 0:
                        break
                    if presets[eff[deck_id]].bury_siblings and nid in seen_notes:
                        continue
                    picked.append(cid)
                    notes[cid] = nid
                    seen_notes.add(nid)
                    want -= 1
                    for a in up:
                        left[a] -= 1
            return picked

        def review_query(deck_id: int) -> Select[int, int]:
            return (
                select(CardRow.id, CardRow.note_id)
                .where(CardRow.deck_id == deck_id, CardRow.state == State.REVIEW, CardRow.due < day_end, available)
                .order_by(CardRow.due, CardRow.id)
            )

        def new_query(deck_id: int) -> Select[int, int]:
            q = (
                select(CardRow.id, CardRow.note_id)
                .join(NoteRow, NoteRow.id == CardRow.note_id)
                .where(CardRow.deck_id == deck_id, CardRow.state == State.NEW, available)
            )
            if presets[eff[deck_id]].new_card_order == "random":
                return q.order_by((CardRow.id * 2654435761 + today) % 1000003, CardRow.id)
            return q.order_by(NoteRow.file_path, NoteRow.position, CardRow.ordinal)

        reviews = gather(State.REVIEW, 1, review_query)
        new = gather(State.NEW, 0, new_query)
        learn_ahead = timedelta(minutes=int(self.settings()["learn_ahead_minutes"]))
        return DayQueue(today, learn_ahead, learning, deque(reviews), deque(new), notes)

    def queue(self, s: Session, deck: str | None, now: datetime) -> DayQueue:
        today = self.days().day_of(now)
        key = (None if deck is None else self._deck_id(s, deck), today)
        if self._queue is None or self._queue_key != key:
            self._queue = self._build_queue(s, deck, now)
            self._queue_key = key
        return self._queue

    def next_card_id(self, deck: str | None, now: datetime | None) -> int | None:
        now = _utc(now)
        with self._sessions() as s:
            return self.queue(s, deck, now).peek(now)

    def queue_counts(self, deck: str | None, now: datetime | None) -> QueueCounts:
        now = _utc(now)
        with self._sessions() as s:
            return self.queue(s, deck, now).counts()

    # -- answering -----------------------------------------------------------

    def _card(self, s: Session, card_id: int) -> Any:
        row = s.execute(
            select(
                CardRow.id, CardRow.note_id, CardRow.deck_id, CardRow.retired_at, *(getattr(CardRow, f) for f in _SCHED_FIELDS)
            ).where(CardRow.id == card_id)
        ).one_or_none()
        if row is None:
            raise ReviewError(f"no card {card_id}")
        return row

    def _context(self, s: Session, card_id: int, deck_id: int | None) -> scheduler.Context:
        _decks, presets, eff = self._preset_map(s)
        preset = presets[eff[deck_id]] if deck_id in eff else presets[self._default_preset_id(s)]
        return scheduler.Context(card_id, preset, self.days(), _LoadMap(s, self.days()))

    def preview(self, card_id: int, now: datetime | None = None) -> dict[Rating, Outcome]:
        now = _utc(now)
        with self._sessions() as s:
            row = self._card(s, card_id)
            return scheduler.outcomes(state_of(row), now, self._context(s, card_id, row.deck_id))

    def answer(self, card_id: int, rating: Rating, elapsed_ms: int = 0, now: datetime | None = None) -> AnswerResult:
        rating = Rating(rating)
        now = _utc(now)
        if not 0 <= elapsed_ms <= 2**31 - 1:
            raise ReviewError(f"elapsed_ms must be 0 or more, not {elapsed_ms}")
        with self._sessions.begin() as s:
            row = self._card(s, card_id)
            if row.retired_at is not None:
                raise ReviewError(f"card {card_id} is no longer in its deck file and cannot be answered")
            if row.suspended:
                raise ReviewError(f"card {card_id} is suspended; unsuspend it to review it")
            before = state_of(row)
            ctx = self._context(s, card_id, row.deck_id)
            outcome = scheduler.outcomes(before, now, ctx)[rating]
            after = outcome.after
            days = self.days()
            undo_cards = [_snapshot(card_id, before)]
            undo_notes: list[dict[str, Any]] = []
            suspended = False
            if outcome.leech:
                tags = s.scalar(select(NoteRow.user_tags).where(NoteRow.id == row.note_id)) or []
                undo_notes.append({"id": row.note_id, "user_tags": list(tags)})
                if LEECH_TAG not in tags:
                    s.execute(update(NoteRow).where(NoteRow.id == row.note_id).values(user_tags=[*tags, LEECH_TAG]))
                if ctx.preset.leech_action == "suspend":
                    after = dataclasses.replace(after, suspended=True)
                    suspended = True
            s.execute(update(CardRow).where(CardRow.id == card_id).values(**_columns(after)))
            log_id = s.execute(
                insert(ReviewLogRow)
                .values(
                    card_id=card_id,
                    reviewed_at=now,
                    rating=int(rating),
                    duration_ms=elapsed_ms,
                    state_before=int(before.state),
                    step_before=before.step,
                    due_before=before.due,
                    stability_before=before.stability,
                    difficulty_before=before.difficulty,
                    last_review_before=before.last_review,
                    state_after=int(after.state),
                    step_after=after.step,
                    due_after=after.due,
                    stability_after=after.stability,
                    difficulty_after=after.difficulty,
                )
                .returning(ReviewLogRow.id)
            ).scalar_one()
            buried: list[int] = []
            if ctx.preset.bury_siblings:
                tomorrow = days.start_of(days.day_of(now) + 1)
                siblings = s.execute(
                    select(CardRow.id, *(getattr(CardRow, f) for f in _SCHED_FIELDS)).where(
                        CardRow.note_id == row.note_id,
                        CardRow.id != card_id,
                        CardRow.state.in_((State.NEW, State.REVIEW)),
                        self._available(now),
                        or_(CardRow.state == State.NEW, CardRow.due < tomorrow),
                    )
                ).all()
                for sib in siblings:
                    undo_cards.append(_snapshot(sib.id, state_of(sib)))
                    buried.append(sib.id)
                if buried:
                    s.execute(update(CardRow).where(CardRow.id.in_(buried)).values(buried_until=tomorrow))
            self._push_undo(
                s,
                "answer",
                now,
                {"log_id": log_id, "cards": undo_cards, "notes": undo_notes, "after": _snapshot(card_id, after)},
            )
        self._after_answer(card_id, row.note_id, after, buried, now)
        return AnswerResult(card_id, outcome, tuple(buried), outcome.leech, suspended)

    def _after_answer(self, card_id: int, note_id: int, after: CardState, buried: list[int], now: datetime) -> None:
        q = self._queue
        if q is None:
            return
        if self.days().day_of(now) != q.day:
            self.invalidate()
            return
        in_queue = card_id in q
        q.remove(card_id)
        for sib in buried:
            q.remove(sib)
        day_end = self.days().start_of(q.day + 1)
        if (
            in_queue
            and after.state in (State.LEARNING, State.RELEARNING)
            and not after.suspended
            and after.due is not None
            and after.due < day_end
        ):
            q.push_learning(card_id, note_id, after.due)

    # -- bury, suspend, flag -------------------------------------------------

    def _set(self, action: str, card_ids: Iterable[int], now: datetime | None, **values: Any) -> None:
        now = _utc(now)
        ids = list(dict.fromkeys(card_ids))
        with self._sessions.begin() as s:
            snaps = []
            for cid in ids:
                row = self._card(s, cid)
                snaps.append(_snapshot(cid, state_of(row)))
            s.execute(update(CardRow).where(CardRow.id.in_(ids)).values(**values))
            self._push_undo(s, action, now, {"log_id": None, "cards": snaps, "notes": []})
        q = self._queue
        if q is not None and (values.get("suspended") or values.get("buried_until")):
            for cid in ids:
                q.remove(cid)
        elif values.get("suspended") is False:
            self.invalidate()

    def bury(self, card_ids: Iterable[int], now: datetime | None = None) -> None:
        days = self.days()
        until = days.start_of(days.day_of(_utc(now)) + 1)
        self._set("bury", card_ids, now, buried_until=until)

    def suspend(self, card_ids: Iterable[int], now: datetime | None = None) -> None:
        self._set("suspend", card_ids, now, suspended=True)

    def unsuspend(self, card_ids: Iterable[int], now: datetime | None = None) -> None:
        self._set("unsuspend", card_ids, now, suspended=False)

    def flag(self, card_ids: Iterable[int], flag: int, now: datetime | None = None) -> None:
        if flag not in range(8):
            raise ReviewError(f"flag must be 0 (none) to 7, not {flag}")
        self._set("flag", card_ids, now, flag=flag)

    # -- undo ----------------------------------------------------------------

    def _push_undo(self, s: Session, action: str, now: datetime, payload: dict[str, Any]) -> None:
        s.execute(insert(UndoRow).values(created_at=now, action=action, payload=payload))
        newest = s.scalar(select(func.max(UndoRow.id)))
        if newest is not None and newest > UNDO_DEPTH:
            s.execute(delete(UndoRow).where(UndoRow.id <= newest - UNDO_DEPTH))

    def undo_available(self) -> str | None:
        """The action the next undo would revert (``"answer"``, ``"bury"`` ...), or None."""
        with self._sessions() as s:
            return s.scalar(select(UndoRow.action).order_by(UndoRow.id.desc()).limit(1))

    def undo(self) -> UndoResult:
        with self._sessions.begin() as s:
            entry = s.execute(select(UndoRow).order_by(UndoRow.id.desc()).limit(1)).scalar_one_or_none()
            if entry is None:
                raise UndoError("nothing to undo")
            payload: dict[str, Any] = dict(entry.payload)
            cards: list[dict[str, Any]] = list(payload["cards"])
            ids = [int(c["id"]) for c in cards]
            present = set(s.scalars(select(CardRow.id).where(CardRow.id.in_(ids))))
            missing = [i for i in ids if i not in present]
            if missing:
                s.execute(delete(UndoRow).where(UndoRow.id == entry.id))
                raise UndoError(f"cannot undo the last {entry.action}: card {missing[0]} is no longer in the collection")
            expected = payload.get("after")
            if isinstance(expected, dict):
                now_state = _snapshot(int(expected["id"]), state_of(self._card(s, int(expected["id"]))))
                if any(now_state[k] != expected[k] for k in ("state", "reps", "due", "stability")):
                    s.execute(delete(UndoRow).where(UndoRow.id <= entry.id))
                    raise UndoError(
                        f"cannot undo the last answer: card {expected['id']} has been rescheduled since; "
                        "the undo history was cleared"
                    )
            for snap in cards:
                s.execute(update(CardRow).where(CardRow.id == int(snap["id"])).values(**_restore(snap)))
            for note in payload.get("notes", []):
                s.execute(update(NoteRow).where(NoteRow.id == int(note["id"])).values(user_tags=note["user_tags"]))
            if payload.get("log_id") is not None:
                s.execute(delete(ReviewLogRow).where(ReviewLogRow.id == int(payload["log_id"])))
            s.execute(delete(UndoRow).where(UndoRow.id == entry.id))
            action = entry.action
        self.invalidate()
        return UndoResult(action, tuple(ids))

    def clear_undo(self, s: Session) -> None:
        s.execute(delete(UndoRow))

    # -- reading -------------------------------------------------------------

    def card_state(self, card_id: int) -> CardState:
        with self._sessions() as s:
            return state_of(self._card(s, card_id))

    def review_log(self, card_id: int) -> list[ReviewEntry]:
        with self._sessions() as s:
            rows = s.execute(
                select(ReviewLogRow).where(ReviewLogRow.card_id == card_id).order_by(ReviewLogRow.reviewed_at, ReviewLogRow.id)
            ).scalars()
            return [
                ReviewEntry(
                    r.id,
                    r.card_id,
                    r.reviewed_at,
                    Rating(r.rating),
                    r.duration_ms,
                    State(r.state_before),
                    State(r.state_after),
                    r.due_after,
                    r.stability_after,
                    r.difficulty_after,
                )
                for r in rows
            ]


class _LoadMap:
    """Review cards due per study day, fetched in blocks on demand (for load balancing).

    Retired cards are counted too: they are few, and leaving them in keeps the
    query on the (state, due) index alone (61 ms -> a few ms on 100k cards).
    """

    BLOCK = 64

    def __init__(self, s: Session, days: StudyDays) -> None:
        self._s = s
        self._days = days
        self._counts: dict[int, int] = {}
        self._blocks: set[int] = set()

    def __call__(self, day: int) -> int:
        block = day // self.BLOCK
        if block not in self._blocks:
            self._blocks.add(block)
            first = self._days.start_of(block * self.BLOCK)
            last = self._days.start_of((block + 1) * self.BLOCK)
            for due, n in self._s.execute(
                select(CardRow.due, func.count())
                .where(CardRow.state == State.REVIEW, CardRow.due >= first, CardRow.due < last)
                .group_by(CardRow.due)
            ):
                if due is None:
                    continue
                d = self._days.day_of(due)
                self._counts[d] = self._counts.get(d, 0) + n
        return self._counts.get(day, 0)
