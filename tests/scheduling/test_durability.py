"""Nothing lost: answers survive SIGKILL; a second process is told the collection is in use."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calcideck import Collection
from calcideck.core.diagnostics import CollectionError

ANSWERER = r"""
import sys
from datetime import UTC, datetime, timedelta
from calcideck import Collection, Rating
path, seed = sys.argv[1], int(sys.argv[2])
now = datetime(2026, 5, 4, 8, tzinfo=UTC) + timedelta(days=seed)
with Collection.open(path) as col:
    i = 0
    while True:
        card = col.next_card(now=now)
        if card is None:
            now += timedelta(days=1)
            continue
        rating = Rating(1 + (i * 7 + seed) % 4)
        col.answer(card, rating, 1000, now=now)
        print(f"ACK {card.id} {col.card_state(card.id).reps}", flush=True)
        i += 1
        now += timedelta(minutes=3)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_answers_acknowledged_before_sigkill_are_all_there(deck, collection_path: Path) -> None:  # type: ignore[no-untyped-def]
    deck.write("d.md", "---\ndeck: K\n---\n" + "".join(f"Q: q{i}?\nA: a{i}. ^k-{i}\n\n" for i in range(40)))
    with Collection.open(collection_path) as col:
        col.update_settings(timezone="UTC")
        assert col.build([deck.root]).ok
    rng = random.Random(3)
    for round_no in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", ANSWERER, str(collection_path), str(round_no)], stdout=subprocess.PIPE, text=True
        )
        acked: dict[int, int] = {}
        deadline = time.monotonic() + rng.uniform(0.8, 2.5)
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            _ack, cid, reps = line.split()
            acked[int(cid)] = int(reps)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert acked, "the child answered nothing before the kill"
        with Collection.open(collection_path) as col:
            for cid, reps in acked.items():
                st = col.card_state(cid)
                assert st.reps >= reps  # every acknowledged answer is there
            for cid in col.card_ids():
                log = col.review_log(cid)
                st = col.card_state(cid)
                assert st.reps == len(log)  # state and log agree: never one without the other
                if log:
                    assert (log[-1].state_after, log[-1].due_after) == (st.state, st.due)
        db = sqlite3.connect(collection_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()


def test_a_second_process_gets_collection_in_use(collection_path: Path) -> None:
    code = "import sys\nfrom calcideck import Collection\ntry:\n    Collection.open(sys.argv[1])\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    with Collection.open(collection_path):
        out = subprocess.run([sys.executable, "-c", code, str(collection_path)], capture_output=True, text=True, check=True)
        assert out.stdout.startswith("CollectionInUseError") and "in use by another CalciDeck process" in out.stdout
        cli = subprocess.run(
            [sys.executable, "-m", "calcideck", "stats", "--collection", str(collection_path)], capture_output=True, text=True
        )
        assert cli.returncode == 2 and "in use" in cli.stderr and "Traceback" not in cli.stderr
    # closed: the next process may open it
    out = subprocess.run([sys.executable, "-c", code, str(collection_path)], capture_output=True, text=True, check=True)
    assert out.stdout == ""


def test_lock_is_released_on_close_and_on_failed_open(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    Collection.open(path).close()
    with Collection.open(path):
        pass
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_bytes(b"garbage" * 100)
    for _ in range(2):
        with pytest.raises(CollectionError):
            Collection.open(bad)
