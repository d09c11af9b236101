"""The review engine through the public API, on a real SQLite file: queues, limits, burying,
undo, leeches, presets, and a scripted multi-day session across a DST change."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calcideck import Collection, Rating, State
from calcideck.store.reviewer import ReviewError, UndoError

BERLIN = ZoneInfo("Europe/Berlin")
DECK = """\
---
deck: Path
---
# Calcification

Q: Serum calcium in dystrophic calcification?
A: Normal. ^e-1

Q: Serum calcium in metastatic calcification?
A: Raised. ^e-2

R: Psammoma bodies
A: Laminated calcospherites. ^e-3

{{c1::Dystrophic}} calcification occurs in {{c2::dead or degenerated}} tissue with {{c3::normal}} serum calcium. ^e-4

List: Causes of hypercalcaemia (Robbins)
1. Hyperparathyroidism
2. Bone destruction
3. Vitamin D disorders
4. Renal failure
^e-5
"""
SUB = """\
---
deck: Path::Sub
---
Q: Mönckeberg sclerosis affects which layer?
A: The tunica media. ^s-1

Q: Pseudoxanthoma elasticum: eye finding?
A: Angioid streaks. ^s-2
"""


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def col(deck, collection_path: Path) -> Iterator[Collection]:  # type: ignore[no-untyped-def]
    deck.write("path.md", DECK)
    deck.write("sub.md", SUB)
    with Collection.open(collection_path) as c:
        c.update_settings(timezone="Europe/Berlin", rollover_hour=4)
        report = c.build([deck.root])
        assert report.ok, report.diagnostics
        yield c


def drain(col: Collection, now: datetime, deck: str | None = None, rating: Rating = Rating.GOOD) -> list[int]:
    seen = []
    while (card := col.next_card(deck, now=now)) is not None:
        seen.append(card.id)
        col.answer(card, rating, 1000, now=now)
        now += timedelta(seconds=20)
        assert len(seen) < 500
    return seen


def test_deck_tree_counts_children_into_parents_with_limits(col: Collection) -> None:
    now = at(2026, 5, 4, 10)
    (root,) = col.deck_tree(now)
    assert root.full_name == "Path" and [c.full_name for c in root.children] == ["Path::Sub"]
    sub = root.children[0]
    assert (sub.new, sub.learning, sub.review) == (2, 0, 0)
    assert root.new == len(col.card_ids())  # 2+2 (basic + reversed pair) ... under the 20 limit
    col.update_preset("Path", new_per_day=3)
    (root,) = col.deck_tree(now)
    assert root.new == 3 and root.children[0].new == 2


def test_new_limit_and_sibling_burying(col: Collection) -> None:
    now = at(2026, 5, 4, 10)
    col.update_preset("Path", new_per_day=50, learning_steps=())  # graduate at once: one answer per card
    served = drain(col, now, "Path")
    notes = [col.card(cid).note_id for cid in served]
    assert len(notes) == len(set(notes)), "two cards of one note on the same day"
    assert len(served) == 7  # one card of each of the 7 notes
    siblings = [cid for cid in col.card_ids() if cid not in served]
    assert siblings and all(col.card_state(cid).buried_until is not None for cid in siblings)
    # next study day the buried siblings come back (as new cards)
    tomorrow = drain(col, at(2026, 5, 5, 10), "Path")
    assert set(siblings) & set(tomorrow)


def test_new_card_limit_counts_what_was_done_today(col: Collection) -> None:
    now = at(2026, 5, 4, 10)
    col.update_preset("Path", new_per_day=2, learning_steps=())
    assert len(drain(col, now, "Path")) == 2
    assert col.next_card("Path", now=now + timedelta(hours=3)) is None  # a new queue, same day: limit used up
    assert col.deck_tree(now)[0].new == 0
    assert len(drain(col, at(2026, 5, 5, 10), "Path")) >= 2


def test_learning_cards_come_back_when_their_step_is_due(col: Collection) -> None:
    now = at(2026, 5, 4, 10)
    col.update_preset("Path", new_per_day=1)
    card = col.next_card("Path::Sub", now=now)
    assert card is not None
    assert card.button_labels(now) == ("1m", "6m", "10m", card.button_labels(now)[3])
    col.answer(card, Rating.AGAIN, now=now)
    # nothing else to do: learn-ahead (20 min) shows it before its minute is up
    again = col.next_card("Path::Sub", now=now + timedelta(seconds=5))
    assert again is not None and again.id == card.id
    col.answer(again, Rating.GOOD, now=now + timedelta(minutes=1))
    assert col.next_card("Path::Sub", now=now + timedelta(minutes=2)) is not None  # 10 m step, within learn-ahead
    col.update_settings(learn_ahead_minutes=0)
    assert col.next_card("Path::Sub", now=now + timedelta(minutes=2)) is None
    back = col.next_card("Path::Sub", now=now + timedelta(minutes=11))
    assert back is not None and back.id == card.id
    assert col.queue_counts("Path::Sub", now=now + timedelta(minutes=11)).learning == 1


def test_preview_matches_the_answer_and_is_stable(col: Collection) -> None:
    now = at(2026, 5, 4, 10)
    col.update_preset("Path", learning_steps=())
    card = col.next_card(now=now)
    assert card is not None
    col.answer(card, Rating.GOOD, now=now)
    later = at(2026, 5, 9, 10)
    p1 = col.preview(card.id, later)
    p2 = col.preview(card.id, later)
    assert {r: o.after for r, o in p1.items()} == {r: o.after for r, o in p2.items()}
    result = col.answer(card.id, Rating.EASY, now=later)
    assert result.outcome.after == p1[Rating.EASY].after
    # undo and redo give the same due date (fuzz seeded by card id and review count)
    col.undo()
    again = col.answer(card.id, Rating.EASY, now=later)
    assert again.outcome.after.due == result.outcome.after.due


def test_undo_restores_state_and_removes_the_log_row_across_restarts(deck, collection_path: Path) -> None:  # type: ignore[no-untyped-def]
    deck.write("path.md", DECK)
    now = at(2026, 5, 4, 10)
    with Collection.open(collection_path) as col:
        col.update_settings(timezone="Europe/Berlin")
        col.build([deck.root])
        a = col.next_card(now=now)
        assert a is not None
        before_a = col.card_state(a.id)
        col.answer(a, Rating.GOOD, now=now)
        b = col.next_card(now=now)
        assert b is not None and b.id != a.id
        col.answer(b, Rating.AGAIN, now=now)
        col.flag(b.id, 3)
    with Collection.open(collection_path) as col:
        assert col.undo_available() == "flag"
        col.undo()
        assert col.card_state(b.id).flag == 0
        col.undo()
        assert col.review_log(b.id) == [] and col.card_state(b.id).state is State.NEW
        col.undo()
        assert col.card_state(a.id) == before_a and col.review_log(a.id) == []
        with pytest.raises(UndoError, match="nothing to undo"):
            col.undo()


def test_undo_after_a_rebuild_that_changed_the_card(deck, collection_path: Path) -> None:  # type: ignore[no-untyped-def]
    deck.write("path.md", DECK)
    now = at(2026, 5, 4, 10)
    with Collection.open(collection_path) as col:
        col.build([deck.root])
        card = col.next_card(now=now)
        assert card is not None
        col.answer(card, Rating.GOOD, now=now)
        deck.write("path.md", DECK.replace("Serum calcium in dystrophic", "Serum calcium level in dystrophic"))
        assert col.build([deck.root]).cards.updated >= 1
        assert "level" in col.card(card.id).question_html
        col.undo()
        assert col.card_state(card.id).state is State.NEW and col.review_log(card.id) == []


def test_bury_suspend_unsuspend_flag(col: Collection) -> None:
    now = at(2026, 5, 4, 10)
    card = col.next_card("Path::Sub", now=now)
    assert card is not None
    col.bury(card, now=now)
    other = col.next_card("Path::Sub", now=now)
    assert other is not None and other.id != card.id
    col.suspend(other, now=now)
    assert col.next_card("Path::Sub", now=now) is None
    with pytest.raises(ReviewError, match="suspended"):
        col.answer(other, Rating.GOOD, now=now)
    col.unsuspend(other, now=now)
    assert col.next_card("Path::Sub", now=now).id == other.id  # type: ignore[union-attr]
    nxt = col.next_card("Path::Sub", now=at(2026, 5, 5, 10))
    assert nxt is not None  # the buried card is back the next study day
    col.flag(card, 2)
    assert col.card_state(card.id).flag == 2
    with pytest.raises(ReviewError):
        col.flag(card, 9)


def test_leech_is_tagged_and_suspended_when_the_preset_says_so(col: Collection) -> None:
    col.update_preset("Path::Sub", leech_threshold=2, leech_action="suspend", learning_steps=(), relearning_steps=())
    now = at(2026, 5, 4, 10)
    card = col.next_card("Path::Sub", now=now)
    assert card is not None
    col.answer(card, Rating.GOOD, now=now)
    first = col.answer(card, Rating.AGAIN, now=at(2026, 5, 8, 10))
    assert not first.leech
    second = col.answer(card, Rating.AGAIN, now=at(2026, 5, 12, 10))
    assert second.leech and second.suspended
    assert "leech" in col.card(card.id).tags and col.card_state(card.id).suspended
    col.undo()
    assert "leech" not in col.card(card.id).tags and not col.card_state(card.id).suspended


def test_retired_cards_leave_the_queue_but_keep_their_history(deck, col: Collection) -> None:
    now = at(2026, 5, 4, 10)
    card = col.next_card("Path::Sub", now=now)
    assert card is not None
    col.answer(card, Rating.GOOD, now=now)
    deck.write("sub.md", "---\ndeck: Path::Sub\n---\nQ: Where do psammoma bodies form?\nA: Papillary tumours. ^s-3\n")
    col.build([deck.root])
    assert card.id not in col.card_ids()
    assert len(col.review_log(card.id)) == 1
    with pytest.raises(ReviewError, match="no longer"):
        col.answer(card.id, Rating.GOOD, now=now)


def test_presets_are_shared_and_inherited(col: Collection) -> None:
    assert col.preset("Path::Sub") == col.preset("Path")
    col.update_preset("Path::Sub", desired_retention=0.85)  # the shared Default preset
    assert col.preset("Path").desired_retention == 0.85
    col.add_preset("Exam", desired_retention=0.95, new_per_day=5)
    col.use_preset("Path::Sub", "Exam")
    assert col.preset("Path::Sub").name == "Exam" and col.preset("Path").name == "Default"
    col.use_preset("Path::Sub", None)
    assert col.preset("Path::Sub").name == "Default"


def test_a_note_moved_to_another_deck_takes_its_cards(deck, col: Collection) -> None:
    before = set(col.card_ids("Path::Sub"))
    deck.write("sub.md", SUB.replace("deck: Path::Sub", "deck: Path::Other"))
    col.build([deck.root])
    assert set(col.card_ids("Path::Other")) == before
    assert col.deck_tree(at(2026, 5, 4, 10))[0].children[0].full_name == "Path::Other"
    assert {n.full_name: n.new for n in col.deck_tree(at(2026, 5, 4, 10))[0].walk()}["Path::Other"] == 2


def test_scripted_session_over_weeks_across_dst(deck, collection_path: Path) -> None:  # type: ignore[no-untyped-def]
    deck.write("path.md", DECK)
    deck.write("sub.md", SUB)
    rng = random.Random(5)
    answers = 0
    with Collection.open(collection_path) as col:
        col.update_settings(timezone="Europe/Berlin")
        col.build([deck.root])
        col.update_preset("Path", new_per_day=3, reviews_per_day=5)
        day = at(2026, 3, 20, 21)
        for _day_no in range(40):  # 20 March to 28 April: spring-forward on 29 March
            for session in (day, day + timedelta(hours=2, minutes=30)):  # 21:00 and 23:30
                now = session
                tree = {d.full_name: d for d in col.deck_tree(now)[0].walk()}
                served_new = served_review = 0
                while (card := col.next_card("Path", now=now)) is not None:
                    st = col.card_state(card.id)
                    assert st.due is None or st.state is State.NEW or st.due <= now + timedelta(minutes=20)
                    served_new += st.state is State.NEW
                    served_review += st.state is State.REVIEW
                    rating = rng.choices(list(Rating), weights=(1, 1, 6, 2))[0]
                    col.answer(card, rating, rng.randint(1000, 9000), now=now)
                    answers += 1
                    now += timedelta(seconds=rng.randint(5, 60))
                assert served_new <= tree["Path"].new and served_review <= tree["Path"].review
            day += timedelta(days=1)
        log_total = sum(len(col.review_log(cid)) for cid in col.card_ids())
        assert log_total == answers
        for cid in col.card_ids():
            log = col.review_log(cid)
            st = col.card_state(cid)
            if log:
                assert (log[-1].state_after, log[-1].due_after, log[-1].stability_after) == (st.state, st.due, st.stability)
                assert st.reps == len(log)
                if st.state is State.REVIEW:
                    assert st.due is not None and st.due.astimezone(BERLIN).hour == 4
        reviewed = {cid for cid in col.card_ids() if col.review_log(cid)}
        assert len(reviewed) == len(col.card_ids())  # every card met over six weeks
        # per study day, at most 3 new cards were introduced
        firsts = [col.review_log(cid)[0].reviewed_at for cid in reviewed]
        per_day: dict[object, int] = {}
        for t in firsts:
            local = t.astimezone(BERLIN) - timedelta(hours=4)
            per_day[local.date()] = per_day.get(local.date(), 0) + 1
        assert max(per_day.values()) <= 3
    with Collection.open(collection_path) as col:
        assert sum(len(col.review_log(cid)) for cid in col.card_ids()) == answers
