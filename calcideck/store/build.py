"""Applying a compile to the store: one transaction per build, identity kept.

Files whose bytes (and images) are unchanged are not parsed again; notes whose
content is unchanged are not rendered again. Everything a build writes happens
in one transaction: a build with any error, or one killed half-way, leaves the
collection exactly as it was.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from calcideck.compiler.driver import (
    DeckRoot,
    MediaLoader,
    NoteSummary,
    ParsedFile,
    cross_check,
    discover,
    parse_file,
    read_file,
    summary,
)
from calcideck.compiler.ir import CompiledCard, CompiledNote, ParsedNote, content_fields
from calcideck.compiler.render import media_files, render_key
from calcideck.compiler.workers import BuildWorkers
from calcideck.core.diagnostics import Diagnostic, SourceLocation, sort_key
from calcideck.store import identity
from calcideck.store.engine import bulk_insert
from calcideck.store.models import (
    BuildRunRow,
    CardRow,
    DeckRow,
    MediaRow,
    NoteMediaRow,
    NoteRow,
    SourceFileRow,
    SourceRow,
)

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
        }


@dataclass(slots=True)
class BuildReport:
    """What a build did; ``ok`` is False when errors stopped it (nothing was written)."""

    notes: Counts = field(default_factory=Counts)
    cards: Counts = field(default_factory=Counts)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def to_json(self) -> dict[str, Any]:
        return {
            "notes": self.notes.to_json(),
            "cards": self.cards.to_json(),
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


class _AbortBuildError(Exception):
    """Raised inside the build transaction to roll it back when there are errors."""


def build(session: Session, paths: Sequence[str | os.PathLike[str]], now: datetime | None = None) -> BuildReport:
    """Compile ``paths`` into the collection behind ``session`` (one transaction)."""
    now = now or datetime.now(UTC)
    report = BuildReport()
    known = [Path(p) for p in session.scalars(select(SourceRow.root_path))]
    session.rollback()  # end the read: the build's transaction starts below
    roots, diags = discover(paths, known)
    report.diagnostics.extend(diags)
    if not report.ok:
        return report
    try:
        workers = BuildWorkers()
        with session.begin(), _no_cyclic_gc():
            for root in roots:
                _RootBuild(session, root, now, report, workers).run()
            report.diagnostics.sort(key=sort_key)
            if not report.ok:
                raise _AbortBuildError
            session.execute(
                insert(BuildRunRow).values(
                    started_at=now,
                    finished_at=datetime.now(UTC),
                    status="ok",
                    summary={
                        "paths": [os.fspath(p) for p in paths],
                        **report.to_json(),
                        "diagnostics": len(report.diagnostics),
                    },
                )
            )
    except _AbortBuildError:
        report.notes, report.cards = Counts(), Counts()
    return report


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during a build.

    A build allocates hundreds of thousands of small objects without cycles;
    the collector's full passes over them cost about a tenth of a large build.
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def meta_key(note: ParsedNote) -> str:
    """Digest of what a note carries besides its content: deck, breadcrumb, tags, language."""
    parts = (note.deck, "\x1e".join(note.breadcrumb), "\x1e".join(note.tags), note.lang or "")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _guid(source: str, seed: str) -> str:
    return hashlib.sha256(f"{source}\x1f{seed}".encode()).hexdigest()[:20]


class _RootBuild:
    def __init__(self, session: Session, root: DeckRoot, now: datetime, report: BuildReport, workers: BuildWorkers) -> None:
        self.s = session
        self.workers = workers
        self.root = root
        self.now = now
        self.report = report
        self.loader = MediaLoader(root)
        self.deck_ids: dict[str, int] = {}

    # -- reading -------------------------------------------------------------

    def run(self) -> None:
        source = self.s.scalar(select(SourceRow).where(SourceRow.name == self.root.name))
        if source is None:
            source = SourceRow(name=self.root.name, root_path=str(self.root.path), created_at=self.now)
            self.s.add(source)
            self.s.flush()
        source.root_path = str(self.root.path)
        self.source_id = source.id
        self.deck_ids = {name: deck_id for name, deck_id in self.s.execute(select(DeckRow.name, DeckRow.id))}
        stored_files = {f.path: f for f in self.s.scalars(select(SourceFileRow).where(SourceFileRow.source_id == source.id))}
        to_parse: list[tuple[str, bytes]] = []
        unchanged_files: list[str] = []
        for rel in self.root.files:
            data, problem = read_file(self.root, rel)
            if data is None:
                self.report.diagnostics.append(problem)  # type: ignore[arg-type]
                continue
            known = stored_files.get(rel)
            digest = hashlib.sha256(data).hexdigest()
            if (
                known is not None
                and known.sha256 == digest
                and self.loader.current_digest(known.media_paths) == known.media_digest
            ):
                unchanged_files.append(rel)
                continue
            to_parse.append((rel, data))
        parsed: dict[str, ParsedFile] = {}
        for rel, data in to_parse:
            pf, file_diags = parse_file(self.root, rel, data, self.loader)
            self.report.diagnostics.extend(file_diags)
            parsed[rel] = pf
        deleted_files = [rel for rel in stored_files if rel not in self.root.files and self.root.covers(rel)]
        if not parsed and not deleted_files:
            self._count_unchanged(unchanged_files)
            return
        incoming = [n for pf in parsed.values() for n in pf.notes]
        # Ids must stay unique across the whole root, including files this run does not cover.
        outside = [rel for rel in stored_files if rel not in self.root.files and not self.root.covers(rel)]
        stored = self._stored_summaries(unchanged_files + outside)
        self.report.diagnostics.extend(cross_check([*map(summary, incoming), *stored]))
        if not self.report.ok:
            return
        self._apply(incoming, list(parsed) + deleted_files, unchanged_files)
        self._write_files(parsed, stored_files, deleted_files)

    def _stored_summaries(self, files: list[str]) -> list[NoteSummary]:
        if not files:
            return []
        rows = self.s.execute(
            select(NoteRow.anchor, DeckRow.name, NoteRow.fingerprint, NoteRow.file_path, NoteRow.line)
            .join(DeckRow, DeckRow.id == NoteRow.deck_id)
            .where(
                NoteRow.source_id == self.source_id,
                NoteRow.retired_at.is_(None),
                NoteRow.file_path.in_(files),
            )
        )
        return [
            NoteSummary(anchor, deck, fp, SourceLocation(self.root.display_of(path), line, 1))
            for anchor, deck, fp, path, line in rows
        ]

    def _count_unchanged(self, files: list[str]) -> None:
        if not files:
            return
        notes = self.s.scalar(
            select(func.count(NoteRow.id)).where(
                NoteRow.source_id == self.source_id,
                NoteRow.retired_at.is_(None),
                NoteRow.file_path.in_(files),
            )
        )
        cards = self.s.scalar(
            select(func.count(CardRow.id))
            .join(NoteRow, NoteRow.id == CardRow.note_id)
            .where(
                NoteRow.source_id == self.source_id,
                NoteRow.retired_at.is_(None),
                NoteRow.file_path.in_(files),
                CardRow.retired_at.is_(None),
            )
        )
        self.report.notes.unchanged += notes or 0
        self.report.cards.unchanged += cards or 0

    # -- matching and writing --------------------------------------------------

    def _apply(self, incoming: list[ParsedNote], scope_files: list[str], unchanged_files: list[str]) -> None:
        cols = (
            NoteRow.id,
            NoteRow.kind,
            NoteRow.anchor,
            NoteRow.fingerprint,
            NoteRow.file_path,
            NoteRow.position,
            NoteRow.retired_at,
            NoteRow.render_key,
            NoteRow.meaning_rev,
            NoteRow.meta_key,
            NoteRow.line,
            NoteRow.deck_id,
        )
        rows = self.s.execute(
            select(*cols).where(
                NoteRow.source_id == self.source_id,
                NoteRow.file_path.in_(scope_files) | NoteRow.retired_at.is_not(None),
            )
        ).all()
        stored = {r.id: r for r in rows}
        stored_decks = {r.id: r.deck_id for r in rows}
        matches = identity.match_notes(
            [
                identity.Incoming(i, n.kind, n.anchor, n.fingerprint, n.path, n.position, n.source_text)
                for i, n in enumerate(incoming)
            ],
            [
                identity.Stored(r.id, r.kind, r.anchor, r.fingerprint, r.file_path, r.position, r.retired_at is not None)
                for r in rows
            ],
            self._source_texts,
        )
        # Render only what is new or changed; the workers start now, and every
        # row that does not need the rendered HTML is written while they work.
        keys = [render_key(n, self.loader.loaded) for n in incoming]
        to_render = [
            n
            for i, n in enumerate(incoming)
            if i not in matches or stored[matches[i]].render_key != keys[i] or n.meaning_rev > stored[matches[i]].meaning_rev
        ]
        rendering = {id(n) for n in to_render}
        with self.workers.start(to_render, self.loader) as stream:
            self._store_media()
            note_counts = self.report.notes
            new_notes: list[tuple[ParsedNote, str]] = []  # (note, render key)
            note_updates: list[dict[str, Any]] = []
            moves: list[dict[str, Any]] = []
            anchors_to_clear: list[int] = []
            rerendered: dict[int, tuple[int, bool]] = {}  # id(parsed note) -> (note id, meaning reset)
            revived_unchanged: list[int] = []
            media_links: dict[int, tuple[str, ...]] = {}
            for i, n in enumerate(incoming):
                if i not in matches:
                    new_notes.append((n, keys[i]))
                    continue
                row = stored[matches[i]]
                reset = n.meaning_rev > row.meaning_rev
                content_changed = id(n) in rendering
                meta = meta_key(n)
                changed = content_changed or meta != row.meta_key or n.anchor != row.anchor or n.path != row.file_path
                revived = row.retired_at is not None
                if changed or revived:
                    if row.anchor is not None and row.anchor != n.anchor:
                        anchors_to_clear.append(row.id)
                    note_updates.append(
                        {
                            "id": row.id,
                            "deck_id": self._deck_id(n.deck),
                            "kind": n.kind.value,
                            "file_path": n.path,
                            "position": n.position,
                            "line": n.location.line,
                            "fingerprint": n.fingerprint,
                            "source_text": n.source_text,
                            "breadcrumb": list(n.breadcrumb),
                            "tags": list(n.tags),
                            "lang": n.lang,
                            "fields": content_fields(n.content),
                            "retired_at": None,
                            "meaning_rev": max(n.meaning_rev, row.meaning_rev),
                            "anchor": n.anchor,
                            "render_key": keys[i],
                            "meta_key": meta,
                            "updated_at": self.now,
                        }
                    )
                elif n.position != row.position or n.location.line != row.line:
                    # Moved within its file by edits around it: not a change of the note.
                    moves.append({"id": row.id, "position": n.position, "line": n.location.line})
                if revived:
                    note_counts.added += 1
                elif changed:
                    note_counts.updated += 1
                else:
                    note_counts.unchanged += 1
                if content_changed:
                    rerendered[id(n)] = (row.id, reset)
                    media_links[row.id] = media_files(n, self.loader.loaded)
                elif revived:
                    revived_unchanged.append(row.id)
            matched_ids = set(matches.values())
            retire_ids = [r.id for r in rows if r.id not in matched_ids and r.retired_at is None]

            # Anchors are unique per source: clear the ones that move before setting new ones.
            if anchors_to_clear:
                self.s.execute(update(NoteRow).where(NoteRow.id.in_(anchors_to_clear)).values(anchor=None))
            for batch in (note_updates, moves):
                if batch:
                    self.s.execute(update(NoteRow), batch)
            self._move_cards_with_notes(note_updates, stored_decks)
            if retire_ids:
                self._retire_notes(retire_ids)
            new_ids = self._insert_notes(new_notes, media_links)
            self._revive_cards(revived_unchanged)
            self._link_media(media_links)

            # Now the rendered cards, chunk by chunk as the workers finish them.
            changed_notes: list[tuple[int, CompiledNote, bool]] = []
            failed = False
            for compiled, diags in stream:
                if diags or failed:
                    self.report.diagnostics.extend(diags)
                    failed = True  # keep reading: report every failing note, then the build stops
                    continue
                self._insert_cards(
                    (new_ids[id(c.parsed)], self._deck_id(c.parsed.deck), card)
                    for c in compiled
                    if id(c.parsed) in new_ids
                    for card in c.cards
                )
                for c in compiled:
                    if id(c.parsed) in rerendered:
                        note_id, reset = rerendered[id(c.parsed)]
                        changed_notes.append((note_id, c, reset))
        if failed:
            return
        self._update_cards(changed_notes)
        # Cards of matched notes that were neither re-rendered nor revived are unchanged.
        untouched = [
            matches[i]
            for i in range(len(incoming))
            if i in matches and id(incoming[i]) not in rendering and stored[matches[i]].retired_at is None
        ]
        self._count_cards_unchanged(untouched)
        self._count_unchanged(unchanged_files)

    def _move_cards_with_notes(self, note_updates: list[dict[str, Any]], stored_decks: dict[int, int]) -> None:
        """Keep ``cards.deck_id`` equal to the deck of the card's note when a note changes deck."""
        moved = [{"n_id": u["id"], "d_id": u["deck_id"]} for u in note_updates if stored_decks.get(u["id"]) != u["deck_id"]]
        if moved:
            cards = CardRow.__table__
            assert isinstance(cards, Table)
            self.s.connection().execute(
                update(cards).where(cards.c.note_id == bindparam("n_id")).values(deck_id=bindparam("d_id")), moved
            )

    def _source_texts(self, ids: list[int]) -> dict[int, str]:
        texts: dict[int, str] = {}
        for chunk in _chunks(ids):
            texts.update(
                {i: t for i, t in self.s.execute(select(NoteRow.id, NoteRow.source_text).where(NoteRow.id.in_(chunk)))}
            )
        return texts

    def _count_cards_unchanged(self, note_ids: list[int]) -> None:
        for chunk in _chunks(note_ids):
            self.report.cards.unchanged += (
                self.s.scalar(select(func.count(CardRow.id)).where(CardRow.note_id.in_(chunk), CardRow.retired_at.is_(None)))
                or 0
            )

    def _retire_notes(self, ids: list[int]) -> None:
        self.report.notes.retired += len(ids)
        for chunk in _chunks(ids):
            self.report.cards.retired += (
                self.s.scalar(select(func.count(CardRow.id)).where(CardRow.note_id.in_(chunk), CardRow.retired_at.is_(None)))
                or 0
            )
            self.s.execute(update(NoteRow).where(NoteRow.id.in_(chunk)).values(retired_at=self.now))
            self.s.execute(
                update(CardRow).where(CardRow.note_id.in_(chunk), CardRow.retired_at.is_(None)).values(retired_at=self.now)
            )

    def _deck_id(self, name: str) -> int:
        if name in self.deck_ids:
            return self.deck_ids[name]
        parent_id: int | None = None
        parts = name.split("::")
        for depth in range(1, len(parts) + 1):
            full = "::".join(parts[:depth])
            if full in self.deck_ids:
                parent_id = self.deck_ids[full]
                continue
            deck_id = self.s.execute(insert(DeckRow).values(name=full, parent_id=parent_id).returning(DeckRow.id)).scalar_one()
            self.deck_ids[full] = deck_id
            parent_id = deck_id
        return self.deck_ids[name]

    def _insert_notes(self, new_notes: list[tuple[ParsedNote, str]], media_links: dict[int, tuple[str, ...]]) -> dict[int, int]:
        """Insert new notes (without cards); returns id(parsed note) -> new note id."""
        if not new_notes:
            return {}
        next_note = (self.s.scalar(select(func.max(NoteRow.id))) or 0) + 1
        seeds = [_guid(self.root.name, n.anchor or n.fingerprint) for n, _key in new_notes]
        taken = set()
        for chunk in _chunks(seeds):
            taken |= set(self.s.scalars(select(NoteRow.guid).where(NoteRow.guid.in_(chunk))))
        note_ids: list[int] = []
        guids: list[str] = []
        for offset, (n, _key) in enumerate(new_notes):
            guid, k = seeds[offset], 1
            while guid in taken:
                guid, k = _guid(self.root.name, f"{n.anchor or n.fingerprint}#{k}"), k + 1
            taken.add(guid)
            guids.append(guid)
            note_ids.append(next_note + offset)
        note_rows = (
            {
                "id": note_id,
                "guid": guid,
                "source_id": self.source_id,
                "deck_id": self._deck_id(n.deck),
                "kind": n.kind.value,
                "file_path": n.path,
                "position": n.position,
                "line": n.location.line,
                "anchor": n.anchor,
                "meaning_rev": n.meaning_rev,
                "meta_key": meta_key(n),
                "fingerprint": n.fingerprint,
                "render_key": key,
                "source_text": n.source_text,
                "breadcrumb": list(n.breadcrumb),
                "tags": list(n.tags),
                "lang": n.lang,
                "fields": content_fields(n.content),
                "created_at": self.now,
                "updated_at": self.now,
                "retired_at": None,
            }
            for note_id, guid, (n, key) in zip(note_ids, guids, new_notes, strict=True)
        )
        self.report.notes.added += bulk_insert(self.s.connection(), NoteRow.__table__, note_rows)  # type: ignore[arg-type]
        for note_id, (n, _key) in zip(note_ids, new_notes, strict=True):
            media_links[note_id] = media_files(n, self.loader.loaded)
        return {id(n): note_id for note_id, (n, _key) in zip(note_ids, new_notes, strict=True)}

    def _insert_cards(self, cards: Iterable[tuple[int, int, CompiledCard]]) -> None:
        rows = (
            {
                "note_id": note_id,
                "deck_id": deck_id,
                **_card_values(card),
                "created_at": self.now,
                "updated_at": self.now,
                "retired_at": None,
                "superseded": False,
                "state": 0,
                "reps": 0,
                "lapses": 0,
                "suspended": False,
                "flag": 0,
            }
            for note_id, deck_id, card in cards
        )
        self.report.cards.added += bulk_insert(self.s.connection(), CardRow.__table__, rows)  # type: ignore[arg-type]

    def _update_cards(self, notes: list[tuple[int, CompiledNote, bool]]) -> None:
        if not notes:
            return
        old_by_note: dict[int, list[Any]] = {}
        ids = [note_id for note_id, _c, _r in notes]
        for chunk in _chunks(ids):
            for r in self.s.execute(
                select(
                    CardRow.id,
                    CardRow.note_id,
                    CardRow.key,
                    CardRow.match_text,
                    CardRow.retired_at,
                    CardRow.superseded,
                    CardRow.question_html,
                    CardRow.answer_html,
                    CardRow.ordinal,
                    CardRow.data,
                ).where(CardRow.note_id.in_(chunk))
            ):
                old_by_note.setdefault(r.note_id, []).append(r)
        new_cards: list[tuple[int, int, CompiledCard]] = []
        updates: list[dict[str, Any]] = []
        retire: list[int] = []
        supersede: list[int] = []
        counts = self.report.cards
        for note_id, c, reset in notes:
            old = old_by_note.get(note_id, [])
            deck_id = self._deck_id(c.parsed.deck)
            if reset:
                supersede += [r.id for r in old if not r.superseded]
                counts.retired += sum(1 for r in old if r.retired_at is None)
                new_cards += [(note_id, deck_id, card) for card in c.cards]
                continue
            pairs = identity.match_cards(
                [(card.key, card.match_text) for card in c.cards],
                [identity.StoredCard(r.id, r.key, r.match_text, r.retired_at is not None, r.superseded) for r in old],
            )
            by_id = {r.id: r for r in old}
            for i, card in enumerate(c.cards):
                if i not in pairs:
                    new_cards.append((note_id, deck_id, card))
                    continue
                r = by_id[pairs[i]]
                same = (r.question_html, r.answer_html, r.key, r.ordinal, r.data) == (
                    card.question_html,
                    card.answer_html,
                    card.key,
                    card.ordinal,
                    card.data,
                )
                if r.retired_at is not None:
                    counts.added += 1
                elif same:
                    counts.unchanged += 1
                else:
                    counts.updated += 1
                if not same or r.retired_at is not None:
                    updates.append({"id": r.id, **_card_values(card), "retired_at": None, "updated_at": self.now})
            kept = set(pairs.values())
            gone = [r.id for r in old if r.id not in kept and r.retired_at is None]
            retire += gone
            counts.retired += len(gone)
        if updates:
            self.s.execute(update(CardRow), updates)
        for chunk in _chunks(retire):
            self.s.execute(update(CardRow).where(CardRow.id.in_(chunk)).values(retired_at=self.now))
        for chunk in _chunks(supersede):
            self.s.execute(update(CardRow).where(CardRow.id.in_(chunk)).values(superseded=True, retired_at=self.now))
        self._insert_cards(new_cards)

    def _revive_cards(self, note_ids: list[int]) -> None:
        for chunk in _chunks(note_ids):
            revived = self.s.execute(
                update(CardRow)
                .where(CardRow.note_id.in_(chunk), CardRow.retired_at.is_not(None), CardRow.superseded.is_(False))
                .values(retired_at=None, updated_at=self.now)
            )
            self.report.cards.added += revived.rowcount  # type: ignore[attr-defined]

    def _store_media(self) -> None:
        blobs = {b.sha256: b for b in self.loader.loaded.values()}
        if not blobs:
            return
        present = set(self.s.scalars(select(MediaRow.sha256).where(MediaRow.sha256.in_(list(blobs)))))
        rows = [
            {
                "sha256": b.sha256,
                "filename": b.filename,
                "mime": b.mime,
                "width": b.width,
                "height": b.height,
                "size": len(b.data),
                "data": b.data,
            }
            for sha, b in blobs.items()
            if sha not in present
        ]
        if rows:
            self.s.execute(insert(MediaRow), rows)

    def _link_media(self, links: dict[int, tuple[str, ...]]) -> None:
        if not links:
            return
        for chunk in _chunks(list(links)):
            self.s.execute(delete(NoteMediaRow).where(NoteMediaRow.note_id.in_(chunk)))
        rows = [{"note_id": note_id, "sha256": sha} for note_id, shas in links.items() for sha in shas]
        if rows:
            self.s.execute(insert(NoteMediaRow), rows)

    def _write_files(self, parsed: dict[str, ParsedFile], stored: dict[str, SourceFileRow], deleted: list[str]) -> None:
        for rel, pf in parsed.items():
            digest = self.loader.digest(pf.media_paths)
            row = stored.get(rel)
            if row is None:
                self.s.add(
                    SourceFileRow(
                        source_id=self.source_id,
                        path=rel,
                        sha256=pf.sha256,
                        media_paths=pf.media_paths,
                        media_digest=digest,
                    )
                )
            else:
                row.sha256, row.media_paths, row.media_digest = pf.sha256, pf.media_paths, digest
        for rel in deleted:
            self.s.delete(stored[rel])
        self.s.flush()


def _card_values(card: CompiledCard) -> dict[str, Any]:
    """The columns a card takes from its compiled form."""
    return {
        "key": card.key,
        "ordinal": card.ordinal,
        "match_text": card.match_text,
        "question_html": card.question_html,
        "answer_html": card.answer_html,
        "data": card.data,
    }


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
