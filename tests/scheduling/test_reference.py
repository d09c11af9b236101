"""Stability and difficulty agree with fsrs-rs fed Anki-style day counts (written out by hand here)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import fsrs_rs_python as ref
import pytest

from calcideck import Collection, Rating, State

BERLIN = ZoneInfo("Europe/Berlin")

# (local Berlin time, rating, study days since the previous answer, counted by hand:
#  days start at 04:00; DST starts 2026-03-29 and ends 2026-10-25)
SCRIPT = [
    ((2026, 3, 27, 9, 0), Rating.GOOD, 0),  # first answer of a new card
    ((2026, 3, 27, 9, 10), Rating.GOOD, 0),  # same-day learning step: short-term formula
    ((2026, 3, 28, 23, 0), Rating.GOOD, 1),  # evening
    ((2026, 3, 29, 8, 0), Rating.AGAIN, 1),  # next morning, across the spring-forward night
    ((2026, 3, 29, 8, 10), Rating.GOOD, 0),  # same-day relearning
    ((2026, 3, 30, 3, 30), Rating.GOOD, 0),  # 03:30 still belongs to study day 29 March
    ((2026, 4, 20, 10, 0), Rating.HARD, 22),  # from study day 29 March
    ((2026, 10, 24, 23, 30), Rating.GOOD, 187),  # long gap
    ((2026, 10, 25, 12, 0), Rating.EASY, 1),  # across the fall-back night
    ((2026, 10, 25, 18, 0), Rating.AGAIN, 0),
    ((2026, 10, 26, 3, 59), Rating.GOOD, 0),
]


@pytest.fixture
def one_card(deck, collection_path):  # type: ignore[no-untyped-def]
    deck.write("ref.md", "---\ndeck: Ref\n---\nQ: Where does Mönckeberg sclerosis calcify?\nA: The tunica media. ^ref-1\n")
    with Collection.open(collection_path) as col:
        col.update_settings(timezone="Europe/Berlin", rollover_hour=4)
        assert col.build([deck.root]).ok
        col.update_preset("Ref", fuzz=False, load_balance=False)
        (card_id,) = col.card_ids()
        yield col, card_id


def test_memory_states_match_fsrs_rs_with_study_day_counts(one_card) -> None:  # type: ignore[no-untyped-def]
    col, card_id = one_card
    model = ref.FSRS(ref.DEFAULT_PARAMETERS)
    memory = None
    history = []
    for when, rating, delta in SCRIPT:
        now = datetime(*when, tzinfo=BERLIN).astimezone(UTC)
        before = col.card_state(card_id)
        expected = model.next_states(memory, 0.9, delta)
        item = {
            Rating.AGAIN: expected.again,
            Rating.HARD: expected.hard,
            Rating.GOOD: expected.good,
            Rating.EASY: expected.easy,
        }[rating]
        result = col.answer(card_id, rating, 4000, now=now)
        got = col.card_state(card_id)
        assert got.stability == pytest.approx(item.memory.stability, abs=1e-3), when
        assert got.difficulty == pytest.approx(item.memory.difficulty, abs=1e-3), when
        if before.state is State.REVIEW and rating is not Rating.AGAIN:
            # rounded, at least a day, then Hard < Good < Easy (no fuzz here)
            hard = max(1, int(expected.hard.interval + 0.5))
            good = max(hard + 1, int(expected.good.interval + 0.5))
            easy = max(good + 1, int(expected.easy.interval + 0.5))
            days = {Rating.HARD: hard, Rating.GOOD: good, Rating.EASY: easy}[rating]
            assert result.outcome.interval_days == days, (when, item.interval)
            local_due = got.due.astimezone(BERLIN)  # type: ignore[union-attr]
            assert local_due.hour == 4
        memory = item.memory
        history.append(ref.FSRSReview(int(rating), delta))
    # The same history replayed in one go by fsrs-rs gives the same final state.
    replay = model.memory_state(ref.FSRSItem(history))
    final = col.card_state(card_id)
    assert final.stability == pytest.approx(replay.stability, abs=1e-3)
    assert final.difficulty == pytest.approx(replay.difficulty, abs=1e-3)
    assert [e.rating for e in col.review_log(card_id)] == [r for _w, r, _d in SCRIPT]


def test_24_hour_counting_would_disagree(one_card) -> None:  # type: ignore[no-untyped-def]
    """The check above can fail: 23:00 -> 08:00 is 0 whole 24-hour periods but 1 study day."""
    col, card_id = one_card
    model = ref.FSRS(ref.DEFAULT_PARAMETERS)
    col.answer(card_id, Rating.GOOD, now=datetime(2026, 5, 4, 9, tzinfo=BERLIN).astimezone(UTC))
    col.answer(card_id, Rating.GOOD, now=datetime(2026, 5, 4, 23, tzinfo=BERLIN).astimezone(UTC))
    s = col.card_state(card_id)
    col.answer(card_id, Rating.GOOD, now=datetime(2026, 5, 5, 8, tzinfo=BERLIN).astimezone(UTC))
    after = col.card_state(card_id)
    one_day = model.next_states(ref.MemoryState(s.stability, s.difficulty), 0.9, 1).good.memory
    zero_days = model.next_states(ref.MemoryState(s.stability, s.difficulty), 0.9, 0).good.memory
    assert after.stability == pytest.approx(one_day.stability, abs=1e-3)
    assert abs(one_day.stability - zero_days.stability) > 1e-2
