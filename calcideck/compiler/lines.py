"""Line classification for the deck parser, and text blocks that remember where they came from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto


class LineKind(Enum):
    BLANK = auto()
    HEADING = auto()
    FENCE = auto()
    QUESTION = auto()
    REVERSED = auto()
    ANSWER = auto()
    LIST_TITLE = auto()
    LIST_ITEM = auto()
    BREAK = auto()
    TEXT = auto()


# As Python-Markdown reads ATX headings: no space is needed after the hashes ("#Title").
HEADING_RE = re.compile(r"^(#{1,6})(?!#)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`]*?)[ \t]*$")
CARD_RE = re.compile(r"^(Q|R|A|List):(?:[ \t]|$)")
ITEM_RE = re.compile(r"^( {0,3})([-*+]|(\d{1,9})[.)])(?:([ \t]+)(.*)|$)")
BREAK_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")

_CARD_KINDS = {
    "Q": LineKind.QUESTION,
    "R": LineKind.REVERSED,
    "A": LineKind.ANSWER,
    "List": LineKind.LIST_TITLE,
}


def classify(line: str) -> LineKind:
    if not line.strip():
        return LineKind.BLANK
    first = line[0]
    if first == "#" and HEADING_RE.match(line):
        return LineKind.HEADING
    if first in "QRAL":
        m = CARD_RE.match(line)
        if m:
            return _CARD_KINDS[m.group(1)]
    if FENCE_RE.match(line):
        return LineKind.FENCE
    if BREAK_RE.match(line):
        return LineKind.BREAK
    if ITEM_RE.match(line):
        return LineKind.LIST_ITEM
    return LineKind.TEXT


def card_marker_width(line: str) -> int:
    """Columns taken by a ``Q:``-style marker and the one space after it."""
    m = CARD_RE.match(line)
    assert m is not None
    return m.end()


@dataclass(frozen=True, slots=True)
class Segment:
    line: int  # 1-based source line
    column: int  # 0-based column where ``text`` starts in the source line
    text: str


class TextBlock:
    """Text cut from a file, line by line, able to map offsets back to line:column."""

    __slots__ = ("segments", "text")

    def __init__(self, segments: tuple[Segment, ...]) -> None:
        self.segments = segments
        self.text = "\n".join(s.text for s in segments)

    def locate(self, offset: int) -> tuple[int, int]:
        for seg in self.segments:
            if offset <= len(seg.text):
                return seg.line, seg.column + offset + 1
            offset -= len(seg.text) + 1
        last = self.segments[-1] if self.segments else Segment(1, 0, "")
        return last.line, last.column + len(last.text) + 1

    def strip_blank_edges(self) -> TextBlock:
        segs = list(self.segments)
        while segs and not segs[-1].text.strip():
            segs.pop()
        while segs and not segs[0].text.strip():
            segs.pop(0)
        return self if len(segs) == len(self.segments) else TextBlock(tuple(segs))

    def replace_last(self, text: str) -> TextBlock:
        if not self.segments:
            return self
        last = self.segments[-1]
        segs = self.segments[:-1] + ((Segment(last.line, last.column, text),) if text.strip() else ())
        return TextBlock(segs)
