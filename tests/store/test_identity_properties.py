"""Random edit sequences: whatever an instructor does, a build keeps its promises.

A hypothesis state machine edits a small deck root (add, delete, reword, move
between files, reorder, add ids, add clozes or list items), rebuilds after
every step, and checks after each build that:

- the active notes and cards are exactly what the files now define;
- review history is never deleted, and a card with history stays the same
  card while its note is only edited, moved or reordered;
- rebuilding unchanged files changes nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from calcideck import Collection
from calcideck.compiler.driver import check_paths
from tests.conftest import add_reviews

TOPICS = [
    "caseous necrosis in tuberculosis",
    "fat necrosis with calcium soaps",
    "psammoma bodies in meningioma",
    "Mönckeberg medial sclerosis",
    "metastatic calcification in hypercalcaemia",
    "phleboliths in veins",
    "calcified haematoma near bone",
    "schistosoma eggs in the bladder",
    "atheroma of the aorta",
    "pseudoxanthoma elasticum and Bruch membrane",
    "calcinosis cutis",
    "heterotopic ossification",
]


class Note:
    counter = 0

    def __init__(self, kind: str, topic: str) -> None:
        Note.counter += 1
        self.uid = Note.counter
        self.kind = kind
        self.topic = topic
        self.anchor: str | None = None
        self.extra = 0  # rewordings, added clozes or items

    def render(self) -> str:
        tail = f" ^{self.anchor}" if self.anchor else ""
        t = f"{self.topic} (note {self.uid})"
        if self.kind == "basic":
            return f"Q: What is typical of {t}?\nA: It is described in version {self.extra} of the notes.{tail}\n"
        if self.kind == "cloze":
            extra = "".join(f" and {{{{c{i + 3}::detail {i}}}}}" for i in range(self.extra))
            return f"In {t} the deposits are {{{{c1::dystrophic}}}} with {{{{c2::normal calcium}}}}{extra}.{tail}\n"
        items = [f"finding {i} of {t}" for i in range(2 + self.extra)]
        return f"List: Findings in {t}\n" + "\n".join(f"- {item}" for item in items) + f"{tail}\n"


class DeckEdits(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="calcideck-props-"))
        self.root = self.tmp / "decks"
        self.db = self.tmp / "c.sqlite"
        self.files: dict[str, list[Note]] = {"a.md": [], "b.md": []}
        self.col = Collection.open(self.db)
        self.reviews: dict[int, int] = {}  # card id -> review rows given
        self.stable: dict[tuple[int, str], int] = {}  # (note uid, card key) -> card id while only edited
        self.next_anchor = 0

    def teardown(self) -> None:
        self.col.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- writing and building -------------------------------------------------

    def write_and_build(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name, notes in self.files.items():
            body = "---\ndeck: Props\n---\n" + "\n".join(n.render() for n in notes)
            (self.root / name).write_text(body, encoding="utf-8")
        report = self.col.build([self.root])
        assert report.ok, [d.format() for d in report.diagnostics]
        self.check_against_files()

    def all_notes(self) -> list[Note]:
        return [n for notes in self.files.values() for n in notes]

    def rows(self) -> list[sqlite3.Row]:
        con = sqlite3.connect(self.db)
        con.row_factory = sqlite3.Row
        try:
            return con.execute(
                "SELECT cards.id, cards.key, cards.retired_at AS card_retired, cards.answer_html,"
                " notes.retired_at AS note_retired, notes.id AS note_id FROM cards JOIN notes ON notes.id = cards.note_id"
            ).fetchall()
        finally:
            con.close()

    def check_against_files(self) -> None:
        expected_cards = sum(len(n.cards) for n in check_paths([self.root]).notes)
        active = [r for r in self.rows() if r["card_retired"] is None and r["note_retired"] is None]
        assert len(active) == expected_cards
        assert len(set(self.col.card_ids())) == expected_cards
        for r in self.rows():  # a retired note has no active card
            assert not (r["note_retired"] is not None and r["card_retired"] is None)

    # -- rules ---------------------------------------------------------------------

    @rule(
        kind=st.sampled_from(["basic", "cloze", "list"]), topic=st.sampled_from(TOPICS), file=st.sampled_from(["a.md", "b.md"])
    )
    def add_note(self, kind: str, topic: str, file: str) -> None:
        self.files[file].append(Note(kind, topic))
        self.write_and_build()

    @precondition(lambda self: self.all_notes())
    @rule(data=st.data())
    def review_something(self, data: st.DataObject) -> None:
        card_id = data.draw(st.sampled_from(sorted(self.col.card_ids())))
        add_reviews(self.db, card_id, 2)
        self.reviews[card_id] = self.reviews.get(card_id, 0) + 2
        card = self.col.card(card_id)
        note = self.note_of(card.answer_html)
        if note is not None:
            self.stable[(note.uid, card.key)] = card_id

    def note_of(self, html: str) -> Note | None:
        found = [n for n in self.all_notes() if f"(note {n.uid})" in html]
        return found[0] if len(found) == 1 else None

    @precondition(lambda self: self.all_notes())
    @rule(data=st.data())
    def reword_or_extend(self, data: st.DataObject) -> None:
        note = data.draw(st.sampled_from(self.all_notes()))
        note.extra += 1  # a reworded answer, an added cloze, or an added list item
        self.write_and_build()

    @precondition(lambda self: self.stable)
    @rule(data=st.data(), move=st.booleans())
    def edit_a_reviewed_note(self, data: st.DataObject, move: bool) -> None:
        uid = data.draw(st.sampled_from(sorted({uid for uid, _key in self.stable})))
        (note,) = [n for n in self.all_notes() if n.uid == uid]
        note.extra += 1
        if move:  # and move it to the other file as well
            here = next(name for name, notes in self.files.items() if note in notes)
            self.files[here].remove(note)
            self.files["b.md" if here == "a.md" else "a.md"].append(note)
        self.write_and_build()

    @precondition(lambda self: self.all_notes())
    @rule(data=st.data())
    def move_to_other_file(self, data: st.DataObject) -> None:
        note = data.draw(st.sampled_from(self.all_notes()))
        for notes in self.files.values():
            if note in notes:
                notes.remove(note)
        other = data.draw(st.sampled_from(["a.md", "b.md"]))
        self.files[other].insert(data.draw(st.integers(0, len(self.files[other]))), note)
        self.write_and_build()

    @rule(data=st.data())
    def reorder(self, data: st.DataObject) -> None:
        for notes in self.files.values():
            data.draw(st.randoms()).shuffle(notes)
        self.write_and_build()

    @precondition(lambda self: self.all_notes())
    @rule(data=st.data())
    def add_id(self, data: st.DataObject) -> None:
        note = data.draw(st.sampled_from(self.all_notes()))
        if note.anchor is None:
            self.next_anchor += 1
            note.anchor = f"id-{self.next_anchor}"
            self.write_and_build()

    @precondition(lambda self: self.all_notes())
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        note = data.draw(st.sampled_from(self.all_notes()))
        for notes in self.files.values():
            if note in notes:
                notes.remove(note)
        self.stable = {k: v for k, v in self.stable.items() if k[0] != note.uid}
        self.write_and_build()

    @rule()
    def rebuild_unchanged(self) -> None:
        if not self.root.exists():
            return
        before = [tuple(r) for r in self.rows()]
        report = self.col.build([self.root])
        assert (report.notes.added, report.notes.updated, report.notes.retired) == (0, 0, 0)
        assert (report.cards.added, report.cards.updated, report.cards.retired) == (0, 0, 0)
        assert [tuple(r) for r in self.rows()] == before

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def history_is_never_deleted(self) -> None:
        if not self.reviews:
            return
        con = sqlite3.connect(self.db)
        try:
            for card_id, count in self.reviews.items():
                assert con.execute("SELECT count(*) FROM review_log WHERE card_id = ?", (card_id,)).fetchone()[0] == count
        finally:
            con.close()

    @invariant()
    def reviewed_cards_keep_their_identity(self) -> None:
        if not self.stable:
            return
        active = set(self.col.card_ids())
        for (uid, key), card_id in self.stable.items():
            assert card_id in active, f"note {uid} card {key} lost its history"
            assert f"(note {uid})" in self.col.card(card_id).answer_html


DeckEdits.TestCase.settings = settings(
    max_examples=30, stateful_step_count=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestDeckEdits = DeckEdits.TestCase
