"""An instructor's edit must not erase a student's history.

Each test gives cards review history (review-log rows inserted directly, as
the scheduler does not exist yet), edits the deck files, rebuilds, and checks
that the same card rows, with their history, are still the active ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DeckDir, add_reviews, card_rows, review_count

BASE = """
---
deck: Pathology::Calcification
---
# Dystrophic calcification

Q: What is the most common site of dystrophic calcification?
A: Caseous necrosis in tuberculosis.

Q: What is the serum calcium level in dystrophic calcification?
A: Normal.

Fat necrosis after {{c1::acute pancreatitis}} deposits {{c2::calcium soaps}}.

List: Causes of hypercalcaemia behind metastatic calcification
1. Hyperparathyroidism
2. Bone destruction by tumours
3. Vitamin D-related disorders
4. Renal failure
"""


def active(db: Path, text: str) -> dict[str, object]:
    rows = [r for r in card_rows(db) if r["card_retired"] is None and text in str(r["answer_html"])]
    assert len(rows) == 1, f"expected one active card showing {text!r}, found {len(rows)}"
    return rows[0]


def cloze_card(db: Path, key: str) -> dict[str, object]:
    rows = [r for r in card_rows(db) if r["kind"] == "cloze" and r["key"] == key and r["card_retired"] is None]
    assert len(rows) == 1
    return rows[0]


def list_card(db: Path, item: str) -> dict[str, object]:
    rows = [
        r
        for r in card_rows(db)
        if r["kind"] == "list" and r["card_retired"] is None and f'<span class="cloze">{item}</span>' in str(r["answer_html"])
    ]
    assert len(rows) == 1, f"expected one list card for {item!r}"
    return rows[0]


@pytest.fixture
def built(deck: DeckDir, col, collection_path: Path):  # type: ignore[no-untyped-def]
    deck.write("dystrophic.md", BASE)
    report = col.build([deck.root])
    assert report.ok, report.diagnostics
    return col


def rebuild(col, deck: DeckDir):  # type: ignore[no-untyped-def]
    report = col.build([deck.root])
    assert report.ok, [d.format() for d in report.diagnostics]
    return report


def test_typo_fix_keeps_id_and_history(built, deck: DeckDir, collection_path: Path) -> None:
    card = active(collection_path, "Caseous necrosis in tuberculosis")
    add_reviews(collection_path, card["id"], 4)
    deck.write("dystrophic.md", BASE.replace("Caseous necrosis in tuberculosis", "Caseous necrosis in tuberculossis"))
    report = rebuild(built, deck)
    assert report.notes.updated == 1 and report.notes.added == 0 and report.notes.retired == 0
    after = active(collection_path, "tuberculossis")
    assert after["id"] == card["id"]
    assert review_count(collection_path, card["id"]) == 4


def test_rewording_a_question_keeps_history(built, deck: DeckDir, collection_path: Path) -> None:
    card = active(collection_path, "Caseous necrosis in tuberculosis")
    add_reviews(collection_path, card["id"])
    reworded = BASE.replace(
        "What is the most common site of dystrophic calcification?",
        "Where does dystrophic calcification most often occur?",
    )
    deck.write("dystrophic.md", reworded)
    report = rebuild(built, deck)
    assert (report.notes.added, report.notes.updated, report.notes.retired) == (0, 1, 0)
    assert active(collection_path, "most often occur")["id"] == card["id"]


def test_moving_a_card_within_the_file_keeps_history(built, deck: DeckDir, collection_path: Path) -> None:
    card = active(collection_path, "Normal.")
    add_reviews(collection_path, card["id"])
    block = "Q: What is the serum calcium level in dystrophic calcification?\nA: Normal.\n\n"
    moved = BASE.replace(block, "") + "\n" + block
    deck.write("dystrophic.md", moved)
    report = rebuild(built, deck)
    assert report.notes.added == 0 and report.notes.retired == 0
    assert active(collection_path, "Normal.")["id"] == card["id"]
    assert review_count(collection_path, card["id"]) == 3


def test_moving_a_card_to_another_file_of_the_deck_keeps_history(built, deck: DeckDir, collection_path: Path) -> None:
    card = active(collection_path, "Normal.")
    add_reviews(collection_path, card["id"])
    block = "Q: What is the serum calcium level in dystrophic calcification?\nA: Normal.\n\n"
    deck.write("dystrophic.md", BASE.replace(block, ""))
    deck.write("more.md", "---\ndeck: Pathology::Calcification\n---\n" + block)
    report = rebuild(built, deck)
    assert report.notes.added == 0 and report.notes.retired == 0
    moved = active(collection_path, "Normal.")
    assert moved["id"] == card["id"] and moved["file_path"] == "more.md"


def test_moved_and_edited_across_files_keeps_history(built, deck: DeckDir, collection_path: Path) -> None:
    card = active(collection_path, "Caseous necrosis in tuberculosis")
    add_reviews(collection_path, card["id"])
    block = "Q: What is the most common site of dystrophic calcification?\nA: Caseous necrosis in tuberculosis.\n\n"
    deck.write("dystrophic.md", BASE.replace(block, ""))
    deck.write(
        "tb.md",
        "---\ndeck: Pathology::Calcification\n---\n" + block.replace("in tuberculosis", "in tuberculosis (TB)"),
    )
    rebuild(built, deck)
    assert active(collection_path, "(TB)")["id"] == card["id"]


def test_reordering_a_list_keeps_each_items_history(built, deck: DeckDir, collection_path: Path) -> None:
    items = [
        "Hyperparathyroidism",
        "Bone destruction by tumours",
        "Vitamin D-related disorders",
        "Renal failure",
    ]
    before = {item: list_card(collection_path, item)["id"] for item in items}
    for n, item in enumerate(items):
        add_reviews(collection_path, before[item], n + 1)
    reordered = BASE.replace(
        "1. Hyperparathyroidism\n2. Bone destruction by tumours\n3. Vitamin D-related disorders\n4. Renal failure",
        "1. Renal failure\n2. Vitamin D-related disorders\n3. Hyperparathyroidism\n4. Bone destruction by tumours",
    )
    deck.write("dystrophic.md", reordered)
    rebuild(built, deck)
    for n, item in enumerate(items):
        assert list_card(collection_path, item)["id"] == before[item]
        assert review_count(collection_path, before[item]) == n + 1


def test_adding_c3_keeps_c1_and_c2(built, deck: DeckDir, collection_path: Path) -> None:
    c1, c2 = cloze_card(collection_path, "c1"), cloze_card(collection_path, "c2")
    add_reviews(collection_path, c1["id"], 2)
    add_reviews(collection_path, c2["id"], 5)
    deck.write(
        "dystrophic.md",
        BASE.replace("{{c2::calcium soaps}}.", "{{c2::calcium soaps}} ({{c3::saponification}})."),
    )
    report = rebuild(built, deck)
    assert report.cards.added == 1 and report.cards.retired == 0
    assert cloze_card(collection_path, "c1")["id"] == c1["id"]
    assert cloze_card(collection_path, "c2")["id"] == c2["id"]
    assert review_count(collection_path, c1["id"]) == 2 and review_count(collection_path, c2["id"]) == 5
    assert "[...]" in str(cloze_card(collection_path, "c3")["question_html"])


def test_adding_a_list_item_keeps_the_others(built, deck: DeckDir, collection_path: Path) -> None:
    renal = list_card(collection_path, "Renal failure")["id"]
    add_reviews(collection_path, renal)
    deck.write("dystrophic.md", BASE.replace("4. Renal failure", "4. Renal failure\n5. Milk-alkali syndrome"))
    report = rebuild(built, deck)
    assert report.cards.added == 1 and report.cards.retired == 0
    assert list_card(collection_path, "Renal failure")["id"] == renal
    assert review_count(collection_path, renal) == 3


def test_deleting_retires_and_restoring_revives_with_history(built, deck: DeckDir, collection_path: Path, col) -> None:
    card = active(collection_path, "Normal.")
    add_reviews(collection_path, card["id"], 6)
    block = "Q: What is the serum calcium level in dystrophic calcification?\nA: Normal.\n\n"
    deck.write("dystrophic.md", BASE.replace(block, ""))
    report = rebuild(built, deck)
    assert report.notes.retired == 1 and report.cards.retired == 1
    assert card["id"] not in col.card_ids()
    assert review_count(collection_path, card["id"]) == 6, "retiring must keep history"
    deck.write("dystrophic.md", BASE)
    report = rebuild(built, deck)
    assert report.notes.added == 1 and report.cards.added == 1
    assert card["id"] in col.card_ids()
    assert active(collection_path, "Normal.")["id"] == card["id"]


def test_deleting_a_file_retires_its_cards(built, deck: DeckDir, collection_path: Path, col) -> None:
    deck.write("other.md", "Q: What are psammoma bodies?\nA: Laminated calcospherites.\n")
    rebuild(built, deck)
    other = active(collection_path, "calcospherites")
    deck.remove("other.md")
    report = rebuild(built, deck)
    assert report.notes.retired == 1
    assert other["id"] not in col.card_ids()


def test_an_id_wins_over_the_heuristics(deck: DeckDir, col, collection_path: Path) -> None:
    deck.write(
        "a.md",
        """
        Q: What is metastatic calcification?
        A: Calcium deposition in normal tissue with hypercalcaemia. ^metastatic

        Q: What is dystrophic calcification?
        A: Calcium deposition in damaged tissue with normal serum calcium. ^dystrophic
        """,
    )
    assert col.build([deck.root]).ok
    meta = active(collection_path, "normal tissue")
    add_reviews(collection_path, meta["id"])
    # Swap the two texts: content matching would follow the text; the ids say otherwise.
    deck.write(
        "a.md",
        """
        Q: What is dystrophic calcification?
        A: Calcium deposition in damaged tissue with normal serum calcium. ^metastatic

        Q: What is metastatic calcification?
        A: Calcium deposition in normal tissue with hypercalcaemia. ^dystrophic
        """,
    )
    assert col.build([deck.root]).ok
    now_meta_id = next(r for r in card_rows(collection_path) if r["anchor"] == "metastatic")
    assert now_meta_id["id"] == meta["id"]
    assert "damaged tissue" in str(now_meta_id["answer_html"])


def test_an_id_keeps_history_through_a_complete_rewrite(deck: DeckDir, col, collection_path: Path) -> None:
    deck.write("a.md", "Q: Psammoma bodies?\nA: Concentric laminated calcifications. ^psammoma\n")
    assert col.build([deck.root]).ok
    card = active(collection_path, "laminated")
    add_reviews(collection_path, card["id"])
    deck.write("a.md", "Q: Which tumour of the meninges shows psammoma bodies?\nA: Meningioma. ^psammoma\n")
    report = col.build([deck.root])
    assert report.notes.updated == 1 and report.notes.added == 0
    assert active(collection_path, "Meningioma")["id"] == card["id"]


def test_adding_an_id_to_an_existing_card_keeps_history(built, deck: DeckDir, collection_path: Path) -> None:
    card = active(collection_path, "Normal.")
    add_reviews(collection_path, card["id"])
    deck.write("dystrophic.md", BASE.replace("A: Normal.", "A: Normal. ^serum-ca"))
    rebuild(built, deck)
    assert active(collection_path, "Normal.")["id"] == card["id"]


def test_meaning_change_marker_resets_exactly_that_card_once(built, deck: DeckDir, collection_path: Path, col) -> None:
    target = active(collection_path, "Normal.")
    other = active(collection_path, "Caseous necrosis")
    add_reviews(collection_path, target["id"], 3)
    add_reviews(collection_path, other["id"], 3)
    changed = BASE.replace("A: Normal.", "A: Normal; the phosphate is normal too. !reset-1")
    deck.write("dystrophic.md", changed)
    report = rebuild(built, deck)
    assert report.cards.added == 1 and report.cards.retired == 1
    fresh = active(collection_path, "phosphate is normal")
    assert fresh["id"] != target["id"]
    assert review_count(collection_path, fresh["id"]) == 0
    assert review_count(collection_path, target["id"]) == 3, "the old history is kept, not deleted"
    assert active(collection_path, "Caseous necrosis")["id"] == other["id"]
    # Rebuilding with the marker still in place does not reset again.
    add_reviews(collection_path, fresh["id"], 2)
    report = rebuild(built, deck)
    assert report.cards.added == 0 and report.cards.retired == 0
    assert active(collection_path, "phosphate is normal")["id"] == fresh["id"]
    # Deleting the text later does not revive the superseded card.
    deck.write("dystrophic.md", BASE)
    rebuild(built, deck)
    assert target["id"] not in col.card_ids()


def test_unrelated_new_card_does_not_inherit_history(built, deck: DeckDir, collection_path: Path) -> None:
    card = active(collection_path, "Normal.")
    add_reviews(collection_path, card["id"])
    block = "Q: What is the serum calcium level in dystrophic calcification?\nA: Normal.\n\n"
    deck.write(
        "dystrophic.md",
        BASE.replace(block, "Q: Which stain shows calcium deposits black?\nA: Von Kossa.\n\n"),
    )
    report = rebuild(built, deck)
    assert report.notes.added == 1 and report.notes.retired == 1
    assert active(collection_path, "Von Kossa")["id"] != card["id"]


def test_no_op_rebuild_changes_nothing(built, deck: DeckDir, collection_path: Path) -> None:
    before = card_rows(collection_path)
    report = rebuild(built, deck)
    assert (report.notes.added, report.notes.updated, report.notes.retired) == (0, 0, 0)
    assert report.notes.unchanged == 4 and report.cards.unchanged == len(before) == 8
    assert card_rows(collection_path) == before


def test_unchanged_files_are_not_reparsed(built, deck: DeckDir, collection_path: Path, monkeypatch) -> None:
    from calcideck.store import build as build_module

    deck.write("second.md", "Q: Where do psammoma bodies occur?\nA: Papillary thyroid carcinoma, among others.\n")
    rebuild(built, deck)
    parsed: list[str] = []
    real = build_module.parse_file

    def spy(root, rel, data, loader):  # type: ignore[no-untyped-def]
        parsed.append(rel)
        return real(root, rel, data, loader)

    monkeypatch.setattr(build_module, "parse_file", spy)
    deck.write("second.md", "Q: Where do psammoma bodies occur?\nA: Papillary thyroid carcinoma, meningioma.\n")
    report = rebuild(built, deck)
    assert parsed == ["second.md"]
    assert report.notes.updated == 1 and report.notes.unchanged == 4


def test_changed_image_rebuilds_the_file_that_uses_it(deck: DeckDir, col, collection_path: Path) -> None:
    deck.image("img/a.png", rgb=(1, 2, 3))
    deck.write("a.md", "Q: What does this show?\n![artery](img/a.png)\nA: Medial calcification.\n")
    assert col.build([deck.root]).ok
    first = active(collection_path, "Medial")["question_html"]
    deck.image("img/a.png", rgb=(9, 9, 9))
    report = col.build([deck.root])
    assert report.notes.updated == 1
    second = active(collection_path, "Medial")["question_html"]
    assert first != second


def test_building_one_file_updates_only_that_file(deck: DeckDir, col, collection_path: Path) -> None:
    deck.image("images/a.png")
    deck.write("a.md", "Q: Serum calcium in dystrophic calcification?\nA: Normal.\n")
    deck.write("sub/b.md", "Q: Which artery layer?\n![x](../images/a.png)\nA: Tunica media.\n")
    deck.write("sub/c.md", "Q: Psammoma bodies?\nA: Laminated calcospherites.\n")
    assert col.build([deck.root]).ok
    before = set(col.card_ids())
    deck.write(
        "sub/b.md", "Q: Which artery layer calcifies in Mönckeberg sclerosis?\n![x](../images/a.png)\nA: Tunica media.\n"
    )
    report = col.build([deck.root / "sub" / "b.md"])
    assert report.ok, [d.format() for d in report.diagnostics]
    assert (report.notes.updated, report.notes.retired, report.notes.added) == (1, 0, 0)
    assert set(col.card_ids()) == before
    # A subfolder is a part of the root too; deleting a file in it retires only that file's notes.
    deck.remove("sub/c.md")
    report = col.build([deck.root / "sub"])
    assert report.notes.retired == 1 and len(col.card_ids()) == 2
    assert "Normal." in col.card(col.card_ids()[0]).answer_html


def test_an_id_used_in_a_file_outside_the_build_is_still_a_duplicate(deck: DeckDir, col) -> None:
    deck.write("a.md", "Q: a\nA: b ^same\n")
    deck.write("b.md", "Q: c\nA: d\n")
    assert col.build([deck.root]).ok
    deck.write("b.md", "Q: c\nA: d ^same\n")
    report = col.build([deck.root / "b.md"])
    assert not report.ok and "duplicate id ^same" in report.diagnostics[0].message
