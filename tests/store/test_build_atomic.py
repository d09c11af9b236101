"""A build is all or nothing: errors or a kill leave the collection as it was."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DeckDir, add_reviews, card_rows


def dump(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_a_build_with_any_error_changes_nothing(deck: DeckDir, col, collection_path: Path) -> None:
    deck.write("a.md", "Q: Serum calcium in dystrophic calcification?\nA: Normal.\n")
    deck.write("b.md", "Q: Serum calcium in metastatic calcification?\nA: Raised.\n")
    assert col.build([deck.root]).ok
    add_reviews(collection_path, card_rows(collection_path)[0]["id"])
    before = dump(collection_path)
    # Good edits everywhere, a new file, a deleted file, and one error.
    deck.write("a.md", "Q: Serum calcium in dystrophic calcification?\nA: Normal (edited).\n")
    deck.remove("b.md")
    deck.write("c.md", "Q: New card\nA: New answer\n\nA: orphan answer\n")
    report = col.build([deck.root])
    assert not report.ok
    assert [d.format().split("decks/")[1] for d in report.diagnostics] == ["c.md:4:1: error: 'A:' without a 'Q:' before it"]
    assert (report.notes.added, report.notes.updated, report.notes.retired) == (0, 0, 0)
    assert dump(collection_path) == before


def test_a_render_error_also_changes_nothing(deck: DeckDir, col, collection_path: Path) -> None:
    deck.write("a.md", "Q: a\nA: b\n")
    assert col.build([deck.root]).ok
    before = dump(collection_path)
    deck.image("x.png")
    deck.write("a.md", "Q: a\nA: b\n\nSee ![{{c1::alt}}](x.png) here.\n")
    report = col.build([deck.root])
    assert not report.ok and "cloze cannot be inside a link or image" in report.diagnostics[0].message
    assert dump(collection_path) == before


BUILD_SCRIPT = """
import sys, time
from calcideck import Collection
with Collection.open(sys.argv[1]) as col:
    print("building", flush=True)
    started = time.perf_counter()
    report = col.build([sys.argv[2]])
    print("done" if report.ok else "failed", time.perf_counter() - started, flush=True)
"""


def write_big_deck(deck: DeckDir, version: int, notes: int = 1500) -> None:
    for f in range(10):
        body = "\n".join(
            f"Q: Question {f}-{n} about calcification, version {version}?\nA: Answer {f}-{n} with **bold** text v{version}.\n"
            for n in range(notes // 10)
        )
        deck.write(f"f{f}.md", body)


@pytest.mark.slow
def test_a_build_killed_half_way_leaves_the_collection_as_it_was(deck: DeckDir, collection_path: Path, tmp_path: Path) -> None:
    write_big_deck(deck, 1)
    subprocess.run(
        [sys.executable, "-c", BUILD_SCRIPT, str(collection_path), str(deck.root)],
        check=True,
        capture_output=True,
    )
    v1 = dump(collection_path)
    write_big_deck(deck, 2)

    full = subprocess.run(
        [sys.executable, "-c", BUILD_SCRIPT, str(tmp_path / "timing.sqlite"), str(deck.root)],
        capture_output=True,
        check=True,
    )
    assert b"done" in full.stdout
    duration = float(full.stdout.split()[-1])  # the build alone, without interpreter start-up

    rng = random.Random(20261125)
    killed_mid_build = 0
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", BUILD_SCRIPT, str(collection_path), str(deck.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"building"
        time.sleep(rng.uniform(0.1, 0.9) * duration)
        proc.send_signal(signal.SIGKILL)
        out, _err = proc.communicate()
        con = sqlite3.connect(collection_path)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()
        if proc.returncode == -signal.SIGKILL and b"done" not in out:
            killed_mid_build += 1
            assert dump(collection_path) == v1, "a killed build must leave no trace"
        else:
            break  # it finished: the collection is now v2, the remaining tries would test nothing
    assert killed_mid_build >= 1, "no kill landed during a build; the test proved nothing"
    # And the collection still builds normally afterwards.
    done = subprocess.run(
        [sys.executable, "-c", BUILD_SCRIPT, str(collection_path), str(deck.root)],
        capture_output=True,
        check=True,
    )
    assert b"done" in done.stdout
    answers = {str(r["answer_html"]) for r in card_rows(collection_path) if r["card_retired"] is None}
    assert all("v2" in a for a in answers) and len(answers) == 1500
