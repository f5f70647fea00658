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

    reason: str

    def __init__(self, error: OSError | None, path: Path, outcome: str, *, message: str | None = None) -> None:
        # The system's words alone ("No space left on device"), to be quoted by a later message.
        reason: str = ""
        if isinstance(error, StoreWriteError):
            reason = error.reason
        elif error is not None:
            reason = str(error.strerror or error)
        self.reason = reason
        super().__init__(
            None if error is None else error.errno, message or f"could not save {path}: {self.reason}; {outcome}"
        )
        self.path = path

    def __str__(self) -> str:
        return str(self.strerror)


class FolderNotWritableError(StoreWriteError):
    """The data folder cannot be written at all (read-only, not a folder, cannot be made):
    every write says so in one line; reading commands still work."""

    def __init__(self, folder: Path, reason: str, error: OSError | None = None) -> None:
        super().__init__(error, folder, "nothing was changed", message=f"cannot write to {folder}: {reason}")
