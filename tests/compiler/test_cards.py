"""What each kind of note turns into: the cards and their HTML."""

from __future__ import annotations

import hashlib
import re
import sqlite3

from calcideck.compiler.driver import check_paths
from calcideck.compiler.ir import CompiledNote
from tests.conftest import DeckDir


def compile_one(deck: DeckDir, text: str) -> list[CompiledNote]:
    deck.write("x.md", text)
    result = check_paths([deck.root])
    assert result.ok, [d.format() for d in result.diagnostics]
    return result.notes


def test_reversed_basic_gives_two_cards(deck: DeckDir) -> None:
    (note,) = compile_one(deck, "R: Phlebolith\nA: A calcified venous thrombus.\n")
    front, back = note.cards
    assert front.question_html == "<p>Phlebolith</p>"
    assert back.question_html == "<p>A calcified venous thrombus.</p>"
    assert back.answer_html.endswith("<p>Phlebolith</p>")


def test_multiline_question_and_multi_paragraph_answer(deck: DeckDir) -> None:
    (note,) = compile_one(
        deck,
        "Q: Where does Mönckeberg\nsclerosis calcify?\nA: The tunica media.\n\nIt spares the intima.\n\n# Next\n",
    )
    card = note.cards[0]
    assert "Mönckeberg\nsclerosis calcify?" in card.question_html
    assert "<p>It spares the intima.</p>" in card.answer_html


def test_answer_ends_at_a_cloze_paragraph_after_a_blank_line(deck: DeckDir) -> None:
    notes = compile_one(deck, "Q: Serum calcium?\nA: Normal.\n\n{{c1::Psammoma bodies}} are laminated.\n")
    assert [n.parsed.kind.value for n in notes] == ["basic", "cloze"]
    assert "Psammoma" not in notes[0].cards[0].answer_html


def test_same_cloze_number_twice_hides_both(deck: DeckDir) -> None:
    (note,) = compile_one(
        deck,
        "In {{c1::dystrophic}} calcification serum calcium is {{c2::normal}}; {{c1::dystrophic}} deposits are in dead tissue.\n",
    )
    assert [c.key for c in note.cards] == ["c1", "c2"]
    c1 = note.cards[0]
    assert c1.question_html.count("[...]") == 2 and "dystrophic" not in c1.question_html
    assert c1.answer_html.count('<span class="cloze">dystrophic</span>') == 2
    assert "normal" in c1.question_html


def test_hint_is_shown_and_nested_clozes_count_once(deck: DeckDir) -> None:
    (note,) = compile_one(deck, "{{c1::Psammoma bodies {{c2::(laminated)}}::structure}} occur in {{c2::meningioma}}.\n")
    assert [c.key for c in note.cards] == ["c1", "c2"]
    c1, c2 = note.cards
    assert '<span class="cloze">[structure]</span>' in c1.question_html and "laminated" not in c1.question_html
    assert c2.question_html.count("[...]") == 2 and "Psammoma bodies" in c2.question_html


def test_code_spans_and_math_are_not_clozes(deck: DeckDir) -> None:
    (note,) = compile_one(deck, "Write `{{c1::x}}` or $a{{c2::b}}$ or \\(x{{c3::y}}\\); the real one is {{c4::here}}.\n")
    assert [c.key for c in note.cards] == ["c4"]
    assert "<code>{{c1::x}}</code>" in note.cards[0].question_html


def test_cloze_in_a_list_item(deck: DeckDir) -> None:
    notes = compile_one(deck, "- {{c1::Fat necrosis}} gives calcium soaps\n- a plain item\n- {{c1::Infarcts}} may calcify\n")
    assert len(notes) == 2
    assert notes[1].cards[0].answer_html == '<p><span class="cloze">Infarcts</span> may calcify</p>'


def test_cloze_crossing_markup_stays_well_formed(deck: DeckDir) -> None:
    (note,) = compile_one(deck, "**Dystrophic {{c1::calcification** occurs}} in dead tissue.\n")
    html = note.cards[0].question_html
    assert html.count("<strong>") == html.count("</strong>")


def test_ordered_list_asks_for_the_position(deck: DeckDir) -> None:
    (note,) = compile_one(
        deck,
        "List: Causes of hypercalcaemia\n1. Hyperparathyroidism\n2. Bone destruction\n3. Renal failure\n",
    )
    assert len(note.cards) == 3
    second = note.cards[1]
    assert "Which is item 2 of 3?" in second.question_html
    assert "Bone destruction" not in second.question_html
    assert "Hyperparathyroidism" in second.question_html and "Renal failure" in second.question_html
    assert '<span class="cloze">Bone destruction</span>' in second.answer_html


def test_unordered_list_and_turkish_prompt(deck: DeckDir) -> None:
    (note,) = compile_one(deck, "---\nlang: tr\n---\nList: Psamom cisimcikleri\n- papiller tiroid karsinomu\n- menenjiyom\n")
    assert "Eksik madde hangisi?" in note.cards[0].question_html
    (note,) = compile_one(deck, "---\nlang: tr\n---\nList: Sıra\n3. üç\n4. dört\n")
    assert "<ol" in note.cards[0].question_html and 'start="3"' in note.cards[0].question_html
    assert "4. madde hangisi? (4 madde)" in note.cards[1].question_html


def test_inline_markdown_renders(deck: DeckDir) -> None:
    (note,) = compile_one(
        deck,
        "Q: **Bold**, *italic*, `code`, H~2~O, Ca^2+^, ~~old~~?\nA: Table:\n\n| Type | Serum Ca |\n|:--|--:|\n| Dystrophic | normal |\n",
    )
    q, a = note.cards[0].question_html, note.cards[0].answer_html
    for fragment in (
        "<strong>Bold</strong>",
        "<em>italic</em>",
        "<code>code</code>",
        "H<sub>2</sub>O",
        "Ca<sup>2+</sup>",
        "<del>old</del>",
    ):
        assert fragment in q
    assert "<table>" in a and '<td align="right">normal</td>' in a


def test_raw_html_is_sanitised(deck: DeckDir) -> None:
    (note,) = compile_one(
        deck,
        'Q: <b onclick="x()">Bold</b><script>alert(1)</script>?\nA: <a href="https://example.org">link</a> <span style="background:url(http://x)">s</span>\n',
    )
    card = note.cards[0]
    assert "<b>Bold</b>" in card.question_html
    for bad in ("script", "onclick", "alert", "http", "style="):
        assert bad not in card.question_html + card.answer_html


def test_images_are_content_addressed_and_stored_once(deck: DeckDir, col, collection_path) -> None:  # type: ignore[no-untyped-def]
    png = deck.image("img/artery.png")
    deck.write(
        "a.md",
        "Q: What is this?\n![artery](img/artery.png)\nA: An artery.\n\nQ: And this?\n![again](img/artery.png)\nA: The same artery.\n",
    )
    deck.write("sub/b.md", "Q: Once more?\n![x](../img/artery.png)\nA: Yes.\n")
    assert col.build([deck.root]).ok
    digest = hashlib.sha256(png.read_bytes()).hexdigest()
    con = sqlite3.connect(collection_path)
    assert con.execute("SELECT sha256, filename FROM media").fetchall() == [(digest, f"{digest}.png")]
    htmls = [row[0] for row in con.execute("SELECT question_html FROM cards")]
    assert all(f'src="{digest}.png"' in h for h in htmls)
    assert col.media(f"{digest}.png") == png.read_bytes()


def test_occlusion_one_card_per_label_and_modes(deck: DeckDir) -> None:
    deck.image("img/a.png", width=200, height=100)
    notes = compile_one(
        deck,
        """
        ```occlusion
        image: img/a.png
        mode: hide-all-guess-one
        header: Muscular artery
        rect 0.1 0.1 0.2 0.2 Media
        ellipse 0.5 0.5 0.2 0.2 Intima
        polygon 0.7,0.1 0.9,0.1 0.8,0.3 Media
        ```

        ```occlusion
        image: img/a.png
        mode: hide-one-guess-one
        rect 0.1 0.1 0.2 0.2 Media
        rect 0.5 0.5 0.2 0.2 Intima
        ``` ^one
        """.replace("\n        ", "\n"),
    )
    all_, one = notes
    assert [c.key for c in all_.cards] == ["label:Media", "label:Intima"]
    media_q = all_.cards[0].question_html
    assert media_q.count('fill="#ff8e8e"') == 2, "both Media shapes are asked together"
    assert media_q.count('fill="#ffeba2"') == 1, "the other label stays masked"
    assert "Muscular artery" in media_q
    assert one.parsed.anchor == "one"
    one_q = one.cards[0].question_html
    assert one_q.count('fill="#ff8e8e"') == 1 and 'fill="#ffeba2"' not in one_q
    assert all_.cards[0].data is not None and all_.cards[0].data["target"] == "Media"
    assert re.search(r'<image href="[0-9a-f]{64}\.png"', media_q)


def test_plain_paragraphs_make_no_card(deck: DeckDir) -> None:
    notes = compile_one(
        deck,
        "# Notes\n\nThis paragraph explains the deck.\n\n- a list\n- of remarks\n\n```\nQ: inside a code block\nA: is not a card\n```\n",
    )
    assert notes == []


def test_headings_become_the_breadcrumb(deck: DeckDir) -> None:
    notes = compile_one(deck, "# Dystrophic\n## Dead *tissue*\nQ: a\nA: b\n\n# Metastatic\nQ: c\nA: d\n")
    assert [n.parsed.breadcrumb for n in notes] == [("Dystrophic", "Dead tissue"), ("Metastatic",)]


def test_deck_name_from_front_matter_or_path(deck: DeckDir) -> None:
    deck.write("pathology/calcification.md", "Q: a\nA: b\n")
    deck.write("other.md", "---\ndeck: Pathology::Calcification::Dystrophic\ntags: [pathology]\n---\nQ: c\nA: d\n")
    notes = {n.parsed.path: n.parsed for n in check_paths([deck.root]).notes}
    assert notes["pathology/calcification.md"].deck == "pathology::calcification"
    assert notes["other.md"].deck == "Pathology::Calcification::Dystrophic"
    assert notes["other.md"].tags == ("pathology",)


def test_math_is_kept_verbatim(deck: DeckDir) -> None:
    (note,) = compile_one(deck, "Q: Solubility product \\(K_{sp} = [Ca^{2+}][PO_4^{3-}]\\) and $a*b*c$?\nA: Ca^2+^ *italic*.\n")
    q = note.cards[0].question_html
    assert "\\(K_{sp} = [Ca^{2+}][PO_4^{3-}]\\)" in q and "$a*b*c$" in q
    assert "<em>" not in q and "<sup>" not in q
    assert "Ca<sup>2+</sup> <em>italic</em>" in note.cards[0].answer_html


def test_a_commented_out_cloze_makes_no_card(deck: DeckDir) -> None:
    deck.write("x.md", "<!-- {{c1::draft}} not ready -->\n\nQ: a\nA: b\n")
    result = check_paths([deck.root])
    assert result.ok and [n.parsed.kind.value for n in result.notes] == ["basic"]


def test_a_cloze_in_a_link_address_is_an_error(deck: DeckDir) -> None:
    deck.write("x.md", "See [notes](notes/{{c1::b}}.md) and {{c2::this}}.\n")
    messages = [d.message for d in check_paths([deck.root]).diagnostics]
    assert messages == ["a cloze cannot be inside a link or image; put it in the surrounding text"]


def test_a_cloze_in_removed_html_is_an_error(deck: DeckDir) -> None:
    deck.write("x.md", "Shown {{c1::here}} <script>{{c2::never}}</script>\n")
    messages = [d.message for d in check_paths([deck.root]).diagnostics]
    assert messages == ["cloze c2 would never be shown: it is inside raw HTML that is removed"]


def test_list_starting_later_asks_for_its_real_position(deck: DeckDir) -> None:
    (note,) = compile_one(deck, "List: Continued\n3. Third\n4. Fourth\n")
    assert "Which is item 4 of 4?" in note.cards[1].question_html


def test_cloze_html_is_balanced_whatever_the_markup_around_it(deck: DeckDir) -> None:
    from html.parser import HTMLParser

    class Balance(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.ok = True

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag not in ("br", "hr", "img"):
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag

    texts = [
        "A {{c1::**whole** bold}} cloze and {{c2::*italic*}} text.",
        "**Bold {{c1::crossing** out}} of an element.",
        "{{c1::starts *inside}} and* ends outside.",
        "Nested {{c1::outer {{c2::**inner**}} text}} here.",
    ]
    notes = compile_one(deck, "\n\n".join(texts) + "\n")
    for note in notes:
        for card in note.cards:
            for html in (card.question_html, card.answer_html):
                checker = Balance()
                checker.feed(html)
                assert checker.ok and not checker.stack, html
    whole = notes[0].cards[0].answer_html
    assert '<span class="cloze"><strong>whole</strong> bold</span>' in whole
