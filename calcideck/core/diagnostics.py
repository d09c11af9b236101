"""Located diagnostics and the error hierarchy.

Authoring problems are never raised one by one: the compiler collects every
:class:`Diagnostic` of a run and reports them together, formatted the way
compilers do (``decks/x.md:12:5: error: ...``) so editors and CI can jump to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    """A 1-based line and column in a deck file (``path`` as the user gave it)."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    location: SourceLocation
    severity: Severity
    message: str
    code: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
        }


def error(path: str, line: int, column: int, message: str, code: str) -> Diagnostic:
    return Diagnostic(SourceLocation(path, line, column), Severity.ERROR, message, code)


def warning(path: str, line: int, column: int, message: str, code: str) -> Diagnostic:
    return Diagnostic(SourceLocation(path, line, column), Severity.WARNING, message, code)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int]:
    loc = diagnostic.location
    return (loc.path, loc.line, loc.column)


class CalciDeckError(Exception):
    """Base of every error CalciDeck raises on purpose."""


class DeckError(CalciDeckError):
    """A build refused because the deck files have errors; nothing was written."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = sum(1 for d in diagnostics if d.is_error)
        super().__init__(f"{errors} error(s) in the deck files; the collection was not changed")


class CollectionError(CalciDeckError):
    """The collection file cannot be opened or used."""


class SchemaTooNewError(CollectionError):
    """The collection was written by a newer CalciDeck than this one."""
