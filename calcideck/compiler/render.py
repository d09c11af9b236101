"""Rendering parsed notes to cards: Markdown -> sanitised HTML, per card kind.

Each side of a note goes through Python-Markdown at most once; clozes and
list cards are cut from that HTML. Stored HTML is final: showing a card never
parses Markdown again.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Mapping

from calcideck.compiler import cloze
from calcideck.compiler.ir import (
    BasicContent,
    ClozeContent,
    CompiledCard,
    CompiledNote,
    ListContent,
    OcclusionContent,
    OcclusionMode,
    ParsedNote,
    Shape,
)
from calcideck.compiler.markdown_ext import is_plain, new_markdown, render_plain, render_simple
from calcideck.compiler.media import MediaBlob
from calcideck.compiler.paths import rewrite_image_refs
from calcideck.compiler.sanitize import sanitize_html

# Bump when the HTML produced for the same source changes, so stored cards are re-rendered.
RENDER_VERSION = "1"

_SINGLE_P_RE = re.compile(r"^<p>(.*)</p>$", re.DOTALL)
_SPACE_RE = re.compile(r"\s+")

_LIST_PROMPTS = {
    "en": ("Which is item {n} of {total}?", "Which item is missing?"),
    "tr": ("{n}. madde hangisi? ({total} madde)", "Eksik madde hangisi?"),
}


class RenderError(Exception):
    """A note that parsed but cannot be rendered (message fits after 'error: ')."""


def _check_cloze_placement(raw_html: str) -> None:
    if cloze.markers_inside_tags(raw_html):
        raise RenderError("a cloze cannot be inside a link or image; put it in the surrounding text")


_MATH_OPEN, _MATH_CLOSE = "\ue010", "\ue011"
_MATH_RE = re.compile(f"{_MATH_OPEN}(\\d+){_MATH_CLOSE}")


def protect_math(text: str) -> tuple[str, list[str]]:
    """Swap math spans for placeholders so Markdown cannot touch them (no italics in $a*b*c$)."""
    spans = cloze.math_spans(text)
    if not spans:
        return text, []
    out: list[str] = []
    maths: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append(f"{_MATH_OPEN}{len(maths)}{_MATH_CLOSE}")
        maths.append(text[start:end])
        pos = end
    out.append(text[pos:])
    return "".join(out), maths


def restore_math(rendered: str, maths: list[str]) -> str:
    """Put math back verbatim (escaped), as MathJax in Anki expects it."""
    if not maths:
        return rendered
    return _MATH_RE.sub(lambda m: html.escape(maths[int(m.group(1))], quote=False), rendered)


def normalise(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def render_key(note: ParsedNote, media: Mapping[str, MediaBlob]) -> str:
    """Changes whenever the note's HTML would change: source, images or renderer."""
    h = hashlib.sha256()
    h.update(f"{RENDER_VERSION}\x1e{note.lang or ''}\x1e{note.source_text}".encode())
    for ref in note.media:
        blob = media.get(ref.path)
        h.update(f"\x1e{ref.path}={blob.sha256 if blob else '-'}".encode())
    return h.hexdigest()


def media_files(note: ParsedNote, media: Mapping[str, MediaBlob]) -> tuple[str, ...]:
    """The sha256 of each image the note uses, once each, in order of use."""
    return tuple(dict.fromkeys(media[r.path].sha256 for r in note.media if r.path in media))


class NoteRenderer:
    """Renders notes; one instance per build (it owns a Markdown parser)."""

    def __init__(self) -> None:
        self._md = new_markdown()

    # -- Markdown ----------------------------------------------------------

    def block(self, text: str, images: Mapping[str, str]) -> str:
        """Markdown to sanitised HTML, image sources replaced by media file names."""
        return self._render(text, images)

    def _render(self, text: str, images: Mapping[str, str], check: Callable[[str], None] | None = None) -> str:
        if is_plain(text):
            return render_plain(text)
        simple = render_simple(text)
        if simple is not None:
            return simple
        protected, maths = protect_math(text)
        raw = self._md.reset().convert(rewrite_image_refs(protected, images))
        if check is not None:
            check(raw)  # sees Markdown's output before sanitising drops anything
        return restore_math(sanitize_html(raw), maths)

    def inline(self, text: str, images: Mapping[str, str]) -> str:
        rendered = self.block(text, images).strip()
        m = _SINGLE_P_RE.match(rendered)
        return m.group(1) if m and "<p>" not in m.group(1) else rendered

    # -- notes ---------------------------------------------------------------

    def render(self, note: ParsedNote, media: Mapping[str, MediaBlob]) -> CompiledNote:
        images = {ref.written.strip().strip("<>"): media[ref.path].filename for ref in note.media if ref.path in media}
        content = note.content
        if isinstance(content, BasicContent):
            cards = self._basic(content, images)
        elif isinstance(content, ClozeContent):
            cards = self._cloze(content, images)
        elif isinstance(content, ListContent):
            cards = self._list(content, images, note.lang)
        else:
            cards = self._occlusion(content, media)
        return CompiledNote(
            parsed=note,
            cards=tuple(cards),
            render_key=render_key(note, media),
            media_files=media_files(note, media),
        )

    def _basic(self, c: BasicContent, images: Mapping[str, str]) -> list[CompiledCard]:
        q = self.block(c.question, images)
        a = self.block(c.answer, images)
        cards = [CompiledCard("front", 0, normalise(c.question), q, f'{q}\n<hr id="answer">\n{a}')]
        if c.reversed:
            cards.append(CompiledCard("back", 1, normalise(c.answer), a, f'{a}\n<hr id="answer">\n{q}'))
        return cards

    def _cloze(self, c: ClozeContent, images: Mapping[str, str]) -> list[CompiledCard]:
        spans = c.spans  # scanned once, by the parser
        marked = cloze.to_markers(c.text, spans)
        rendered = self._render(marked, images, check=_check_cloze_placement)
        shown = {int(k) for k in re.findall(f"{cloze.OPEN}(\\d+){cloze.OPEN_END}", rendered)}
        hidden_away = sorted({spans[k].number for k in range(len(spans)) if k not in shown})
        if hidden_away:
            names = ", ".join(f"c{n}" for n in hidden_away)
            raise RenderError(f"cloze {names} would never be shown: it is inside raw HTML that is removed")
        cards = []
        for ordinal, (number, (q, a, unbalanced)) in enumerate(cloze.cards_from_html(rendered, spans).items()):
            if unbalanced:
                q, a = sanitize_html(q), sanitize_html(a)
            hidden = " ".join(normalise(c.text[s.content_start : s.content_end]) for s in spans if s.number == number)
            cards.append(CompiledCard(f"c{number}", ordinal, hidden, cloze.strip_markers(q), cloze.strip_markers(a)))
        return cards

    def _list(self, c: ListContent, images: Mapping[str, str], lang: str | None) -> list[CompiledCard]:
        title = self.inline(c.title, images)
        items = [self.inline(item, images) for item in c.items]
        tag = "ol" if c.ordered else "ul"
        start = f' start="{c.start}"' if c.ordered and c.start != 1 else ""
        ordered_prompt, unordered_prompt = _LIST_PROMPTS.get((lang or "en").split("-")[0], _LIST_PROMPTS["en"])
        cards = []
        head = f'<div class="list-title">{title}</div>\n<{tag} class="list-card"{start}>\n'

        def side(index: int, target_html: str) -> str:
            lis = [
                f'<li class="list-target">{target_html}</li>' if j == index else f"<li>{other}</li>"
                for j, other in enumerate(items)
            ]
            return head + "\n".join(lis) + f"\n</{tag}>"

        last = c.start + len(items) - 1
        for index, item in enumerate(c.items):
            prompt = ordered_prompt.format(n=c.start + index, total=last) if c.ordered else unordered_prompt
            question = side(index, '<span class="cloze">[...]</span>') + f'\n<p class="list-prompt">{html.escape(prompt)}</p>'
            answer = side(index, f'<span class="cloze">{items[index]}</span>')
            cards.append(CompiledCard(f"item:{normalise(item)}", index, normalise(item), question, answer))
        return cards

    def _occlusion(self, c: OcclusionContent, media: Mapping[str, MediaBlob]) -> list[CompiledCard]:
        blob = media[c.image]
        header = f'<div class="occlusion-header">{html.escape(c.header)}</div>\n' if c.header else ""
        cards = []
        drawn: dict[tuple[int, str], str] = {}
        for ordinal, label in enumerate(c.labels()):
            question = header + _occlusion_svg(c, blob, label, answer=False, cache=drawn)
            answer = (
                header
                + _occlusion_svg(c, blob, label, answer=True, cache=drawn)
                + f'\n<p class="occlusion-label">{html.escape(label)}</p>'
            )
            data = {
                "image": blob.filename,
                "width": blob.width,
                "height": blob.height,
                "mode": c.mode.value,
                "target": label,
                "shapes": [s.to_json() for s in c.shapes],
            }
            cards.append(CompiledCard(f"label:{label}", ordinal, label, question, answer, data))
        return cards


_MASK = 'fill="#ffeba2" stroke="#2d2d2d"'
_TARGET = 'fill="#ff8e8e" stroke="#2d2d2d"'
_REVEALED = 'fill="none" stroke="#e0245e"'


def _shape_svg(shape: Shape, w: int, h: int, style: str) -> str:
    p = shape.points
    stroke = f'stroke-width="{max(1, round(min(w, h) / 300))}"'
    if shape.kind == "rect":
        return f'<rect x="{p[0] * w:.1f}" y="{p[1] * h:.1f}" width="{p[2] * w:.1f}" height="{p[3] * h:.1f}" {style} {stroke}/>'
    if shape.kind == "ellipse":
        return (
            f'<ellipse cx="{(p[0] + p[2] / 2) * w:.1f}" cy="{(p[1] + p[3] / 2) * h:.1f}" '
            f'rx="{p[2] * w / 2:.1f}" ry="{p[3] * h / 2:.1f}" {style} {stroke}/>'
        )
    points = " ".join(f"{p[i] * w:.1f},{p[i + 1] * h:.1f}" for i in range(0, len(p), 2))
    return f'<polygon points="{points}" {style} {stroke}/>'


def _occlusion_svg(
    c: OcclusionContent, blob: MediaBlob, target: str, *, answer: bool, cache: dict[tuple[int, str], str]
) -> str:
    """Inline SVG: the image with its masks, as Anki's image occlusion shows it."""
    w, h = blob.width, blob.height
    parts = [
        f'<svg class="occlusion" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        f'style="max-width:100%;height:auto" width="{w}" height="{h}">',
        f'<image href="{blob.filename}" x="0" y="0" width="{w}" height="{h}"/>',
    ]
    for index, shape in enumerate(c.shapes):
        if shape.label == target:
            style = _REVEALED if answer else _TARGET
        elif c.mode is OcclusionMode.HIDE_ALL_GUESS_ONE:
            style = _MASK
        else:
            continue
        key = (index, style)
        if key not in cache:  # each shape is drawn in at most three styles, whatever the card count
            cache[key] = _shape_svg(shape, w, h, style)
        parts.append(cache[key])
    parts.append("</svg>")
    return "\n".join(parts)
