"""A cache file: JSON stamped with a format and a key, trusted only if this user wrote it.

The first line is a header (the format, the key the content stands for, the SHA-256 of the
body); the rest is the body. A cache that is missing, stale, damaged, or that another user
could have written reads as None, and the caller rebuilds it from the source.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from coptui.store.files import atomic_write
from coptui.store.permissions import make_private_dirs


def read_keyed_cache(path: Path, cache_format: int, key: str) -> Any | None:
    """The body cached under ``key`` in ``cache_format``, or None when it cannot be trusted."""
    try:
        content = _read_own_file(path)
        if content is None:
            return None
        head, _, body = content.partition(b"\n")
        header = orjson.loads(head)
        if not isinstance(header, dict) or header.get("format") != cache_format or header.get("key") != key:
            return None
        if header.get("sha256") != hashlib.sha256(body).hexdigest():
            return None
        return orjson.loads(body)
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return None


def write_keyed_cache(path: Path, cache_format: int, key: str, body: Any) -> None:
    """Store ``body`` under ``key``; a folder that cannot be written goes without a cache."""
    encoded = orjson.dumps(body)
    header = orjson.dumps({"format": cache_format, "key": key, "sha256": hashlib.sha256(encoded).hexdigest()})
    try:
        make_private_dirs(path.parent)  # may be the first to make the data folder: private from the start
        atomic_write(path, header + b"\n" + encoded, mode=0o600)
    except OSError:
        pass


def _read_own_file(path: Path) -> bytes | None:
    """The bytes of ``path`` if this user wrote it and no one else can write it, else None.

    A cache may say who may log in to `coptui serve` (members' keys) and who facilitates.
    Anyone may know a cache's key (a hash of its source) and write a consistent one: a file
    that another user could have written, or a symbolic link to one, is not used, so that
    write access to the data folder gives no more say than before."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        stat = os.fstat(fd)
        geteuid = getattr(os, "geteuid", None)
        if (geteuid is not None and stat.st_uid != geteuid()) or stat.st_mode & 0o022:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
