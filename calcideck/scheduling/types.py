"""The scheduling vocabulary shared by the engine, the store and the facade (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum


class Rating(IntEnum):
    """How well the student remembered: the four answer buttons."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class State(IntEnum):
    """Where a card is in its life (stored in ``cards.state``)."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


@dataclass(frozen=True, slots=True)
class CardState:
    """A card's scheduling state at one moment.

    ``due`` is an instant: for a card in review (or a learning step of a day or
    more) it is the start of the study day it is due on. ``step`` is the index
    of the current (re)learning step. ``stability`` is in days; ``difficulty``
    is FSRS's 1-10 scale. Both are ``None`` for a new card.
    """

    state: State
    due: datetime | None
    stability: float | None
    difficulty: float | None
    reps: int
    lapses: int
    last_review: datetime | None
    step: int | None = None
    suspended: bool = False
    buried_until: datetime | None = None
    flag: int = 0

    @classmethod
    def new(cls) -> CardState:
        return cls(State.NEW, None, None, None, 0, 0, None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one rating does to a card: its next state, and how long until it is seen again.

    ``interval_days`` is set when the card is scheduled in whole study days
    (review, or a step of a day or more); ``delay`` is then the time until the
    start of that day. ``leech`` is true when this answer made the card a leech.
    """

    rating: Rating
    after: CardState
    delay: timedelta
    interval_days: int | None
    leech: bool = False

    def label(self) -> str:
        """The delay the way an answer button shows it: ``10m``, ``1d``, ``3.5mo``, ``1.2y``."""
        return format_delay(self.delay if self.interval_days is None else timedelta(days=self.interval_days))


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """One answer from the review log."""

    id: int
    card_id: int
    reviewed_at: datetime
    rating: Rating
    duration_ms: int
    state_before: State
    state_after: State
    due_after: datetime | None
    stability_after: float | None
    difficulty_after: float | None


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """What :meth:`calcideck.Collection.answer` did: the outcome, and what else changed."""

    card_id: int
    outcome: Outcome
    buried_siblings: tuple[int, ...]
    leech: bool
    suspended: bool


def format_delay(delay: timedelta) -> str:
    """Anki-style short label: seconds under a minute, then m, h, d, mo, y."""
    secs = delay.total_seconds()
    if secs < 60:
        return f"{max(0, round(secs))}s"
    minutes = secs / 60
    if minutes < 60:
        return f"{round(minutes)}m"
    hours = minutes / 60
    if hours < 24:
        return _trim(hours) + "h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    months = days / 30.4375
    if months < 12:
        return _trim(months) + "mo"
    return _trim(days / 365.25) + "y"


def _trim(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
