"""YAML front matter: ``deck``, ``tags`` and ``lang`` between ``---`` lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

from calcideck.core.diagnostics import Diagnostic, error, warning

KNOWN_KEYS = ("deck", "tags", "lang")
_TAG_RE = re.compile(r"^[^\s\"]+$")
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_DECK_PART_RE = re.compile(r"^\S(?:.*\S)?$")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    deck: str | None = None
    tags: tuple[str, ...] = ()
    lang: str | None = None
    end_line: int = 0  # 1-based line of the closing '---' (0: no front matter)
    diagnostics: tuple[Diagnostic, ...] = field(default=())


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML without aliases: ``*name`` can make a few lines expand to gigabytes."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in front matter", event.start_mark)
        return super().compose_node(parent, index)


def split_front_matter(lines: list[str]) -> tuple[list[str], int] | None:
    """The YAML lines and the index of the closing line, or None if there is no front matter."""
    if not lines or lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return lines[1:index], index
    return lines[1:], -1


def parse_front_matter(lines: list[str], path: str) -> FrontMatter:
    found = split_front_matter(lines)
    if found is None:
        return FrontMatter()
    body, closing = found
    if closing < 0:
        return FrontMatter(
            end_line=len(lines),
            diagnostics=(error(path, 1, 1, "front matter opened with '---' is never closed", "front-matter"),),
        )
    diags: list[Diagnostic] = []
    try:
        data = yaml.load("\n".join(body), Loader=_FrontMatterLoader) if body else {}  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        col = mark.column + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return FrontMatter(
            end_line=closing + 1,
            diagnostics=(error(path, line, col, f"invalid front matter: {reason}", "front-matter"),),
        )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return FrontMatter(
            end_line=closing + 1,
            diagnostics=(error(path, 2, 1, "front matter must be a mapping of keys (deck, tags, lang)", "front-matter"),),
        )

    def where(key: str) -> tuple[int, int]:
        for offset, text in enumerate(body):
            if text.lstrip().startswith(f"{key}:"):
                return offset + 2, len(text) - len(text.lstrip()) + 1
        return 2, 1

    def problem(key: str, message: str, make: Callable[..., Diagnostic] = error) -> None:
        diags.append(make(path, *where(key), message, "front-matter"))

    for key in data:
        if key not in KNOWN_KEYS:
            problem(str(key), f"unknown front matter key '{key}' (known: deck, tags, lang)", warning)

    deck = data.get("deck")
    if deck is not None:
        parts = str(deck).split("::") if isinstance(deck, str) else []
        if not isinstance(deck, str) or not all(_DECK_PART_RE.match(p) for p in parts):
            problem("deck", "'deck' must be a name like Pathology::Calcification (no empty parts)")
            deck = None

    tags_value = data.get("tags", [])
    tags: list[str] = []
    if isinstance(tags_value, str):
        tags_value = tags_value.replace(",", " ").split()
    if not isinstance(tags_value, list):
        problem("tags", "'tags' must be a list, e.g. tags: [pathology, calcification]")
    else:
        for tag in tags_value:
            if not isinstance(tag, str | int | float) or not _TAG_RE.match(str(tag)):
                problem("tags", f"invalid tag {_short(repr(tag))}: tags are single words without spaces")
            else:
                tags.append(str(tag))

    lang = data.get("lang")
    if lang is not None and (not isinstance(lang, str) or not _LANG_RE.match(lang)):
        problem("lang", f"invalid lang {_short(repr(lang))}: use a language code such as en or tr")
        lang = None

    return FrontMatter(
        deck=deck,
        tags=tuple(dict.fromkeys(tags)),
        lang=lang,
        end_line=closing + 1,
        diagnostics=tuple(diags),
    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
