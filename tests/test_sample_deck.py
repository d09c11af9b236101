"""The bundled decks: they compile cleanly, the sample deck uses every card kind, and the
committed diagram PNGs are exactly what tools/render_diagrams.py makes from resources/diagrams/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from calcideck import Collection
from calcideck.compiler.driver import check_paths

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DECK = "Pathology::Calcification::Sample"
SAMPLE_IMAGE = ROOT / "decks" / "images" / "muscular-artery.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IMAGE_HREF_RE = re.compile(r'<image href="([0-9a-f]{64}\.png)"')
_MASK = 'fill="#ffeba2"'  # a non-target shape, drawn only in hide-all-guess-one
_TARGET = 'fill="#ff8e8e"'  # the shape asked about, on the question side


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the project root, as `make run` and `make check` do (paths like "decks")."""
    monkeypatch.chdir(ROOT)


@pytest.fixture
def built(at_root: None, tmp_path: Path) -> Iterator[Collection]:
    with Collection.open(tmp_path / "c.sqlite") as col:
        report = col.build(["decks"])
        assert report.ok, [d.format() for d in report.diagnostics]
        assert report.diagnostics == []
        yield col


def test_bundled_decks_check_without_errors_or_warnings(at_root: None) -> None:
    result = check_paths(["decks"])
    assert [d.format() for d in result.diagnostics] == []
    assert result.ok


def test_sample_deck_has_every_card_kind(built: Collection) -> None:
    cards = [built.card(card_id) for card_id in built.card_ids(SAMPLE_DECK)]
    assert cards and all(c.deck == SAMPLE_DECK for c in cards)
    kinds = {c.kind for c in cards}
    assert kinds == {"basic", "cloze", "list", "occlusion"}
    assert all(c.question_html.strip() and c.answer_html.strip() for c in cards)
    assert any(c.kind == "basic" and c.key == "back" for c in cards), "no reversed (R:) pair"
    assert any(c.kind == "cloze" and '<span class="cloze">' in c.question_html for c in cards)


def test_sample_deck_has_both_occlusion_modes(at_root: None) -> None:
    modes = {
        n.parsed.content.mode.value  # type: ignore[union-attr]
        for n in check_paths(["decks"]).notes
        if n.parsed.deck == SAMPLE_DECK and n.parsed.kind == "occlusion"
    }
    assert modes == {"hide-all-guess-one", "hide-one-guess-one"}


def test_stored_occlusion_html_shows_both_modes(built: Collection) -> None:
    questions = [c.question_html for c in map(built.card, built.card_ids(SAMPLE_DECK)) if c.kind == "occlusion"]
    assert all(q.count(_TARGET) == 1 for q in questions)
    assert any(_MASK in q for q in questions), "no hide-all-guess-one card (other labels masked)"
    assert any(_MASK not in q for q in questions), "no hide-one-guess-one card (only the target masked)"


def test_occlusion_image_is_stored_and_retrievable(built: Collection) -> None:
    occlusion = [c for c in map(built.card, built.card_ids(SAMPLE_DECK)) if c.kind == "occlusion"]
    assert occlusion
    committed = SAMPLE_IMAGE.read_bytes()
    for card in occlusion:
        names = {*_IMAGE_HREF_RE.findall(card.question_html), *_IMAGE_HREF_RE.findall(card.answer_html)}
        assert len(names) == 1, card.question_html
        (name,) = names
        data = built.media(name)
        assert data is not None, f"{name} is referenced by card {card.id} but not stored"
        assert data.startswith(PNG_SIGNATURE)
        assert data == committed


def _differing_pixel_share(a: bytes, b: bytes) -> float:
    """Share of pixels that differ visibly (any channel by more than 48 of 255)."""
    from PySide6.QtGui import QImage

    img_a, img_b = QImage.fromData(a), QImage.fromData(b)
    assert not img_a.isNull() and not img_b.isNull()
    assert img_a.size() == img_b.size(), "the committed PNG has another size than a fresh render"
    img_a = img_a.convertToFormat(QImage.Format.Format_RGB32)
    img_b = img_b.convertToFormat(QImage.Format.Format_RGB32)
    differing = 0
    for y in range(img_a.height()):
        for x in range(img_a.width()):
            pa, pb = img_a.pixel(x, y), img_b.pixel(x, y)
            if any(abs(((pa >> s) & 255) - ((pb >> s) & 255)) > 48 for s in (0, 8, 16)):
                differing += 1
    return differing / (img_a.width() * img_a.height())


def test_render_diagrams_is_deterministic_and_matches_the_committed_pngs(tmp_path: Path) -> None:
    """Rendering twice gives identical bytes, and the committed PNGs are what the SVGs draw.

    The committed files are compared by pixels, not bytes: another Qt release or
    font version may move anti-aliasing by a shade, which must not fail CI, but a
    stale PNG after an SVG edit must.
    """
    svgs = sorted((ROOT / "resources" / "diagrams").glob("*.svg"))
    assert svgs, "no diagrams in resources/diagrams"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    renders: dict[str, dict[str, bytes]] = {}
    for run in ("first", "second"):
        out = tmp_path / run
        proc = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "render_diagrams.py"), "--out", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert sorted(p.name for p in out.iterdir()) == sorted(f"{s.stem}.png" for s in svgs)
        renders[run] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert renders["first"] == renders["second"], "rendering is not reproducible"
    for svg in svgs:
        committed = ROOT / "decks" / "images" / f"{svg.stem}.png"
        assert committed.is_file(), f"{committed} missing: run `make diagrams` and commit it"
        share = _differing_pixel_share(renders["first"][f"{svg.stem}.png"], committed.read_bytes())
        assert share < 0.0005, (
            f"{committed.name} differs from a fresh render of {svg.name} in {share:.1%} of pixels: "
            "run `make diagrams` and commit it"
        )
