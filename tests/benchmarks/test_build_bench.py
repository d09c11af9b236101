"""Build benchmarks on a synthetic 30,000-note deck set (``make bench``; not part of ``make test``).

What is measured, each as the median of several runs:

* cold build: ``Collection.build`` into a fresh, empty collection file (N=3);
* no-op rebuild: building the same, unchanged decks again (N=5);
* 1 % edit rebuild: 300 notes reworded across the files, then rebuilt (N=3), each
  run on a fresh copy of a built collection and deck set with a fresh random edit;
* peak RSS of a cold build, in a child process running the ``calcideck build`` CLI.

Only ``Collection.build(...)`` is timed (opening the collection is reported
apart). Every run also checks what the build reports, so a fast wrong build
cannot pass for a fast one. Timing targets are printed as PASS/MISS, never
asserted: the figures go in ``docs/benchmarks.md``. Finally one cold build and
one 1 % edit build run under cProfile and the top functions are printed.

Environment knobs (for quick trial runs; the documented figures use the defaults):
``CALCIDECK_BENCH_NOTES`` (30000), ``CALCIDECK_BENCH_FILES`` (300),
``CALCIDECK_BENCH_COLD_RUNS`` (3), ``CALCIDECK_BENCH_NOOP_RUNS`` (5),
``CALCIDECK_BENCH_EDIT_RUNS`` (3), ``CALCIDECK_BENCH_PROFILE`` (1; 0 skips profiling).
"""

from __future__ import annotations

import cProfile
import gc
import io
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

from calcideck import Collection

N_NOTES = int(os.environ.get("CALCIDECK_BENCH_NOTES", synthetic.DEFAULT_NOTES))
N_FILES = int(os.environ.get("CALCIDECK_BENCH_FILES", synthetic.DEFAULT_FILES))
COLD_RUNS = int(os.environ.get("CALCIDECK_BENCH_COLD_RUNS", 3))
NOOP_RUNS = int(os.environ.get("CALCIDECK_BENCH_NOOP_RUNS", 5))
EDIT_RUNS = int(os.environ.get("CALCIDECK_BENCH_EDIT_RUNS", 3))
PROFILE = os.environ.get("CALCIDECK_BENCH_PROFILE", "1") != "0"
EDIT_FRACTION = 0.01
PROFILE_TOP = 25

REPO = Path(__file__).resolve().parents[2]
# Profiles are kept outside pytest's numbered temp dirs, which other pytest runs rotate away.
PROFILE_DIR = Path(tempfile.gettempdir()) / "calcideck-bench"


# -- results -----------------------------------------------------------------------


@dataclass(slots=True)
class Figure:
    name: str
    unit: str  # "s" or "MB"
    target: float | None  # upper bound; None for informational figures
    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def fmt(self, value: float) -> str:
        return f"{value:.3f} s" if self.unit == "s" else f"{value:.0f} MB"

    def row(self) -> tuple[str, str, str, str, str]:
        if not self.samples:
            return self.name, "not run", "", self.target_text(), ""
        verdict = "" if self.target is None else ("PASS" if self.median <= self.target else "MISS")
        samples = ", ".join(self.fmt(s).split()[0] for s in self.samples)
        return self.name, self.fmt(self.median), f"[{samples}] (N={len(self.samples)})", self.target_text(), verdict

    def target_text(self) -> str:
        return "(info)" if self.target is None else f"<= {self.target:g} {self.unit}"


FIGURES: dict[str, Figure] = {
    "cold": Figure("cold build", "s", 3.0),
    "noop": Figure("no-op rebuild", "s", 0.2),
    "edit": Figure("1% edit rebuild (notes spread over files)", "s", 0.5),
    "edit_clustered": Figure("1% edit rebuild, notes in few files (info)", "s", None),
    "rss": Figure("peak RSS, cold build (child process)", "MB", 300.0),
    "open_new": Figure("Collection.open, new file (info)", "s", None),
    "open_existing": Figure("Collection.open, built collection (info)", "s", None),
    "cli_cold": Figure("CLI cold build wall time incl. start-up (info)", "s", None),
}
FACTS: dict[str, Any] = {}


def _table() -> str:
    header = ("measure", "median", "samples", "target", "result")
    rows = [header] + [f.row() for f in FIGURES.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    out = [line, "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |", line]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows[1:]]
    out.append(line)
    return "\n".join(out)


def _banner(title: str) -> None:
    print(f"\n{'=' * 8} {title} {'=' * max(4, 70 - len(title))}", flush=True)


# -- helpers -------------------------------------------------------------------------


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def _copy_collection(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        s = src.with_name(src.name + suffix)
        if s.exists():
            shutil.copy2(s, dst.with_name(dst.name + suffix))


def _counts(report: Any) -> str:
    n, c = report.notes, report.cards
    return (
        f"notes +{n.added} ~{n.updated} ={n.unchanged} -{n.retired}; cards +{c.added} ~{c.updated} ={c.unchanged} -{c.retired}"
    )


def _errors(report: Any) -> list[str]:
    return [d.format() for d in report.diagnostics if d.is_error]


@dataclass(slots=True)
class World:
    base: Path
    deck: synthetic.DeckSet
    built_decks: Path | None = None  # pristine deck set a built collection was made from
    built_collection: Path | None = None
    runs: int = 0

    def fresh_dir(self, label: str) -> Path:
        self.runs += 1
        d = self.base / f"run-{self.runs:02d}-{label}"
        d.mkdir()
        return d

    def fresh_built_copy(self, label: str) -> tuple[Path, Path]:
        """A copy of the deck set and of a collection built from it: (deck root, collection file).

        The deck root keeps its folder name, which is what identifies the source in the collection.
        """
        assert self.built_decks is not None and self.built_collection is not None, "needs the cold build first"
        d = self.fresh_dir(label)
        decks = d / self.built_decks.name
        shutil.copytree(self.built_decks, decks)
        coll = d / "collection.sqlite"
        _copy_collection(self.built_collection, coll)
        return decks, coll


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("bench")
    start = time.perf_counter()
    deck = synthetic.generate(base / "decks", N_NOTES, N_FILES)
    took = time.perf_counter() - start
    FACTS.update(
        notes=len(deck.notes),
        files=len(deck.files),
        cards=deck.expected_cards,
        kinds=deck.kind_counts(),
        images=len(deck.images),
        bytes=sum((deck.root / f).stat().st_size for f in deck.files),
    )
    _banner("synthetic deck set")
    print(
        f"{len(deck.notes)} notes {deck.kind_counts()}, {deck.expected_cards} cards, {len(deck.files)} files "
        f"({FACTS['bytes'] / 1e6:.1f} MB of Markdown), {len(deck.images)} shared PNGs; generated in {took:.2f} s"
    )
    print(f"in {deck.root}")
    yield World(base, deck)
    shutil.rmtree(base, ignore_errors=True)  # about 1 GB of collection copies by the end


def _check_cold(world: World, report: Any) -> None:
    assert report.ok, "synthetic decks must compile without errors:\n" + "\n".join(_errors(report)[:20])
    assert not report.diagnostics, "synthetic decks must compile without warnings:\n" + "\n".join(
        d.format() for d in report.diagnostics[:20]
    )
    n, c = report.notes, report.cards
    assert (n.added, n.updated, n.unchanged, n.retired) == (len(world.deck.notes), 0, 0, 0), _counts(report)
    assert (c.added, c.updated, c.unchanged, c.retired) == (world.deck.expected_cards, 0, 0, 0), _counts(report)


# -- benchmarks ------------------------------------------------------------------------


def test_cold_build(world: World) -> None:
    _banner(f"cold build (N={COLD_RUNS}, fresh collection file each run)")
    for i in range(COLD_RUNS):
        d = world.fresh_dir("cold")
        coll = d / "collection.sqlite"
        t_open, col = _timed(Collection.open, coll)
        with col:
            t_build, report = _timed(col.build, [world.deck.root])
        _check_cold(world, report)
        FIGURES["cold"].samples.append(t_build)
        FIGURES["open_new"].samples.append(t_open)
        print(
            f"  run {i + 1}: build {t_build:.3f} s (open {t_open:.3f} s); {_counts(report)}; "
            f"collection {coll.stat().st_size / 1e6:.1f} MB",
            flush=True,
        )
        world.built_decks, world.built_collection = world.deck.root, coll


def test_noop_rebuild(world: World) -> None:
    _banner(f"no-op rebuild (N={NOOP_RUNS}, same collection, nothing changed)")
    decks, coll = world.fresh_built_copy("noop")
    n_notes, n_cards = len(world.deck.notes), world.deck.expected_cards
    for i in range(NOOP_RUNS):
        t_open, col = _timed(Collection.open, coll)
        with col:
            t_build, report = _timed(col.build, [decks])
        assert report.ok, _errors(report)
        n, c = report.notes, report.cards
        assert (n.added, n.updated, n.unchanged, n.retired) == (0, 0, n_notes, 0), _counts(report)
        assert (c.added, c.updated, c.unchanged, c.retired) == (0, 0, n_cards, 0), _counts(report)
        FIGURES["noop"].samples.append(t_build)
        FIGURES["open_existing"].samples.append(t_open)
        print(f"  run {i + 1}: build {t_build:.3f} s (open {t_open:.3f} s); {_counts(report)}", flush=True)


def _edit_runs(world: World, figure: str, clustered: bool, seed: int) -> None:
    wanted = round(len(world.deck.notes) * EDIT_FRACTION)
    how = "in as few files as hold them" if clustered else "spread over the files"
    _banner(f"1% edit rebuild (N={EDIT_RUNS}, {wanted} notes reworded {how}, fresh copy each run)")
    for i in range(EDIT_RUNS):
        decks, coll = world.fresh_built_copy(figure)
        edited = synthetic.edit_notes(world.deck, decks, EDIT_FRACTION, seed=seed + i, clustered=clustered)
        assert len(edited) == wanted
        files = len({e.rel for e in edited})
        with Collection.open(coll) as col:
            t_build, report = _timed(col.build, [decks])
        assert report.ok, _errors(report)
        n = report.notes
        assert (n.added, n.updated, n.unchanged, n.retired) == (0, wanted, len(world.deck.notes) - wanted, 0), _counts(report)
        assert report.cards.updated > 0, _counts(report)
        FIGURES[figure].samples.append(t_build)
        print(f"  run {i + 1}: build {t_build:.3f} s; {wanted} notes edited in {files} files; {_counts(report)}", flush=True)


def test_edit_rebuild(world: World) -> None:
    _edit_runs(world, "edit", clustered=False, seed=1000)


def test_clustered_edit_rebuild(world: World) -> None:
    _edit_runs(world, "edit_clustered", clustered=True, seed=2000)


def test_peak_rss_cold_build(world: World) -> None:
    _banner("peak RSS of a cold build (child process: python -m calcideck build)")
    d = world.fresh_dir("rss")
    coll = d / "collection.sqlite"
    cmd = [sys.executable, "-m", "calcideck", "build", "--collection", str(coll), str(world.deck.root)]
    # A fresh wrapper process runs the build, so RUSAGE_CHILDREN covers only the
    # build's own process tree (its render workers included), not the workers
    # that earlier benchmarks forked from this pytest process.
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "sys.stdout.write(p.stdout)\n"
        "sys.stderr.write(p.stderr[-3000:])\n"
        "print(f'RSS_KIB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} WALL={wall}')\n"
        "sys.exit(p.returncode)\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"notes: {len(world.deck.notes)} added, 0 updated" in proc.stdout, proc.stdout
    measured = proc.stdout.strip().splitlines()[-1]
    rss_kib = int(measured.split()[0].split("=")[1])
    wall = float(measured.split()[1].split("=")[1])
    print("  $ " + " ".join(cmd))
    print("  " + "\n  ".join(proc.stdout.strip().splitlines()[:-1]))
    peak_mb = rss_kib / 1024
    FIGURES["rss"].samples.append(peak_mb)
    FIGURES["cli_cold"].samples.append(wall)
    print(f"  ru_maxrss (RUSAGE_CHILDREN of a wrapper) = {rss_kib} KiB = {peak_mb:.0f} MB; wall time {wall:.3f} s", flush=True)


# -- profiles --------------------------------------------------------------------------


def _profile(label: str, fn: Callable[[], Any], name: str) -> None:
    PROFILE_DIR.mkdir(exist_ok=True)
    out = PROFILE_DIR / name
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    prof.dump_stats(out)
    for key, top in (("cumulative", PROFILE_TOP), ("tottime", 15)):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats(key).print_stats(top)
        text = buf.getvalue()
        for prefix in (sysconfig.get_paths()["purelib"] + "/", str(REPO) + "/", sys.base_prefix + "/lib/"):
            text = text.replace(prefix, "")
        _banner(f"profile: {label}, top {top} by {key}")
        body = text[text.index("   ncalls") :] if "   ncalls" in text else text
        head = next((ln.strip() for ln in text.splitlines() if "function calls" in ln), "")
        print(head)
        print(body.rstrip(), flush=True)
    print(f"(full profile: {out}; view with python -m pstats {out})")


@pytest.mark.skipif(not PROFILE, reason="CALCIDECK_BENCH_PROFILE=0")
def test_profile_cold_build(world: World) -> None:
    d = world.fresh_dir("profile-cold")
    with Collection.open(d / "collection.sqlite") as col:
        reports: list[Any] = []
        _profile("cold build (cProfile adds overhead)", lambda: reports.append(col.build([world.deck.root])), "cold.prof")
    _check_cold(world, reports[0])


@pytest.mark.skipif(not PROFILE, reason="CALCIDECK_BENCH_PROFILE=0")
def test_profile_edit_rebuild(world: World) -> None:
    decks, coll = world.fresh_built_copy("profile-edit")
    edited = synthetic.edit_notes(world.deck, decks, EDIT_FRACTION, seed=999)
    with Collection.open(coll) as col:
        reports: list[Any] = []
        _profile("1% edit rebuild (cProfile adds overhead)", lambda: reports.append(col.build([decks])), "edit.prof")
    assert reports[0].ok and reports[0].notes.updated == len(edited) and reports[0].notes.retired == 0, _counts(reports[0])


def test_zz_summary() -> None:
    _banner("summary")
    print(time.strftime("measured %Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    if FACTS:
        print(
            f"deck set: {FACTS['notes']} notes {FACTS['kinds']}, {FACTS['cards']} cards, {FACTS['files']} files, "
            f"{FACTS['bytes'] / 1e6:.1f} MB"
        )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print("times are Collection.build() only (the collection was already open); lower is better")
    print(_table(), flush=True)
