"""Scheduling rules as pure functions: steps, Hard < Good < Easy, fuzz, load balancing, leeches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcideck.scheduling import CardState, Preset, Rating, State, StudyDays
from calcideck.scheduling.fuzz import fuzz_range, pick_interval
from calcideck.scheduling.scheduler import Context, hard_delay, is_leech, outcomes

UTC_DAYS = StudyDays(ZoneInfo("UTC"))
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def ctx(card_id: int = 7, **preset: object) -> Context:
    return Context(card_id, Preset(**preset), UTC_DAYS)  # type: ignore[arg-type]


def review_card(stability: float, difficulty: float, days_ago: int, reps: int = 5) -> CardState:
    last = NOW - timedelta(days=days_ago)
    return CardState(State.REVIEW, UTC_DAYS.start_of(UTC_DAYS.day_of(NOW)), stability, difficulty, reps, 0, last)


def test_new_card_learning_steps_like_anki() -> None:
    o = outcomes(CardState.new(), NOW, ctx())
    assert o[Rating.AGAIN].after.due == NOW + 1 * M and o[Rating.AGAIN].after.state is State.LEARNING
    assert o[Rating.HARD].after.due == NOW + 5.5 * M  # mean of 1m and 10m
    assert o[Rating.GOOD].after.due == NOW + 10 * M and o[Rating.GOOD].after.step == 1
    assert o[Rating.EASY].after.state is State.REVIEW and o[Rating.EASY].interval_days is not None
    labels = [o[r].label() for r in Rating]
    assert labels[:3] == ["1m", "6m", "10m"]


def test_good_on_the_last_step_graduates_and_hard_repeats_the_step() -> None:
    first = outcomes(CardState.new(), NOW, ctx())[Rating.GOOD].after
    later = NOW + 10 * M
    o = outcomes(first, later, ctx())
    assert o[Rating.HARD].after.due == later + 10 * M and o[Rating.HARD].after.step == 1
    assert o[Rating.AGAIN].after.step == 0 and o[Rating.AGAIN].after.due == later + M
    good = o[Rating.GOOD]
    assert good.after.state is State.REVIEW and good.interval_days is not None and good.interval_days >= 1
    assert o[Rating.EASY].interval_days is not None and o[Rating.EASY].interval_days > good.interval_days


def test_single_step_hard_is_one_and_a_half_times_it_at_most_a_day_more() -> None:
    assert hard_delay((10 * M,), 0) == 15 * M
    assert hard_delay((timedelta(days=3),), 0) == timedelta(days=4)
    assert hard_delay((M, 10 * M, timedelta(hours=1)), 2) == timedelta(hours=1)


def test_steps_of_a_day_or_more_become_study_days() -> None:
    c = ctx(learning_steps=(10 * M, timedelta(days=1)))
    o = outcomes(CardState.new(), NOW, c)
    good = o[Rating.GOOD]
    assert good.after.state is State.LEARNING and good.interval_days == 1
    assert good.after.due == UTC_DAYS.start_of(UTC_DAYS.day_of(NOW) + 1)


def test_a_short_step_crossing_the_rollover_is_due_from_the_next_day_start() -> None:
    late = datetime(2026, 6, 11, 3, 55, tzinfo=UTC)  # rollover 04:00 UTC
    o = outcomes(CardState.new(), late, ctx())
    assert o[Rating.AGAIN].after.due == late + M  # 03:56 stays today
    assert o[Rating.GOOD].after.due == UTC_DAYS.start_of(UTC_DAYS.day_of(late) + 1)  # 04:05 -> from 04:00
    assert o[Rating.GOOD].label() == "10m"


def test_relearning_after_a_lapse() -> None:
    card = review_card(20.0, 5.0, days_ago=20)
    o = outcomes(card, NOW, ctx())
    again = o[Rating.AGAIN].after
    assert again.state is State.RELEARNING and again.lapses == 1 and again.due == NOW + 10 * M
    assert again.stability is not None and again.stability < 20.0
    back = outcomes(again, NOW + 10 * M, ctx())[Rating.GOOD]
    assert back.after.state is State.REVIEW and back.after.lapses == 1


@settings(max_examples=200, deadline=None)
@given(
    stability=st.floats(0.1, 3000),
    difficulty=st.floats(1, 10),
    days_ago=st.integers(0, 4000),
    card_id=st.integers(1, 10**6),
    reps=st.integers(1, 200),
)
def test_hard_less_than_good_less_than_easy_always(
    stability: float, difficulty: float, days_ago: int, card_id: int, reps: int
) -> None:
    o = outcomes(review_card(stability, difficulty, days_ago, reps), NOW, ctx(card_id))
    h, g, e = (o[r].interval_days for r in (Rating.HARD, Rating.GOOD, Rating.EASY))
    assert h is not None and g is not None and e is not None
    assert 1 <= h < g < e <= 36500 or e == 36500


def test_fuzz_is_seeded_per_card_and_review_count() -> None:
    card = review_card(30.0, 5.0, days_ago=30)
    same = {outcomes(card, NOW, ctx(11))[Rating.GOOD].interval_days for _ in range(5)}
    assert len(same) == 1
    spread = {outcomes(card, NOW, ctx(cid))[Rating.GOOD].interval_days for cid in range(1, 60)}
    assert len(spread) > 1  # different cards land on different days
    no_fuzz = {outcomes(card, NOW, ctx(cid, fuzz=False))[Rating.GOOD].interval_days for cid in range(1, 60)}
    assert len(no_fuzz) == 1


def test_fuzz_range_matches_the_anki_table() -> None:
    assert fuzz_range(2.0, 1, 100) == (1, 3)  # callers skip fuzz below 2.5 days
    assert fuzz_range(10.0, 1, 100) == (8, 12)  # 1 + 0.15*4.5 + 0.1*3 = 1.975
    assert fuzz_range(100.0, 1, 100) == (93, 100)  # clamped at the maximum
    assert fuzz_range(100.0, 98, 200) == (98, 107)


def test_load_balancing_prefers_emptier_days() -> None:
    busy = {d: 500 for d in range(0, 1000)}
    today = 100
    busy[today + 30] = 0
    picks = [
        pick_interval(30.0, minimum=1, maximum=1000, fuzz=True, seed=s, today=today, load=lambda d: busy[d]) for s in range(200)
    ]
    assert picks.count(30) > 150


def test_easy_days_avoid_a_zero_percent_weekday() -> None:
    days = StudyDays(ZoneInfo("UTC"))
    today = days.day_of(NOW)
    sunday_off = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0)
    picks = [
        pick_interval(30.0, minimum=1, maximum=1000, fuzz=True, seed=s, today=today, easy_days=sunday_off, weekday=days.weekday)
        for s in range(300)
    ]
    assert all(days.weekday(today + p) != 6 for p in picks)
    assert len(set(picks)) > 2


@pytest.mark.parametrize(("lapses", "expected"), [(7, False), (8, True), (9, False), (12, True), (16, True), (13, False)])
def test_leech_at_the_threshold_then_every_half_threshold(lapses: int, expected: bool) -> None:
    assert is_leech(lapses, 8) is expected


def test_preset_validation_lists_every_bad_value() -> None:
    from calcideck.scheduling import PresetError

    with pytest.raises(PresetError) as info:
        Preset().replace(desired_retention=1.5, new_per_day=-1, leech_action="delete")
    text = str(info.value)
    assert "desired_retention" in text and "new_per_day" in text and "leech_action" in text
    with pytest.raises(PresetError, match="unknown"):
        Preset().replace(colour="red")
    p = Preset().replace(learning_steps=[60, 600, 3600])
    assert Preset.from_json(p.to_json()) == p
