"""Where the collection lives: explicit choice, ``CALCIDECK_COLLECTION``, or the per-user default.

Nothing is computed or created at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "CALCIDECK_COLLECTION"
APP_NAME = "CalciDeck"
COLLECTION_FILENAME = "collection.sqlite"


def default_collection_path() -> Path:
    """The per-user collection file, e.g. ``~/.local/share/CalciDeck/collection.sqlite`` on Linux.

    Only computed; neither the file nor its directory is created here.
    """
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / COLLECTION_FILENAME


def resolve_collection_target(explicit: str | os.PathLike[str] | None) -> str | Path:
    """Pick the collection target: ``explicit`` if given, else ``$CALCIDECK_COLLECTION``, else the default.

    The result is a file path or a database URL, as accepted by
    :func:`calcideck.store.engine.make_engine`. An empty string counts as "not
    given", for ``explicit`` as for the environment variable.
    """
    if explicit is not None:
        if isinstance(explicit, str):
            if explicit:
                return explicit
        else:
            return Path(explicit)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return from_env
    return default_collection_path()
