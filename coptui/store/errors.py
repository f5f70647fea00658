"""The store's errors, each with a message meant for the user (all are CoptuiError).

Their own module, below everything else in the package: files.py raises the file errors
and store.py the lock's, so neither has to import the other.
"""

from __future__ import annotations

from pathlib import Path

from coptui.errors import CoptuiError
from coptui.store.layout import QUARANTINE_DIR


class StoreError(CoptuiError):
    """A store problem with a message meant for the user."""


class UnreadableFileError(StoreError):
    """A file that is damaged or written by a newer coptui: refused, never overwritten."""

    def __init__(self, path: Path, reason: str, *, damaged: bool = True) -> None:
        kept = f" (a copy is in {QUARANTINE_DIR}/)" if damaged else ""
        super().__init__(f"{path}: {reason}; it was left untouched{kept}")
        self.path = path
        self.reason = reason
        self.damaged = damaged
        # The bytes that were refused, when they were read: the quarantine keeps a copy of
        # these very bytes rather than opening the path again (which may be a symlink now).
        self.raw: bytes | None = None


class LockTimeoutError(StoreError):
    pass


class LockUnavailableError(StoreError):
    """The lock file cannot be taken at all (it is a folder, or cannot be opened): nothing can be written."""


class StoreWriteError(StoreError, OSError):
    """The operating system refused a write (disk full, I/O error): the message says what survived."""

    def __init__(self, error: OSError, path: Path, outcome: str) -> None:
        super().__init__(error.errno, f"could not save {path}: {error.strerror or error}; {outcome}")
        self.path = path

    def __str__(self) -> str:
        return str(self.strerror)
