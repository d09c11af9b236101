"""The ``calcideck`` command line: check, build, stats, optimize.

Diagnostics print as ``FILE:LINE:COL: error: MESSAGE`` so editors and CI can
jump to them. Exit status: 0 success, 1 deck errors, 2 usage or collection
errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from calcideck import __version__
from calcideck.core.diagnostics import CalciDeckError, Diagnostic

EXIT_OK, EXIT_DECK_ERRORS, EXIT_FAILURE = 0, 1, 2

DESCRIPTION = "CalciDeck: Markdown flashcard decks compiled into a spaced-repetition collection."
EPILOG = """\
collection file:
  --collection FILE, else $CALCIDECK_COLLECTION, else collection.sqlite in
  the user data folder. A database URL (postgresql://...) also works.

exit status:
  0 success, 1 errors in the deck files, 2 usage or collection problems.

Deck format: docs/deck-format.md
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    coll = argparse.ArgumentParser(add_help=False)
    coll.add_argument(
        "--collection",
        metavar="FILE",
        default=None,
        help="collection file to use (default: $CALCIDECK_COLLECTION or the user data folder)",
    )

    parser = argparse.ArgumentParser(
        prog="calcideck",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"calcideck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    check = sub.add_parser(
        "check",
        parents=[common],
        help="validate deck files without touching any collection",
        description="Validate deck files and folders; print every problem as FILE:LINE:COL: severity: message.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="a deck file, or a folder (every .md below it)")

    build = sub.add_parser(
        "build",
        parents=[common, coll],
        help="compile deck files into the collection",
        description=(
            "Compile deck files and folders into the collection. Review history survives edits; "
            "with any error nothing is written."
        ),
    )
    build.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a deck folder (the deck root), or a file or subfolder of a root built before (only that part is updated)",
    )
    stats = sub.add_parser(
        "stats",
        parents=[common, coll],
        help="today's workload, the 30-day forecast and retention",
        description=(
            "Show cards due today, reviews due on each of the next 30 days, true retention over the last 30 days "
            "against the desired retention, and what other desired retentions would cost (simulated)."
        ),
    )
    stats.add_argument("--deck", default=None, help="a deck (with its subdecks); default: the whole collection")

    optimize = sub.add_parser(
        "optimize",
        parents=[common, coll],
        help="fit FSRS parameters to your own review history",
        description=(
            "Fit a preset's FSRS parameters to the review log with fsrs-rs (Anki's engine). The new parameters "
            "replace the current ones only if they predict your answers better (lower log loss). "
            "Needs a few hundred reviews."
        ),
    )
    optimize.add_argument("--preset", default=None, help="preset to fit (default: Default)")
    optimize.add_argument("--reschedule", action="store_true", help="also move review cards' due dates to the new parameters")
    return parser


def _stats(args: argparse.Namespace) -> int:
    from calcideck.service import Collection

    with Collection.open(args.collection) as col:
        st = col.stats(args.deck)
    if args.json:
        print(json.dumps(st.to_json(), ensure_ascii=False))
        return EXIT_OK
    print(f"due today: {st.due_today}")
    print("next 30 days: " + " ".join(str(n) for n in st.forecast))
    retention = (
        "no reviews yet" if st.true_retention is None else f"{st.true_retention:.1%} of {st.reviews_last_30_days} reviews"
    )
    print(f"true retention (30 days): {retention}; desired {st.desired_retention:.0%}")
    if st.options:
        print("help me decide (simulated year):")
        print("  desired  reviews/day  minutes/day  cards remembered")
        for o in st.options:
            print(
                f"  {o.desired_retention:>6.0%}  {o.reviews_per_day:>11.1f}"
                f"  {o.minutes_per_day:>11.1f}  {o.cards_remembered:>16.0f}"
            )
    return EXIT_OK


def _optimize(args: argparse.Namespace) -> int:
    from calcideck.service import Collection

    with Collection.open(args.collection) as col:
        report = col.optimize(args.preset, reschedule=args.reschedule)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(f"preset {report.preset}: {report.message}")
        if report.fitted:
            print(f"reviews used: {report.reviews} ({report.items} training items)")
            if report.rescheduled:
                print(f"rescheduled: {report.rescheduled} cards")
    return EXIT_OK


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for d in diagnostics:
        print(d.format(), file=sys.stderr)


def _summary_line(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    return f"{errors} error(s), {warnings} warning(s)"


def _check(args: argparse.Namespace) -> int:
    from calcideck.compiler.driver import check_paths

    result = check_paths(args.paths)
    if args.json:
        cards = sum(len(n.cards) for n in result.notes)
        print(
            json.dumps(
                {
                    "notes": len(result.notes),
                    "cards": cards,
                    "diagnostics": [d.to_json() for d in result.diagnostics],
                },
                ensure_ascii=False,
            )
        )
    else:
        _print_diagnostics(result.diagnostics)
        cards = sum(len(n.cards) for n in result.notes)
        print(f"checked: {len(result.notes)} notes, {cards} cards; {_summary_line(result.diagnostics)}")
    return EXIT_OK if result.ok else EXIT_DECK_ERRORS


def _build(args: argparse.Namespace) -> int:
    from calcideck.service import Collection

    with Collection.open(args.collection) as col:
        report = col.build(args.paths)
        where = col.location
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        _print_diagnostics(report.diagnostics)
        if report.ok:
            n, c = report.notes, report.cards
            print(f"notes: {n.added} added, {n.updated} updated, {n.unchanged} unchanged, {n.retired} retired")
            print(f"cards: {c.added} added, {c.updated} updated, {c.unchanged} unchanged, {c.retired} retired")
            print(f"collection: {where}")
        else:
            print(
                f"build failed: {_summary_line(report.diagnostics)}; the collection was not changed",
                file=sys.stderr,
            )
    return EXIT_OK if report.ok else EXIT_DECK_ERRORS


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="calcideck: %(levelname)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        commands = {"check": _check, "build": _build, "stats": _stats, "optimize": _optimize}
        return commands[args.command](args)
    except CalciDeckError as exc:
        print(f"calcideck: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("calcideck: interrupted; the collection was not changed", file=sys.stderr)
        return 130
