"""Personal FSRS parameters and workload estimates, with ``fsrs_rs_python`` (Anki's Rust engine).

Training items are built with the scheduler's own day counting: for each
card, its answers sorted by time, the elapsed study days between them, and one
item per answer that follows at least one study-day boundary (the answer is
the prediction target, the answers before it are its history). A card's
history restarts at its last answer from the new state (a reset card).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import fsrs_rs_python as _fsrs

from calcideck.scheduling.days import StudyDays
from calcideck.scheduling.model import full_parameters
from calcideck.scheduling.types import Rating, State

MIN_REVIEWS = 400  # below this a fit mostly reproduces the defaults; say so instead
RETENTION_CHOICES = (0.70, 0.75, 0.80, 0.83, 0.85, 0.87, 0.90, 0.92, 0.94, 0.95, 0.97)


@dataclass(frozen=True, slots=True)
class LoggedAnswer:
    card_id: int
    reviewed_at: datetime
    rating: int
    state_before: int
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class TrainingSet:
    items: list[_fsrs.FSRSItem]
    card_ids: list[int]
    reviews: int  # answers that went into the set


def training_set(answers: Iterable[LoggedAnswer], days: StudyDays) -> TrainingSet:
    by_card: dict[int, list[LoggedAnswer]] = {}
    count = 0
    for a in answers:
        by_card.setdefault(a.card_id, []).append(a)
        count += 1
    keyed: list[tuple[datetime, int, _fsrs.FSRSItem]] = []
    for card_id, history in by_card.items():
        history.sort(key=lambda a: a.reviewed_at)
        start = max((i for i, a in enumerate(history) if a.state_before == State.NEW), default=0)
        history = history[start:]
        reviews: list[_fsrs.FSRSReview] = []
        previous: datetime | None = None
        for a in history:
            delta = 0 if previous is None else days.elapsed(previous, a.reviewed_at)
            reviews.append(_fsrs.FSRSReview(int(a.rating), delta))
            previous = a.reviewed_at
            if len(reviews) > 1 and delta > 0:
                keyed.append((a.reviewed_at, card_id, _fsrs.FSRSItem(list(reviews))))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return TrainingSet([k[2] for k in keyed], [k[1] for k in keyed], count)


def log_loss(parameters: Sequence[float] | None, items: Sequence[_fsrs.FSRSItem]) -> float:
    return float(_fsrs.FSRS(list(full_parameters(parameters))).evaluate(list(items)).log_loss)


def fit(data: TrainingSet, current: Sequence[float] | None) -> tuple[tuple[float, ...], float, float]:
    """New parameters and the log loss (before, after) of current and new ones on the same items."""
    model = _fsrs.FSRS(list(full_parameters(current)))
    fitted = tuple(float(x) for x in model.compute_parameters(data.items, data.card_ids))
    return fitted, log_loss(current, data.items), log_loss(fitted, data.items)


def memory_states(
    parameters: Sequence[float] | None, histories: dict[int, list[LoggedAnswer]], days: StudyDays
) -> dict[int, tuple[float, float]]:
    """Each card's (stability, difficulty) after replaying its whole history under ``parameters``."""
    model = _fsrs.FSRS(list(full_parameters(parameters)))
    ids: list[int] = []
    items: list[_fsrs.FSRSItem] = []
    for card_id, history in histories.items():
        history = sorted(history, key=lambda a: a.reviewed_at)
        start = max((i for i, a in enumerate(history) if a.state_before == State.NEW), default=0)
        reviews, previous = [], None
        for a in history[start:]:
            reviews.append(_fsrs.FSRSReview(int(a.rating), 0 if previous is None else days.elapsed(previous, a.reviewed_at)))
            previous = a.reviewed_at
        if reviews:
            ids.append(card_id)
            items.append(_fsrs.FSRSItem(reviews))
    states = model.memory_state_batch(items) if items else []
    return {cid: (m.stability, m.difficulty) for cid, m in zip(ids, states, strict=True)}


@dataclass(frozen=True, slots=True)
class RetentionOption:
    """One line of "help me decide": what a desired retention would cost and give."""

    desired_retention: float
    reviews_per_day: float
    minutes_per_day: float
    cards_remembered: float


def simulate_options(
    parameters: Sequence[float] | None,
    *,
    deck_size: int,
    new_per_day: int,
    reviews_per_day: int,
    max_interval_days: int,
    learning_steps: int,
    relearning_steps: int,
    answers: Sequence[LoggedAnswer] = (),
    days_ahead: int = 365,
    choices: Sequence[float] = RETENTION_CHOICES,
) -> list[RetentionOption]:
    """Simulate a year of study at each desired retention (the student's own rating habits and
    answer times when the log has at least :data:`MIN_REVIEWS` answers, FSRS's defaults otherwise)."""
    config = _fsrs.default_simulator_config()
    config.deck_size = max(deck_size, 1)
    config.learn_span = days_ahead
    config.learn_limit = new_per_day
    config.review_limit = reviews_per_day
    config.max_ivl = float(max_interval_days)
    config.learning_step_count = learning_steps
    config.relearning_step_count = relearning_steps
    if len(answers) >= MIN_REVIEWS:
        _personalise(config, answers)
    w = list(full_parameters(parameters))
    out = []
    for dr in choices:
        result = _fsrs.simulate(w, dr, config, 2024)
        span = max(len(result.review_cnt_per_day), 1)
        reviews = (sum(result.review_cnt_per_day) + sum(result.learn_cnt_per_day)) / span
        minutes = sum(result.cost_per_day) / span / 60
        out.append(RetentionOption(dr, reviews, minutes, result.memorized_cnt_per_day[-1]))
    return out


def _personalise(config: _fsrs.SimulatorConfig, answers: Sequence[LoggedAnswer]) -> None:
    first = [0] * 4
    passed = [0] * 3
    costs: dict[tuple[int, int], list[int]] = {}
    for a in answers:
        if a.state_before == State.NEW:
            first[a.rating - 1] += 1
        elif a.state_before == State.REVIEW and a.rating > Rating.AGAIN:
            passed[a.rating - 2] += 1
        row = {State.NEW: 0, State.LEARNING: 0, State.REVIEW: 1, State.RELEARNING: 2}[State(a.state_before)]
        if 0 < a.duration_ms <= 20 * 60 * 1000:
            costs.setdefault((row, a.rating - 1), []).append(a.duration_ms)
    if sum(first) >= 50:
        config.first_rating_prob = [n / sum(first) for n in first]
    if sum(passed) >= 50:
        config.review_rating_prob = [n / sum(passed) for n in passed]
    table = [list(r) for r in config.state_rating_costs]
    for (row, col), durations in costs.items():
        if len(durations) >= 20:
            durations.sort()
            table[row][col] = durations[len(durations) // 2] / 1000
    config.state_rating_costs = table
