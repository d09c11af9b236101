"""Python-Markdown set-up for card sides: tables, sub/superscript, strikethrough.

``H~2~O`` gives a subscript, ``Ca^2+^`` a superscript and ``~~old~~`` a
strikethrough (Pandoc's syntax, which Anki users know from add-ons).
"""

from __future__ import annotations

import html
import re
from xml.etree import ElementTree

import markdown
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor

from calcideck.compiler.cloze import MARKER_CHARS

_DEL_RE = r"~~(?=\S)(.+?)(?<=\S)~~"
_SUB_RE = r"(?<!~)~(?!~)([^\s~]+)~(?!~)"
_SUP_RE = r"\^([^\s^]+)\^"


class _WrapProcessor(InlineProcessor):
    def __init__(self, pattern: str, tag: str, md: markdown.Markdown) -> None:
        super().__init__(pattern, md)
        self.tag = tag

    def handleMatch(  # type: ignore[override]  # noqa: N802 (InlineProcessor's signature, not Pattern's)
        self, m: re.Match[str], data: str
    ) -> tuple[ElementTree.Element, int, int]:
        el = ElementTree.Element(self.tag)
        el.text = m.group(1)
        return el, m.start(0), m.end(0)


class SubSupExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown API)
        md.inlinePatterns.register(_WrapProcessor(_DEL_RE, "del", md), "calcideck-del", 72)
        md.inlinePatterns.register(_WrapProcessor(_SUB_RE, "sub", md), "calcideck-sub", 71)
        md.inlinePatterns.register(_WrapProcessor(_SUP_RE, "sup", md), "calcideck-sup", 70)


def new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[TableExtension(use_align_attribute=True), "fenced_code", "sane_lists", SubSupExtension()],
        output_format="html",
    )


# Text that Markdown would only escape and wrap in <p>: one line, no character
# that starts any Markdown or HTML construct, not starting like a list item.
_PLAIN_CHARS = "".join(MARKER_CHARS)
_PLAIN_RE = re.compile(rf"^(?=[^\W\d_]|[\"'])[\w ,.;:?!'\"%/()\u2013\u2014{_PLAIN_CHARS}-]+(?<![\s!])\Z")


def is_plain(text: str) -> bool:
    """True if ``text`` renders as ``<p>`` + escaped text, so Markdown can be skipped.

    ``tests/compiler/test_markdown_fast_path.py`` checks this against Python-Markdown.
    """
    return bool(_PLAIN_RE.match(text)) and "_" not in text and "!(" not in text


def render_plain(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


_PLAIN_RUN = rf"[\w ,.;:?!'\"%/()\u2013\u2014{_PLAIN_CHARS}-]"
_EMPH_BODY = rf"[\w{_PLAIN_CHARS}](?:(?:(?!\*){_PLAIN_RUN})*[\w.){_PLAIN_CHARS}])?"
_EMPH_BEFORE = rf"(?<![^\s({_PLAIN_CHARS}])"  # at the start, or after a space, "(" or a placeholder
_EMPH_AFTER = rf"(?=[\s,.;:?!){_PLAIN_CHARS}]|\Z)"
_SIMPLE_TOKEN_RE = re.compile(
    r"(?<!`)`([^`\s](?:[^`\n]*[^`\s])?)`(?!`)"  # code
    rf"|{_EMPH_BEFORE}\*\*({_EMPH_BODY})\*\*{_EMPH_AFTER}"  # strong
    rf"|{_EMPH_BEFORE}\*({_EMPH_BODY})\*{_EMPH_AFTER}"  # emphasis
    r"|~([^\s~^*`\\<>&\[\]{}!_]+)~"  # subscript
    r"|\^([^\s^~*`\\<>&\[\]{}!_]+)\^"  # superscript
)
_SIMPLE_TEXT_RE = re.compile(rf"(?:{_PLAIN_RUN}|\n)*\Z")
_SIMPLE_LINE_RE = re.compile(r"^(?=[^\W\d_]|[\"'*`])[^\n]*(?<![\s!])\Z")


def render_simple(text: str) -> str | None:
    """HTML for a paragraph with only plain text, code, bold, italics, sub- and superscript.

    Returns None for anything else (the caller then uses Python-Markdown). The
    output is what Python-Markdown gives for the same text, which
    ``tests/compiler/test_fuzz.py`` checks on random inputs.
    """
    if "_" in text or "!(" in text or not all(_SIMPLE_LINE_RE.match(line) for line in text.split("\n")):
        return None
    out: list[str] = []
    pos = 0
    for m in _SIMPLE_TOKEN_RE.finditer(text):
        between = text[pos : m.start()]
        if not _SIMPLE_TEXT_RE.match(between):
            return None
        out.append(between)
        code, strong, em, sub, sup = m.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code, quote=False)}</code>")
        elif strong is not None:
            out.append(f"<strong>{strong}</strong>")
        elif em is not None:
            out.append(f"<em>{em}</em>")
        elif sub is not None:
            out.append(f"<sub>{html.escape(sub, quote=False)}</sub>")
        else:
            out.append(f"<sup>{html.escape(sup, quote=False)}</sup>")
        pos = m.end()
    rest = text[pos:]
    if not _SIMPLE_TEXT_RE.match(rest):
        return None
    out.append(rest)
    return f"<p>{''.join(out)}</p>"
