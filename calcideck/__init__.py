"""CalciDeck: Markdown flashcard decks compiled into a local spaced-repetition collection.

Importing this package has no side effects: no directory is created, no file
is opened and Qt is never imported. The public names are loaded lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["BuildReport", "CalciDeckError", "CardState", "Collection", "Preset", "Rating", "ReviewCard", "State", "__version__"]

if TYPE_CHECKING:
    from calcideck.core.diagnostics import CalciDeckError
    from calcideck.scheduling import CardState, Preset, Rating, State
    from calcideck.service import BuildReport, Collection, ReviewCard


def __getattr__(name: str) -> Any:
    if name in ("Rating", "State", "CardState", "Preset"):
        from calcideck import scheduling

        return getattr(scheduling, name)
    if name in ("Collection", "BuildReport", "ReviewCard"):
        from calcideck import service

        return getattr(service, name)
    if name == "CalciDeckError":
        from calcideck.core.diagnostics import CalciDeckError

        return CalciDeckError
    raise AttributeError(f"module 'calcideck' has no attribute {name!r}")
