"""The compiler's intermediate representation: frozen, storage-agnostic.

The parser turns lines into :class:`ParsedNote` (structure and Markdown
source, no HTML); the renderer turns a parsed note into :class:`CompiledCard`
objects. The store decides how to persist them and how to match them against
what is already there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from calcideck.compiler.cloze import ClozeSpan
from calcideck.core.diagnostics import SourceLocation


class NoteKind(StrEnum):
    BASIC = "basic"
    CLOZE = "cloze"
    LIST = "list"
    OCCLUSION = "occlusion"


class OcclusionMode(StrEnum):
    HIDE_ALL_GUESS_ONE = "hide-all-guess-one"
    HIDE_ONE_GUESS_ONE = "hide-one-guess-one"


@dataclass(frozen=True, slots=True)
class MediaRef:
    """An image a note uses: ``path`` is POSIX, relative to the deck root."""

    path: str
    written: str  # as the author wrote it (what appears in the Markdown)
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class BasicContent:
    question: str
    answer: str
    reversed: bool = False

    def canonical(self) -> str:
        return f"{'R' if self.reversed else 'Q'}\x1f{self.question}\x1f{self.answer}"


@dataclass(frozen=True, slots=True)
class ClozeContent:
    text: str
    # The parser's scan of ``text``, kept so rendering does not scan it again.
    spans: tuple[ClozeSpan, ...] = field(compare=False, repr=False)

    def canonical(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class ListContent:
    title: str
    items: tuple[str, ...]
    ordered: bool
    start: int = 1

    def canonical(self) -> str:
        marker = f"{self.start}." if self.ordered else "-"
        return "\x1f".join((self.title, marker, *self.items))


@dataclass(frozen=True, slots=True)
class Shape:
    kind: str  # "rect" | "ellipse" | "polygon"
    points: tuple[float, ...]  # rect/ellipse: x, y, w, h; polygon: x1, y1, x2, y2, ...
    label: str

    def canonical(self) -> str:
        return f"{self.kind} {' '.join(f'{p:g}' for p in self.points)} {self.label}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "points": list(self.points), "label": self.label}


@dataclass(frozen=True, slots=True)
class OcclusionContent:
    image: str  # POSIX path relative to the deck root
    mode: OcclusionMode
    header: str
    shapes: tuple[Shape, ...]

    def canonical(self) -> str:
        return "\x1f".join((self.image, self.mode, self.header, *(s.canonical() for s in self.shapes)))

    def labels(self) -> list[str]:
        """Distinct labels in order of first appearance: one card each."""
        return list(dict.fromkeys(s.label for s in self.shapes))


Content = BasicContent | ClozeContent | ListContent | OcclusionContent


@dataclass(frozen=True, slots=True)
class ParsedNote:
    kind: NoteKind
    path: str  # POSIX, relative to the deck root
    location: SourceLocation  # where the note starts, with the path as given by the user
    position: int  # 0-based order of the note within its file
    deck: str
    breadcrumb: tuple[str, ...]
    tags: tuple[str, ...]
    lang: str | None
    anchor: str | None
    meaning_rev: int
    content: Content
    media: tuple[MediaRef, ...] = ()
    # Canonical text of the note, without its id or markers, and its sha256:
    # identity by content (equal fingerprints mean the same authored note).
    source_text: str = field(init=False, repr=False, compare=False)
    fingerprint: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = f"{self.kind}\x1e{self.content.canonical()}"
        object.__setattr__(self, "source_text", text)
        object.__setattr__(self, "fingerprint", hashlib.sha256(text.encode("utf-8")).hexdigest())


@dataclass(frozen=True, slots=True)
class CompiledCard:
    key: str  # stable within the note: "front", "back", "c3", "item:<text>", "label:<label>"
    ordinal: int  # display order within the note
    match_text: str  # what fuzzy matching within the note compares
    question_html: str
    answer_html: str
    data: dict[str, Any] | None = None  # structured extras (occlusion geometry)


@dataclass(frozen=True, slots=True)
class CompiledNote:
    parsed: ParsedNote
    cards: tuple[CompiledCard, ...]
    render_key: str
    media_files: tuple[str, ...] = field(default=())  # sha256 of each image used

    @property
    def fields(self) -> dict[str, Any]:
        return content_fields(self.parsed.content)


def content_fields(content: Content) -> dict[str, Any]:
    """The note's authored fields as JSON-able data (what an exporter needs)."""
    match content:
        case BasicContent(question, answer, rev):
            return {"question": question, "answer": answer, "reversed": rev}
        case ClozeContent(text, _spans):
            return {"text": text}
        case ListContent(title, items, ordered, start):
            return {"title": title, "items": list(items), "ordered": ordered, "start": start}
        case OcclusionContent(image, mode, header, shapes):
            return {
                "image": image,
                "mode": mode.value,
                "header": header,
                "shapes": [s.to_json() for s in shapes],
            }
    raise TypeError(f"unknown content {content!r}")
