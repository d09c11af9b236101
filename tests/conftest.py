"""Shared test helpers: real files, real SQLite collections, no mocks."""

from __future__ import annotations

import os
import sqlite3
import struct
import textwrap
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_png(width: int = 40, height: int = 30, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class DeckDir:
    """A deck root in a temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def image(self, rel: str, **kwargs: object) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_png(**kwargs))  # type: ignore[arg-type]
        return path

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()


@pytest.fixture
def deck(tmp_path: Path) -> DeckDir:
    return DeckDir(tmp_path / "decks")


@pytest.fixture
def collection_path(tmp_path: Path) -> Path:
    return tmp_path / "collection.sqlite"


@pytest.fixture
def col(collection_path: Path) -> Iterator[object]:
    from calcideck import Collection

    with Collection.open(collection_path) as c:
        yield c


def add_reviews(db: Path, card_id: int, count: int = 3) -> None:
    """Give a card review history by inserting review-log rows directly (no scheduler yet)."""
    con = sqlite3.connect(db)
    with con:
        for i in range(count):
            when = datetime(2026, 1, 1 + i, 9, 0, tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ")
            con.execute(
                "INSERT INTO review_log (card_id, reviewed_at, rating, duration_ms, state_before, state_after)"
                " VALUES (?, ?, 3, 4000, ?, 2)",
                (card_id, when, 0 if i == 0 else 2),
            )
        con.execute("UPDATE cards SET reps = ?, state = 2 WHERE id = ?", (count, card_id))
    con.close()


def review_count(db: Path, card_id: int) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM review_log WHERE card_id = ?", (card_id,)).fetchone()[0]
    finally:
        con.close()


def card_rows(db: Path) -> list[dict[str, object]]:
    """Every card with its note, straight from the SQLite file."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        rows = con.execute(
            "SELECT cards.id, cards.key, cards.retired_at AS card_retired, cards.superseded, cards.question_html,"
            " cards.answer_html, notes.id AS note_id, notes.kind, notes.anchor, notes.file_path,"
            " notes.retired_at AS note_retired, notes.guid FROM cards JOIN notes ON notes.id = cards.note_id"
            " ORDER BY cards.id"
        ).fetchall()
        return [dict(r) for r in rows]
    finally:
        con.close()
