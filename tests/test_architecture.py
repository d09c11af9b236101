"""The one firm line: nothing outside calcideck/gui/ imports Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "calcideck"


def test_core_never_imports_qt_at_run_time() -> None:
    code = (
        "import sys, calcideck, calcideck.cli, calcideck.service, calcideck.compiler.driver, calcideck.store.build\n"
        "from calcideck import Collection\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_no_module_outside_gui_mentions_qt() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "gui" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("PySide6", "shiboken6", "PyQt6")]
    assert offenders == []


def test_sqlalchemy_stays_in_the_store_and_the_facade() -> None:
    allowed = {"store", "service.py"}
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in allowed:
            continue
        text = path.read_text(encoding="utf-8")
        if "import sqlalchemy" in text or "from sqlalchemy" in text:
            offenders.append(str(rel))
    assert offenders == []


def test_importing_the_package_has_no_side_effects(tmp_path: Path) -> None:
    code = "import calcideck, calcideck.cli, calcideck.service; print('ok')"
    env = {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "ok"
    assert not (tmp_path / "home").exists() and not (tmp_path / "data").exists()
