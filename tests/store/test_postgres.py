"""The same models and build run on PostgreSQL ("nothing SQLite-specific outside the engine").

Runs when CALCIDECK_TEST_DATABASE_URL names a PostgreSQL server the tests may
create databases on (``.ci/run`` starts a throwaway one when it can), e.g.
``postgresql+psycopg://postgres@127.0.0.1:55432/postgres``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

URL = os.environ.get("CALCIDECK_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="CALCIDECK_TEST_DATABASE_URL is not set (no PostgreSQL server)")

from tests.conftest import DeckDir  # noqa: E402


@pytest.fixture
def pg_url() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(URL, isolation_level="AUTOCOMMIT")
    name = f"calcideck_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def add_review(url: str, card_id: int) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, insert

    from calcideck.store.models import ReviewLogRow

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(ReviewLogRow).values(
                card_id=card_id, reviewed_at=datetime(2026, 1, 2, 9, tzinfo=UTC), rating=3, state_before=0, state_after=2
            )
        )
    engine.dispose()


def review_count(url: str, card_id: int) -> int:
    from sqlalchemy import create_engine, func, select

    from calcideck.store.models import ReviewLogRow

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).where(ReviewLogRow.card_id == card_id)).scalar_one()
    engine.dispose()
    return int(count)


def test_build_edit_retire_and_revive_on_postgresql(pg_url: str, deck: DeckDir) -> None:
    from calcideck import Collection

    deck.image("img/a.png")
    deck.write(
        "a.md",
        """
        ---
        deck: Pathology::Calcification
        tags: [pathology]
        ---
        # Dystrophic
        Q: Serum calcium in dystrophic calcification?
        A: Normal.

        Fat necrosis deposits {{c1::calcium soaps}} ({{c2::saponification}}).

        List: Causes of hypercalcaemia
        1. Hyperparathyroidism
        2. Renal failure

        ```occlusion
        image: img/a.png
        rect 0.1 0.1 0.2 0.2 Media
        ```
        """,
    )
    with Collection.open(pg_url) as col:
        report = col.build([deck.root])
        assert report.ok and report.cards.added == 6
        (serum,) = [i for i in col.card_ids() if "Normal." in col.card(i).answer_html]
        add_review(pg_url, serum)
        text = (deck.root / "a.md").read_text(encoding="utf-8")
        deck.write("a.md", text.replace("A: Normal.", "A: Normal (typo fixed)."))
        report = col.build([deck.root])
        assert (report.notes.updated, report.notes.added, report.notes.retired) == (1, 0, 0)
        assert "typo fixed" in col.card(serum).answer_html and review_count(pg_url, serum) == 1
        deck.write("a.md", text.replace("Q: Serum calcium in dystrophic calcification?\nA: Normal.\n", ""))
        assert col.build([deck.root]).notes.retired == 1 and serum not in col.card_ids()
        deck.write("a.md", text)
        assert col.build([deck.root]).notes.added == 1 and serum in col.card_ids()
        deck.write("a.md", text + "\nA: orphan\n")
        before = sorted(col.card_ids())
        assert not col.build([deck.root]).ok
        assert sorted(col.card_ids()) == before


def test_reopening_a_current_postgresql_collection(pg_url: str) -> None:
    from calcideck import Collection

    with Collection.open(pg_url):
        pass
    with Collection.open(pg_url) as col:
        assert col.decks() == []
