"""The FSRS-6 memory model, through ``fsrs_rs_python``: the same Rust engine Anki uses.

Only this module and :mod:`calcideck.scheduling.optimizer` import it. Day
counting, learning steps, fuzz and queues are CalciDeck's own (see
``docs/scheduling.md``); the model is fed Anki-style elapsed study days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import fsrs_rs_python as _fsrs

from calcideck.scheduling.types import Rating

DEFAULT_PARAMETERS: tuple[float, ...] = tuple(_fsrs.DEFAULT_PARAMETERS)


@dataclass(frozen=True, slots=True)
class MemoryStep:
    """Memory state after one rating, and the (unrounded) interval FSRS proposes for it, in days."""

    stability: float
    difficulty: float
    interval: float


def full_parameters(parameters: Sequence[float] | None) -> tuple[float, ...]:
    """FSRS-6 weights (21 numbers); older 17/19-weight sets are converted as Anki does."""
    if parameters is None:
        return DEFAULT_PARAMETERS
    return tuple(_fsrs.check_and_fill_parameters(list(parameters)))


@lru_cache(maxsize=32)
def engine(parameters: tuple[float, ...]) -> _fsrs.FSRS:
    return _fsrs.FSRS(list(parameters))


def next_memory(
    parameters: tuple[float, ...],
    stability: float | None,
    difficulty: float | None,
    desired_retention: float,
    days_elapsed: int,
) -> dict[Rating, MemoryStep]:
    """Memory state for each rating, after ``days_elapsed`` study days since the last review.

    ``days_elapsed == 0`` selects FSRS's same-day (short-term) formula; no
    previous state means a first review.
    """
    memory = None if stability is None or difficulty is None else _fsrs.MemoryState(stability, difficulty)
    states = engine(parameters).next_states(memory, desired_retention, days_elapsed)
    return {
        rating: MemoryStep(item.memory.stability, item.memory.difficulty, item.interval)
        for rating, item in (
            (Rating.AGAIN, states.again),
            (Rating.HARD, states.hard),
            (Rating.GOOD, states.good),
            (Rating.EASY, states.easy),
        )
    }


def retrievability(parameters: tuple[float, ...], stability: float, days_elapsed: float) -> float:
    """Probability of recall after ``days_elapsed`` days, by FSRS-6's power forgetting curve."""
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return float((1 + factor * days_elapsed / stability) ** decay)
