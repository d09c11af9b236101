"""Review-engine benchmarks on a synthetic 100,000-card collection with 1,000,000 review-log rows
(``make bench``; not part of ``make test``), and the same workload through Anki's own engine.

What is measured (medians; every run also checks what it timed, so a fast wrong
answer cannot pass for a fast one):

* open: ``Collection.open(path)`` and ``close()`` of the large collection (N=10, after a warm-up);
* ``deck_tree()``: the whole collection's tree with today's counts (N=20);
* ``next_card()`` and ``answer()``: study one top-level deck, answering each card
  with a fixed seeded mix of ratings (10 % Again, 15 % Hard, 65 % Good, 10 % Easy),
  300 times; the two calls are timed apart. ``now`` starts at the synthetic
  instant and moves 8 s per answer. The first ``next_card`` builds the day's
  queue: it counts in the median and is also shown alone;
* ``optimize``: fitting a preset's FSRS parameters to about 100,000 review-log rows
  (a deck given its own preset) (N=1 by default);
* Anki (``anki`` package, the ``bench`` extra): the same cards, decks, states and
  review log in an Anki collection with FSRS on; ``get_queued_cards()`` plus the
  ``Card`` the reviewer builds from it, and ``build_answer()`` plus
  ``answer_card()``, with the same ratings, 300 times; also open, the deck tree
  and the FSRS optimizer on the same deck. Ratios are CalciDeck / Anki.

Timing targets are printed as PASS/MISS, never asserted; the figures go in
``docs/benchmarks.md``. Finally 100 more next_card/answer pairs run under cProfile.

Environment knobs (for quick trial runs; the documented figures use the defaults):
``CALCIDECK_BENCH_REVIEW_NOTES`` (43300), ``CALCIDECK_BENCH_REVIEW_LOG`` (1000000),
``CALCIDECK_BENCH_ANSWERS`` (300), ``CALCIDECK_BENCH_OPTIMIZE_RUNS`` (1),
``CALCIDECK_BENCH_ANKI`` (1; 0 skips Anki), ``CALCIDECK_BENCH_PROFILE`` (1; 0 skips profiling),
``CALCIDECK_BENCH_REBUILD`` (0; 1 rebuilds the cached synthetic collection).
"""

from __future__ import annotations

import cProfile
import gc
import io
import math
import os
import platform
import pstats
import shutil
import sqlite3
import statistics
import sys
import sysconfig
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import review_synthetic as rs

from calcideck import Collection, Rating, State

PARAMS = rs.Params(
    notes=int(os.environ.get("CALCIDECK_BENCH_REVIEW_NOTES", rs.DEFAULT_NOTES)),
    log_rows=int(os.environ.get("CALCIDECK_BENCH_REVIEW_LOG", rs.DEFAULT_LOG_ROWS)),
)
ANSWERS = int(os.environ.get("CALCIDECK_BENCH_ANSWERS", 300))
OPTIMIZE_RUNS = int(os.environ.get("CALCIDECK_BENCH_OPTIMIZE_RUNS", 1))
ANKI = os.environ.get("CALCIDECK_BENCH_ANKI", "1") != "0"
PROFILE = os.environ.get("CALCIDECK_BENCH_PROFILE", "1") != "0"
REBUILD = os.environ.get("CALCIDECK_BENCH_REBUILD", "0") == "1"
OPEN_RUNS = 10
TREE_RUNS = 20
PROFILE_ANSWERS = 100
OPTIMIZE_REVIEWS = PARAMS.log_rows // 10  # 100,000 with the defaults
NEW_PER_DAY = 50
REVIEWS_PER_DAY = 9999
STEP = timedelta(seconds=8)
RATING_SEED = 7
LEARN_AHEAD = timedelta(minutes=20)
PROFILE_TOP = 25

REPO = Path(__file__).resolve().parents[2]
PROFILE_DIR = rs.CACHE_DIR


# -- results -----------------------------------------------------------------------


@dataclass(slots=True)
class Figure:
    name: str
    unit: str  # "ms" or "s"
    target: float | None  # upper bound on the median; None for informational figures
    samples: list[float] = field(default_factory=list)  # seconds
    many: bool = False  # a long series: show p95 and the range instead of every sample

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def scaled(self, seconds: float) -> float:
        return seconds * 1000 if self.unit == "ms" else seconds

    def fmt(self, seconds: float) -> str:
        value = self.scaled(seconds)
        return f"{value:.3f} ms" if self.unit == "ms" else f"{value:.3f} s"

    def verdict(self) -> str:
        if not self.samples or self.target is None:
            return ""
        return "PASS" if self.scaled(self.median) <= self.target else "MISS"

    def row(self) -> tuple[str, str, str, str, str]:
        if not self.samples:
            return self.name, "not run", "", self.target_text(), ""
        if self.many:
            s = sorted(self.samples)
            p95 = s[min(len(s) - 1, math.ceil(0.95 * len(s)) - 1)]
            detail = f"p95 {self.fmt(p95)}, min {self.fmt(s[0])}, max {self.fmt(s[-1])} (N={len(s)})"
        else:
            detail = f"[{', '.join(f'{self.scaled(x):.3f}' for x in self.samples)}] (N={len(self.samples)})"
        return self.name, self.fmt(self.median), detail, self.target_text(), self.verdict()

    def target_text(self) -> str:
        return "(info)" if self.target is None else f"<= {self.target:g} {self.unit}"


FIGURES: dict[str, Figure] = {
    "open": Figure("Collection.open + close", "ms", 100),
    "tree": Figure("deck_tree()", "ms", 20),
    "next": Figure("next_card()", "ms", 1, many=True),
    "next_first": Figure("first next_card(), builds the day's queue (info)", "ms", None),
    "answer": Figure("answer()", "ms", 3, many=True),
    "optimize": Figure("optimize, ~100k reviews", "s", 10),
    "anki_open": Figure("Anki: Collection() + close (info)", "ms", None),
    "anki_tree": Figure("Anki: deck_due_tree() (info)", "ms", None),
    "anki_next": Figure("Anki: get_queued_cards() + Card (info)", "ms", None, many=True),
    "anki_next_first": Figure("Anki: first get_queued_cards(), builds its queue (info)", "ms", None),
    "anki_answer": Figure("Anki: build_answer() + answer_card() (info)", "ms", None, many=True),
    "anki_optimize": Figure("Anki: compute_fsrs_params, same deck (info)", "s", None),
}
RATIOS = (("next", "anki_next", "next card"), ("answer", "anki_answer", "answer"), ("open", "anki_open", "open"),
          ("tree", "anki_tree", "deck tree"), ("optimize", "anki_optimize", "optimize"))  # fmt: skip
FACTS: dict[str, Any] = {}


def _table() -> str:
    header = ("measure", "median", "samples", "target", "result")
    rows = [header] + [f.row() for f in FIGURES.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    out = [line, "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |", line]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows[1:]]
    out.append(line)
    return "\n".join(out)


def _banner(title: str) -> None:
    print(f"\n{'=' * 8} {title} {'=' * max(4, 70 - len(title))}", flush=True)


# -- the world -----------------------------------------------------------------------


@dataclass(slots=True)
class World:
    base: Path
    pristine: Path  # the cached synthetic collection: never opened by the benchmarks
    facts: rs.Facts
    deck: str  # the top-level deck studied
    subtree: frozenset[str]
    runs: int = 0
    anki: rs.AnkiWorld | None = None

    def copy(self, label: str) -> Path:
        """A fresh copy of the synthetic collection, with the benchmark's daily limits."""
        self.runs += 1
        d = self.base / f"run-{self.runs:02d}-{label}"
        d.mkdir()
        path = rs.copy_collection(self.pristine, d / "collection.sqlite")
        with Collection.open(path) as col:
            col.update_preset(self.deck, new_per_day=NEW_PER_DAY, reviews_per_day=REVIEWS_PER_DAY)
            preset = col.preset(self.deck)
            assert (preset.new_per_day, preset.reviews_per_day) == (NEW_PER_DAY, REVIEWS_PER_DAY)
        return path


def _studied_deck(path: Path) -> tuple[str, frozenset[str]]:
    """The top-level deck with the most review cards due today, and its subtree."""
    con = sqlite3.connect(path)
    try:
        names = [n for (n,) in con.execute("SELECT name FROM decks")]
        due = dict(
            con.execute(
                "SELECT d.name, count(*) FROM cards c JOIN decks d ON d.id = c.deck_id WHERE c.state = 2 AND c.due < ? GROUP BY d.name",
                (rs.fmt(rs.DAY_END_S),),
            ).fetchall()
        )
    finally:
        con.close()
    tops = [n for n in names if "::" not in n]

    def under(top: str) -> list[str]:
        return [n for n in names if n == top or n.startswith(top + "::")]

    best = max(tops, key=lambda t: (sum(due.get(n, 0) for n in under(t)), t))
    return best, frozenset(under(best))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    _banner("synthetic collection")
    start = time.perf_counter()
    pristine = rs.calcideck_collection(PARAMS, rebuild=REBUILD, log=lambda m: print(m, flush=True))
    facts = rs.facts(pristine)
    deck, subtree = _studied_deck(pristine)
    FACTS.update(facts=facts, deck=deck, ready=time.perf_counter() - start)
    print(
        f"{facts.cards} cards of {facts.notes} notes in {facts.decks} decks; states {dict(sorted(facts.by_state.items()))} "
        f"(0 new, 1 learning, 2 review, 3 relearning); {facts.log_rows} review-log rows since {facts.first_review[:10]}; "
        f"{facts.reviews_due_today} review cards due today (or overdue) in {facts.decks_with_due_reviews} decks, "
        f"{facts.learning_due_today} (re)learning cards due today; {facts.size_mb:.0f} MB; ready in {FACTS['ready']:.1f} s"
    )
    print(f"studied deck: {deck!r} ({len(subtree)} decks); limits {NEW_PER_DAY} new / {REVIEWS_PER_DAY} reviews a day")
    print(f"synthetic now: {rs.NOW.isoformat()} (study days in UTC from {rs.ROLLOVER_HOUR}:00)")
    assert facts.log_rows == PARAMS.log_rows
    base = tmp_path_factory.mktemp("review-bench")
    yield World(base, pristine, facts, deck, subtree)
    shutil.rmtree(base, ignore_errors=True)


def _ns(t0: int, t1: int) -> float:
    return (t1 - t0) / 1e9


# -- CalciDeck -----------------------------------------------------------------------


def test_open(world: World) -> None:
    _banner(f"Collection.open + close (N={OPEN_RUNS}, after a warm-up)")
    path = world.copy("open")
    Collection.open(path).close()  # warm-up: first open of the copy, file cache
    for _ in range(OPEN_RUNS):
        gc.collect()
        t0 = time.perf_counter_ns()
        col = Collection.open(path)
        col.close()
        FIGURES["open"].samples.append(_ns(t0, time.perf_counter_ns()))
    with Collection.open(path) as col:  # what was opened is the synthetic collection
        assert col.settings()["timezone"] == rs.TIMEZONE
        assert len(col.decks()) == world.facts.decks
        assert col.card_state(1).reps >= 0
    print("  " + ", ".join(f"{s * 1000:.2f}" for s in FIGURES["open"].samples) + " ms")


def _subtree_due(path: Path, subtree: frozenset[str]) -> int:
    con = sqlite3.connect(path)
    try:
        q = (
            "SELECT d.name, count(*) FROM cards c JOIN decks d ON d.id = c.deck_id "
            "WHERE c.state = 2 AND c.due < ? AND c.retired_at IS NULL AND NOT c.suspended GROUP BY d.name"
        )
        return sum(n for name, n in con.execute(q, (rs.fmt(rs.DAY_END_S),)) if name in subtree)
    finally:
        con.close()


def test_deck_tree(world: World) -> None:
    _banner(f"deck_tree() (N={TREE_RUNS}, whole collection, after a warm-up)")
    path = world.copy("tree")
    due = _subtree_due(path, world.subtree)
    with Collection.open(path) as col:
        col.deck_tree(now=rs.NOW)
        trees = []
        for _ in range(TREE_RUNS):
            gc.collect()
            t0 = time.perf_counter_ns()
            tree = col.deck_tree(now=rs.NOW)
            FIGURES["tree"].samples.append(_ns(t0, time.perf_counter_ns()))
            trees.append(tree)
    for tree in trees:
        nodes = [n for root in tree for n in root.walk()]
        assert len(nodes) == world.facts.decks, (len(nodes), world.facts.decks)
        studied = next(n for n in tree if n.full_name == world.deck)
        assert 0 < studied.review <= min(due, REVIEWS_PER_DAY), (studied, due)
        assert 0 < studied.new <= NEW_PER_DAY and studied.learning >= 0, studied
    print(
        f"  studied deck {world.deck!r}: {studied.new} new, {studied.learning} learning, {studied.review} review ({due} review cards due)"
    )
    print("  " + ", ".join(f"{s * 1000:.1f}" for s in FIGURES["tree"].samples) + " ms")


def _is_due(state: Any, now: datetime, day_end: datetime) -> bool:
    if state.suspended or (state.buried_until is not None and state.buried_until > now):
        return False
    if state.state is State.NEW:
        return True
    if state.state is State.REVIEW:
        return state.due is not None and state.due < day_end
    return state.due is not None and state.due <= now + LEARN_AHEAD


def _by_kind(samples: dict[str, list[float]]) -> str:
    """Median answer time per state of the card before the answer."""
    return ", ".join(f"{k} {statistics.median(v) * 1000:.3f} ms (N={len(v)})" for k, v in sorted(samples.items()))


ANSWER_BY_KIND: dict[str, dict[str, list[float]]] = {"calcideck": {}, "anki": {}}


def _calcideck_loop(
    col: Collection, world: World, n: int, now: datetime, seed: int, record: bool
) -> tuple[datetime, Counter[str]]:
    day_end = datetime.fromtimestamp(rs.DAY_END_S, tz=UTC)
    kinds: Counter[str] = Counter()
    for i, rating in enumerate(rs.iter_ratings(seed, n)):
        t0 = time.perf_counter_ns()
        card = col.next_card(world.deck, now=now)
        t1 = time.perf_counter_ns()
        assert card is not None, f"the queue ran dry after {i} answers"
        before = col.card_state(card.id)
        assert card.deck in world.subtree, card.deck
        assert _is_due(before, now, day_end), (card.id, before, now)
        kinds[before.state.name.lower()] += 1
        log_before = len(col.review_log(card.id))
        t2 = time.perf_counter_ns()
        result = col.answer(card, Rating(rating), 4000, now=now)
        t3 = time.perf_counter_ns()
        after = col.card_state(card.id)
        log = col.review_log(card.id)
        assert after.reps == before.reps + 1 and after.last_review == now, (before, after)
        assert (after.state, after.due) == (result.outcome.after.state, result.outcome.after.due), (after, result)
        assert len(log) == log_before + 1 and log[-1].reviewed_at == now and int(log[-1].rating) == rating, log[-1:]
        if record:
            FIGURES["next_first" if i == 0 else "next"].samples.append(_ns(t0, t1))
            if i == 0:
                FIGURES["next"].samples.append(_ns(t0, t1))
            FIGURES["answer"].samples.append(_ns(t2, t3))
            ANSWER_BY_KIND["calcideck"].setdefault(before.state.name.lower(), []).append(_ns(t2, t3))
        now += STEP
    return now, kinds


def test_review_workload(world: World) -> None:
    _banner(f"next_card() and answer(), {ANSWERS} answers in {world.deck!r}")
    path = world.copy("review")
    with Collection.open(path) as col:  # a separate opening, so that the first timed next_card builds the queue
        counts = col.queue_counts(world.deck, now=rs.NOW)
    print(f"  today's queue at the start: {counts.new} new, {counts.learning} learning, {counts.review} review")
    assert counts.total >= ANSWERS // 2, counts
    with Collection.open(path) as col:
        gc.collect()
        end, kinds = _calcideck_loop(col, world, ANSWERS, rs.NOW, RATING_SEED, record=True)
        left = col.queue_counts(world.deck, now=end)
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT count(*) FROM review_log").fetchone()[0]
    finally:
        con.close()
    assert rows == world.facts.log_rows + ANSWERS, rows
    FACTS["calcideck_kinds"] = dict(kinds)
    FACTS["calcideck_queue"] = (counts.new, counts.learning, counts.review)
    print(f"  cards shown by state before the answer: {dict(kinds)}; left in the queue: {left}")
    print(f"  answer() median by state before the answer: {_by_kind(ANSWER_BY_KIND['calcideck'])}")
    print(f"  first next_card (queue build): {FIGURES['next_first'].samples[0] * 1000:.1f} ms")
    for key in ("next", "answer"):
        print("  " + " | ".join(FIGURES[key].row()[:3]))


def test_optimize(world: World) -> None:
    counts = rs.deck_log_counts(world.pristine)
    deck = min(counts, key=lambda d: (abs(counts[d] - OPTIMIZE_REVIEWS), d))
    FACTS["optimize_deck"] = (deck, counts[deck])
    _banner(f"optimize (N={OPTIMIZE_RUNS}) on {deck!r}: {counts[deck]} review-log rows")
    path = world.copy("optimize")
    with Collection.open(path) as col:
        col.add_preset("bench-optimize")
        col.use_preset(deck, "bench-optimize")
        for i in range(OPTIMIZE_RUNS):
            gc.collect()
            t0 = time.perf_counter_ns()
            report = col.optimize("bench-optimize", now=rs.NOW + timedelta(hours=i))
            took = _ns(t0, time.perf_counter_ns())
            assert report.fitted, report.message
            assert report.reviews == counts[deck], (report.reviews, counts[deck])
            assert report.log_loss_before is not None and report.log_loss_after is not None
            assert math.isfinite(report.log_loss_before) and math.isfinite(report.log_loss_after)
            assert report.kept == (report.log_loss_after < report.log_loss_before)
            assert len(col.fits("bench-optimize")) == i + 1
            FIGURES["optimize"].samples.append(took)
            FACTS["optimize_report"] = report
            print(
                f"  run {i + 1}: {took:.2f} s; {report.reviews} reviews, {report.items} training items; log loss "
                f"{report.log_loss_before:.4f} -> {report.log_loss_after:.4f}; kept={report.kept}",
                flush=True,
            )


# -- Anki ------------------------------------------------------------------------------


def _anki_world(world: World) -> rs.AnkiWorld:
    pytest.importorskip("anki", reason="the anki package (pip install -e '.[bench]')")
    if not ANKI:
        pytest.skip("CALCIDECK_BENCH_ANKI=0")
    if world.anki is None:
        _banner("Anki collection of the same cards")
        world.anki = rs.anki_collection(
            world.base / "anki", world.pristine, new_per_day=NEW_PER_DAY, reviews_per_day=REVIEWS_PER_DAY,
            log=lambda m: print(m, flush=True),
        )  # fmt: skip
        assert world.anki.cards == world.facts.cards and world.anki.revlog == world.facts.log_rows
        import anki.buildinfo

        FACTS["anki_version"] = anki.buildinfo.version
    return world.anki


def test_anki_open(world: World) -> None:
    aw = _anki_world(world)
    from anki.collection import Collection as AnkiCollection

    _banner(f"Anki: Collection(path) + close (N={OPEN_RUNS}, after a warm-up)")
    AnkiCollection(str(aw.path)).close()
    for _ in range(OPEN_RUNS):
        gc.collect()
        t0 = time.perf_counter_ns()
        col = AnkiCollection(str(aw.path))
        col.close()
        FIGURES["anki_open"].samples.append(_ns(t0, time.perf_counter_ns()))
    col = AnkiCollection(str(aw.path))
    try:
        assert col.card_count() == world.facts.cards
    finally:
        col.close()
    print("  " + ", ".join(f"{s * 1000:.2f}" for s in FIGURES["anki_open"].samples) + " ms")


def test_anki_deck_tree(world: World) -> None:
    aw = _anki_world(world)
    from anki.collection import Collection as AnkiCollection

    _banner(f"Anki: deck_due_tree() (N={TREE_RUNS}, whole collection, after a warm-up)")
    col = AnkiCollection(str(aw.path))
    try:
        col.sched.deck_due_tree()
        for _ in range(TREE_RUNS):
            gc.collect()
            t0 = time.perf_counter_ns()
            tree = col.sched.deck_due_tree()
            FIGURES["anki_tree"].samples.append(_ns(t0, time.perf_counter_ns()))
        node = col.decks.find_deck_in_tree(tree, aw.deck_ids[world.deck])
        assert node is not None and node.review_count > 0 and node.new_count > 0, node
        print(f"  studied deck: {node.new_count} new, {node.learn_count} learning, {node.review_count} review")
    finally:
        col.close()
    print("  " + ", ".join(f"{s * 1000:.1f}" for s in FIGURES["anki_tree"].samples) + " ms")


def test_anki_review_workload(world: World) -> None:
    aw = _anki_world(world)
    from anki.cards import Card
    from anki.collection import Collection as AnkiCollection
    from anki.scheduler.v3 import CardAnswer

    rating_of = {1: CardAnswer.AGAIN, 2: CardAnswer.HARD, 3: CardAnswer.GOOD, 4: CardAnswer.EASY}
    _banner(f"Anki: get_queued_cards() and answer_card(), {ANSWERS} answers in the same deck")
    col = AnkiCollection(str(aw.path))
    try:
        assert col.get_config("fsrs") is True
        did = aw.deck_ids[world.deck]
        col.decks.select(did)
        subtree = {aw.deck_ids[name] for name in world.subtree}
        today = col.sched.today
        collapse = col.get_config("collapseTime", 1200)
        kinds: Counter[str] = Counter()
        start_counts = None
        gc.collect()
        for i, rating in enumerate(rs.iter_ratings(RATING_SEED, ANSWERS)):
            t0 = time.perf_counter_ns()
            queued = col.sched.get_queued_cards()
            qc = queued.cards[0]
            card = Card(col)
            card._load_from_backend_card(qc.card)
            card.start_timer()
            t1 = time.perf_counter_ns()
            if start_counts is None:
                start_counts = (queued.new_count, queued.learning_count, queued.review_count)
            assert card.did in subtree, card.did
            kind = {0: "new", 1: "learning", 2: "review", 3: "relearning"}[card.type]
            if card.queue == 0:
                assert card.type == 0, (card.id, card.type)
            elif card.queue == 2:
                assert card.due <= today, (card.id, card.due, today)
            elif card.queue == 1:
                assert card.due <= time.time() + collapse, (card.id, card.due)
            elif card.queue == 3:
                assert card.due <= today, (card.id, card.due, today)
            else:
                raise AssertionError(f"card {card.id} in queue {card.queue}")
            kinds[kind] += 1
            revlog_before = col.db.scalar("SELECT count() FROM revlog WHERE cid = ?", card.id)
            t2 = time.perf_counter_ns()
            answer = col.sched.build_answer(card=card, states=qc.states, rating=rating_of[rating])
            col.sched.answer_card(answer)
            t3 = time.perf_counter_ns()
            assert col.db.scalar("SELECT count() FROM revlog WHERE cid = ?", card.id) == revlog_before + 1
            assert col.db.scalar("SELECT ease FROM revlog WHERE cid = ? ORDER BY id DESC LIMIT 1", card.id) == rating
            assert col.get_card(card.id).reps == card.reps + 1
            FIGURES["anki_next_first" if i == 0 else "anki_next"].samples.append(_ns(t0, t1))
            if i == 0:
                FIGURES["anki_next"].samples.append(_ns(t0, t1))
            FIGURES["anki_answer"].samples.append(_ns(t2, t3))
            ANSWER_BY_KIND["anki"].setdefault(kind, []).append(_ns(t2, t3))
        assert col.db.scalar("SELECT count() FROM revlog") == world.facts.log_rows + ANSWERS
    finally:
        col.close()
    FACTS["anki_kinds"] = dict(kinds)
    FACTS["anki_queue"] = start_counts
    print(f"  today's queue at the start: {start_counts} (new, learning, review)")
    print(f"  cards shown by state before the answer: {dict(kinds)}")
    print(f"  answer median by state before the answer: {_by_kind(ANSWER_BY_KIND['anki'])}")
    print(f"  first get_queued_cards (queue build): {FIGURES['anki_next_first'].samples[0] * 1000:.1f} ms")
    for key in ("anki_next", "anki_answer"):
        print("  " + " | ".join(FIGURES[key].row()[:3]))


def test_anki_optimize(world: World) -> None:
    aw = _anki_world(world)
    from anki.collection import Collection as AnkiCollection

    if "optimize_deck" not in FACTS:
        pytest.skip("needs test_optimize first")
    deck, rows = FACTS["optimize_deck"]
    _banner(f"Anki: compute_fsrs_params on the same deck {deck!r} ({rows} rows in the synthetic log)")
    col = AnkiCollection(str(aw.path))
    try:
        name = col.decks.name(aw.deck_ids[deck])
        gc.collect()
        t0 = time.perf_counter_ns()
        out = col._backend.compute_fsrs_params(
            search=f'deck:"{name}"',
            current_params=[],
            ignore_revlogs_before_ms=0,
            num_of_relearning_steps=1,
            health_check=False,
        )
        took = _ns(t0, time.perf_counter_ns())
    finally:
        col.close()
    assert len(out.params) >= 19 and out.fsrs_items > 0, out
    FIGURES["anki_optimize"].samples.append(took)
    print(f"  {took:.2f} s; {out.fsrs_items} FSRS items; {len(out.params)} parameters")


# -- profile ---------------------------------------------------------------------------


def _profile(label: str, fn: Callable[[], Any], name: str) -> None:
    PROFILE_DIR.mkdir(exist_ok=True)
    out = PROFILE_DIR / name
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    prof.dump_stats(out)
    for key, top in (("cumulative", PROFILE_TOP), ("tottime", 15)):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats(key).print_stats(top)
        text = buf.getvalue()
        for prefix in (sysconfig.get_paths()["purelib"] + "/", str(REPO) + "/", sys.base_prefix + "/lib/"):
            text = text.replace(prefix, "")
        _banner(f"profile: {label}, top {top} by {key}")
        body = text[text.index("   ncalls") :] if "   ncalls" in text else text
        head = next((ln.strip() for ln in text.splitlines() if "function calls" in ln), "")
        print(head)
        print(body.rstrip(), flush=True)
    print(f"(full profile: {out}; view with python -m pstats {out})")


@pytest.mark.skipif(not PROFILE, reason="CALCIDECK_BENCH_PROFILE=0")
def test_profile_review(world: World) -> None:
    path = world.copy("profile")
    with Collection.open(path) as col:
        now, _kinds = _calcideck_loop(col, world, 5, rs.NOW, RATING_SEED + 1, record=False)  # queue built before profiling

        def run() -> None:
            _calcideck_loop(col, world, PROFILE_ANSWERS, now, RATING_SEED + 2, record=False)

        _profile(f"{PROFILE_ANSWERS} x (next_card + checks + answer + checks) (cProfile adds overhead)", run, "review.prof")


@pytest.mark.skipif(not PROFILE, reason="CALCIDECK_BENCH_PROFILE=0")
def test_profile_deck_tree(world: World) -> None:
    path = world.copy("profile-tree")
    with Collection.open(path) as col:
        trees: list[Any] = []
        _profile(
            "3 x deck_tree() (cProfile adds overhead)",
            lambda: trees.extend(col.deck_tree(now=rs.NOW) for _ in range(3)),
            "tree.prof",
        )
    assert len(trees) == 3 and trees[0] and trees[0] == trees[1] == trees[2]


def test_zz_summary() -> None:
    _banner("summary")
    print(time.strftime("measured %Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    facts = FACTS.get("facts")
    if facts is not None:
        print(
            f"collection: {facts.cards} cards, {facts.notes} notes, {facts.decks} decks, {facts.log_rows} review-log rows, "
            f"{facts.reviews_due_today} review cards due today; studied deck {FACTS['deck']!r}"
        )
    if "anki_version" in FACTS:
        print(f"anki {FACTS['anki_version']} (FSRS on, v3 scheduler)")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(_table(), flush=True)
    for engine, samples in ANSWER_BY_KIND.items():
        if samples:
            print(f"answer median by state before the answer, {engine}: {_by_kind(samples)}")
    for ours, theirs, label in RATIOS:
        a, b = FIGURES[ours], FIGURES[theirs]
        if a.samples and b.samples:
            print(f"ratio CalciDeck / Anki, {label}: {a.fmt(a.median)} / {b.fmt(b.median)} = {a.median / b.median:.2f}x")
