"""Anki-style clozes: ``{{c1::text}}`` and ``{{c1::text::hint}}``.

Scanning works on the Markdown source so that every problem has an offset
(the parser turns it into line:column). Code spans and math (``$...$``,
``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) are skipped: braces there are content.

Rendering happens once per note: each cloze is replaced by private-use
placeholder characters, the text goes through Markdown once, and each card's
question and answer are cut from that HTML (see :func:`cards_from_html`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

OPEN = "\ue000"
OPEN_END = "\ue001"
CLOSE = "\ue002"
MARKER_CHARS = (OPEN, OPEN_END, CLOSE)

_OPEN_RE = re.compile(r"\{\{c(\d+)::")
# Things that look like an attempt at a cloze but are not well formed.
_MALFORMED_RE = re.compile(r"\{\{\s*[cC]\s*\d*\s*:{0,3}")
_TOKEN_RE = re.compile(f"{OPEN}(\\d+){OPEN_END}|{CLOSE}")
_TAG_RE = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class ClozeSpan:
    number: int
    start: int  # offset of "{{"
    content_start: int
    content_end: int  # end of the revealed text (before "::hint" or "}}")
    end: int  # offset after "}}"
    hint: str | None


@dataclass(frozen=True, slots=True)
class ClozeProblem:
    offset: int
    message: str
    is_error: bool = True


@dataclass(frozen=True, slots=True)
class ClozeScan:
    spans: tuple[ClozeSpan, ...]
    problems: tuple[ClozeProblem, ...]

    @property
    def numbers(self) -> list[int]:
        return sorted({s.number for s in self.spans})

    @property
    def found(self) -> bool:
        """True if the text has clozes or attempts at them."""
        return bool(self.spans or self.problems)


def _skip_code_span(text: str, i: int) -> int:
    run = 0
    while i + run < len(text) and text[i + run] == "`":
        run += 1
    closer = re.compile(f"(?<!`){'`' * run}(?!`)")
    m = closer.search(text, i + run)
    return m.end() if m else i + run


def _skip_math(text: str, i: int) -> int | None:
    """Offset after a math span starting at ``i``, or None if none starts there."""
    for opener, closer in (("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(opener, i):
            j = text.find(closer, i + len(opener))
            return j + len(closer) if j >= 0 else None
    # Inline TeX as MathJax and Anki read it: no space inside the dollars.
    if text[i] == "$" and i + 1 < len(text) and text[i + 1] not in " \t\n$":
        j = i + 1
        while j < len(text) and text[j] != "\n":
            if text[j] == "$" and text[j - 1] not in " \t\\":
                return j + 1
            j += 1
    return None


def _skip_verbatim(text: str, i: int) -> int | None:
    """Offset after a code span, math span or HTML comment starting at ``i`` (None if none does)."""
    c = text[i]
    if c == "`":
        return _skip_code_span(text, i)
    if c in "$\\":
        return _skip_math(text, i)
    if c == "<" and text.startswith("<!--", i):
        end = text.find("-->", i + 4)
        return end + 3 if end >= 0 else len(text)
    return None


def math_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every math span outside code spans and HTML comments."""
    spans: list[tuple[int, int]] = []
    i = 0
    while (stop := _MATH_STOPS.search(text, i)) is not None:
        i = stop.start()
        after = _skip_verbatim(text, i)
        if after is None:
            i += 2 if text[i] == "\\" else 1
            continue
        if text[i] in "$\\":
            spans.append((i, after))
        i = after
    return spans


_NO_CLOZES = ClozeScan((), ())
_SCAN_STOPS = re.compile(r"[`$\\{:}<]")  # the only characters scan() acts on
_MATH_STOPS = re.compile(r"[`$\\<]")


def scan(text: str) -> ClozeScan:
    if "{{" not in text:
        return _NO_CLOZES  # every span and every problem starts at "{{"
    spans: list[ClozeSpan] = []
    problems: list[ClozeProblem] = []
    # Stack entries: [number, start, content_start, hint_sep or -1]
    stack: list[list[int]] = []
    i = 0
    while (stop := _SCAN_STOPS.search(text, i)) is not None:
        i = stop.start()
        c = text[i]
        skipped = _skip_verbatim(text, i)
        if skipped is not None:
            i = skipped
            continue
        if c == "\\":
            i += 2
            continue
        if c == "{" and text.startswith("{{", i):
            m = _OPEN_RE.match(text, i)
            if m:
                number = int(m.group(1))
                if number == 0:
                    problems.append(ClozeProblem(i, "cloze numbers start at c1, not c0"))
                stack.append([number, i, m.end(), -1])
                i = m.end()
                continue
            bad = _MALFORMED_RE.match(text, i)
            if bad and len(bad.group(0)) > 2:
                problems.append(
                    ClozeProblem(
                        i,
                        f"malformed cloze '{bad.group(0)}': write {{{{c1::text}}}} or {{{{c1::text::hint}}}}",
                    )
                )
            i += 2
            continue
        if stack and c == ":" and text.startswith("::", i) and stack[-1][3] < 0:
            stack[-1][3] = i
            i += 2
            continue
        if stack and c == "}" and text.startswith("}}", i):
            number, start, content_start, sep = stack.pop()
            content_end = sep if sep >= 0 else i
            hint = text[sep + 2 : i].strip() if sep >= 0 else None
            if not text[content_start:content_end].strip():
                problems.append(ClozeProblem(start, f"cloze c{number} is empty"))
            if hint is not None and not hint:
                problems.append(ClozeProblem(sep, f"cloze c{number} has an empty hint after '::'"))
            spans.append(ClozeSpan(number, start, content_start, content_end, i + 2, hint or None))
            i += 2
            continue
        i += 1
    for number, start, _content_start, _sep in stack:
        problems.append(ClozeProblem(start, f"unclosed cloze {{{{c{number}:: (missing '}}}}')"))
    spans.sort(key=lambda s: s.start)
    return ClozeScan(tuple(spans), tuple(problems))


def gap_warning(numbers: list[int]) -> str | None:
    """A warning text when cloze numbers skip some (c1, c3 without c2)."""
    if not numbers:
        return None
    missing = [n for n in range(1, numbers[-1] + 1) if n not in numbers]
    if not missing:
        return None
    names = ", ".join(f"c{n}" for n in missing)
    return f"cloze numbers have gaps: {names} missing (is a number mistyped?)"


def to_markers(text: str, spans: tuple[ClozeSpan, ...]) -> str:
    """Replace each cloze's syntax by placeholders; hints are dropped (kept in spans)."""
    edits: list[tuple[int, int, str]] = []
    for index, span in enumerate(spans):
        edits.append((span.start, span.content_start, f"{OPEN}{index}{OPEN_END}"))
        edits.append((span.content_end, span.end, CLOSE))
    edits.sort()
    out: list[str] = []
    pos = 0
    for start, end, repl in edits:
        out.append(text[pos:start])
        out.append(repl)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def strip_markers(text: str) -> str:
    return _TOKEN_RE.sub("", text)


def markers_inside_tags(rendered: str) -> bool:
    """True if Markdown put a placeholder inside a tag (a cloze in a link target or alt text)."""
    return any(ch in m.group(0) for m in _TAG_RE.finditer(rendered) for ch in MARKER_CHARS)


def _side(rendered: str, spans: tuple[ClozeSpan, ...], number: int, *, answer: bool) -> str:
    """One side of card ``number``."""
    out: list[str] = []
    pos = 0
    hidden_depth = 0  # >0 while inside the active cloze on the question side
    active_stack: list[bool] = []
    for m in _TOKEN_RE.finditer(rendered):
        segment = rendered[pos : m.start()]
        pos = m.end()
        if not hidden_depth:
            out.append(segment)
        if m.group(1) is not None:
            span = spans[int(m.group(1))]
            is_active = span.number == number
            active_stack.append(is_active)
            if hidden_depth:
                hidden_depth += 1
            elif is_active and not answer:
                shown = html.escape(span.hint) if span.hint else "..."
                out.append(f'<span class="cloze">[{shown}]</span>')
                hidden_depth = 1
            elif is_active:
                out.append('<span class="cloze">')
        else:
            was_active = active_stack.pop() if active_stack else False
            if hidden_depth:
                hidden_depth -= 1
            elif was_active and answer:
                out.append("</span>")
    out.append(rendered[pos:])
    return "".join(out)


def cards_from_html(rendered: str, spans: tuple[ClozeSpan, ...]) -> dict[int, tuple[str, str, bool]]:
    """For each cloze number: (question HTML, answer HTML, needs re-balancing).

    Hiding or wrapping a cloze whose HTML is not balanced on its own (it starts
    inside one element and ends in another, as in ``**a {{c1::b** c}}``) leaves
    the card's tags unbalanced; the caller re-parses those with the sanitiser.
    """
    unbalanced_numbers = {spans[k].number for k, inner in _inner_html(rendered).items() if not _balanced(inner)}
    result: dict[int, tuple[str, str, bool]] = {}
    for number in sorted({s.number for s in spans}):
        question = _side(rendered, spans, number, answer=False)
        answer = _side(rendered, spans, number, answer=True)
        result[number] = (question, answer, number in unbalanced_numbers)
    return result


def _inner_html(rendered: str) -> dict[int, str]:
    """The HTML between each cloze's placeholders, by span index."""
    inner: dict[int, str] = {}
    stack: list[tuple[int, int]] = []
    for m in _TOKEN_RE.finditer(rendered):
        if m.group(1) is not None:
            stack.append((int(m.group(1)), m.end()))
        elif stack:
            index, start = stack.pop()
            inner[index] = rendered[start : m.start()]
    return inner


_VOID_TAGS = frozenset({"br", "hr", "img", "wbr"})
_TAG_NAME_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*>")


def _balanced(fragment: str) -> bool:
    """True if every element opened in ``fragment`` is closed in it, and nothing else is closed."""
    if "<" not in fragment:
        return True
    open_tags: list[str] = []
    for m in _TAG_NAME_RE.finditer(fragment):
        name = m.group(2).lower()
        if name in _VOID_TAGS:
            continue
        if not m.group(1):
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            return False
    return not open_tags
