"""Rendering on several cores for large builds.

Rendering is a pure function of parsed notes, so it can run in worker
processes. Small jobs stay in this process: starting workers costs more than
it saves below a few thousand notes. (Parsing stays here too: shipping parsed
notes between processes costs about what parsing them does.) ``CALCIDECK_WORKERS`` (a
number; 1 turns workers off) overrides the number of processes.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType

from calcideck.compiler.driver import MediaLoader, render_notes
from calcideck.compiler.ir import CompiledCard, CompiledNote, ParsedNote
from calcideck.compiler.media import MediaBlob
from calcideck.core.diagnostics import Diagnostic

MIN_RENDER_NOTES = 3_000  # below this many notes to render, render in this process


def worker_count() -> int:
    configured = os.environ.get("CALCIDECK_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(os.cpu_count() or 1, 4))


# What a worker sends back for one note: plain tuples pickle several times faster
# than the dataclasses (the parent already has the parsed note).
_CardTuple = tuple[str, int, str, str, str, "dict[str, object] | None"]
_NoteResult = tuple[str, tuple[_CardTuple, ...], tuple[str, ...]]


def _render_job(
    job: tuple[list[ParsedNote], dict[str, MediaBlob]],
) -> tuple[list[_NoteResult], list[Diagnostic]]:
    notes, media = job
    compiled, diags = render_notes(notes, MediaLoader.with_loaded(media))
    results = [
        (
            c.render_key,
            tuple((k.key, k.ordinal, k.match_text, k.question_html, k.answer_html, k.data) for k in c.cards),
            c.media_files,
        )
        for c in compiled
    ]
    return results, diags


# Set just before a fork, so forked workers inherit the notes instead of
# unpickling them (which costs about a third of rendering them).
_INHERITED: tuple[Sequence[ParsedNote], dict[str, MediaBlob]] | None = None


def _render_inherited(span: tuple[int, int]) -> tuple[list[_NoteResult], list[Diagnostic]]:
    assert _INHERITED is not None
    notes, media = _INHERITED
    return _render_job((list(notes[span[0] : span[1]]), media))


class RenderStream:
    """Rendering under way: iterate for (compiled notes, diagnostics), chunk by chunk, in order.

    Work starts when the stream is made, so the caller can do other work (such
    as writing rows) while the workers render, and consume each chunk as it
    arrives. Always ``close()`` it (or use it as a context manager).
    """

    def __init__(self, processes: int, notes: Sequence[ParsedNote], loader: MediaLoader) -> None:
        global _INHERITED
        self._notes = notes
        self._loader = loader
        self._pool: ProcessPoolExecutor | None = None
        self._outputs: Iterator[tuple[list[_NoteResult], list[Diagnostic]]] | None = None
        self._spans = [(0, len(notes))]
        if processes <= 1 or len(notes) < MIN_RENDER_NOTES:
            return  # rendered in this process, as the stream is read
        # Workers need each image's name and size, not its bytes.
        media = {path: dataclasses.replace(blob, data=b"") for path, blob in loader.loaded.items()}
        size = max(1, -(-len(notes) // (processes * 4)))
        self._spans = [(i, min(i + size, len(notes))) for i in range(0, len(notes), size)]
        # Fork only a single-threaded process (a GUI calling build from a worker
        # thread is not): forking with other threads alive can deadlock the child.
        if multiprocessing.get_start_method() == "fork" and threading.active_count() == 1:
            _INHERITED = (notes, media)  # cleared in close(), after every worker has forked
            self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"))
            self._outputs = self._pool.map(_render_inherited, self._spans)
        else:
            jobs = [(list(notes[a:b]), media) for a, b in self._spans]
            method = "spawn" if multiprocessing.get_start_method() == "fork" else None
            self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context(method))
            self._outputs = self._pool.map(_render_job, jobs)

    def __iter__(self) -> Iterator[tuple[list[CompiledNote], list[Diagnostic]]]:
        if self._outputs is None:
            yield render_notes(self._notes, self._loader)
            return
        for (a, b), (results, span_diags) in zip(self._spans, self._outputs, strict=True):
            if span_diags:  # the build stops on any error; the diagnostics say which notes failed
                yield [], span_diags
                continue
            compiled = [
                CompiledNote(note, tuple(CompiledCard(*card) for card in cards), key, media_files)
                for note, (key, cards, media_files) in zip(self._notes[a:b], results, strict=True)
            ]
            yield compiled, []

    def close(self) -> None:
        global _INHERITED
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        _INHERITED = None

    def __enter__(self) -> RenderStream:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class BuildWorkers:
    """Renders a build's notes, on worker processes when there are many."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or worker_count()

    def start(self, notes: Sequence[ParsedNote], loader: MediaLoader) -> RenderStream:
        """Start rendering ``notes``; read the results from the returned stream."""
        return RenderStream(self.processes, notes, loader)

    def render(self, notes: Sequence[ParsedNote], loader: MediaLoader) -> tuple[list[CompiledNote], list[Diagnostic]]:
        """Render ``notes`` and wait for all of them."""
        compiled: list[CompiledNote] = []
        diags: list[Diagnostic] = []
        with self.start(notes, loader) as stream:
            for part, part_diags in stream:
                compiled += part
                diags += part_diags
        return compiled, diags
