"""Reading the TOML files a user writes (definitions, ``community.toml``) without trusting them.

Plain Python, no pydantic: the community cache reads its file through here on every start.

A file in the surveys folder may be anything: a FIFO (whose plain ``open`` waits forever for a
writer), a symlink to an endless device, a file of many megabytes, or TOML nested thousands
of levels deep, on which the standard parser recurses until Python gives up with
RecursionError. Each becomes one :class:`TomlFileError` whose message names what is wrong;
the caller turns it into a problem of that file, and the other files still load.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

# No definition or community file comes near this (the shipped community is 3 KB, one of a
# thousand members with a key each about 150 KB); the cap keeps a symlink to /dev/zero, or a
# log file saved under a .toml name, from being read into memory whole.
MAX_FILE_BYTES = 4 * 1024 * 1024
# A valid file nests four levels at most (a survey, its questions, a question, its options);
# anything deeper is refused before a model walks it, and the same limit is named when the
# parser itself runs out of stack, so that a file is refused the same way however deep it is.
MAX_NESTING = 32


class TomlFileError(ValueError):
    """A TOML file that cannot be read or parsed; the message is one line, for the user."""


def read_file_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`; else TomlFileError."""
    try:
        # O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a
        # writer; it is then refused below as not a regular file. No effect on regular files.
        # O_NOCTTY: a link to a terminal never becomes the controlling terminal.
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags)
    except OSError as error:
        raise TomlFileError(f"cannot be read: {error.strerror or error}") from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise TomlFileError("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise TomlFileError("is not a regular file (a device, a pipe or a socket); it is not read")
        if info.st_size > MAX_FILE_BYTES:
            raise TomlFileError(_too_big(info.st_size))
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(descriptor, 1024 * 1024)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:  # it grew while being read
            raise TomlFileError(_too_big(size))
        return b"".join(chunks)
    except OSError as error:
        raise TomlFileError(f"cannot be read: {error.strerror or error}") from None
    finally:
        os.close(descriptor)


def _too_big(size: int) -> str:
    return f"is {size:,} bytes; a definition or community file may hold at most {MAX_FILE_BYTES:,}"


def parse_toml(raw: bytes) -> dict[str, Any]:
    """The table of a TOML document, nested at most :data:`MAX_NESTING` levels; else TomlFileError."""
    # Imported here: a start whose community comes from its cache reads the file through
    # this module but parses nothing (tomllib costs a few milliseconds to import).
    import tomllib

    try:
        # utf-8-sig: an editor on Windows may start the file with a byte order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TomlFileError("is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TomlFileError(f"TOML syntax error: {error}") from None
    except RecursionError:
        # The parser recurses once per level of nested arrays and inline tables.
        raise TomlFileError(_too_deep()) from None
    except ValueError as error:
        # Python refuses to read a whole number of more than 4,300 digits (a guard against
        # slow conversions); the parser lets that ValueError through as it is.
        if "integer string conversion" in str(error):
            raise TomlFileError(_too_large()) from None
        raise TomlFileError(f"holds a value that cannot be read: {str(error).split(';')[0]}") from None
    depth, too_large = _walk(data)
    if depth > MAX_NESTING:
        # Dotted keys and table headers (a.b.c...) nest without recursing in the parser.
        raise TomlFileError(_too_deep())
    if too_large:
        raise TomlFileError(_too_large())
    return data


def _too_large() -> str:
    # TOML's integers are 64-bit; the parser reads longer ones (0xfff... of any length), which
    # then cannot even be printed in a message.
    return "holds a whole number larger than TOML allows (64 bits: up to 9,223,372,036,854,775,807)"


def _too_deep() -> str:
    return f"is nested more than {MAX_NESTING} levels deep; no definition needs more than a few"


def nesting_depth(value: Any) -> int:
    """How many tables and arrays deep ``value`` goes (0 for a plain value), without recursing."""
    return _walk(value)[0]


def _walk(value: Any) -> tuple[int, bool]:
    """How deep ``value`` goes (stopping past :data:`MAX_NESTING`), and whether it holds a
    whole number outside TOML's 64 bits."""
    deepest = 0
    too_large = False
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            if isinstance(item, int) and not -(2**63) <= item < 2**63:
                too_large = True
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_NESTING:
                return deepest, too_large
        stack.extend((child, depth) for child in children)
    return deepest, too_large


def load_toml_file(path: Path) -> dict[str, Any]:
    """Read and parse one TOML file; every failure is one TomlFileError."""
    return parse_toml(read_file_bytes(path))
