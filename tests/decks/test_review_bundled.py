"""The bundled decks reviewed through the engine: every card kind, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calcideck import Collection, Rating

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("top", ["Pathology", "Patoloji"])
def test_reviewing_meets_every_card_kind(top: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with Collection.open(tmp_path / "c.sqlite") as col:
        col.update_settings(timezone="Europe/Istanbul")
        assert col.build(["decks"]).ok
        col.update_preset(top, new_per_day=400, learning_steps=())
        kinds: set[str] = set()
        langs_ok = True
        now = datetime(2026, 9, 14, 7, tzinfo=UTC)
        answered = 0
        for _day in range(8):  # siblings are buried until the next study day
            t = now
            while (card := col.next_card(top, now=t)) is not None:
                kinds.add(card.kind)
                langs_ok &= card.deck.split("::")[0] == top
                assert card.question_html.strip() and card.answer_html.strip()
                col.answer(card, Rating.GOOD, 5000, now=t)
                answered += 1
                t += timedelta(seconds=10)
            now += timedelta(days=1)
        assert kinds == {"basic", "cloze", "list", "occlusion"}
        assert langs_ok
        assert answered >= len(col.card_ids(top)) * 0.9
