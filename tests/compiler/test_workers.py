"""Rendering on worker processes gives exactly what rendering in-process gives."""

from __future__ import annotations

import threading

import pytest

from calcideck.compiler import workers
from calcideck.compiler.driver import MediaLoader, discover, parse_file, read_file, render_notes
from tests.conftest import DeckDir


def _deck(deck: DeckDir) -> tuple[list, MediaLoader]:  # type: ignore[type-arg]
    deck.image("img/a.png", width=100, height=50)
    for f in range(4):
        body = []
        for n in range(15):
            body.append(f"Q: Question {f}-{n} about **calcification**?\nA: Answer with `code` and H~2~O.\n")
            body.append(f"Psammoma {{{{c1::bodies {f}-{n}}}}} are {{{{c2::laminated::shape}}}}.\n")
            body.append(f"List: Causes {f}-{n}\n1. Hyperparathyroidism\n2. Renal failure {f}-{n}\n")
        body.append("```occlusion\nimage: img/a.png\nrect 0.1 0.1 0.2 0.2 Media\nrect 0.5 0.5 0.2 0.2 Intima\n```\n")
        deck.write(f"f{f}.md", "\n".join(body))
    (root,), _ = discover([deck.root])
    loader = MediaLoader(root)
    notes = [n for rel in root.files for n in parse_file(root, rel, read_file(root, rel)[0] or b"", loader)[0].notes]
    return notes, loader


@pytest.mark.parametrize("in_thread", [False, True], ids=["fork-or-default", "from-a-thread"])
def test_worker_rendering_matches_in_process(deck: DeckDir, monkeypatch: pytest.MonkeyPatch, in_thread: bool) -> None:
    notes, loader = _deck(deck)
    expected, diags = render_notes(notes, loader)
    assert not diags
    monkeypatch.setattr(workers, "MIN_RENDER_NOTES", 1)
    result: dict[str, object] = {}

    def run() -> None:
        result["value"] = workers.BuildWorkers(2).render(notes, loader)

    if in_thread:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    else:
        run()
    compiled, diags = result["value"]  # type: ignore[misc]
    assert not diags
    assert [c.cards for c in compiled] == [c.cards for c in expected]
    assert [c.render_key for c in compiled] == [c.render_key for c in expected]
    assert [c.parsed for c in compiled] == notes


def test_a_render_error_in_a_worker_stops_the_build_and_writes_nothing(
    deck: DeckDir, monkeypatch: pytest.MonkeyPatch, collection_path
) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from calcideck import Collection

    monkeypatch.setattr(workers, "MIN_RENDER_NOTES", 1)
    _deck(deck)
    with Collection.open(collection_path) as col:
        assert col.build([deck.root]).ok
        con = sqlite3.connect(collection_path)
        before = list(con.iterdump())
        deck.write("f9.md", "Q: fine\nA: fine\n\nSee ![{{c1::alt}}](img/a.png) here.\n\nQ: also fine\nA: yes\n")
        report = col.build([deck.root])
        assert not report.ok
        assert [d.message for d in report.diagnostics] == [
            "a cloze cannot be inside a link or image; put it in the surrounding text"
        ]
        assert list(con.iterdump()) == before
        con.close()
