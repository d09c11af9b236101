"""Interval fuzz and load balancing, seeded per card so a preview, an undo and a redo agree.

The fuzz range grows with the interval as in Anki (none below 2.5 days;
then 15 % of the part from 2.5 to 7 days, 10 % from 7 to 20, 5 % beyond, plus
one day). Within the range, load balancing weighs each day by the inverse
square of the reviews already due that day, times the preset's easy-day share
for its weekday; the day is then drawn with a generator seeded from the card
id, its review count and the rating.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.10), (20.0, math.inf, 0.05))


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def fuzz_range(interval: float, minimum: int, maximum: int) -> tuple[int, int]:
    """Lowest and highest day a fuzzed ``interval`` may land on, within ``[minimum, maximum]``."""
    minimum = min(minimum, maximum)
    delta = 1.0 + sum(factor * max(min(interval, end) - start, 0.0) for start, end, factor in _FUZZ_RANGES)
    low = min(max(round_half_up(interval - delta), minimum), maximum)
    high = min(max(round_half_up(interval + delta), low), maximum)
    return low, high


def seed_for(card_id: int, reps: int, salt: int) -> int:
    return (card_id * 1_000_003 + reps) * 16 + salt


def pick_interval(
    interval: float,
    *,
    minimum: int,
    maximum: int,
    fuzz: bool,
    seed: int,
    today: int,
    load: Callable[[int], int] | None = None,
    easy_days: Sequence[float] = (1.0,) * 7,
    weekday: Callable[[int], int] | None = None,
) -> int:
    """The interval in whole study days for an FSRS interval of ``interval`` days."""
    if not fuzz or interval < 2.5:
        return min(max(round_half_up(interval), min(minimum, maximum)), maximum)
    low, high = fuzz_range(interval, minimum, maximum)
    days = list(range(low, high + 1))
    rng = random.Random(seed)
    if len(days) == 1:
        return days[0]
    balanced = load is not None
    weighted = balanced or any(share != 1.0 for share in easy_days)
    if not weighted:
        return rng.choice(days)
    weights = []
    for ivl in days:
        w = 1.0
        if weekday is not None:
            w *= easy_days[weekday(today + ivl)]
        if load is not None:
            w /= (load(today + ivl) + 1) ** 2
        weights.append(w)
    if sum(weights) <= 0.0:  # every day in range is an easy day at 0 %: fall back to plain fuzz
        return rng.choice(days)
    return rng.choices(days, weights=weights)[0]
