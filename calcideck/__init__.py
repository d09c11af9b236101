"""CalciDeck: Markdown flashcard decks compiled into a local spaced-repetition collection.

Importing this package has no side effects: no directory is created, no file
is opened and Qt is never imported. The public names are loaded lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["BuildReport", "CalciDeckError", "Collection", "__version__"]

if TYPE_CHECKING:
    from calcideck.core.diagnostics import CalciDeckError
    from calcideck.service import BuildReport, Collection


def __getattr__(name: str) -> Any:
    if name in ("Collection", "BuildReport"):
        from calcideck import service

        return getattr(service, name)
    if name == "CalciDeckError":
        from calcideck.core.diagnostics import CalciDeckError

        return CalciDeckError
    raise AttributeError(f"module 'calcideck' has no attribute {name!r}")
