"""One process at a time per collection file: an OS lock on ``<collection>.lock``.

The lock is held for as long as the collection is open and released by the
operating system when the process ends, however it ends (a killed process
never leaves a stale lock). A second process gets :class:`CollectionInUseError`
at once, before it reads or writes anything.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from calcideck.core.diagnostics import CollectionError


class CollectionInUseError(CollectionError):
    """Another CalciDeck process has this collection open."""


class CollectionLock:
    def __init__(self, collection: Path) -> None:
        self.path = collection.with_name(collection.name + ".lock")
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        try:
            handle = open(self.path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
        except OSError as exc:
            raise CollectionError(f"cannot lock collection {self.path.with_suffix('')}: {exc.strerror or exc}") from None
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise CollectionInUseError(
                f"collection {self.path.with_suffix('')} is in use by another CalciDeck process; close it there first"
            ) from None
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            try:
                _unlock(self._file)
            finally:
                self._file.close()
                self._file = None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


__all__ = ["CollectionInUseError", "CollectionLock"]
