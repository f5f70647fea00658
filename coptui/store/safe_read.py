"""Reading a data file without trusting what sits at its path.

Anyone who can write the data folder can leave anything under a data file's name: a folder,
a FIFO (opening one for reading blocks until a writer comes, while coptui holds the lock), a
symlink to itself or to ``/dev/zero`` (read until memory runs out), a symlink to a system
file (whose contents would be copied into ``quarantine/``). So a data file is read only if
it is a plain file, not through a symlink, and never more than :data:`MAX_FILE_BYTES`:

- ``lstat`` first: anything but a plain file is refused without being opened;
- then ``open`` with ``O_NOFOLLOW`` (a symlink swapped in since the lstat fails) and
  ``O_NONBLOCK`` (a FIFO swapped in does not block the open), and ``fstat`` on the open
  file to make sure it is still a plain file;
- the signature returned is the open file's own, so it names exactly the bytes returned.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from coptui.store.errors import UnreadableFileError

# What identifies one version of a file on disk: a write always makes a new inode.
FileSignature = tuple[int, int, int]

# Far above any real file (a run of 10,000 responses is a few MB) and far below what would
# hurt the machine: a bigger file is refused rather than read into memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
_CHUNK = 1024 * 1024

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def kind_of(mode: int) -> str:
    """What a file of this mode is, in words."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def _signature(st: os.stat_result) -> FileSignature:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def signature(path: Path) -> FileSignature | None:
    """The signature of whatever is at ``path`` itself (a symlink is not followed); None if nothing."""
    try:
        return _signature(os.lstat(path))
    except FileNotFoundError:
        return None
    except OSError:
        # A path that cannot even be looked at (a folder on the way is not one, or not
        # searchable): as good as missing for the signature; reading it says why.
        return None


def _refuse_kind(path: Path, mode: int) -> UnreadableFileError:
    return UnreadableFileError(path, f"is {kind_of(mode)}, not a plain file; coptui does not read it", damaged=False)


def read_file(path: Path, *, limit: int = MAX_FILE_BYTES) -> tuple[bytes, FileSignature] | None:
    """The bytes of the plain file at ``path`` and their signature; None if there is nothing there.

    Raises :class:`UnreadableFileError` (not damaged: nothing is copied) for anything that
    is not a plain file, for a file bigger than ``limit``, and for one that cannot be read.
    """
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UnreadableFileError(path, f"cannot be read ({error.strerror or error})", damaged=False) from None
    if not stat.S_ISREG(before.st_mode):
        raise _refuse_kind(path, before.st_mode)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None  # swapped out since the lstat: gone now
    except OSError as error:
        if error.errno == errno.ELOOP:  # a symlink swapped in since the lstat
            raise _refuse_kind(path, stat.S_IFLNK) from None
        raise UnreadableFileError(path, f"cannot be read ({error.strerror or error})", damaged=False) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse_kind(path, st.st_mode)
        if st.st_size > limit:
            raise _too_big(path, limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:  # grew while being read: still never more than the limit in memory
                raise _too_big(path, limit)
            chunks.append(chunk)
    except OSError as error:
        raise UnreadableFileError(path, f"cannot be read ({error.strerror or error})", damaged=False) from None
    finally:
        os.close(fd)
    return b"".join(chunks), _signature(st)


def _too_big(path: Path, limit: int) -> UnreadableFileError:
    return UnreadableFileError(
        path,
        f"is larger than {limit // (1024 * 1024)} MB, far more than coptui ever writes; it is not read",
        damaged=False,
    )
