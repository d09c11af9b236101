"""From paths on disk to parsed notes, loaded media and diagnostics (no store)."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from calcideck.compiler.ir import CompiledNote, MediaRef, ParsedNote
from calcideck.compiler.media import MediaBlob, MediaError, load_image
from calcideck.compiler.parser import decode, parse_text
from calcideck.compiler.render import NoteRenderer, RenderError
from calcideck.core.diagnostics import Diagnostic, SourceLocation, error, sort_key, warning

SKIPPED_NAMES = {"readme.md"}  # a deck folder's README explains the deck; it is not a deck file


@dataclass(frozen=True, slots=True)
class DeckRoot:
    """A folder of deck files. ``name`` identifies it in the collection (its folder name).

    ``scopes`` says which part of the root this run covers: ``("",)`` for the
    whole root, else the files and subfolders (``"sub/"``) that were named. Only
    notes inside the scopes can be retired by a build.
    """

    path: Path  # resolved, absolute
    display: str  # as the user wrote it, for messages
    name: str
    files: tuple[str, ...]  # POSIX paths relative to ``path``
    scopes: tuple[str, ...] = ("",)

    def display_of(self, rel: str) -> str:
        return _display_path(self.display, rel)

    def covers(self, rel: str) -> bool:
        return any(rel == scope or ((scope.endswith("/") or scope == "") and rel.startswith(scope)) for scope in self.scopes)


@functools.lru_cache(maxsize=4096)
def _display_path(root_display: str, rel: str) -> str:
    return os.path.join(root_display, *rel.split("/")) if root_display not in ("", ".") else rel


def _is_deck_file(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(".md") and lower not in SKIPPED_NAMES and not name.startswith(".")


def _deck_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [Path(dirpath) / name for name in filenames if _is_deck_file(name)]
    return found


def _root_display(shown: str, root: Path, target: Path) -> str:
    """How to print the root: the user's spelling without the part below the root."""
    depth = len(target.relative_to(root).parts)
    parts = Path(shown).parts
    if depth and len(parts) >= depth and ".." not in parts[-depth:]:
        return os.path.join(*parts[:-depth]) if len(parts) > depth else "."
    return shown if depth == 0 else str(root)


def discover(
    paths: Sequence[str | os.PathLike[str]], known_roots: Sequence[Path] = ()
) -> tuple[list[DeckRoot], list[Diagnostic]]:
    """Deck roots for the given files and folders.

    A folder is a deck root, unless it lies inside one of ``known_roots`` (deck
    roots built before): then it, like a single file, is a part of that root.
    A file outside every known root belongs to the root of its own folder.
    """
    known = sorted({r.resolve() for r in known_roots}, key=lambda r: len(r.parts), reverse=True)
    roots: dict[Path, tuple[str, set[str], set[str]]] = {}
    diags: list[Diagnostic] = []
    for given in paths:
        shown = os.fspath(given)
        p = Path(given)
        if not p.exists():
            diags.append(error(shown, 1, 1, "no such file or folder", "path"))
            continue
        target = p.resolve()
        if p.is_file() and not _is_deck_file(p.name):
            diags.append(error(shown, 1, 1, "not a deck file: deck files end in .md", "path"))
            continue
        root = next((r for r in known if target.is_relative_to(r)), target if p.is_dir() else target.parent)
        _display, files, scopes = roots.setdefault(root, (_root_display(shown, root, target), set(), set()))
        rel = target.relative_to(root).as_posix()
        if p.is_dir():
            files.update(f.relative_to(root).as_posix() for f in _deck_files(target))
            scopes.add("" if rel == "." else f"{rel}/")
        else:
            files.add(rel)
            scopes.add(rel)
    result = [
        DeckRoot(path, shown, path.name or "root", tuple(sorted(files)), ("",) if "" in scopes else tuple(sorted(scopes)))
        for path, (shown, files, scopes) in roots.items()
    ]
    return result, diags


MAX_DECK_FILE_BYTES = 8 * 1024 * 1024  # a deck file is text an instructor writes; more is a mistake or an attack


def read_file(root: DeckRoot, rel: str) -> tuple[bytes | None, Diagnostic | None]:
    """A deck file's bytes, refusing links that lead outside the root and oversized files."""
    shown = root.display_of(rel)
    try:
        real = (root.path / rel).resolve(strict=True)
        if not real.is_relative_to(root.path):
            return None, error(shown, 1, 1, "deck file is a link to a file outside the deck root", "path")
        size = real.stat().st_size
        if size > MAX_DECK_FILE_BYTES:
            limit = MAX_DECK_FILE_BYTES // (1024 * 1024)
            return None, error(shown, 1, 1, f"deck file is larger than {limit} MB; split it into several files", "io")
        return real.read_bytes(), None
    except (OSError, RuntimeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, error(shown, 1, 1, f"cannot read file: {reason}", "io")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class MediaLoader:
    """Loads images once per build, refusing anything outside the deck root."""

    def __init__(self, root: DeckRoot | None) -> None:
        self.root = root
        self.loaded: dict[str, MediaBlob] = {}
        self._failed: dict[str, str] = {}

    @classmethod
    def with_loaded(cls, media: dict[str, MediaBlob]) -> MediaLoader:
        """A loader that only knows images loaded elsewhere (for rendering in a worker)."""
        loader = cls(None)
        loader.loaded = dict(media)
        return loader

    def load(self, ref: MediaRef) -> MediaBlob | Diagnostic:
        if ref.path in self.loaded:
            return self.loaded[ref.path]
        if ref.path not in self._failed:
            try:
                self.loaded[ref.path] = self._load(ref)
                return self.loaded[ref.path]
            except MediaError as exc:
                self._failed[ref.path] = exc.message
        loc = ref.location
        return error(loc.path, loc.line, loc.column, self._failed[ref.path], "image")

    def _load(self, ref: MediaRef) -> MediaBlob:
        if self.root is None:  # a worker's loader: the parent loaded every image before rendering
            raise RuntimeError(f"internal error: {ref.path} should have been loaded before rendering")
        full = self.root.path / ref.path
        try:
            real = full.resolve(strict=True)
        except (OSError, RuntimeError):
            raise MediaError(f"image '{ref.written}' not found (looked for {ref.path} in the deck folder)") from None
        if not real.is_relative_to(self.root.path):
            raise MediaError(f"image '{ref.written}' escapes the deck root (through a link)")
        return load_image(real, ref.written)

    def digest(self, paths: Iterable[str]) -> str:
        """Digest of the images a file uses (missing ones count too), to detect changes."""
        h = hashlib.sha256()
        for path in sorted(set(paths)):
            blob = self.loaded.get(path)
            h.update(f"{path}={blob.sha256 if blob else '-'}\n".encode())
        return h.hexdigest()

    def current_digest(self, paths: Iterable[str]) -> str:
        """Like :meth:`digest`, reading the images now (used for files not re-parsed)."""
        for path in set(paths):
            if path not in self.loaded:
                self.load(MediaRef(path, path, SourceLocation(self.root.display_of(path) if self.root else path)))
        return self.digest(paths)


@dataclass(slots=True)
class ParsedFile:
    rel: str
    sha256: str
    notes: list[ParsedNote]
    media_paths: list[str]


def parse_file(root: DeckRoot, rel: str, data: bytes, loader: MediaLoader) -> tuple[ParsedFile, list[Diagnostic]]:
    display = root.display_of(rel)
    text, problem = decode(data, display)
    if text is None:
        return ParsedFile(rel, sha256(data), [], []), [problem] if problem else []
    result = parse_text(text, rel, display)
    diags = list(result.diagnostics)
    kept: list[ParsedNote] = []
    for note in result.notes:
        failures = [d for d in (loader.load(ref) for ref in note.media) if isinstance(d, Diagnostic)]
        diags.extend(failures)
        if not failures:
            kept.append(note)
    media_paths = sorted({ref.path for note in result.notes for ref in note.media})
    return ParsedFile(rel, sha256(data), kept, media_paths), diags


@dataclass(frozen=True, slots=True)
class NoteSummary:
    """What cross-file checks need to know of a note, parsed now or stored earlier."""

    anchor: str | None
    deck: str
    fingerprint: str
    location: SourceLocation


def summary(note: ParsedNote) -> NoteSummary:
    return NoteSummary(note.anchor, note.deck, note.fingerprint, note.location)


def cross_check(notes: Iterable[NoteSummary]) -> list[Diagnostic]:
    """Duplicate ids in a deck root (errors) and identical notes in one deck (warnings)."""
    diags: list[Diagnostic] = []
    anchors: dict[str, NoteSummary] = {}
    texts: dict[tuple[str, str], NoteSummary] = {}
    for note in sorted(notes, key=lambda n: n.location):
        loc = note.location
        if note.anchor is not None:
            first = anchors.setdefault(note.anchor, note)
            if first is not note:
                diags.append(
                    error(
                        loc.path,
                        loc.line,
                        loc.column,
                        f"duplicate id ^{note.anchor} (first used at {first.location})",
                        "duplicate-id",
                    )
                )
        key = (note.deck, note.fingerprint)
        first_text = texts.setdefault(key, note)
        if first_text is not note:
            diags.append(
                warning(
                    loc.path,
                    loc.line,
                    loc.column,
                    f"this card has the same text as the one at {first_text.location} in deck {note.deck}",
                    "duplicate-text",
                )
            )
    return diags


def render_notes(
    notes: Sequence[ParsedNote], loader: MediaLoader, renderer: NoteRenderer | None = None
) -> tuple[list[CompiledNote], list[Diagnostic]]:
    renderer = renderer or NoteRenderer()
    compiled: list[CompiledNote] = []
    diags: list[Diagnostic] = []
    for note in notes:
        try:
            compiled.append(renderer.render(note, loader.loaded))
        except RenderError as exc:
            loc = note.location
            diags.append(error(loc.path, loc.line, loc.column, str(exc), "render"))
    return compiled, diags


@dataclass(slots=True)
class CheckResult:
    notes: list[CompiledNote]
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def check_paths(paths: Sequence[str | os.PathLike[str]]) -> CheckResult:
    """Compile everything under ``paths`` without touching any store."""
    roots, diags = discover(paths)
    compiled: list[CompiledNote] = []
    for root in roots:
        loader = MediaLoader(root)
        parsed: list[ParsedNote] = []
        for rel in root.files:
            data, problem = read_file(root, rel)
            if data is None:
                diags.append(problem)  # type: ignore[arg-type]
                continue
            pf, file_diags = parse_file(root, rel, data, loader)
            diags.extend(file_diags)
            parsed.extend(pf.notes)
        diags.extend(cross_check(summary(n) for n in parsed))
        notes, render_diags = render_notes(parsed, loader)
        compiled.extend(notes)
        diags.extend(render_diags)
    diags.sort(key=sort_key)
    return CheckResult(compiled, diags)
