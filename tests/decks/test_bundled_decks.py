"""The bundled calcification decks (decks/en and decks/tr).

They compile cleanly, each language uses every card kind, the cards cover every
item of the course notes, list cards keep the notes' order, every file names its
sources, and the committed diagram PNGs are exactly what tools/render_diagrams.py
makes from resources/diagrams/.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from calcideck import Collection
from calcideck.compiler.driver import check_paths
from calcideck.service import CardView

ROOT = Path(__file__).resolve().parent.parent.parent
DECKS = ROOT / "decks"
IMAGES = DECKS / "images"
DIAGRAMS = ROOT / "resources" / "diagrams"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IMAGE_HREF_RE = re.compile(r'<image href="([0-9a-f]{64}\.png)"')
_MASK = 'fill="#ffeba2"'  # a non-target shape, drawn only in hide-all-guess-one
_TARGET = 'fill="#ff8e8e"'  # the shape asked about, on the question side
_TAG_RE = re.compile(r"<[^>]+>")
_LI_RE = re.compile(r"<li[^>]*>(.*?)</li>", re.DOTALL)
_TITLE_RE = re.compile(r'<div class="list-title">(.*?)</div>', re.DOTALL)

LANGS = {"en": "Pathology::Calcification", "tr": "Patoloji::Kalsifikasyon"}

# The notes of the old sample deck (decks/calcification-sample.md), absorbed into decks/en
# with their ids so that students' review history carries over.
SAMPLE_IDS = [
    "calc-serum-calcium",
    "calc-tissue-type",
    "calc-dys-atheroma",
    "calc-dys-tuberculosis",
    "calc-phlebolith",
    "calc-fat-necrosis-soaps",
    "calc-he-appearance",
    "calc-psammoma-bodies",
    "calc-psammoma-tumours",
    "calc-hypercalcaemia-causes",
    "calc-met-sites",
    "calc-nephrocalcinosis",
    "calc-monckeberg",
    "calc-artery-layers",
    "calc-artery-monckeberg",
]

# One entry per item the course notes (and the coverage list) require.
# Written out by hand on purpose: a later edit that drops a fact from the decks must fail here.
EN_TERMS = [
    # definition; dystrophic versus metastatic
    "pathologic calcification",
    "dystrophic",
    "metastatic",
    "serum calcium",
    "phosphate",
    "dead or dying",
    "normal tissue",
    "hypercalcaemia",
    "hyperparathyroidism",
    "bone destruction",
    "vitamin D–related disorders",
    "renal failure",
    "milk-alkali syndrome",
    "gastric mucosa",
    "kidneys",
    "lungs",
    "systemic arteries",
    "pulmonary veins",
    # dystrophic calcification in dead tissue
    "caseous necrosis",
    "tuberculosis",
    "most common site",
    "liquefactive necrosis",
    "chronic abscesses",
    "fat necrosis",
    "acute pancreatitis",
    "traumatic fat necrosis of the breast",
    "calcium soaps",
    "infarcts",
    "thrombi",
    "phlebolith",
    "haematomas",
    "schistosoma",
    "toxoplasmosis",
    "cytomegalovirus",
    "rubella",
    "calcifications in the brain",
    # dystrophic calcification in degenerated tissue
    "dense old scars",
    "hyaline degeneration",
    "atheroma",
    "aorta",
    "coronary arteries",
    "cysts",
    "calcinosis cutis",
    "senile degenerative",
    "pseudoxanthoma elasticum",
    "angioid streaks",
    "bruch's membrane",
    "psammoma bodies",
    "calcospherites",
    "papillary carcinoma of the thyroid",
    "serous carcinoma of the ovary",
    "meningioma",
    "mitral stenosis",
    "commissural fusion",
    "calcific aortic stenosis",
    "mönckeberg medial sclerosis",
    "tunica media",
    "muscular arteries",
    # pathogenesis and morphology
    "initiation",
    "propagation",
    "denatured proteins",
    "matrix vesicles",
    "basophilic",
    "amorphous",
    "heterotopic bone",
    # soft-tissue calcification
    "damaged or necrotic",
    "venous insufficiency",
    "mönckeberg arteriosclerosis",
    "granulomatous infection",
    "parasitic infestation",
    "armillifer armillatus",
    "osteosarcoma",
    "synovial sarcoma",
    "tumour necrosis",
    "vitamin d excess",
    "scleroderma",
    "crest syndrome",
    "systemic lupus erythematosus",
    "heterotopic ossification",
    "injection granuloma",
    "ossification",
    "cortical and trabecular",
]

TR_TERMS = [
    # tanım; distrofik ve metastatik
    "patolojik kalsifikasyon",
    "distrofik kalsifikasyon",
    "metastatik kalsifikasyon",
    "serum kalsiyum",
    "fosfat",
    "ölü veya ölmekte olan",
    "normal doku",
    "hiperkalsemi",
    "hiperparatiroidi",
    "kemik yıkımı",
    "d vitamini ile ilişkili bozukluklar",
    "böbrek yetmezliği",
    "süt-alkali sendromu",
    "mide mukozası",
    "böbrekler",
    "akciğerler",
    "sistemik arterler",
    "pulmoner venler",
    # ölü dokuda distrofik kalsifikasyon
    "kazeöz nekroz",
    "tüberküloz",
    "en sık",
    "likefaksiyon nekrozu",
    "kronik apse",
    "yağ nekrozu",
    "akut pankreatit",
    "memenin travmatik yağ nekrozu",
    "kalsiyum sabunları",
    "enfarkt",
    "trombüs",
    "flebolit",
    "hematom",
    "şistozoma",
    "toksoplazmoz",
    "sitomegalovirüs",
    "rubella",
    "beyinde kalsifikasyonlar",
    # dejenere dokuda distrofik kalsifikasyon
    "yoğun eski skar",
    "hiyalin dejenerasyon",
    "aterom",
    "aort",
    "koroner arter",
    "kistler",
    "kalsinozis kutis",
    "senil dejeneratif",
    "psödoksantoma elastikum",
    "anjioid çizgiler",
    "bruch membranı",
    "psammom cisimcikleri",
    "kalkosferit",
    "tiroidin papiller karsinomu",
    "overin seröz karsinomu",
    "menenjiyom",
    "mitral darlık",
    "komissür füzyonu",
    "kalsifik aort darlığı",
    "mönckeberg medial kalsifik sklerozu",
    "tunika media",
    "müsküler arter",
    # patogenez ve morfoloji
    "başlama",
    "yayılma",
    "denatüre proteinler",
    "matriks vezikül",
    "bazofilik",
    "amorf",
    "heterotopik kemik",
    # yumuşak doku kalsifikasyonu
    "hasarlı veya nekrotik",
    "venöz yetmezlik",
    "mönckeberg arteriosklerozu",
    "granülomatöz enfeksiyon",
    "paraziter infestasyon",
    "armillifer armillatus",
    "osteosarkom",
    "sinovyal sarkom",
    "tümör nekrozu",
    "d vitamini fazlalığı",
    "skleroderma",
    "crest sendromu",
    "sistemik lupus eritematozus",
    "heterotopik ossifikasyon",
    "enjeksiyon granülomu",
    "ossifikasyon",
    "kortikal ve trabeküler",
]

TERMS = {"en": EN_TERMS, "tr": TR_TERMS}

# Key words of the notes' numbered lists, in the notes' order, per language:
# (how to recognise the list notes by their title, the words in order).
NUMBERED_LISTS = {
    "en": [
        (
            "Dystrophic calcification in dead tissue",
            ["caseous", "liquefactive", "fat necrosis", "infarct", "thromb", "haematoma", "parasite", "toxoplasmosis"],
        ),
        (
            "Dystrophic calcification in degenerated tissue",
            ["scars", "atheroma", "cysts", "calcinosis cutis", "senile", "pseudoxanthoma"],
        ),
        (
            "Differential diagnosis of soft-tissue calcification",
            [
                "venous insufficiency",
                "mönckeberg",
                "granulomatous",
                "parasitic",
                "osteosarcoma",
                "synovial",
                "tumour necrosis",
                "vitamin d",
                "milk-alkali",
                "scleroderma",
                "lupus",
                "heterotopic",
                "injection",
            ],
        ),
    ],
    "tr": [
        (
            "Ölü dokuda distrofik kalsifikasyon",
            ["kazeöz", "likefaksiyon", "yağ nekrozu", "enfarkt", "trombüs", "hematom", "parazit", "toksoplazmoz"],
        ),
        (
            "Dejenere dokuda distrofik kalsifikasyon",
            ["skar", "aterom", "kistler", "kalsinozis kutis", "senil", "psödoksantoma"],
        ),
        (
            "Yumuşak doku kalsifikasyonunun ayırıcı tanısı",
            [
                "venöz yetmezlik",
                "mönckeberg",
                "granülomatöz",
                "paraziter",
                "osteosarkom",
                "sinovyal",
                "tümör nekrozu",
                "d vitamini",
                "süt-alkali",
                "skleroderma",
                "lupus",
                "heterotopik",
                "enjeksiyon",
            ],
        ),
    ],
}


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


def _cards(col: Collection, lang: str) -> list[CardView]:
    cards = [col.card(card_id) for card_id in col.card_ids(LANGS[lang])]
    assert cards, f"no cards in {LANGS[lang]}"
    return cards


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, case-folded, with spaces collapsed."""
    return " ".join(html.unescape(_TAG_RE.sub(" ", fragment)).split()).casefold()


def _deck_files() -> list[Path]:
    return sorted(p for lang in LANGS for p in (DECKS / lang).glob("*.md") if p.name.lower() != "readme.md")


def test_bundled_decks_check_without_errors_or_warnings(at_root: None) -> None:
    result = check_paths(["decks"])
    assert [d.format() for d in result.diagnostics] == []
    assert result.ok


def test_layout_is_one_folder_per_language_and_the_sample_is_gone() -> None:
    assert not (DECKS / "calcification-sample.md").exists(), "the sample deck must be absorbed into decks/en"
    top_level = sorted(p.name for p in DECKS.glob("*.md") if p.name.lower() != "readme.md")
    assert top_level == [], f"deck files outside decks/en and decks/tr: {top_level}"
    en = sorted(p.name for p in (DECKS / "en").glob("*.md"))
    tr = sorted(p.name for p in (DECKS / "tr").glob("*.md"))
    assert len(en) == len(tr) >= 7, (en, tr)
    # the files pair up by their number prefix: every topic exists in both languages
    assert [n[:3] for n in en] == [n[:3] for n in tr]


def test_sample_notes_keep_their_ids_in_the_english_deck(at_root: None) -> None:
    notes = {n.parsed.anchor: n.parsed for n in check_paths(["decks"]).notes}
    for anchor in SAMPLE_IDS:
        assert anchor in notes, f"^{anchor} from the sample deck was lost"
        assert notes[anchor].path.startswith("en/"), notes[anchor].path
        assert notes[anchor].deck.startswith("Pathology::Calcification::")


def test_every_note_has_a_stable_id_with_the_language_prefix(at_root: None) -> None:
    notes = [n.parsed for n in check_paths(["decks"]).notes]
    assert notes
    anchors = [n.anchor for n in notes]
    assert None not in anchors, [f"{n.path}:{n.location.line}" for n in notes if n.anchor is None]
    assert len(set(anchors)) == len(anchors)
    for n in notes:
        prefix = "tr-calc-" if n.lang == "tr" else "calc-"
        assert n.anchor is not None and n.anchor.startswith(prefix), f"{n.path}: ^{n.anchor} should start with {prefix}"
        if n.lang != "tr":
            assert not n.anchor.startswith("tr-"), n.anchor
    # the two languages are translations note by note: ^calc-x in English is ^tr-calc-x in Turkish
    english = {n.anchor for n in notes if n.lang == "en"}
    turkish = {n.anchor.removeprefix("tr-") for n in notes if n.lang == "tr" and n.anchor}
    assert english == turkish, f"notes in only one language: {sorted(english ^ turkish)}"


def test_language_and_deck_match(built: Collection, at_root: None) -> None:
    """Every card of a `lang: tr` file is in a Patoloji:: deck, and every Patoloji:: card comes from one."""
    lang_of = {n.parsed.path: n.parsed.lang for n in check_paths(["decks"]).notes}
    assert set(lang_of.values()) == {"en", "tr"}, "every deck file must say lang: en or lang: tr"
    misplaced = {path: lang for path, lang in lang_of.items() if path.split("/")[0] != lang}
    assert misplaced == {}, "decks/en holds lang: en files and decks/tr holds lang: tr files"
    cards = [built.card(card_id) for card_id in built.card_ids()]
    assert cards
    for card in cards:
        lang = next(lang for path, lang in lang_of.items() if card.source_file.endswith(path))
        if lang == "tr":
            assert card.deck.startswith("Patoloji::Kalsifikasyon::"), (card.source_file, card.deck)
        else:
            assert card.deck.startswith("Pathology::Calcification::"), (card.source_file, card.deck)
        assert card.deck.startswith("Patoloji::") == (lang == "tr")


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_each_language_has_every_card_kind(built: Collection, lang: str) -> None:
    cards = _cards(built, lang)
    assert {c.kind for c in cards} == {"basic", "cloze", "list", "occlusion"}
    assert all(c.question_html.strip() and c.answer_html.strip() for c in cards)
    assert any(c.kind == "basic" and c.key == "back" for c in cards), "no reversed (R:) pair"
    assert any(c.kind == "cloze" and '<span class="cloze">' in c.question_html for c in cards)


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_turkish_list_prompts_are_turkish(built: Collection, lang: str) -> None:
    prompts = [c.question_html for c in _cards(built, lang) if c.kind == "list"]
    assert prompts
    turkish = ("madde hangisi" in p for p in prompts)
    assert all(turkish) if lang == "tr" else not any(turkish)


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_each_language_has_both_occlusion_modes(at_root: None, lang: str) -> None:
    modes = {
        n.parsed.content.mode.value  # type: ignore[union-attr]
        for n in check_paths(["decks"]).notes
        if n.parsed.lang == lang and n.parsed.kind == "occlusion"
    }
    assert modes == {"hide-all-guess-one", "hide-one-guess-one"}


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_stored_occlusion_html_shows_both_modes(built: Collection, lang: str) -> None:
    questions = [c.question_html for c in _cards(built, lang) if c.kind == "occlusion"]
    assert questions
    assert all(q.count(_TARGET) >= 1 for q in questions)
    assert any(_MASK in q for q in questions), "no hide-all-guess-one card (other labels masked)"
    assert any(_MASK not in q for q in questions), "no hide-one-guess-one card (only the target masked)"


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_occlusion_images_are_stored_and_in_the_right_language(built: Collection, lang: str) -> None:
    """Each occlusion card shows a committed PNG; Turkish cards use the Turkish-labelled (-tr) diagrams."""
    committed = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in IMAGES.glob("*.png")}
    used: set[str] = set()
    for card in (c for c in _cards(built, lang) if c.kind == "occlusion"):
        names = {*_IMAGE_HREF_RE.findall(card.question_html), *_IMAGE_HREF_RE.findall(card.answer_html)}
        assert len(names) == 1, card.question_html
        (name,) = names
        data = built.media(name)
        assert data is not None, f"{name} is referenced by card {card.id} but not stored"
        assert data.startswith(PNG_SIGNATURE)
        digest = hashlib.sha256(data).hexdigest()
        assert digest in committed, f"card {card.id} shows an image that is not in decks/images"
        used.add(committed[digest].stem)
    assert len(used) >= 3, f"fewer than three diagrams used in {lang}: {used}"
    assert all(stem.endswith("-tr") == (lang == "tr") for stem in used), used


def test_every_diagram_has_a_turkish_variant_and_is_used(at_root: None) -> None:
    svgs = {p.stem for p in DIAGRAMS.glob("*.svg")}
    english = {s for s in svgs if not s.endswith("-tr")}
    assert {"muscular-artery", "dystrophic-sites-body-map", "calcification-classification"} <= english
    assert {f"{s}-tr" for s in english} == svgs - english
    images = {
        Path(n.parsed.content.image).stem  # type: ignore[union-attr]
        for n in check_paths(["decks"]).notes
        if n.parsed.kind == "occlusion"
    }
    assert images == svgs, f"diagrams without occlusion cards: {svgs - images}"


_SVG_NS = "{http://www.w3.org/2000/svg}"
_ALLOWED_SVG = {"svg", "title", "desc", "g", "rect", "path", "circle", "ellipse", "line", "polyline", "polygon", "text"}


@pytest.mark.parametrize("svg", sorted(DIAGRAMS.glob("*.svg")), ids=lambda p: p.name)
def test_diagrams_use_only_plain_svg_tiny_features(svg: Path) -> None:
    """No CSS, filters or foreignObject (QSvgRenderer draws SVG Tiny 1.2); labels readable; boxes listed."""
    source = svg.read_text(encoding="utf-8")
    root = ET.fromstring(source)
    assert root.get("viewBox"), "give the diagram a viewBox"
    width = float(root.get("viewBox", "0 0 0 0").split()[2])
    for el in root.iter():
        tag = el.tag.removeprefix(_SVG_NS)
        assert tag in _ALLOWED_SVG, f"<{tag}> is not a plain SVG Tiny element"
        assert "style" not in el.attrib and "filter" not in el.attrib and "class" not in el.attrib, el.attrib
        if tag == "text":
            size = float(el.get("font-size", "0"))
            assert size * 800 / width >= 16, f"label {el.text!r} is smaller than 16 px at 800 px wide"
            assert "DejaVu Sans" in el.get("font-family", ""), el.attrib
    assert re.search(r"<!--[^>]*(label|Label)[^>]*\d+,\d+ \d+x\d+", source), "list the label boxes in a comment"


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_cards_cover_every_term_of_the_notes(built: Collection, lang: str) -> None:
    text = "\n".join(_text(c.question_html) + " " + _text(c.answer_html) for c in _cards(built, lang))
    missing = [term for term in TERMS[lang] if term.casefold() not in text]
    assert missing == [], f"no {lang} card mentions: {missing}"


def _list_items(cards: list[CardView], title_start: str) -> list[str]:
    """Items of the list notes whose title starts with ``title_start``, in the order of the parts (1 of N...)."""
    notes: dict[int, tuple[str, list[str]]] = {}
    for card in cards:
        if card.kind != "list":
            continue
        match = _TITLE_RE.search(card.answer_html)
        assert match, card.answer_html
        title = _text(match.group(1))
        if title.startswith(title_start.casefold()):
            notes[card.note_id] = (title, [_text(li) for li in _LI_RE.findall(card.answer_html)])
    assert notes, f"no list notes titled {title_start!r}"

    def part(title: str) -> int:
        found = re.search(r"\((\d+)(?: of |/)(\d+)\)", title)
        return int(found.group(1)) if found else 1

    ordered = sorted(notes.values(), key=lambda n: part(n[0]))
    assert [part(t) for t, _ in ordered] == list(range(1, len(ordered) + 1)), [t for t, _ in ordered]
    return [item for _title, items in ordered for item in items]


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_numbered_lists_of_the_notes_keep_their_order(built: Collection, lang: str) -> None:
    cards = _cards(built, lang)
    for title_start, keywords in NUMBERED_LISTS[lang]:
        items = _list_items(cards, title_start)
        positions = []
        for word in keywords:
            hits = [i for i, item in enumerate(items) if word.casefold() in item]
            assert hits, f"{title_start!r}: no item mentions {word!r} in {items}"
            positions.append(hits[0])
        assert positions == sorted(positions) and len(set(positions)) == len(positions), (
            f"{title_start!r}: items are not in the notes' order: {list(zip(keywords, positions, strict=True))}"
        )


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_lists_are_short_enough_to_learn(at_root: None, lang: str) -> None:
    lists = [n.parsed for n in check_paths(["decks"]).notes if n.parsed.lang == lang and n.parsed.kind == "list"]
    assert lists
    for note in lists:
        items = note.content.items  # type: ignore[union-attr]
        assert 2 <= len(items) <= 6, f"{note.path}:{note.location.line}: {len(items)} items; split the list"


@pytest.mark.parametrize(
    ("lang", "claim", "attribution"),
    [("en", "most common site", ("course notes", "robbins")), ("tr", "en sık", ("ders notları", "robbins"))],
)
def test_disputed_most_common_site_is_attributed(
    built: Collection, lang: str, claim: str, attribution: tuple[str, ...]
) -> None:
    """The notes call caseous necrosis in TB the most common site; Robbins does not: the card must say so."""
    texts = [_text(c.answer_html) for c in _cards(built, lang)]
    claims = [t for t in texts if claim in t and ("tubercul" in t or "tüberkül" in t)]
    assert claims, "no card states the notes' 'most common site' claim"
    assert all(all(word in t for word in attribution) for t in claims), claims


@pytest.mark.parametrize("path", _deck_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_deck_file_ends_with_its_sources(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    headings = [m for m in re.finditer(r"^#{1,6}\s*(.+)$", text, re.MULTILINE)]
    assert headings, "no headings"
    last = headings[-1]
    assert re.fullmatch(r"Sources( \(Kaynaklar\))?", last.group(1).strip()), f"last heading is {last.group(0)!r}"
    assert last.group(0).startswith("## ")
    section = text[last.end() :].strip()
    assert section, "the Sources section is empty"
    assert "Robbins" in section or "Grainger" in section, "name the standard reference the facts agree with"
    assert "^" not in section and "{{c" not in section and "Q:" not in section, "cards after the Sources heading"


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
    svgs = sorted(DIAGRAMS.glob("*.svg"))
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
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert sorted(p.name for p in out.iterdir()) == sorted(f"{s.stem}.png" for s in svgs)
        renders[run] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert renders["first"] == renders["second"], "rendering is not reproducible"
    for svg in svgs:
        committed = IMAGES / f"{svg.stem}.png"
        assert committed.is_file(), f"{committed} missing: run `make diagrams` and commit it"
        share = _differing_pixel_share(renders["first"][f"{svg.stem}.png"], committed.read_bytes())
        assert share < 0.0005, (
            f"{committed.name} differs from a fresh render of {svg.name} in {share:.1%} of pixels: "
            "run `make diagrams` and commit it"
        )
