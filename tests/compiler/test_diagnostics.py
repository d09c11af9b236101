"""Every authoring mistake gives a located diagnostic, all of them in one run."""

from __future__ import annotations

import pytest

from calcideck.compiler.driver import check_paths
from tests.conftest import DeckDir


def diagnostics(deck: DeckDir, text: str, name: str = "x.md") -> list[str]:
    deck.write(name, text)
    return [d.format().split("decks/", 1)[1] for d in check_paths([deck.root]).diagnostics]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Intro.\n\nThe {{c1::caseous necrosis is common.\n",
            "x.md:3:5: error: unclosed cloze {{c1:: (missing '}}')",
        ),
        ("A {{c1:caseous}} site.\n", "x.md:1:3: error: malformed cloze '{{c1:'"),
        ("A {{c::caseous}} site.\n", "x.md:1:3: error: malformed cloze '{{c::'"),
        ("A {{c0::caseous}} site.\n", "x.md:1:3: error: cloze numbers start at c1, not c0"),
        ("A {{c1::}} site.\n", "x.md:1:3: error: cloze c1 is empty"),
        ("# H\n\nA: Caseous necrosis.\n", "x.md:3:1: error: 'A:' without a 'Q:' before it"),
        ("Q: Most common site?\n\n# Next\n", "x.md:1:1: error: 'Q:' without an 'A:' line after it"),
        ("Q: Most common site?\n", "x.md:1:1: error: 'Q:' without an 'A:' line after it"),
        ("List: Causes\n- only one\n", "x.md:1:1: error: a 'List:' needs at least two items (found 1)"),
        (
            "List: Causes\n\nJust a paragraph.\n",
            "x.md:1:1: error: 'List:' must be followed directly by a Markdown list",
        ),
        (
            "---\ndeck: [unclosed\n---\nQ: a\nA: b\n",
            "x.md:2:16: error: invalid front matter: expected ',' or ']'",
        ),
        ("---\ndeck: A::::B\n---\n", "x.md:2:1: error: 'deck' must be a name like Pathology::Calcification"),
        ("---\ntags: [has space]\n---\n", "x.md:2:1: error: invalid tag 'has space'"),
        ("---\ndeck: A\n", "x.md:1:1: error: front matter opened with '---' is never closed"),
        (
            "Q: What?\n![x](../outside.png)\nA: b\n",
            "x.md:2:6: error: image path '../outside.png' escapes the deck root",
        ),
        ("Q: What?\n![x](https://example.org/x.png)\nA: b\n", "x.md:2:6: error: remote or non-file image"),
        ('Q: What?\n<img src="/etc/passwd">\nA: b\n', "x.md:2:11: error: absolute image path '/etc/passwd'"),
        ("Q: a\nA: b ^bad/id\n", "x.md:2:6: error: malformed id '^bad/id'"),
        ("Q: a\nA: b !reset-x\n", "x.md:2:6: error: malformed meaning-change marker '!reset-x'"),
    ],
)
def test_located_errors(deck: DeckDir, text: str, expected: str) -> None:
    found = diagnostics(deck, text)
    assert any(d.startswith(expected) for d in found), found


OCCLUSION = """
Intro paragraph.

```occlusion
image: {image}
mode: {mode}
{shapes}
```
"""


@pytest.mark.parametrize(
    ("image", "mode", "shapes", "expected"),
    [
        (
            "img/missing.png",
            "hide-all-guess-one",
            "rect 0.1 0.1 0.2 0.2 Media",
            "x.md:4:8: error: image 'img/missing.png' not found",
        ),
        (
            "img/notpng.png",
            "hide-all-guess-one",
            "rect 0.1 0.1 0.2 0.2 Media",
            "x.md:4:8: error: image 'img/notpng.png' is an SVG file",
        ),
        (
            "img/a.png",
            "hide-all-guess-one",
            "rect 0.1 1.2 0.2 0.2 Media",
            "x.md:6:10: error: coordinate 1.2 is outside 0..1",
        ),
        (
            "img/a.png",
            "hide-all-guess-one",
            "rect 0.9 0.1 0.2 0.2 Media",
            "x.md:6:6: error: 'rect' reaches outside the image",
        ),
        (
            "img/a.png",
            "hide-all-guess-one",
            "circle 0.1 0.1 0.2 Media",
            "x.md:6:1: error: unknown shape 'circle'",
        ),
        (
            "img/a.png",
            "guess-everything",
            "rect 0.1 0.1 0.2 0.2 Media",
            "x.md:5:7: error: unknown occlusion mode 'guess-everything'",
        ),
        ("img/a.png", "hide-all-guess-one", "", "x.md:3:1: error: occlusion block has no shapes"),
        (
            "img/a.png",
            "hide-all-guess-one",
            "polygon 0.1,0.1 0.2,0.2 Lumen",
            "x.md:6:1: error: a polygon needs at least three X,Y points",
        ),
        ("img/a.png", "hide-all-guess-one", "rect 0.1 0.1 0.2 0.2", "x.md:6:21: error: 'rect' has no label"),
        (
            "img/a.png",
            "hide-all-guess-one",
            "ellipse 0.1 x 0.2 0.2 Media",
            "x.md:6:13: error: 'x' is not a number",
        ),
    ],
)
def test_occlusion_errors(deck: DeckDir, image: str, mode: str, shapes: str, expected: str) -> None:
    deck.image("img/a.png")
    (deck.root / "img" / "notpng.png").write_text("<svg onload=alert(1)>", encoding="utf-8")
    found = diagnostics(deck, OCCLUSION.format(image=image, mode=mode, shapes=shapes))
    assert any(d.startswith(expected) for d in found), found


def test_unclosed_occlusion_block(deck: DeckDir) -> None:
    found = diagnostics(deck, "```occlusion\nimage: a.png\nrect 0.1 0.1 0.2 0.2 A\n")
    assert found == ["x.md:1:1: error: occlusion block is never closed (missing closing ```)"]


def test_not_utf8_is_located(deck: DeckDir) -> None:
    (deck.root).mkdir(parents=True, exist_ok=True)
    (deck.root / "latin1.md").write_bytes("Q: Mönckeberg?\nA: Media.\n".encode("latin-1"))
    found = [d.format() for d in check_paths([deck.root]).diagnostics]
    assert len(found) == 1 and found[0].endswith("latin1.md:1:5: error: file is not valid UTF-8 (byte 0xf6); save it as UTF-8")


def test_duplicate_id_across_files(deck: DeckDir) -> None:
    deck.write("a.md", "Q: one\nA: one ^same\n")
    deck.write("sub/b.md", "Q: two\nA: two ^same\n")
    found = [d.format() for d in check_paths([deck.root]).diagnostics]
    assert len(found) == 1
    assert "b.md:1:1: error: duplicate id ^same (first used at" in found[0] and "a.md:1:1" in found[0]


def test_warnings_cloze_gaps_and_identical_text(deck: DeckDir) -> None:
    found = diagnostics(
        deck,
        """
        ---
        deck: D
        ---
        Psammoma bodies are {{c1::laminated}} {{c3::calcospherites}}.

        Q: Same?
        A: Same.

        Q: Same?
        A: Same.
        """.replace("\n        ", "\n"),
    )
    assert "x.md:4:21: warning: cloze numbers have gaps: c2 missing (is a number mistyped?)" in found
    assert any(d.startswith("x.md:9:1: warning: this card has the same text as the one at") for d in found)
    result = check_paths([deck.root])
    assert result.ok, "warnings alone do not fail a check"


def test_all_problems_in_one_run(deck: DeckDir) -> None:
    deck.write("a.md", "A: orphan\n\n{{c1::unclosed\n")
    deck.write("b.md", "List: lonely\n- one\n")
    found = [d.format() for d in check_paths([deck.root]).diagnostics]
    assert len(found) == 3
    assert [f.split("decks/")[1].split(":")[0] for f in found] == ["a.md", "a.md", "b.md"]


def test_missing_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = check_paths([tmp_path / "nope"])
    assert [d.message for d in result.diagnostics] == ["no such file or folder"]


def test_bad_card_does_not_hide_the_good_ones(deck: DeckDir) -> None:
    deck.write("a.md", "Q: good\nA: card\n\nA: orphan\n\nQ: also good\nA: yes\n")
    result = check_paths([deck.root])
    assert len(result.notes) == 2 and not result.ok


def test_an_id_inside_a_card_is_flagged(deck: DeckDir) -> None:
    found = diagnostics(deck, "Q: Serum calcium?\nA: Normal. ^serum\n\nA note to the reader.\n")
    assert found == [
        "x.md:2:12: warning: '^serum' is not at the end of the card's last line, so it is shown as text "
        "(a paragraph after an answer belongs to that answer)"
    ]


def test_text_after_an_occlusion_fence_is_an_error(deck: DeckDir) -> None:
    deck.image("a.png")
    found = diagnostics(deck, "```occlusion\nimage: a.png\nrect 0.1 0.1 0.2 0.2 A\n``` trailing words ^x2\n")
    assert found == ["x.md:4:1: error: only ^id and !reset-N may follow the closing ``` of an occlusion block"]
    assert diagnostics(deck, "```occlusion\nimage: a.png\nrect 0.1 0.1 0.2 0.2 A\n``` ^x2 !reset-1\n") == []


def test_more_located_problems(deck: DeckDir) -> None:
    assert diagnostics(deck, "List: Causes\n- one\n-\n- three\n") == ["x.md:3:1: error: empty list item"]
    assert diagnostics(deck, "Q: a\nA: b ^#bad\n")[0].startswith("x.md:2:6: error: malformed id '^#bad'")
    assert diagnostics(deck, "Q: a\nA: b ^bad^id\n")[0].startswith("x.md:2:6: error: malformed id '^bad^id'")
    assert diagnostics(deck, "Q: a\nA: Ca ^2+^\n") == [], "a superscript at the end of a line is not an id"


def test_tags_as_a_string_split_on_commas(deck: DeckDir) -> None:
    deck.write("x.md", "---\ntags: pathology, calcification\n---\nQ: a\nA: b\n")
    (note,) = check_paths([deck.root]).notes
    assert note.parsed.tags == ("pathology", "calcification")


def test_headings_without_a_space_are_headings_as_in_markdown(deck: DeckDir) -> None:
    deck.write("x.md", "#Dystrophic\nQ: a\nA: b\n")
    (note,) = check_paths([deck.root]).notes
    assert note.parsed.breadcrumb == ("Dystrophic",)


def test_front_matter_aliases_are_refused(deck: DeckDir) -> None:
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\ntags: [*b, *b, *b]\n---\nQ: a\nA: b\n"
    found = diagnostics(deck, bomb)
    assert found[0].startswith("x.md:3:8: error: invalid front matter: aliases (*name) are not allowed in front matter")


def test_a_linked_deck_file_outside_the_root_is_refused(deck: DeckDir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.md"
    secret.write_text("Q: private\nA: data\n", encoding="utf-8")
    deck.write("ok.md", "Q: a\nA: b\n")
    (deck.root / "leak.md").symlink_to(secret)
    result = check_paths([deck.root])
    assert [d.message for d in result.diagnostics] == ["deck file is a link to a file outside the deck root"]
    assert all("private" not in n.cards[0].question_html for n in result.notes)


def test_an_oversized_deck_file_is_refused(deck: DeckDir) -> None:
    from calcideck.compiler.driver import MAX_DECK_FILE_BYTES

    deck.root.mkdir(parents=True, exist_ok=True)
    (deck.root / "big.md").write_bytes(b"x" * (MAX_DECK_FILE_BYTES + 1))
    assert [d.message for d in check_paths([deck.root]).diagnostics] == [
        "deck file is larger than 8 MB; split it into several files"
    ]
