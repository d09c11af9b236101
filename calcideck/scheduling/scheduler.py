"""What each rating does to a card: pure functions, no database, no clock.

``outcomes(card, now, ctx)`` gives all four outcomes at once; an answer takes
one of them and a preview shows them, so both always agree.

Rules (as Anki's FSRS scheduler, see docs/scheduling.md):

* Memory (stability, difficulty) is updated by FSRS-6 on every answer, with
  the elapsed time counted in study days; a same-day answer uses FSRS's
  short-term formula.
* New and learning cards walk the learning steps: Again goes back to the
  first step; Hard repeats the current step (on the first step, the mean of
  the first two, or 1.5 x a single step, at most a day more); Good moves to the
  next step or graduates; Easy graduates at once. Forgotten review cards walk
  the relearning steps the same way.
* A step of a day or more, or one whose due time falls past the next rollover,
  becomes a due study day (the card shows from that day's start).
* Review and graduating intervals come from FSRS for the preset's desired
  retention, rounded to whole days, at least one day, at most the preset's
  maximum, with Hard < Good < Easy, then fuzzed and load-balanced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from calcideck.scheduling import fuzz as _fuzz
from calcideck.scheduling.days import StudyDays
from calcideck.scheduling.model import MemoryStep, full_parameters, next_memory
from calcideck.scheduling.presets import Preset
from calcideck.scheduling.types import CardState, Outcome, Rating, State

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything besides the card itself that decides an outcome.

    ``load`` returns the number of review cards already due on a study day
    (for load balancing); ``None`` turns load balancing off.
    """

    card_id: int
    preset: Preset
    days: StudyDays
    load: Callable[[int], int] | None = None


def outcomes(card: CardState, now: datetime, ctx: Context) -> dict[Rating, Outcome]:
    p = ctx.preset
    today = ctx.days.day_of(now)
    if card.state is State.NEW or card.stability is None or card.last_review is None:
        elapsed = 0
        memory = next_memory(full_parameters(p.parameters), None, None, p.desired_retention, 0)
    else:
        elapsed = ctx.days.elapsed(card.last_review, now)
        memory = next_memory(full_parameters(p.parameters), card.stability, card.difficulty, p.desired_retention, elapsed)
    maker = _Maker(card, now, ctx, today, memory)
    if card.state is State.REVIEW:
        return maker.review()
    steps = p.relearning_steps if card.state is State.RELEARNING else p.learning_steps
    return maker.stepping(steps)


class _Maker:
    def __init__(self, card: CardState, now: datetime, ctx: Context, today: int, memory: dict[Rating, MemoryStep]) -> None:
        self.card, self.now, self.ctx, self.today, self.memory = card, now, ctx, today, memory
        self.p = ctx.preset

    def _interval(self, rating: Rating, minimum: int) -> int:
        p = self.p
        load = self.ctx.load if p.load_balance else None
        return _fuzz.pick_interval(
            self.memory[rating].interval,
            minimum=minimum,
            maximum=p.max_interval_days,
            fuzz=p.fuzz,
            seed=_fuzz.seed_for(self.ctx.card_id, self.card.reps, int(rating)),
            today=self.today,
            load=load,
            easy_days=p.easy_days,
            weekday=self.ctx.days.weekday,
        )

    def _state(self, rating: Rating, state: State, due: datetime, step: int | None, lapses: int) -> CardState:
        m = self.memory[rating]
        c = self.card
        return CardState(
            state=state,
            due=due,
            stability=m.stability,
            difficulty=m.difficulty,
            reps=c.reps + 1,
            lapses=lapses,
            last_review=self.now,
            step=step,
            suspended=c.suspended,
            buried_until=None,
            flag=c.flag,
        )

    def _in_days(self, rating: Rating, days: int, lapses: int, leech: bool = False) -> Outcome:
        due = self.ctx.days.start_of(self.today + days)
        return Outcome(rating, self._state(rating, State.REVIEW, due, None, lapses), days * DAY, days, leech)

    def _step(self, rating: Rating, state: State, step: int, delay: timedelta, lapses: int, leech: bool = False) -> Outcome:
        due = self.now + delay
        days: int | None = None
        if delay >= DAY:
            days = max(1, _fuzz.round_half_up(delay / DAY))
        elif self.ctx.days.day_of(due) > self.today:
            days = self.ctx.days.day_of(due) - self.today  # crosses the rollover: due from that day's start
        if days is not None:
            due = self.ctx.days.start_of(self.today + days)
        after = self._state(rating, state, due, step, lapses)
        return Outcome(rating, after, delay, days if delay >= DAY else None, leech)

    def review(self) -> dict[Rating, Outcome]:
        c, p = self.card, self.p
        hard = self._interval(Rating.HARD, 1)
        good = self._interval(Rating.GOOD, hard + 1)
        easy = self._interval(Rating.EASY, good + 1)
        lapses = c.lapses + 1
        leech = is_leech(lapses, p.leech_threshold)
        if p.relearning_steps:
            again = self._step(Rating.AGAIN, State.RELEARNING, 0, p.relearning_steps[0], lapses, leech)
        else:
            again = self._in_days(Rating.AGAIN, self._interval(Rating.AGAIN, 1), lapses, leech)
        return {
            Rating.AGAIN: again,
            Rating.HARD: self._in_days(Rating.HARD, hard, c.lapses),
            Rating.GOOD: self._in_days(Rating.GOOD, good, c.lapses),
            Rating.EASY: self._in_days(Rating.EASY, easy, c.lapses),
        }

    def stepping(self, steps: tuple[timedelta, ...]) -> dict[Rating, Outcome]:
        c = self.card
        state = State.RELEARNING if c.state is State.RELEARNING else State.LEARNING
        # A new card has not taken a step yet: its first answer is judged as on step 0.
        i = 0 if c.state is State.NEW or c.step is None else min(c.step, max(len(steps) - 1, 0))
        lapses = c.lapses
        good_graduates = i + 1 >= len(steps)
        good_days = self._interval(Rating.GOOD, 1) if good_graduates else 0
        easy_days = self._interval(Rating.EASY, good_days + 1)
        out: dict[Rating, Outcome] = {Rating.EASY: self._in_days(Rating.EASY, easy_days, lapses)}
        if not steps:
            again_days = self._interval(Rating.AGAIN, 1)
            hard_days = max(self._interval(Rating.HARD, 1), again_days)
            out[Rating.AGAIN] = self._in_days(Rating.AGAIN, again_days, lapses)
            out[Rating.HARD] = self._in_days(Rating.HARD, hard_days, lapses)
            out[Rating.GOOD] = self._in_days(Rating.GOOD, good_days, lapses)
            return {r: out[r] for r in Rating}
        out[Rating.AGAIN] = self._step(Rating.AGAIN, state, 0, steps[0], lapses)
        out[Rating.HARD] = self._step(Rating.HARD, state, i, hard_delay(steps, i), lapses)
        if good_graduates:
            out[Rating.GOOD] = self._in_days(Rating.GOOD, good_days, lapses)
        else:
            out[Rating.GOOD] = self._step(Rating.GOOD, state, i + 1, steps[i + 1], lapses)
        return {r: out[r] for r in Rating}


def hard_delay(steps: tuple[timedelta, ...], index: int) -> timedelta:
    """Hard on a step: the current step again; on the first, the mean of the first two steps
    (a single step: 1.5 times it, at most one day longer)."""
    if index > 0:
        return steps[index]
    if len(steps) > 1:
        return (steps[0] + steps[1]) / 2
    return min(steps[0] * 1.5, steps[0] + DAY)


def is_leech(lapses: int, threshold: int) -> bool:
    """A leech at ``threshold`` lapses, then again every half threshold (as Anki)."""
    if lapses < threshold:
        return False
    return (lapses - threshold) % max(1, threshold // 2) == 0
