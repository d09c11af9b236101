"""The deck parser: a line classifier feeding an explicit state machine.

Every problem becomes a located :class:`Diagnostic`; parsing never stops at the
first one, and never raises on any input text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from calcideck.compiler import cloze
from calcideck.compiler.frontmatter import parse_front_matter
from calcideck.compiler.ir import (
    BasicContent,
    ClozeContent,
    Content,
    ListContent,
    MediaRef,
    NoteKind,
    ParsedNote,
)
from calcideck.compiler.lines import (
    FENCE_RE,
    HEADING_RE,
    ITEM_RE,
    LineKind,
    Segment,
    TextBlock,
    card_marker_width,
    classify,
)
from calcideck.compiler.occlusion import parse_occlusion_body
from calcideck.compiler.paths import HTML_IMG_RE, MD_IMAGE_RE, default_deck_name, resolve_relative
from calcideck.core.diagnostics import Diagnostic, SourceLocation, error, warning

_TRAILER_TOKEN_RE = re.compile(r"(?:^|[ \t]+)(\^\S+|!reset\S*)[ \t]*$")
_ANCHOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_RESET_RE = re.compile(r"^!reset-([1-9]\d{0,5})$")
_INLINE_MARKUP_RE = re.compile(r"[*_`]+")


@dataclass(slots=True)
class FileParse:
    notes: list[ParsedNote] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


class _FileParser:
    def __init__(self, text: str, rel_path: str, display: str) -> None:
        self.lines = text.split("\n")
        self.kinds = [classify(line) for line in self.lines]
        self.rel_path = rel_path
        self.display = display
        self.result = FileParse()
        self.headings: list[tuple[int, str]] = []
        self.deck = default_deck_name(rel_path)
        self.tags: tuple[str, ...] = ()
        self.lang: str | None = None

    # -- helpers ---------------------------------------------------------

    def err(self, line: int, col: int, message: str, code: str) -> None:
        self.result.diagnostics.append(error(self.display, line, col, message, code))

    def warn(self, line: int, col: int, message: str, code: str) -> None:
        self.result.diagnostics.append(warning(self.display, line, col, message, code))

    def kind(self, i: int) -> LineKind:
        return self.kinds[i] if i < len(self.kinds) else LineKind.BLANK

    def is_occlusion_fence(self, i: int) -> bool:
        m = FENCE_RE.match(self.lines[i]) if i < len(self.lines) else None
        return bool(m and m.group(3).strip() == "occlusion")

    def starts_card(self, i: int) -> bool:
        k = self.kind(i)
        return k in (LineKind.QUESTION, LineKind.REVERSED, LineKind.LIST_TITLE, LineKind.ANSWER) or (
            k is LineKind.FENCE and self.is_occlusion_fence(i)
        )

    def paragraph_end(self, i: int) -> int:
        """Index after the plain paragraph starting at ``i``."""
        j = i
        while j < len(self.lines):
            k = self.kind(j)
            if k in (LineKind.BLANK, LineKind.HEADING, LineKind.FENCE, LineKind.BREAK) or (j > i and self.starts_card(j)):
                break
            j += 1
        return j

    def paragraph_has_cloze(self, i: int) -> bool:
        if self.starts_card(i) or self.kind(i) in (LineKind.HEADING, LineKind.FENCE, LineKind.BREAK):
            return False
        end = self.paragraph_end(i)
        return cloze.scan("\n".join(self.lines[i:end])).found

    def fence_end(self, i: int) -> int:
        """Index of the closing fence of the fence opened at ``i`` (len(lines) if unclosed)."""
        m = FENCE_RE.match(self.lines[i])
        assert m is not None
        marker = m.group(2)
        closer = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*(.*)$")
        for j in range(i + 1, len(self.lines)):
            if closer.match(self.lines[j]):
                return j
        return len(self.lines)

    def next_nonblank(self, i: int) -> int:
        while i < len(self.lines) and not self.lines[i].strip():
            i += 1
        return i

    @property
    def breadcrumb(self) -> tuple[str, ...]:
        return tuple(text for _level, text in self.headings)

    # -- trailers: ^id and !reset-N --------------------------------------

    def take_trailer(self, block: TextBlock) -> tuple[TextBlock, str | None, int]:
        if not block.segments:
            return block, None, 0
        last = block.segments[-1]
        text = last.text
        anchor: str | None = None
        reset = 0
        while True:
            m = _TRAILER_TOKEN_RE.search(text)
            if not m:
                break
            token = m.group(1)
            col = last.column + m.start(1) + 1
            if token.startswith("^"):
                if token.endswith("^") and len(token) > 1:
                    break  # superscript such as ^2+^, not an id
                if anchor is not None:
                    self.err(last.line, col, "a card has at most one ^id", "anchor")
                elif not _ANCHOR_RE.match(token[1:]):
                    self.err(
                        last.line,
                        col,
                        f"malformed id '{token}': use letters, digits, '-', '_' or '.', starting with a letter or digit",
                        "anchor",
                    )
                else:
                    anchor = token[1:]
            else:
                rm = _RESET_RE.match(token)
                if not rm:
                    self.err(
                        last.line,
                        col,
                        f"malformed meaning-change marker '{token}': write !reset-1, !reset-2, ...",
                        "reset",
                    )
                else:
                    reset = int(rm.group(1))
            text = text[: m.start()]
        return block.replace_last(text.rstrip()), anchor, reset

    def warn_stray_trailers(self, *blocks: TextBlock) -> None:
        """An id or marker that ends a line inside a card is text, not an id: say so."""
        for block in blocks:
            for seg in block.segments:
                m = _TRAILER_TOKEN_RE.search(seg.text)
                if m and not m.group(1).endswith("^"):
                    self.warn(
                        seg.line,
                        seg.column + m.start(1) + 1,
                        f"'{m.group(1)}' is not at the end of the card's last line, so it is shown as text "
                        "(a paragraph after an answer belongs to that answer)",
                        "anchor",
                    )

    # -- notes -----------------------------------------------------------

    def add_note(
        self,
        kind: NoteKind,
        block_start: tuple[int, int],
        content: Content,
        anchor: str | None,
        reset: int,
        media: list[MediaRef],
    ) -> None:
        line, col = block_start
        self.result.notes.append(
            ParsedNote(
                kind=kind,
                path=self.rel_path,
                location=SourceLocation(self.display, line, col),
                position=len(self.result.notes),
                deck=self.deck,
                breadcrumb=self.breadcrumb,
                tags=self.tags,
                lang=self.lang,
                anchor=anchor,
                meaning_rev=reset,
                content=content,
                media=tuple(media),
            )
        )

    def media_in(self, block: TextBlock) -> tuple[list[MediaRef], bool]:
        """Images referenced in a Markdown block; False if any reference is refused."""
        text = block.text
        refs: list[MediaRef] = []
        ok = True
        for regex in (MD_IMAGE_RE, HTML_IMG_RE):
            for m in regex.finditer(text):
                raw = m.group(1)
                written = raw.strip("\"'")
                line, col = block.locate(m.start(1) + (1 if raw[:1] in "\"'" else 0))
                resolved, reason = resolve_relative(self.rel_path, written)
                if resolved is None:
                    self.err(line, col, reason or "bad image path", "image-path")
                    ok = False
                else:
                    refs.append(MediaRef(resolved, written, SourceLocation(self.display, line, col)))
        return refs, ok

    def check_no_cloze(self, block: TextBlock, where: str) -> bool:
        scan = cloze.scan(block.text)
        for span in scan.spans[:1]:
            line, col = block.locate(span.start)
            self.err(
                line,
                col,
                f"clozes are not allowed in {where}; make the cloze a paragraph of its own",
                "cloze",
            )
            return False
        return True

    # -- the state machine -------------------------------------------------

    def run(self) -> FileParse:
        fm = parse_front_matter(self.lines, self.display)
        self.result.diagnostics.extend(fm.diagnostics)
        if fm.deck:
            self.deck = fm.deck
        self.tags, self.lang = fm.tags, fm.lang
        i = fm.end_line
        n = len(self.lines)
        while i < n:
            k = self.kind(i)
            if k is LineKind.BLANK or k is LineKind.BREAK:
                i += 1
            elif k is LineKind.HEADING:
                self.heading(i)
                i += 1
            elif k is LineKind.FENCE:
                i = self.occlusion(i) if self.is_occlusion_fence(i) else self.fence_end(i) + 1
            elif k in (LineKind.QUESTION, LineKind.REVERSED):
                i = self.basic(i)
            elif k is LineKind.ANSWER:
                self.err(i + 1, 1, "'A:' without a 'Q:' before it", "answer-without-question")
                i = self.body_end(i + 1)
            elif k is LineKind.LIST_TITLE:
                i = self.list_note(i)
            else:
                i = self.paragraph(i)
        return self.result

    def heading(self, i: int) -> None:
        m = HEADING_RE.match(self.lines[i])
        assert m is not None
        level = len(m.group(1))
        text = _INLINE_MARKUP_RE.sub("", m.group(2) or "").strip()
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        if text:
            self.headings.append((level, text))

    def body_end(self, i: int) -> int:
        """Index where a question or answer body starting at ``i`` stops.

        It stops at a heading, a thematic break, another card (``A:`` included),
        or a blank line followed by a paragraph with a cloze; fenced code inside
        the body is skipped whole.
        """
        n = len(self.lines)
        while i < n:
            k = self.kind(i)
            if k in (LineKind.HEADING, LineKind.BREAK) or self.starts_card(i):
                return i
            if k is LineKind.FENCE:
                i = self.fence_end(i) + 1
                continue
            if k is LineKind.BLANK:
                j = self.next_nonblank(i)
                if j >= n or self.paragraph_has_cloze(j):
                    return j
                i = j
                continue
            i += 1
        return i

    def block(self, first: int, first_col: int, stop: int) -> TextBlock:
        segs = [Segment(first + 1, first_col, self.lines[first][first_col:])]
        segs += [Segment(j + 1, 0, self.lines[j]) for j in range(first + 1, stop)]
        return TextBlock(tuple(segs)).strip_blank_edges()

    def basic(self, i: int) -> int:
        reversed_ = self.kind(i) is LineKind.REVERSED
        marker = "R:" if reversed_ else "Q:"
        q_end = self.body_end(i + 1)
        if q_end >= len(self.lines) or self.kind(q_end) is not LineKind.ANSWER:
            self.err(i + 1, 1, f"'{marker}' without an 'A:' line after it", "question-without-answer")
            return q_end
        question = self.block(i, card_marker_width(self.lines[i]), q_end)
        a_end = self.body_end(q_end + 1)
        answer = self.block(q_end, card_marker_width(self.lines[q_end]), a_end)
        answer, anchor, reset = self.take_trailer(answer)
        self.warn_stray_trailers(question, answer)
        ok = True
        if not question.text.strip():
            self.err(i + 1, 1, f"empty question after '{marker}'", "empty")
            ok = False
        if not answer.text.strip():
            self.err(q_end + 1, 1, "empty answer after 'A:'", "empty")
            ok = False
        ok = self.check_no_cloze(question, "a Q:/A: card") and self.check_no_cloze(answer, "a Q:/A: card") and ok
        media_q, ok_q = self.media_in(question)
        media_a, ok_a = self.media_in(answer)
        if ok and ok_q and ok_a:
            content = BasicContent(question.text, answer.text, reversed_)
            self.add_note(NoteKind.BASIC, (i + 1, 1), content, anchor, reset, media_q + media_a)
        return a_end

    def paragraph(self, i: int) -> int:
        end = self.paragraph_end(i)
        if self.kind(i) is LineKind.LIST_ITEM:
            for item_block in self.split_items(i, end):
                self.cloze_note(item_block)
        else:
            self.cloze_note(TextBlock(tuple(Segment(j + 1, 0, self.lines[j]) for j in range(i, end))))
        return end

    def split_items(self, i: int, end: int) -> Iterator[TextBlock]:
        """Top-level items of a Markdown list between ``i`` and ``end``, marker removed."""
        current: list[Segment] = []
        indent = 0
        for j in range(i, end):
            line = self.lines[j]
            m = ITEM_RE.match(line)
            if m and len(m.group(1)) < max(indent, 1):
                if current:
                    yield _item_block(current)
                indent = m.end(2) + len(m.group(4) or " ")
                current = [Segment(j + 1, min(indent, len(line)), line[indent:])]
            elif current:
                strip = min(indent, len(line) - len(line.lstrip(" ")))
                current.append(Segment(j + 1, strip, line[strip:]))
        if current:
            yield _item_block(current)

    def cloze_note(self, block: TextBlock) -> None:
        block, anchor, reset = self.take_trailer(block)
        text = block.text
        scan = cloze.scan(text)
        if scan.found:
            self.warn_stray_trailers(block)
        if not scan.found:
            if anchor is not None:
                line, col = block.locate(len(text))
                self.warn(line, col, f"^{anchor} is on a paragraph that is not a card; it is ignored", "anchor")
            return
        for problem in scan.problems:
            line, col = block.locate(problem.offset)
            (self.err if problem.is_error else self.warn)(line, col, problem.message, "cloze")
        if any(p.is_error for p in scan.problems) or not scan.spans:
            return
        gaps = cloze.gap_warning(scan.numbers)
        if gaps:
            line, col = block.locate(scan.spans[0].start)
            self.warn(line, col, gaps, "cloze-gap")
        media, ok = self.media_in(block)
        if ok:
            first = block.segments[0]
            content = ClozeContent(text, scan.spans)
            self.add_note(NoteKind.CLOZE, (first.line, first.column + 1), content, anchor, reset, media)

    def list_note(self, i: int) -> int:
        n = len(self.lines)
        title_end = i + 1
        while title_end < n and self.kind(title_end) is LineKind.TEXT:
            title_end += 1
        title = self.block(i, card_marker_width(self.lines[i]), title_end)
        first_item = self.next_nonblank(title_end)
        if first_item >= n or self.kind(first_item) is not LineKind.LIST_ITEM:
            self.err(i + 1, 1, "'List:' must be followed directly by a Markdown list (- item or 1. item)", "list")
            return title_end
        end = self.list_end(first_item)
        items = list(self.split_items(first_item, end))
        item_lines = [item.segments[0].line for item in items]  # kept even if an item ends up empty
        if items:
            last = items[-1]
            items[-1], anchor, reset = self.take_trailer(last)
            self.warn_stray_trailers(title, *items)
        else:
            anchor, reset = None, 0
        first = ITEM_RE.match(self.lines[first_item])
        assert first is not None
        ordered = first.group(3) is not None
        start = int(first.group(3)) if ordered else 1
        ok = True
        if len(items) < 2:
            self.err(i + 1, 1, f"a 'List:' needs at least two items (found {len(items)})", "list")
            ok = False
        if not title.text.strip():
            self.err(i + 1, 1, "a 'List:' needs a title after 'List:'", "list")
            ok = False
        media: list[MediaRef] = []
        for item, line in zip(items, item_lines, strict=True):
            if not item.text.strip():
                self.err(line, 1, "empty list item", "list")
                ok = False
            ok = self.check_no_cloze(item, "a List: item") and ok
            refs, refs_ok = self.media_in(item)
            media += refs
            ok = ok and refs_ok
        texts = [item.text for item in items]
        for index, text in enumerate(texts):
            if text.strip() and texts.index(text) != index:
                line = item_lines[index]
                self.err(line, 1, "the same item appears twice in this list", "list")
                ok = False
        refs, refs_ok = self.media_in(title)
        if ok and refs_ok and self.check_no_cloze(title, "a List: title"):
            content = ListContent(title.text, tuple(texts), ordered, start)
            self.add_note(NoteKind.LIST, (i + 1, 1), content, anchor, reset, refs + media)
        return end

    def list_end(self, i: int) -> int:
        n = len(self.lines)
        j = i
        while j < n:
            k = self.kind(j)
            line = self.lines[j]
            if k is LineKind.LIST_ITEM or (k is LineKind.TEXT and line.startswith((" ", "\t"))):
                j += 1
            elif k is LineKind.FENCE and line.startswith((" ", "\t")):
                j = self.fence_end(j) + 1
            elif k is LineKind.BLANK:
                nxt = self.next_nonblank(j)
                if nxt < n and (self.kind(nxt) is LineKind.LIST_ITEM or self.lines[nxt].startswith(("  ", "\t"))):
                    j = nxt
                else:
                    return j
            else:
                return j
        return j

    def occlusion(self, i: int) -> int:
        close = self.fence_end(i)
        if close >= len(self.lines):
            self.err(i + 1, 1, "occlusion block is never closed (missing closing ```)", "occlusion")
            return close
        block = parse_occlusion_body(self.lines, i, close, self.rel_path, self.display, self.err)
        closing_block = TextBlock((Segment(close + 1, 0, self.lines[close]),))
        rest, anchor, reset = self.take_trailer(closing_block)
        ok = block is not None
        if rest.text.strip().lstrip(self.lines[close].strip()[:1]).strip():
            self.err(close + 1, 1, "only ^id and !reset-N may follow the closing ``` of an occlusion block", "occlusion")
            ok = False
        if ok and block is not None:
            content, image_ref = block
            self.add_note(NoteKind.OCCLUSION, (i + 1, 1), content, anchor, reset, [image_ref])
        return close + 1


def _item_block(segments: list[Segment]) -> TextBlock:
    """A list item's text without blank edges; an empty item keeps its line for diagnostics."""
    block = TextBlock(tuple(segments)).strip_blank_edges()
    return block if block.segments else TextBlock((Segment(segments[0].line, segments[0].column, ""),))


def parse_text(text: str, rel_path: str, display: str) -> FileParse:
    """Parse one deck file's text. Never raises on any text."""
    return _FileParser(text, rel_path, display).run()


def decode(data: bytes, display: str) -> tuple[str | None, Diagnostic | None]:
    """UTF-8 text with a BOM and CRLF line ends removed, or a located error."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, error(
            display,
            line,
            col,
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            "encoding",
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, error(display, line, 1, "file contains NUL characters; is it a text file?", "encoding")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None
