"""Personal parameters, automatic re-optimisation, workload statistics and their CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calcideck import Collection, Rating, State
from calcideck.scheduling.optimizer import MIN_REVIEWS

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def study(col: Collection, days: int, start: datetime, seed: int = 1) -> datetime:
    rng = random.Random(seed)
    now = start
    for _ in range(days):
        t = now
        while (card := col.next_card(now=t)) is not None:
            st = col.card_state(card.id)
            p_fail = 0.1 if st.state is State.REVIEW else 0.25
            rating = Rating.AGAIN if rng.random() < p_fail else rng.choice([Rating.HARD, Rating.GOOD, Rating.GOOD, Rating.EASY])
            col.answer(card, rating, rng.randint(2000, 12000), now=t)
            t += timedelta(seconds=30)
        now += timedelta(days=1)
    return now


@pytest.fixture
def studied(deck, collection_path: Path):  # type: ignore[no-untyped-def]
    deck.write("d.md", "---\ndeck: O\n---\n" + "".join(f"Q: q{i}?\nA: a{i}. ^o-{i}\n\n" for i in range(120)))
    with Collection.open(collection_path) as col:
        col.update_settings(timezone="UTC")
        col.build([deck.root])
        col.update_preset("O", new_per_day=15)
        end = study(col, 60, START)
        yield col, end


def total_reviews(col: Collection) -> int:
    return sum(len(col.review_log(c)) for c in col.card_ids())


def test_too_few_reviews_says_so(deck, collection_path: Path) -> None:  # type: ignore[no-untyped-def]
    deck.write("d.md", "---\ndeck: O\n---\nQ: a?\nA: b. ^o-1\n")
    with Collection.open(collection_path) as col:
        col.build([deck.root])
        report = col.optimize(now=START)
        assert not report.fitted and not report.kept and f"{MIN_REVIEWS}" in report.message
        assert col.fits() == [] and col.preset("O").parameters is None


def test_optimize_fits_and_keeps_only_better_parameters(studied) -> None:  # type: ignore[no-untyped-def]
    col, end = studied
    assert total_reviews(col) >= MIN_REVIEWS
    report = col.optimize(now=end)
    assert report.fitted and report.items > 0
    assert report.log_loss_before is not None and report.log_loss_after is not None
    assert report.kept == (report.log_loss_after < report.log_loss_before)
    fits = col.fits()
    assert len(fits) == 1 and fits[0]["reviews_used"] == report.reviews
    if report.kept:
        assert col.preset("O").parameters == report.parameters
        # a second fit on the same data cannot beat the first by much; whatever it decides is recorded
        again = col.optimize(now=end)
        assert len(col.fits()) == 2 and again.kept == (again.log_loss_after < again.log_loss_before)  # type: ignore[operator]


def test_reschedule_moves_review_cards(studied) -> None:  # type: ignore[no-untyped-def]
    col, end = studied
    col.update_preset("O", parameters=[0.5] * 4 + list(__import__("fsrs_rs_python").DEFAULT_PARAMETERS[4:]))
    before = {c: col.card_state(c).due for c in col.card_ids()}
    report = col.optimize(now=end, reschedule=True)
    assert report.kept  # anything fitted beats initial stabilities of 0.5 days for every rating
    assert report.rescheduled > 0
    assert sum(col.card_state(c).due != d for c, d in before.items()) > 0
    assert col.undo_available() is None  # undo records held the old states


def test_reoptimize_runs_monthly_when_enough_new_reviews(studied, deck) -> None:  # type: ignore[no-untyped-def]
    col, end = studied
    deck.write("more.md", "---\ndeck: O\n---\n" + "".join(f"Q: m{i}?\nA: b{i}. ^m-{i}\n\n" for i in range(150)))
    col.build([deck.root])
    first = col.reoptimize_if_due(now=end)
    assert len(first) == 1 and first[0].fitted
    assert col.reoptimize_if_due(now=end + timedelta(days=3)) == []  # too soon
    before = total_reviews(col)
    later = study(col, 35, end, seed=2)
    assert total_reviews(col) - before >= 200  # REOPTIMIZE_MIN_NEW_REVIEWS
    assert [r.preset for r in col.reoptimize_if_due(now=later)] == ["Default"]
    assert len(col.fits()) == 2


def test_stats_forecast_and_true_retention(studied) -> None:  # type: ignore[no-untyped-def]
    col, end = studied
    st = col.stats(now=end)
    states = [col.card_state(c) for c in col.card_ids()]
    horizon = datetime.combine(end.date() + timedelta(days=30), datetime.min.time(), UTC) + timedelta(hours=4)
    due_soon = [s for s in states if s.state is not State.NEW and s.due is not None and s.due < horizon]
    assert sum(st.forecast) == len(due_soon) and len(st.forecast) == 30
    month = [e for c in col.card_ids() for e in col.review_log(c) if e.reviewed_at >= end - timedelta(days=30)]
    reviews = [e for e in month if e.state_before is State.REVIEW]
    assert st.reviews_last_30_days == len(reviews)
    assert st.true_retention == pytest.approx(sum(e.rating > 1 for e in reviews) / len(reviews))
    dr = [o.desired_retention for o in st.options]
    assert dr[0] == 0.70 and dr[-1] == 0.97
    workload = [o.reviews_per_day for o in st.options]
    assert workload[-1] > workload[0]  # higher retention costs more reviews


def test_cli_stats_and_optimize_json(studied, collection_path: Path) -> None:  # type: ignore[no-untyped-def]
    col, _end = studied
    col.close()
    run = [sys.executable, "-m", "calcideck"]
    out = subprocess.run([*run, "stats", "--json", "--collection", str(collection_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["forecast"]) == 30 and len(data["help_me_decide"]) >= 5
    text = subprocess.run([*run, "stats", "--collection", str(collection_path)], capture_output=True, text=True)
    assert "true retention" in text.stdout and "help me decide" in text.stdout
    out = subprocess.run([*run, "optimize", "--json", "--collection", str(collection_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    fit = json.loads(out.stdout)
    assert fit["fitted"] and fit["reviews"] >= MIN_REVIEWS
    bad = subprocess.run(
        [*run, "optimize", "--preset", "Nope", "--collection", str(collection_path)], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no preset named 'Nope'" in bad.stderr
