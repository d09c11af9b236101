"""Arbitrary text gives compiled notes or located diagnostics, never an exception."""

from __future__ import annotations

from pathlib import Path

import markdown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calcideck.compiler.driver import check_paths
from calcideck.compiler.markdown_ext import SubSupExtension, is_plain, render_plain, render_simple
from calcideck.compiler.parser import parse_text

# Lines built from the deck language's own pieces, so the fuzzer reaches deep states.
FRAGMENTS = [
    "Q: ",
    "R: ",
    "A: ",
    "List: ",
    "- ",
    "1. ",
    "  ",
    "# ",
    "## ",
    "```",
    "```occlusion",
    "~~~",
    "---",
    "{{c1::",
    "{{c2::",
    "::",
    "}}",
    "{{",
    "`",
    "$",
    "\\(",
    "^id",
    " ^x-1",
    " !reset-2",
    "!reset-",
    "image: a.png",
    "mode: hide-one-guess-one",
    "mode: bad",
    "rect 0.1 0.1 0.2 0.2 L",
    "rect 2 0 0 0",
    "polygon 0.1,0.1 0.2,0.2 0.3,0.1 P",
    "ellipse 0.1 0.1",
    "header: H",
    "![i](a.png)",
    "![i](../x.png)",
    "<img src=//x>",
    "<script>",
    "deck: A::B",
    "tags: [a, b]",
    "lang: tr",
    "text",
    "Mönckeberg",
    "\t",
    "|a|b|\n|--|--|",
    "\u202e",
    "\x00",
    "\r",
]

line = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=6).map("".join)
document = st.lists(line, max_size=25).map("\n".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document)
def test_parser_never_raises(text: str) -> None:
    result = parse_text(text, "x.md", "decks/x.md")
    n_lines = text.count("\n") + 1
    for d in result.diagnostics:
        assert d.location.path == "decks/x.md"
        assert 1 <= d.location.line <= n_lines + 1 and d.location.column >= 1
    for note in result.notes:
        assert 1 <= note.location.line <= n_lines


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.one_of(document, st.text(max_size=300)), st.binary(max_size=64))
def test_whole_pipeline_never_raises(tmp_path: Path, text: str, junk: bytes) -> None:
    root = tmp_path / "fuzz"
    root.mkdir(exist_ok=True)
    (root / "a.png").write_bytes(junk)
    (root / "x.md").write_text(text, encoding="utf-8", errors="surrogatepass") if "\ud800" not in text else None
    (root / "y.md").write_bytes(junk + text.encode("utf-8", "replace"))
    result = check_paths([root])
    for note in result.notes:
        assert note.cards, "a compiled note always has at least one card"
    for d in result.diagnostics:
        assert d.location.line >= 1 and d.location.column >= 1


plain_alphabet = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzÇçĞğİıÖöŞşÜüMö0123456789 ,.;:?!'\"%/()–—-_*`#<>&[]\\\n\t+~^=|{}")
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(plain_alphabet, max_size=40).map("".join))
def test_plain_fast_path_matches_python_markdown(text: str) -> None:
    if is_plain(text):
        md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists", SubSupExtension()], output_format="html")
        assert render_plain(text) == md.convert(text)


simple_piece = st.sampled_from(
    [
        "**",
        "*",
        "`",
        "~",
        "^",
        " ",
        "a",
        "b",
        "Ca",
        "2+",
        "H",
        "O",
        "(",
        ")",
        ".",
        ",",
        "-",
        "_",
        "\\",
        "<",
        "&",
        "\ue000",
        "\ue0010\ue001",
        "\ue002",
        "**bold**",
        "*it*",
        "`co de`",
        "H~2~O",
        "Ca^2+^",
        "a*b",
        "[",
        "!",
        "\n",
        "\nB",
        "\n- ",
        "\n#",
        "\n1. ",
        "\n>",
        "\n    ",
        "\n==",
    ]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(simple_piece, min_size=1, max_size=14).map("".join))
def test_simple_inline_fast_path_matches_python_markdown(text: str) -> None:
    fast = render_simple(text)
    if fast is not None:
        md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists", SubSupExtension()], output_format="html")
        assert fast == md.convert(text)


def test_simple_inline_fast_path_is_used_for_common_markup() -> None:
    assert render_simple("**Caseous** necrosis, *TB*, `HLA-B27`, H~2~O and Ca^2+^") == (
        "<p><strong>Caseous</strong> necrosis, <em>TB</em>, <code>HLA-B27</code>, H<sub>2</sub>O and Ca<sup>2+</sup></p>"
    )
    assert render_simple("1. a list") is None and render_simple("a <b>tag</b>") is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(document, document), min_size=1, max_size=4))
def test_builds_of_arbitrary_text_never_raise_and_keep_the_store_consistent(tmp_path: Path, versions: list[tuple[str, str]]) -> None:
    """Whatever the files say, version after version: a report, never an exception, and a sound store."""
    import sqlite3
    import uuid

    from calcideck import Collection

    work = tmp_path / uuid.uuid4().hex
    root = work / "decks"
    root.mkdir(parents=True)
    (root / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)  # a broken PNG: must be a diagnostic
    db = work / "c.sqlite"
    with Collection.open(db) as col:
        for first, second in versions:
            (root / "x.md").write_text(first, encoding="utf-8", errors="replace")
            (root / "sub").mkdir(exist_ok=True)
            (root / "sub" / "y.md").write_text(second, encoding="utf-8", errors="replace")
            report = col.build([root])
            for d in report.diagnostics:
                assert d.location.line >= 1 and d.location.column >= 1
            active = set(col.card_ids())
            if report.ok:
                expected = sum(len(n.cards) for n in check_paths([root]).notes)
                assert len(active) == expected
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = con.execute(
            "SELECT count(*) FROM cards JOIN notes ON notes.id = cards.note_id"
            " WHERE notes.retired_at IS NOT NULL AND cards.retired_at IS NULL"
        ).fetchone()[0]
        assert orphans == 0
    finally:
        con.close()
