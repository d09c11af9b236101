"""The public Collection API that scripts and the GUI use."""

from __future__ import annotations

import pytest

from tests.conftest import DeckDir


@pytest.fixture
def built(deck: DeckDir, col):  # type: ignore[no-untyped-def]
    deck.image("img/artery.png", width=80, height=40)
    deck.write(
        "dys.md",
        """
        ---
        deck: Pathology::Calcification::Dystrophic
        tags: [pathology, calcification]
        ---
        # Dead tissue
        Q: Most common site of dystrophic calcification in the notes?
        A: Caseous necrosis in tuberculosis.

        ```occlusion
        image: img/artery.png
        rect 0.1 0.1 0.2 0.2 Tunica media
        rect 0.5 0.5 0.2 0.2 Lumen
        ```
        """.replace("\n        ", "\n"),
    )
    deck.write("meta.md", "---\ndeck: Pathology::Calcification::Metastatic\n---\nQ: Serum calcium?\nA: Raised.\n")
    deck.write("other.md", "---\ndeck: Pharmacology\n---\nQ: Antidote for heparin?\nA: Protamine.\n")
    assert col.build([deck.root]).ok
    return col


def test_card_ids_filter_by_deck_including_subdecks(built) -> None:  # type: ignore[no-untyped-def]
    everything = built.card_ids()
    calcification = built.card_ids(deck="Pathology::Calcification")
    assert len(everything) == 5 and len(calcification) == 4
    assert {built.card(i).deck for i in calcification} == {
        "Pathology::Calcification::Dystrophic",
        "Pathology::Calcification::Metastatic",
    }
    assert built.card_ids(deck="Pathology::Calc") == [], "a prefix of a name is not a parent deck"


def test_card_view_carries_what_a_reviewer_shows(built) -> None:  # type: ignore[no-untyped-def]
    basic, media, _lumen = built.card_ids(deck="Pathology::Calcification::Dystrophic")
    view = built.card(basic)
    assert (view.kind, view.key, view.breadcrumb, view.tags) == (
        "basic",
        "front",
        ("Dead tissue",),
        ("pathology", "calcification"),
    )
    assert view.source_file == "dys.md" and view.source_line == 6 and not view.retired
    occlusion = built.card(media)
    assert occlusion.kind == "occlusion" and occlusion.data is not None
    assert occlusion.data["target"] == "Tunica media" and (occlusion.data["width"], occlusion.data["height"]) == (80, 40)
    assert built.media(occlusion.data["image"]).startswith(b"\x89PNG")
    assert built.media("no-such-file.png") is None


def test_decks_include_their_parents(built) -> None:  # type: ignore[no-untyped-def]
    assert built.decks() == [
        "Pathology",
        "Pathology::Calcification",
        "Pathology::Calcification::Dystrophic",
        "Pathology::Calcification::Metastatic",
        "Pharmacology",
    ]


def test_unknown_card_is_a_key_error(built) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError):
        built.card(10_000)
