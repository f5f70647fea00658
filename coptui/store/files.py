"""Bytes on disk: atomic, fsynced writes, the file format's encoding, and file signatures.

Every data file is serialised with orjson (keys sorted, so record order tells nothing
about insertion order), written to a temp file in the same folder, fsynced, swapped in
with ``os.replace``, then the folder is fsynced. A crash at any moment leaves either the
old or the new file, never a torn one.

Each file carries ``{"_meta": {"schema": N}}``. A damaged file, or one written by a newer
coptui, raises :class:`UnreadableFileError` here; what the store then does with it (leave
it, copy it to quarantine) is in store.py.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson

from coptui.store.errors import FolderNotWritableError, StoreWriteError, UnreadableFileError
from coptui.store.layout import TEMP_PREFIX
from coptui.store.permissions import PRIVATE_FILE_MODE
from coptui.store.tables import META_KEY, SCHEMA_VERSION

# A folder that takes no new file at all: read-only, not ours, on a read-only mount.
_FOLDER_REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})

# What identifies one version of a file on disk: a write always makes a new inode.
FileSignature = tuple[int, int, int]


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, payload: bytes, *, mode: int | None = None) -> None:
    """Write ``payload`` to ``path`` so that a crash leaves the old or the new bytes.

    The file is made 0600 (readable by its owner only) unless ``mode`` says otherwise.

    Order: write the temp file, fsync it, ``os.replace`` it over the target, fsync the
    folder (so the rename itself survives a power cut). The temp file lives beside the
    target (``os.replace`` is only atomic within one filesystem) and its name carries the
    writer's pid (see :func:`temp_owner_is_dead`); an error at any step before the rename
    removes it and leaves the target as it was.
    """
    directory = path.parent
    fd = -1
    temp = directory / f"{TEMP_PREFIX}{path.name}.{os.getpid()}.{threading.get_ident()}"
    try:
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
        except OSError as error:
            if error.errno in _FOLDER_REFUSED:
                raise FolderNotWritableError(directory, error.strerror or str(error), error) from error
            raise
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        # Private whatever the umask and whatever the replaced file allowed (an older coptui
        # wrote 0644): the folder holds names next to cards, votes and drafts.
        os.fchmod(fd, PRIVATE_FILE_MODE if mode is None else mode)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(temp, path)
    except BaseException as error:
        if fd >= 0:
            os.close(fd)
        with suppress(FileNotFoundError):
            os.unlink(temp)
        if isinstance(error, OSError) and not isinstance(error, StoreWriteError):
            raise StoreWriteError(error, path, "nothing was changed") from error
        raise
    try:
        fsync_dir(directory)
    except OSError as error:
        raise StoreWriteError(
            error,
            path,
            "the new file is in place but the folder could not be synced, so it may not survive a power cut",
        ) from error


def encode(data: Mapping[str, Any]) -> bytes:
    """Serialise a whole file. Keys are sorted so that record order reveals nothing."""
    return orjson.dumps({META_KEY: {"schema": SCHEMA_VERSION}, **data}, option=orjson.OPT_SORT_KEYS)


def plain_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A deep JSON copy of a record: fails at once (TypeError) on a value a file cannot hold.

    Copying also means a caller who changes its dict afterwards cannot change what is stored.
    """
    try:
        copy: dict[str, Any] = orjson.loads(orjson.dumps(record))
    except TypeError as error:
        raise TypeError(f"a record must hold JSON values only: {error}") from None
    return copy


def decode(path: Path, raw: bytes) -> tuple[dict[str, Any], bool]:
    """Parse a file's bytes; returns (tables, needs_migration). Raises UnreadableFileError."""
    if not raw.strip():
        raise UnreadableFileError(path, "is empty (0 bytes of data)")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise UnreadableFileError(path, f"is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise UnreadableFileError(path, "does not hold a JSON object")
    meta = data.pop(META_KEY, None)
    if meta is None:
        # A plain TinyDB file (schema 0): tables only. Migrated on its next write.
        version = 0
    elif isinstance(meta, dict) and type(meta.get("schema")) is int:
        version = meta["schema"]
    else:
        raise UnreadableFileError(path, "has a damaged _meta header")
    if version > SCHEMA_VERSION:
        raise UnreadableFileError(
            path,
            f"was written by a newer coptui (schema {version}; this one reads up to {SCHEMA_VERSION}): upgrade coptui",
            damaged=False,
        )
    for name, table in data.items():
        if not isinstance(table, dict):
            raise UnreadableFileError(path, f"table {name!r} is not a JSON object")
    return data, version < SCHEMA_VERSION


def file_signature(path: Path) -> FileSignature | None:
    # lstat: a symlink left at a data file's name (even one to itself) has a signature of its own.
    try:
        stat = os.lstat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def temp_owner_is_dead(path: Path) -> bool:
    """Whether a temp file is left from a write that can no longer finish.

    Temp names carry the writer's pid (see :func:`atomic_write`); a live writer's temp is
    left alone, since it may be about to rename it.
    """
    parts = path.name.split(".")
    try:
        pid = int(parts[-2])
    except (IndexError, ValueError):
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # A live process with that pid may be a coptui writer; temps older than a minute are stale anyway.
    return time.time() - path.stat().st_mtime > 60
