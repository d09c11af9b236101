"""A large synthetic collection with a review history, for the review-engine benchmarks.

``calcideck_collection(path)`` builds a CalciDeck collection of about 100,000
cards from the synthetic deck set (``synthetic.py``, about 43,300 notes), then
writes, with the plain ``sqlite3`` module on the closed file, realistic
scheduling states and a review log:

* about 70 % review cards, 5 % learning or relearning cards, the rest new;
* 1,000,000 ``review_log`` rows (about 13 per studied card), time-ordered per
  card and stored in time order, ratings about 10 % Again, 15 % Hard, 65 % Good,
  10 % Easy, with the states before and after each answer, walked through the
  learning steps (1 m, 10 m), relearning step (10 m) and growing intervals;
* review cards due over the next months, about 4 % of them due today or
  overdue (a few thousand, over every deck), their last answers spread over
  the past year or so; about 3 % of the learning cards answered in the past
  three hours and due now or in the next minutes, the others answered before
  today and due on a later day.

Everything comes from one seeded ``random.Random`` and the fixed synthetic
instant :data:`NOW` (study days in UTC, starting at 04:00), so the same
parameters always give the same collection. The result is cached under the
temp directory, keyed by the parameters and this file's source.

``anki_collection(folder, calcideck_file)`` makes an Anki collection of the
same cards: one Cloze note per CalciDeck note with as many clozes as the note
has cards (so siblings are siblings in both), in decks of the same names, with
the same states, memory (FSRS stability and difficulty) and review log mapped
to Anki's schema, relative to the real clock (Anki has no injectable "now").
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the synthetic "now": a Monday, 09:00 UTC
NOW_S = int(NOW.timestamp())
TIMEZONE = "UTC"
ROLLOVER_HOUR = 4
DAY = 86_400
ROLLOVER_S = ROLLOVER_HOUR * 3600

DEFAULT_NOTES = 43_300  # about 100,000 cards
DEFAULT_FILES = 300
DEFAULT_LOG_ROWS = 1_000_000
DEFAULT_SEED = 20240611

SHARE_REVIEW = 0.70
SHARE_LEARNING = 0.05
SHARE_DUE = 0.04  # of review cards: due today or overdue
SHARE_LEARNING_NOW = 0.03  # of learning cards: due today (intraday), the rest on a later day
RATINGS = (1, 2, 3, 4)
RATING_WEIGHTS = (0.10, 0.15, 0.65, 0.10)

NEW, LEARNING, REVIEW, RELEARNING = 0, 1, 2, 3
LEARNING_STEPS = (60, 600)
RELEARNING_STEPS = (600,)
# FSRS-6 defaults: initial stability per first rating, initial difficulty per first rating.
S0 = (0.212, 1.2931, 2.3065, 8.2956)
D0 = (6.4133, 5.1122, 2.1183, 1.0)
REVIEW_GROWTH = (0.25, 1.2, 1.9, 3.0)  # stability multiplier of a review answer, per rating
REVIEW_DIFFICULTY = (1.2, 0.6, 0.0, -0.6)
MAX_INTERVAL = 365

CACHE_DIR = Path(tempfile.gettempdir()) / "calcideck-bench"
FORMAT_VERSION = 1  # bump when the output changes in a way the source hash would not show


def day_of(s: int) -> int:
    """Study day (days since 1970-01-01, starting at the rollover hour, UTC) of epoch second ``s``."""
    return (s - ROLLOVER_S) // DAY


def start_of(day: int) -> int:
    return day * DAY + ROLLOVER_S


TODAY = day_of(NOW_S)
DAY_END_S = start_of(TODAY + 1)

_DAY_TEXT: dict[int, str] = {}
_EPOCH = date(1970, 1, 1)


def fmt(s: int | None) -> str | None:
    """Epoch seconds as SQLAlchemy stores a naive-UTC DATETIME on SQLite: ``2026-03-02 09:10:00.000000``."""
    if s is None:
        return None
    d, r = divmod(s, DAY)
    text = _DAY_TEXT.get(d)
    if text is None:
        text = _DAY_TEXT[d] = (_EPOCH + timedelta(days=d)).isoformat()
    h, r = divmod(r, 3600)
    m, sec = divmod(r, 60)
    return f"{text} {h:02d}:{m:02d}:{sec:02d}.000000"


def epoch(text: str | None) -> int | None:
    if text is None:
        return None
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


# -- one card's history ------------------------------------------------------------


@dataclass(slots=True)
class Event:
    t: int  # seconds, relative until the history is placed
    rating: int
    duration_ms: int
    state_before: int
    step_before: int | None
    due_before: int | None
    s_before: float | None
    d_before: float | None
    last_before: int | None
    state_after: int
    step_after: int | None
    due_after: int
    s_after: float
    d_after: float


@dataclass(slots=True)
class Card:
    state: int
    step: int | None
    due: int
    stability: float
    difficulty: float
    reps: int
    lapses: int
    last_review: int
    events: list[Event] = field(default_factory=list)


def _draw(rng: random.Random, n: int) -> list[int]:
    return rng.choices(RATINGS, RATING_WEIGHTS, k=n)


def _history(rng: random.Random, n: int, final: int) -> Card:
    """A card answered ``n`` times, ending in state ``final``; times relative to a study-day start at 0."""
    ratings = _draw(rng, n)
    lateness = [rng.randint(3600, 15 * 3600) + (rng.randint(1, 5) * DAY if rng.random() < 0.2 else 0) for _ in range(n)]
    gaps = [rng.randint(0, 300) for _ in range(n)]
    durations = [min(60_000, int(rng.lognormvariate(8.8, 0.6))) for _ in range(n)]
    budget = rng.uniform(60, 420) * DAY
    card = _walk(ratings, lateness, gaps, durations, n, final, 1.0)
    span = card.events[-1].t
    if span > budget:
        card = _walk(ratings, lateness, gaps, durations, n, final, budget / span)
    return card


def _walk(
    ratings: list[int], lateness: list[int], gaps: list[int], durations: list[int], n: int, final: int, scale: float
) -> Card:
    state, step, due = NEW, None, None
    s: float | None = None
    d: float | None = None
    last: int | None = None
    lapses = 0
    t = lateness[0]
    events: list[Event] = []
    for i in range(n):
        r = ratings[i]
        # Force the answers that make the card end in the wanted state.
        if final == REVIEW and i == n - 1:
            if state == REVIEW and r == 1:
                r = 3
            elif state in (NEW, LEARNING) and not (r == 4 or (r == 3 and (step or 0) == len(LEARNING_STEPS) - 1)):
                r = 4
            elif state == RELEARNING and r < 3:
                r = 3
        elif final == RELEARNING:
            if i == n - 2:
                if state == REVIEW and r == 1:
                    r = 3
                elif state in (NEW, LEARNING) and not (r == 4 or (r == 3 and (step or 0) == len(LEARNING_STEPS) - 1)):
                    r = 4
                elif state == RELEARNING and r < 3:
                    r = 3
            elif i == n - 1:
                r = 1
        elif final == LEARNING and r >= 3:
            r = 1 if i else 3
        before = (state, step, due, s, d, last)
        if state == NEW:
            s, d = S0[r - 1], D0[r - 1]
        elif state == REVIEW:
            assert s is not None and d is not None
            s = max(0.1, min(s * REVIEW_GROWTH[r - 1], float(MAX_INTERVAL)))
            d = min(10.0, max(1.0, d + REVIEW_DIFFICULTY[r - 1]))
        else:
            assert s is not None
            s = s * (0.8, 0.95, 1.1, 1.4)[r - 1]
        if state in (NEW, LEARNING):
            k = step or 0
            if r == 1:
                state, step, delay = LEARNING, 0, LEARNING_STEPS[0]
            elif r == 2:
                state, step = LEARNING, k
                delay = (LEARNING_STEPS[0] + LEARNING_STEPS[1]) // 2 if k == 0 else LEARNING_STEPS[k]
            elif r == 3 and k + 1 < len(LEARNING_STEPS):
                state, step, delay = LEARNING, k + 1, LEARNING_STEPS[k + 1]
            else:
                state, step, delay = REVIEW, None, 0
        elif state == RELEARNING:
            if r == 1:
                state, step, delay = RELEARNING, 0, RELEARNING_STEPS[0]
            elif r == 2:
                state, step, delay = RELEARNING, 0, RELEARNING_STEPS[0] * 3 // 2
            else:
                state, step, delay = REVIEW, None, 0
        elif r == 1:
            state, step, delay = RELEARNING, 0, RELEARNING_STEPS[0]
            lapses += 1
        else:
            state, step, delay = REVIEW, None, 0
        if state == REVIEW:
            ivl = min(MAX_INTERVAL, max(1, round(s * scale)))
            due = start_of(day_of(t) + ivl)
        else:
            due = t + delay
        events.append(
            Event(t, r, durations[i], before[0], before[1], before[2], _scaled(before[3], scale), before[4], before[5],
                  state, step, due, _scaled(s, scale) or 0.1, d or 1.0)
        )  # fmt: skip
        last = t
        if i + 1 < n:
            t = due + (lateness[i + 1] if state == REVIEW else gaps[i + 1])
    assert s is not None and d is not None and due is not None and last is not None
    return Card(state, step, due, _scaled(s, scale) or 0.1, d, n, lapses, last, events)


def _scaled(s: float | None, scale: float) -> float | None:
    return None if s is None else max(0.1, s * scale)


def _place(card: Card, rng: random.Random) -> None:
    """Move the history in time so the card is due when it should be (all answers before NOW)."""
    if card.state == REVIEW:
        ivl = day_of(card.due) - day_of(card.last_review)
        if rng.random() < SHARE_DUE or ivl == 1:
            offset = 0 if rng.random() < 0.6 else -rng.randint(1, 14)
        else:
            offset = rng.randint(1, ivl - 1)  # last answered (ivl - offset) days ago, never today
        shift = start_of(TODAY + offset) - card.due  # whole days: keeps due dates at the rollover
    else:
        last_step = card.due - card.last_review
        if rng.random() < SHARE_LEARNING_NOW:
            # Last answered in the past 3 h: due since then or in the next minutes.
            target = NOW_S + last_step - rng.randint(1, 3 * 3600)
            shift = target - card.due
        else:
            # Due on a later study day (as after a step of a day or more), last answered before today.
            shift = start_of(TODAY) - rng.randint(600, 2 * DAY) - card.last_review
            interday = start_of(TODAY + rng.randint(1, 10))
            card.events[-1].due_after = interday - shift
            card.due = interday - shift
    for e in card.events:
        e.t += shift
        e.due_after += shift
        if e.due_before is not None:
            e.due_before += shift
        if e.last_before is not None:
            e.last_before += shift
    card.due += shift
    card.last_review += shift
    assert card.last_review < NOW_S, (card.last_review, NOW_S)


def _allocate(rng: random.Random, kinds: list[int], total: int) -> list[int]:
    """Answers per card: 1-2 for cards still in their first learning, the rest shared by weight."""
    counts = [0] * len(kinds)
    weights: list[tuple[int, float]] = []
    for i, kind in enumerate(kinds):
        if kind == LEARNING:
            counts[i] = rng.choice((1, 2))
        elif kind in (REVIEW, RELEARNING):
            weights.append((i, rng.uniform(0.3, 1.7)))
    left = total - sum(counts)
    wsum = sum(w for _i, w in weights)
    for i, w in weights:
        counts[i] = max(2, int(left * w / wsum))
    diff = total - sum(counts)
    j = 0
    while diff != 0:
        i = weights[j % len(weights)][0]
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > 2:
            counts[i] -= 1
            diff += 1
        j += 1
    return counts


# -- the CalciDeck collection ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Params:
    notes: int = DEFAULT_NOTES
    files: int = DEFAULT_FILES
    log_rows: int = DEFAULT_LOG_ROWS
    seed: int = DEFAULT_SEED

    def key(self) -> str:
        h = hashlib.sha256()
        h.update(repr((FORMAT_VERSION, self.notes, self.files, self.log_rows, self.seed)).encode())
        here = Path(__file__).resolve().parent
        for src in (here / "synthetic.py", here / "review_synthetic.py"):
            h.update(src.read_bytes())
        migrations = here.parents[1] / "calcideck" / "store" / "migrations" / "versions"
        h.update(repr(sorted(p.name for p in migrations.glob("*.py"))).encode())
        return h.hexdigest()[:16]


_LOG_COLUMNS = (
    "card_id", "reviewed_at", "rating", "duration_ms", "state_before", "step_before", "due_before", "stability_before",
    "difficulty_before", "last_review_before", "state_after", "step_after", "due_after", "stability_after", "difficulty_after",
)  # fmt: skip


def calcideck_collection(params: Params = Params(), *, rebuild: bool = False, log: Any = print) -> Path:
    """The cached collection file for ``params`` (built first if missing). Copy it before use."""
    CACHE_DIR.mkdir(exist_ok=True)
    out = CACHE_DIR / f"review-{params.key()}.sqlite"
    if out.exists() and not rebuild:
        log(f"using the cached synthetic collection {out}")
        return out
    work = Path(tempfile.mkdtemp(prefix="review-build-", dir=CACHE_DIR))
    try:
        path = work / "collection.sqlite"
        _build(path, params, work, log)
        for suffix in ("-wal", "-shm"):
            assert not path.with_name(path.name + suffix).exists() or path.with_name(path.name + suffix).stat().st_size == 0
        os.replace(path, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _build(path: Path, params: Params, work: Path, log: Any) -> None:
    from calcideck import Collection

    t0 = time.perf_counter()
    deck = synthetic.generate(work / "decks", params.notes, params.files, seed=params.seed)
    with Collection.open(path) as col:
        report = col.build([deck.root], now=NOW - timedelta(days=800))
        assert report.ok and not report.diagnostics, [d.format() for d in report.diagnostics[:10]]
        col.update_settings(timezone=TIMEZONE, rollover_hour=ROLLOVER_HOUR)
    log(f"  built {len(deck.notes)} notes, {deck.expected_cards} cards in {time.perf_counter() - t0:.1f} s")
    t1 = time.perf_counter()
    rng = random.Random(params.seed)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA temp_store=MEMORY")
        ids = [cid for (cid,) in con.execute("SELECT id FROM cards WHERE retired_at IS NULL ORDER BY id")]
        kinds = []
        for _ in ids:
            u = rng.random()
            if u < SHARE_REVIEW:
                kinds.append(REVIEW)
            elif u < SHARE_REVIEW + SHARE_LEARNING:
                kinds.append(LEARNING if rng.random() < 0.6 else RELEARNING)
            else:
                kinds.append(NEW)
        counts = _allocate(rng, kinds, params.log_rows)
        con.execute("BEGIN")
        columns = ", ".join(_LOG_COLUMNS)
        con.execute(f"CREATE TEMP TABLE staging ({columns})")
        insert = f"INSERT INTO staging VALUES ({', '.join('?' for _ in _LOG_COLUMNS)})"
        card_rows: list[tuple[Any, ...]] = []
        log_rows: list[tuple[Any, ...]] = []
        written = 0
        for cid, kind, n in zip(ids, kinds, counts, strict=True):
            if kind == NEW:
                continue
            card = _history(rng, n, kind)
            _place(card, rng)
            card_rows.append(
                (card.state, card.step, fmt(card.due), card.stability, card.difficulty, card.reps, card.lapses,
                 fmt(card.last_review), cid)
            )  # fmt: skip
            for e in card.events:
                log_rows.append(
                    (cid, fmt(e.t), e.rating, e.duration_ms, e.state_before, e.step_before, fmt(e.due_before), e.s_before,
                     e.d_before, fmt(e.last_before), e.state_after, e.step_after, fmt(e.due_after), e.s_after, e.d_after)
                )  # fmt: skip
            if len(log_rows) >= 50_000:
                con.executemany(insert, log_rows)
                written += len(log_rows)
                log_rows.clear()
        con.executemany(insert, log_rows)
        written += len(log_rows)
        assert written == params.log_rows, (written, params.log_rows)
        con.executemany(
            "UPDATE cards SET state=?, step=?, due=?, stability=?, difficulty=?, reps=?, lapses=?, last_review=? WHERE id=?",
            card_rows,
        )
        # Stored in time order, as an app writes them; indexes rebuilt once afterwards.
        found = "FROM sqlite_master WHERE type = 'index' AND tbl_name = 'review_log' AND sql IS NOT NULL"
        indexes = con.execute(f"SELECT name, sql {found}").fetchall()
        for name, _sql in indexes:
            con.execute(f'DROP INDEX "{name}"')
        con.execute(f"INSERT INTO review_log ({columns}) SELECT {columns} FROM staging ORDER BY reviewed_at, card_id")
        for _name, sql in indexes:
            con.execute(sql)
        con.execute("DROP TABLE staging")
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    log(f"  wrote states for {len(card_rows)} cards and {written} review-log rows in {time.perf_counter() - t1:.1f} s")


def copy_collection(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


@dataclass(frozen=True, slots=True)
class Facts:
    cards: int
    notes: int
    decks: int
    by_state: dict[int, int]
    log_rows: int
    reviews_due_today: int
    learning_due_today: int
    decks_with_due_reviews: int
    first_review: str
    size_mb: float


def facts(path: Path) -> Facts:
    con = sqlite3.connect(path)
    try:
        end = fmt(DAY_END_S)
        by_state = dict(con.execute("SELECT state, count(*) FROM cards WHERE retired_at IS NULL GROUP BY state").fetchall())
        return Facts(
            cards=con.execute("SELECT count(*) FROM cards WHERE retired_at IS NULL").fetchone()[0],
            notes=con.execute("SELECT count(*) FROM notes WHERE retired_at IS NULL").fetchone()[0],
            decks=con.execute("SELECT count(*) FROM decks").fetchone()[0],
            by_state=by_state,
            log_rows=con.execute("SELECT count(*) FROM review_log").fetchone()[0],
            reviews_due_today=con.execute("SELECT count(*) FROM cards WHERE state=2 AND due < ?", (end,)).fetchone()[0],
            learning_due_today=con.execute("SELECT count(*) FROM cards WHERE state IN (1, 3) AND due < ?", (end,)).fetchone()[
                0
            ],
            decks_with_due_reviews=con.execute(
                "SELECT count(DISTINCT deck_id) FROM cards WHERE state=2 AND due < ?", (end,)
            ).fetchone()[0],
            first_review=con.execute("SELECT min(reviewed_at) FROM review_log").fetchone()[0],
            size_mb=path.stat().st_size / 1e6,
        )
    finally:
        con.close()


def deck_log_counts(path: Path) -> dict[str, int]:
    """Review-log rows per deck, subdecks included (to pick a deck for the optimizer)."""
    con = sqlite3.connect(path)
    try:
        own = dict(
            con.execute(
                "SELECT d.name, count(r.id) FROM decks d JOIN cards c ON c.deck_id = d.id JOIN review_log r ON r.card_id = c.id "
                "GROUP BY d.name"
            ).fetchall()
        )
        names = [n for (n,) in con.execute("SELECT name FROM decks")]
    finally:
        con.close()
    return {name: sum(n for d, n in own.items() if d == name or d.startswith(name + "::")) for name in names}


# -- the Anki collection ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnkiWorld:
    path: Path
    deck_ids: dict[str, int]  # CalciDeck deck name -> Anki deck id
    card_ids: dict[int, int]  # CalciDeck card id -> Anki card id
    today: int
    real_now: float
    notes: int
    cards: int
    revlog: int
    seconds: float


_CLOZE_UNSAFE = re.compile(r"\{\{|\}\}")


def _anki_names(decks: list[tuple[int, str, int | None]]) -> dict[int, str]:
    """Anki deck names for CalciDeck decks: the same, except that Anki's names ignore case, so a
    deck whose name differs from another only in case gets its id appended."""
    by_id = {i: (name, parent) for i, name, parent in decks}
    out: dict[int, str] = {}
    used: set[str] = set()

    def name_of(i: int) -> str:
        if i in out:
            return out[i]
        name, parent = by_id[i]
        leaf = name.rsplit("::", 1)[-1]
        prefix = name_of(parent) + "::" if parent is not None else ""
        full = prefix + leaf
        if full.casefold() in used:
            full = f"{prefix}{leaf} [{i}]"
        used.add(full.casefold())
        out[i] = full
        return full

    for i, _name, _parent in sorted(decks, key=lambda d: d[1]):
        name_of(i)
    return out


def anki_collection(
    folder: Path, calcideck_file: Path, *, new_per_day: int, reviews_per_day: int, log: Any = print
) -> AnkiWorld:
    """An Anki collection with the same decks, cards, states and review log as ``calcideck_file``."""
    from anki.collection import AddNoteRequest
    from anki.collection import Collection as AnkiCollection

    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "collection.anki2"
    src = sqlite3.connect(calcideck_file)
    decks = src.execute("SELECT id, name, parent_id FROM decks").fetchall()
    names = _anki_names(decks)
    cards = src.execute(
        "SELECT c.id, c.note_id, c.deck_id, c.match_text FROM cards c JOIN notes n ON n.id = c.note_id "
        "WHERE c.retired_at IS NULL AND n.retired_at IS NULL ORDER BY n.source_id, n.file_path, n.position, c.ordinal"
    ).fetchall()
    notes: dict[int, list[tuple[int, int, str]]] = {}
    for cid, nid, did, text in cards:
        notes.setdefault(nid, []).append((cid, did, text))

    col = AnkiCollection(str(path))
    try:
        col.set_config("fsrs", True)
        conf = col.decks.config_dict_for_deck_id(1)
        conf["new"]["perDay"] = new_per_day
        conf["rev"]["perDay"] = reviews_per_day
        conf["new"]["delays"] = [1.0, 10.0]
        conf["lapse"]["delays"] = [10.0]
        conf["new"]["bury"] = True  # CalciDeck's bury_siblings (on by default)
        conf["rev"]["bury"] = True
        conf["buryInterdayLearning"] = True
        conf["desiredRetention"] = 0.9
        conf["rev"]["maxIvl"] = 36500
        conf["lapse"]["leechFails"] = 8
        conf["lapse"]["leechAction"] = 1  # tag only, as CalciDeck's default
        col.decks.update_config(conf)
        deck_ids = {}
        for i, name, _parent in sorted(decks, key=lambda d: d[1]):
            deck_ids[name] = int(col.decks.id(names[i]))
        calci_names = {i: name for i, name, _p in decks}
        cloze = col.models.by_name("Cloze")
        assert cloze is not None
        requests = []
        order: list[list[int]] = []
        for members in notes.values():
            note = col.new_note(cloze)
            parts = []
            for k, (_cid, _did, text) in enumerate(members, start=1):
                body = _CLOZE_UNSAFE.sub(" ", (text or "").strip())[:400] or f"card {k}"
                parts.append(f"{{{{c{k}::{body}}}}}")
            note["Text"] = "<br>".join(parts)
            requests.append(AddNoteRequest(note, deck_ids[calci_names[members[0][1]]]))
            order.append([cid for cid, _did, _text in members])
        for i in range(0, len(requests), 5000):
            col.add_notes(requests[i : i + 5000])
        anki_cards = col.db.all("SELECT id, nid, ord FROM cards ORDER BY nid, ord")
        by_note: dict[int, list[int]] = {}
        for acid, anid, _ord in anki_cards:
            by_note.setdefault(anid, []).append(acid)
        note_ids = [r.note.id for r in requests]
        card_ids: dict[int, int] = {}
        for nid, calci in zip(note_ids, order, strict=True):
            mine = by_note[nid]
            assert len(mine) == len(calci), (nid, len(mine), len(calci))
            card_ids.update(zip(calci, mine, strict=True))
    finally:
        col.close()
    # Number the days so that today is about day 1000 (review due days are counted from the collection's creation).
    con = sqlite3.connect(path)
    con.execute("UPDATE col SET crt = crt - 1000 * 86400")
    con.commit()
    con.close()
    col = AnkiCollection(str(path))
    try:
        today = col.sched.today
        # Anki counts each deck's new cards introduced and reviews done today in the deck itself, not from the
        # review log: give it what the synthetic log says was done today, as CalciDeck reads it from its log.
        done: dict[int, list[int]] = {}
        for deck_id, state_before, n in src.execute(
            "SELECT c.deck_id, r.state_before, count(*) FROM review_log r JOIN cards c ON c.id = r.card_id "
            "WHERE r.reviewed_at >= ? GROUP BY c.deck_id, r.state_before",
            (fmt(start_of(TODAY)),),
        ):
            if state_before in (NEW, REVIEW):
                done.setdefault(deck_id, [0, 0])[0 if state_before == NEW else 1] += n
        for deck_id, (new, rev) in done.items():
            deck = col.decks.get(deck_ids[calci_names[deck_id]])
            assert deck is not None
            deck["newToday"] = [today, new]
            deck["revToday"] = [today, rev]
            col.decks.save(deck)
    finally:
        col.close()

    real_now = time.time()

    def real(s: int) -> float:
        return real_now + (s - NOW_S)

    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    updates = []
    for cid, state, step, due, s, d, reps, lapses, last in src.execute(
        "SELECT id, state, step, due, stability, difficulty, reps, lapses, last_review FROM cards WHERE state != 0 AND retired_at IS NULL"
    ):
        due_s, last_s = epoch(due), epoch(last)
        assert due_s is not None and last_s is not None
        data = json.dumps(
            {"s": round(s, 4), "d": round(d, 3), "dr": 0.9, "decay": 0.1542, "lrt": int(real(last_s))}, separators=(",", ":")
        )
        due_day = today + day_of(due_s) - TODAY
        if state == REVIEW:
            row = (2, 2, due_day, max(1, day_of(due_s) - day_of(last_s)), 0)
        else:
            intraday = due_s < DAY_END_S and due_s - last_s < DAY
            left = (len(LEARNING_STEPS) - (step or 0)) if state == LEARNING else 1
            ivl = 0 if state == LEARNING else max(1, round(s))
            row = (state, 1 if intraday else 3, int(real(due_s)) if intraday else due_day, ivl, left)
        updates.append((*row, reps, lapses, data, card_ids[cid]))
    con.executemany("UPDATE cards SET type=?, queue=?, due=?, ivl=?, left=?, reps=?, lapses=?, data=? WHERE id=?", updates)
    rows = []
    last_id = 0
    last_ivl: dict[int, int] = {}
    for cid, at, rating, ms, sb, sa, due_after, d_after in src.execute(
        "SELECT card_id, reviewed_at, rating, duration_ms, state_before, state_after, due_after, difficulty_after "
        "FROM review_log ORDER BY reviewed_at, id"
    ):
        at_s, due_s = epoch(at), epoch(due_after)
        assert at_s is not None and due_s is not None
        rid = max(last_id + 1, int(real(at_s) * 1000))
        last_id = rid
        ivl = max(1, day_of(due_s) - day_of(at_s)) if sa == REVIEW else -(due_s - at_s)
        acid = card_ids[cid]
        kind = {NEW: 0, LEARNING: 0, REVIEW: 1, RELEARNING: 2}[sb]
        rows.append((rid, acid, 0, rating, ivl, last_ivl.get(acid, 0), round((d_after or 0) * 100), min(ms, 60_000), kind))
        last_ivl[acid] = ivl
        if len(rows) >= 50_000:
            con.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            rows.clear()
    con.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("COMMIT")
    n_revlog = con.execute("SELECT count(*) FROM revlog").fetchone()[0]
    n_notes = con.execute("SELECT count(*) FROM notes").fetchone()[0]
    n_cards = con.execute("SELECT count(*) FROM cards").fetchone()[0]
    con.close()
    src.close()
    took = time.perf_counter() - t0
    log(
        f"  Anki collection: {n_notes} notes, {n_cards} cards, {n_revlog} revlog rows, today = day {today}; made in {took:.1f} s"
    )
    return AnkiWorld(path, deck_ids, card_ids, today, real_now, n_notes, n_cards, n_revlog, took)


def iter_ratings(seed: int, n: int) -> Iterator[int]:
    """The ratings the benchmark answers with (the same for both engines)."""
    rng = random.Random(seed)
    yield from rng.choices(RATINGS, RATING_WEIGHTS, k=n)


if __name__ == "__main__":  # pragma: no cover - manual use
    target = calcideck_collection(rebuild="--rebuild" in sys.argv)
    print(facts(target))
