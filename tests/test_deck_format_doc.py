"""docs/deck-format.md must stay true to the compiler.

* Every ```markdown example is a valid deck: no errors, no warnings, at least one card.
* Every ```markdown broken example produces at least one error; the ```text block
  right after it is the exact output of ``calcideck check Calcification``.
* Every diagnostic message and code the code base can emit is shown in the doc
  (collected from the source, so a new message fails this test until documented).

Examples are written to ``<tmp>/Calcification/deck.md``; a line ``<!-- file: PATH -->``
starts another file. Images an example references are created as small real
PNGs, except those whose file name starts with ``missing``.
"""

from __future__ import annotations

import ast
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from calcideck.compiler.driver import CheckResult, check_paths

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "deck-format.md"
DECK_ROOT = "Calcification"
DEFAULT_FILE = "deck.md"

_FENCE_OPEN_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`]*?)[ \t]*$")
_FILE_MARK_RE = re.compile(r"^<!-- file: (\S+) -->$")
_IMAGE_REFS = (
    re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)"),
    re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE),
    re.compile(r"^\s*image:\s*(\S+)\s*$", re.MULTILINE),
)


@dataclass(frozen=True)
class Block:
    info: str
    text: str
    line: int  # 1-based line of the opening fence in the doc


def fenced_blocks(doc: str) -> list[Block]:
    """Top-level fenced blocks (CommonMark rules: a longer outer fence may hold shorter ones)."""
    lines = doc.split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN_RE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group(2)
        closer = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not closer.match(lines[j]):
            j += 1
        assert j < len(lines), f"docs/deck-format.md:{i + 1}: fence never closed"
        blocks.append(Block(m.group(3).strip(), "\n".join(lines[i + 1 : j]), i + 1))
        i = j + 1
    return blocks


DOC_TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = fenced_blocks(DOC_TEXT)
VALID = [b for b in BLOCKS if b.info == "markdown"]
BROKEN = [b for b in BLOCKS if b.info == "markdown broken"]


def expected_output(block: Block) -> list[str]:
    """The ```text block that directly follows a broken example."""
    index = BLOCKS.index(block)
    assert index + 1 < len(BLOCKS) and BLOCKS[index + 1].info == "text", (
        f"docs/deck-format.md:{block.line}: a broken example must be followed by a ```text block "
        "with the output of calcideck check"
    )
    return [line for line in BLOCKS[index + 1].text.split("\n") if line.strip()]


def png(width: int = 8, height: int = 6) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xd0\x40\x40" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def split_files(text: str) -> dict[str, str]:
    files: dict[str, list[str]] = {}
    current = DEFAULT_FILE
    for line in text.split("\n"):
        m = _FILE_MARK_RE.match(line)
        if m:
            current = m.group(1)
            files[current] = []
        else:
            files.setdefault(current, []).append(line)
    return {name: "\n".join(lines) + "\n" for name, lines in files.items() if any(x.strip() for x in lines)}


def write_example(block: Block, base: Path) -> Path:
    root = base / DECK_ROOT
    for name, text in split_files(block.text).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        for regex in _IMAGE_REFS:
            for m in regex.finditer(text):
                ref = m.group(1)
                if ":" in ref or ref.startswith(("/", "\\")) or Path(ref).name.startswith("missing"):
                    continue
                image = (path.parent / ref).resolve()
                if image.is_relative_to(root.resolve()):
                    image.parent.mkdir(parents=True, exist_ok=True)
                    image.write_bytes(png())
    return root


def check(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CheckResult:
    write_example(block, tmp_path)
    monkeypatch.chdir(tmp_path)  # paths print as "Calcification/deck.md", as in the doc
    return check_paths([DECK_ROOT])


def test_the_doc_has_examples_of_both_kinds() -> None:
    assert len(VALID) >= 10
    assert len(BROKEN) >= 5


@pytest.mark.parametrize("block", VALID, ids=[f"line{b.line}" for b in VALID])
def test_valid_example_compiles_cleanly(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = check(block, tmp_path, monkeypatch)
    assert [d.format() for d in result.diagnostics] == [], f"docs/deck-format.md:{block.line}"
    assert sum(len(n.cards) for n in result.notes) >= 1, f"docs/deck-format.md:{block.line}: no cards"


@pytest.mark.parametrize("block", BROKEN, ids=[f"line{b.line}" for b in BROKEN])
def test_broken_example_reports_what_the_doc_shows(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = check(block, tmp_path, monkeypatch)
    assert any(d.is_error for d in result.diagnostics), f"docs/deck-format.md:{block.line}: no error"
    assert [d.format() for d in result.diagnostics] == expected_output(block), f"docs/deck-format.md:{block.line}"


# -- specific claims of the doc, checked on its own examples -------------------------------


def _example_containing(text: str) -> Block:
    found = [b for b in VALID if text in b.text]
    assert len(found) == 1, text
    return found[0]


def _cards(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    result = check(_example_containing(text), tmp_path, monkeypatch)
    return [(n.parsed.deck, c.key) for n in result.notes for c in n.cards]


@pytest.mark.parametrize(
    ("marker", "count"),
    [
        ("deck: Pathology::Calcification\ntags", 9),  # the complete file at the top
        ("{{c1::Calcium}} and {{c1::phosphate}}", 7),  # §5
        ("``` ^artery-layers", 3),  # §7: one card per distinct label
        ("Named from the Greek", 1),  # §10: only the quote makes a card
    ],
)
def test_card_counts_stated_in_the_doc(marker: str, count: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(_cards(marker, tmp_path, monkeypatch)) == count


def test_deck_name_from_the_path_and_readme_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _cards("<!-- file: Dystrophic/Tuberculosis.md -->", tmp_path, monkeypatch) == [("Dystrophic::Tuberculosis", "front")]


def test_reversed_card_gives_both_directions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [key for _deck, key in _cards("R: Psammoma bodies\nA: Laminated concentric", tmp_path, monkeypatch)]
    assert keys == ["front", "back"]


# -- every diagnostic the code can emit is documented ----------------------------------------

# Calls whose argument at this index is a diagnostic message, and (for diagnostics) where the code is.
_MESSAGE_ARG = {"error": 3, "warning": 3, "err": 2, "warn": 2, "report": 2, "MediaError": 0, "RenderError": 0, "ClozeProblem": 1}
_CODE_ARG = {"error": 4, "warning": 4, "err": 3, "warn": 3, "report": 3}
# Functions that return a message (or a reason that becomes one) instead of raising or reporting it.
_MESSAGE_RETURNING = {"resolve_relative", "gap_warning"}


def _string_parts(node: ast.AST) -> list[str | None] | None:
    """Pieces of a str constant or f-string (None for each {value}); None for anything computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else None for v in node.values]
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def emitted_messages() -> tuple[list[tuple[str, list[str | None]]], set[str]]:
    messages: list[tuple[str, list[str | None]]] = []
    codes: set[str] = set()
    for path in sorted((ROOT / "calcideck").rglob("*.py")):
        if "gui" in path.relative_to(ROOT).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in _MESSAGE_ARG:
                name = _call_name(node)
                args = node.args
                if len(args) > _MESSAGE_ARG[name]:
                    parts = _string_parts(args[_MESSAGE_ARG[name]])
                    if parts is not None:
                        messages.append((f"{where}:{node.lineno}", parts))
                if name in _CODE_ARG and len(args) > _CODE_ARG[name]:
                    code = _string_parts(args[_CODE_ARG[name]])
                    if code and code[0]:
                        codes.add(code[0])
            if isinstance(node, ast.FunctionDef) and node.name in _MESSAGE_RETURNING:
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        values = ret.value.elts if isinstance(ret.value, ast.Tuple) else [ret.value]
                        for value in values:
                            parts = _string_parts(value)
                            if parts:
                                messages.append((f"{where}:{ret.lineno}", parts))
    return messages, codes


MESSAGES, CODES = emitted_messages()


def test_the_message_collector_finds_the_known_families() -> None:
    assert len(MESSAGES) >= 70
    assert {"front-matter", "cloze", "list", "occlusion", "image", "image-path", "duplicate-id"} <= CODES


@pytest.mark.parametrize(("where", "parts"), MESSAGES, ids=[w for w, _p in MESSAGES])
def test_every_message_is_documented(where: str, parts: list[str | None]) -> None:
    # The literal pieces in order on one line, an example value in place of each {value}. The
    # message ends its line (an optional "(warning)" may follow), so that a message that is the
    # start of a longer one ("image 'x' not found" / "... not found (looked for ...)") counts apart.
    body = "".join(r"[^\n]+?" if p is None else re.escape(p) for p in parts)
    pattern = body + r"[ \t]*(?:\(warning\))?[ \t]*$"
    assert re.search(pattern, DOC_TEXT, re.MULTILINE), f"{where}: no example of this message in docs/deck-format.md: {parts}"


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_diagnostic_code_is_documented(code: str) -> None:
    assert f"`{code}`" in DOC_TEXT


# -- §11 and §12: what keeps history (through the public Collection API) -------------------


class _Deck:
    """A deck root in a temporary folder and a collection to build it into."""

    def __init__(self, base: Path, name: str = DECK_ROOT) -> None:
        from calcideck.service import Collection

        self.base = base
        self.root = base / name
        self.root.mkdir(parents=True)
        self.col = Collection.open(base / "collection.sqlite")

    def close(self) -> None:
        self.col.close()

    def build(self, files: dict[str, str | None]) -> dict[str, int]:
        """Write (or, for None, delete) files, build, and return {file:key -> card id} of active cards."""
        for name, text in files.items():
            path = self.root / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        report = self.col.build([self.root])
        assert report.ok, [d.format() for d in report.diagnostics]
        active: dict[str, int] = {}
        for card_id in self.col.card_ids():
            view = self.col.card(card_id)
            active[view.key] = card_id
        return active


@pytest.fixture
def make_deck(tmp_path: Path) -> Iterator[Callable[..., _Deck]]:
    made: list[_Deck] = []

    def make(where: str = "") -> _Deck:
        made.append(_Deck(tmp_path / where if where else tmp_path))
        return made[-1]

    yield make
    for deck in made:
        deck.close()


QA = "Q: Most common site of dystrophic calcfication?\nA: Caseous necrosis in tuberculosis\n"
CLOZE = "{{c1::Metastatic}} calcification occurs with {{c2::hypercalcaemia}}.\n"
LIST = "List: Causes of hypercalcaemia\n- Hyperparathyroidism\n- Vitamin D toxicity\n"


def test_edits_that_keep_history(make_deck: Callable[..., _Deck]) -> None:
    deck = make_deck()
    before = deck.build({"deck.md": f"{QA}\n{CLOZE}\n{LIST}"})
    assert sorted(before) == ["c1", "c2", "front", "item:Hyperparathyroidism", "item:Vitamin D toxicity"]

    # typo fix, c3 added, list reordered and extended, the Q/A card moved to another file
    after = deck.build(
        {
            "deck.md": "{{c1::Metastatic}} calcification occurs in {{c3::normal}} tissue with {{c2::hypercalcaemia}}.\n\n"
            "List: Causes of hypercalcaemia\n- Vitamin D toxicity\n- Hyperparathyroidism\n- Bone destruction by tumour\n",
            "dystrophic.md": QA.replace("calcfication", "calcification"),
        }
    )
    assert {k: after[k] for k in before} == before
    assert set(after) - set(before) == {"c3", "item:Bone destruction by tumour"}


def test_deleting_retires_and_restoring_revives(make_deck: Callable[..., _Deck]) -> None:
    deck = make_deck()
    before = deck.build({"deck.md": f"{QA}\n{LIST}"})
    without = deck.build({"deck.md": QA})
    assert sorted(without) == ["front"]
    assert deck.build({"deck.md": f"{QA}\n{LIST}"}) == before


def test_reset_marker_renews_that_note_once(make_deck: Callable[..., _Deck]) -> None:
    deck = make_deck()
    first = deck.build({"deck.md": f"{QA}\n{CLOZE}"})
    reset = deck.build({"deck.md": f"{QA}\n{CLOZE.rstrip()} !reset-1\n"})
    assert reset["front"] == first["front"]
    assert reset["c1"] != first["c1"] and reset["c2"] != first["c2"]
    assert deck.build({"deck.md": f"{QA}\n{CLOZE.rstrip()} !reset-1\n"}) == reset  # idempotent
    assert deck.build({"deck.md": f"{QA}\n{CLOZE}"}) == reset  # removing the marker does nothing
    again = deck.build({"deck.md": f"{QA}\n{CLOZE.rstrip()} !reset-2\n"})
    assert again["c1"] != reset["c1"] and again["front"] == first["front"]


def test_an_id_keeps_history_through_a_rewrite(make_deck: Callable[..., _Deck]) -> None:
    deck = make_deck()
    first = deck.build({"deck.md": "Q: Psammoma bodies?\nA: Papillary carcinoma ^psammoma\n"})
    other = deck.build(
        {
            "other.md": "Q: Laminated calcific concretions are typical of?\n"
            "A: Papillary thyroid carcinoma and meningioma ^psammoma\n",
            "deck.md": None,
        }
    )
    assert other == first


def test_deck_root_is_identified_by_its_folder_name(make_deck: Callable[..., _Deck]) -> None:
    import shutil

    deck = make_deck("a")
    first = deck.build({"deck.md": QA})
    moved = deck.base.parent / "elsewhere" / DECK_ROOT
    shutil.move(str(deck.root), str(moved))
    assert deck.col.build([moved]).ok and [deck.col.card(i).key for i in deck.col.card_ids()] == ["front"]
    assert deck.col.card_ids() == list(first.values())
    renamed = moved.parent / "Calcinosis"
    shutil.move(str(moved), str(renamed))
    assert deck.col.build([renamed]).ok
    assert len(deck.col.card_ids()) == 2  # a new deck root; the old one's card stays
