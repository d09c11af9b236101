"""Paths written in deck files: deck names from file paths, and image references.

An image path is resolved against the deck file's folder and must stay inside
the deck root; remote URLs and absolute paths are refused, because the app
never fetches anything and decks are untrusted.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from urllib.parse import unquote

MD_IMAGE_RE = re.compile(r"!\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
# Bounded: "<img" repeated without ">" must not make the search quadratic.
HTML_IMG_RE = re.compile(r"<img\b[^>]{0,500}?\bsrc\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def default_deck_name(rel_path: str) -> str:
    """``pathology/calcification/dystrophic.md`` -> ``pathology::calcification::dystrophic``."""
    stem = rel_path[:-3] if rel_path.lower().endswith(".md") else rel_path
    return "::".join(part for part in stem.split("/") if part)


def rewrite_image_refs(text: str, images: dict[str, str] | Mapping[str, str]) -> str:
    """Replace image paths written in Markdown or raw HTML by their media file names."""
    if not images:
        return text

    def swap(m: re.Match[str]) -> str:
        raw = m.group(1)
        quote = raw[:1] if raw[:1] in "\"'" else ""
        written = raw.strip("\"'")
        name = images.get(written.strip().strip("<>"))
        if name is None:
            return m.group(0)
        start, end = m.span(1)
        return m.group(0)[: start - m.start()] + f"{quote}{name}{quote}" + m.group(0)[end - m.start() :]

    return HTML_IMG_RE.sub(swap, MD_IMAGE_RE.sub(swap, text))


def resolve_relative(rel_file: str, written: str) -> tuple[str | None, str | None]:
    """Resolve a path written in ``rel_file`` against the deck root.

    Returns (path relative to the deck root, None) or (None, reason it is refused).
    """
    target = unquote(written.strip().strip("<>"))
    if not target:
        return None, "empty image path"
    if target.startswith("//") or _SCHEME_RE.match(target):
        return None, (
            f"remote or non-file image '{written}' is not allowed: CalciDeck never fetches from the "
            "network; copy the image into the deck folder and use a relative path"
        )
    if target.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", target):
        return None, f"absolute image path '{written}' is not allowed: use a path relative to the deck file"
    if "\\" in target or "\x00" in target:
        return None, f"image path '{written}' must use forward slashes"
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel_file), target))
    if joined == ".." or joined.startswith("../"):
        return None, f"image path '{written}' escapes the deck root"
    return joined, None
