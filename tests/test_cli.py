"""The command line, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from calcideck import __version__
from tests.conftest import DeckDir


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "calcideck", *args], capture_output=True, text=True, env=full_env, cwd=cwd)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"calcideck {__version__}"


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in ("check", "build", "--collection", "CALCIDECK_COLLECTION", "exit status"):
        assert word in result.stdout


def test_check_broken_deck_prints_located_errors_and_exits_1(deck: DeckDir) -> None:
    deck.write("broken.md", "Q: Most common site of dystrophic calcification?\n\nA: orphan? no\n\n{{c1::unclosed\n")
    deck.write("also.md", "List: only one\n- item\n")
    result = run("check", str(deck.root))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line]
    assert lines == [
        f"{deck.root / 'also.md'}:1:1: error: a 'List:' needs at least two items (found 1)",
        f"{deck.root / 'broken.md'}:5:1: error: unclosed cloze {{{{c1:: (missing '}}}}')",
    ]
    assert "Traceback" not in result.stderr + result.stdout


def test_check_paths_are_shown_as_given(deck: DeckDir) -> None:
    deck.write("x.md", "A: orphan\n")
    result = run("check", "decks", cwd=deck.root.parent)
    assert result.stderr.splitlines()[0] == "decks/x.md:1:1: error: 'A:' without a 'Q:' before it"


def test_check_json(deck: DeckDir) -> None:
    deck.write("x.md", "Q: a\nA: b\n\nA {{c1::x}} {{c3::y}}.\n")
    result = run("check", "--json", str(deck.root))
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["notes"] == 2 and data["cards"] == 3
    (diag,) = data["diagnostics"]
    assert diag["severity"] == "warning" and diag["line"] == 4 and diag["column"] == 3 and diag["file"].endswith("x.md")


def test_check_does_not_touch_any_store(deck: DeckDir, tmp_path: Path) -> None:
    deck.write("x.md", "Q: a\nA: b\n")
    home = tmp_path / "home"
    result = run(
        "check",
        str(deck.root),
        env={
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "CALCIDECK_COLLECTION": str(tmp_path / "never.sqlite"),
        },
    )
    assert result.returncode == 0
    assert not (tmp_path / "never.sqlite").exists() and not home.exists()


def test_build_json_and_collection_option(deck: DeckDir, tmp_path: Path) -> None:
    deck.write("x.md", "Q: a\nA: b\n\nR: c\nA: d\n")
    target = tmp_path / "c.sqlite"
    result = run("build", str(deck.root), "--collection", str(target), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "notes": {"added": 2, "updated": 0, "unchanged": 0, "retired": 0},
        "cards": {"added": 3, "updated": 0, "unchanged": 0, "retired": 0},
        "diagnostics": [],
    }
    again = json.loads(run("build", str(deck.root), "--collection", str(target), "--json").stdout)
    assert again["notes"]["unchanged"] == 2 and again["cards"]["unchanged"] == 3


def test_build_uses_the_environment_variable(deck: DeckDir, tmp_path: Path) -> None:
    deck.write("x.md", "Q: a\nA: b\n")
    target = tmp_path / "env.sqlite"
    result = run("build", str(deck.root), env={"CALCIDECK_COLLECTION": str(target)})
    assert result.returncode == 0 and target.exists()
    assert f"collection: {target}" in result.stdout


def test_build_with_errors_exits_1_and_says_nothing_changed(deck: DeckDir, tmp_path: Path) -> None:
    deck.write("x.md", "Q: no answer\n")
    result = run("build", str(deck.root), "--collection", str(tmp_path / "c.sqlite"))
    assert result.returncode == 1
    assert "the collection was not changed" in result.stderr and "Traceback" not in result.stderr


def test_unusable_collection_is_a_clear_error(deck: DeckDir, tmp_path: Path) -> None:
    deck.write("x.md", "Q: a\nA: b\n")
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not a database\n" * 100)
    result = run("build", str(deck.root), "--collection", str(bogus))
    assert result.returncode == 2
    assert result.stderr.startswith("calcideck: error:") and "Traceback" not in result.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("calcideck")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout


def test_collection_in_a_folder_that_cannot_be_made_is_a_clear_error(deck: DeckDir, tmp_path: Path) -> None:
    deck.write("x.md", "Q: a\nA: b\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run("build", str(deck.root), "--collection", str(blocker / "c.sqlite"))
    assert result.returncode == 2
    assert (
        result.stderr.startswith("calcideck: error: cannot create the folder for collection")
        and "Traceback" not in result.stderr
    )


def test_a_collection_busy_with_another_writer_is_a_clear_error(deck: DeckDir, tmp_path: Path) -> None:
    import sqlite3

    deck.write("x.md", "Q: a\nA: b\n")
    target = tmp_path / "c.sqlite"
    assert run("build", str(deck.root), "--collection", str(target)).returncode == 0
    deck.write("x.md", "Q: a\nA: changed\n")
    holder = sqlite3.connect(target, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing (a long build, a review)
    try:
        result = run("build", str(deck.root), "--collection", str(target))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2
    assert "is in use by another CalciDeck process" in result.stderr and "Traceback" not in result.stderr
    assert run("build", str(deck.root), "--collection", str(target)).returncode == 0, "works once the other writer is done"
