"""Who may read and write the data folder: its owner only.

The folder holds unrevealed retro cards with their authors, per-member votes, feedback and
drafts, so it is private whatever the umask: folders 0700, files 0600. :func:`make_private_dirs`
creates folders that way and :func:`~coptui.store.files.atomic_write` writes files that way;
:func:`tighten` fixes a folder made by an older coptui, by hand, or restored from a backup that
kept looser modes; :func:`refuse_shared_folder` is what ``coptui serve`` checks before serving a
folder that someone else could have changed.

Only coptui's own parts are touched: the folder itself, the files directly in it, and the
subfolders coptui makes (with their files). ``--data ~`` must not chmod a whole home folder.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from coptui.store.errors import FolderNotWritableError, StoreError
from coptui.store.layout import ACTIONS_FILE, DRAFTS_DIR, INDEX_FILE, LOCK_FILE, QUARANTINE_DIR, RUNS_DIR, is_temp

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# Group and others: a mode with any of these bits set is looser than private.
SHARED_BITS = 0o077
WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH
# coptui's subfolders of the data folder, and the files it makes directly in it. "cache" is
# core/community_cache.py's CACHE_DIR, "serve.log" and the host key are serve's (the store may
# not import those layers; a test checks that the names agree).
SUBFOLDERS = (RUNS_DIR, QUARANTINE_DIR, DRAFTS_DIR, "cache")
TOP_FILES = (INDEX_FILE, ACTIONS_FILE, LOCK_FILE, "serve.log", "ssh_host_ed25519_key")


class SharedFolderError(StoreError):
    """A data folder that another user can write: ``coptui serve`` will not serve it."""


def _euid() -> int | None:
    geteuid = getattr(os, "geteuid", None)
    return None if geteuid is None else geteuid()


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each new one 0700 whatever the umask.

    Folders that already exist are left as they are (:func:`tighten` deals with the data
    folder's own). Raises OSError when a folder cannot be made.
    """
    missing: list[Path] = []
    current = Path(folder)
    while not os.path.lexists(current):
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # made by another process a moment ago: theirs is made the same way
        # A umask can only take bits away; chmod anyway so that the mode is exact.
        os.chmod(path, PRIVATE_DIR_MODE)
    if not os.path.isdir(folder):
        raise NotADirectoryError(errno.ENOTDIR, "it is a file, not a folder", str(folder))


@dataclass
class Tightened:
    """What :func:`tighten` did: the paths it made private, and what it could not fix."""

    folders: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def warning(self, data_dir: Path) -> str | None:
        """One line for the user, or None when nothing was open to other users.

        A loose file inside private folders was out of other users' reach: it is made 0600
        without a word. A loose folder let them in, and the user is told.
        """
        parts = []
        if self.folders:
            files = len(self.files)
            parts.append(
                f"{data_dir} was open to other users: made {len(self.folders)} "
                f"folder{'s' if len(self.folders) != 1 else ''} and {files} file{'s' if files != 1 else ''} "
                "readable by their owner only (folders 0700, files 0600)"
            )
        if self.failed:
            path, reason = self.failed[0]
            more = f" (and {len(self.failed) - 1} more)" if len(self.failed) > 1 else ""
            parts.append(f"could not make {path} private: {reason}{more}; other users may read it")
        return "; ".join(parts) or None


def tighten(data_dir: Path) -> Tightened:
    """Take group and other bits off the data folder, coptui's files in it and its subfolders.

    Nothing inside is followed: a symbolic link is left alone (it may point anywhere), and so
    is anything that is not a plain file or folder (a FIFO is never opened). Owner bits are
    kept, so a folder made read-only stays read-only. Files in the data folder that coptui
    does not make are left alone: ``--data`` may name a folder that holds other things.
    """
    result = Tightened()
    data_dir = Path(data_dir)
    _tighten_one(data_dir, result, folder=True, follow=True)  # the folder the user named, link or not
    for entry in _entries(data_dir, result):
        if entry.name in SUBFOLDERS and entry.is_dir(follow_symlinks=False):
            _tighten_one(Path(entry.path), result, folder=True)
            for inner in _entries(Path(entry.path), result):
                if inner.is_file(follow_symlinks=False):
                    _tighten_one(Path(inner.path), result, folder=False)
        elif (entry.name in TOP_FILES or is_temp(Path(entry.name))) and entry.is_file(follow_symlinks=False):
            _tighten_one(Path(entry.path), result, folder=False)
    return result


def _entries(folder: Path, result: Tightened) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except FileNotFoundError:
        return []
    except OSError as error:
        result.failed.append((folder, error.strerror or str(error)))
        return []


def _tighten_one(path: Path, result: Tightened, *, folder: bool, follow: bool = False) -> None:
    try:
        info = os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        result.failed.append((path, error.strerror or str(error)))
        return
    kind_ok = stat.S_ISDIR(info.st_mode) if folder else stat.S_ISREG(info.st_mode)
    if not kind_ok or not info.st_mode & SHARED_BITS:
        return
    try:
        _chmod(path, stat.S_IMODE(info.st_mode) & ~SHARED_BITS, folder=folder, follow=follow)
    except FileNotFoundError:
        return  # replaced by a write a moment ago: the new file is made private already
    except OSError as error:
        result.failed.append((path, error.strerror or str(error)))
        return
    (result.folders if folder else result.files).append(path)


def _chmod(path: Path, mode: int, *, folder: bool, follow: bool) -> None:
    # Through a descriptor opened without following links (nor blocking, should a FIFO take
    # the file's place meanwhile), so that the mode changed is the one just looked at.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    if folder:
        flags |= getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:
        # The owner cannot open a file it made unreadable (mode 0044, say), but may chmod it.
        os.chmod(path, mode)
        return
    try:
        expected = stat.S_IFDIR if folder else stat.S_IFREG
        if stat.S_IFMT(os.fstat(fd).st_mode) == expected:
            os.fchmod(fd, mode)
    finally:
        os.close(fd)


def unwritable_reason(data_dir: Path, error: OSError | None = None) -> str:
    """Why the data folder cannot be written, in words (the folder's state, else the error's)."""
    if os.path.lexists(data_dir) and not os.path.isdir(data_dir):
        return "it is a file, not a folder"
    if not os.path.isdir(data_dir):
        cause = f" ({error.strerror})" if error is not None and error.strerror else ""
        return f"the folder does not exist and cannot be created{cause}"
    if error is None:
        return "the folder is read-only"
    reason = error.strerror or str(error)
    if error.errno == errno.ENOENT:
        # An existing folder that makes no new file: the kernel's process filesystem, say.
        return f"it does not take new files ({reason})"
    if error.filename is not None and Path(str(error.filename)).name == LOCK_FILE:
        return f"{reason} ({LOCK_FILE})"
    return reason


def probe_lock_file(data_dir: Path, lock: Path) -> None:
    """Raise FolderNotWritableError unless the lock file can be opened for writing (made if missing).

    Once, before the first lock: the lock library waits out its whole timeout on some of these
    errors (a folder that makes no new file), where one line at once is the answer.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(lock, flags, PRIVATE_FILE_MODE)
    except OSError as error:
        raise folder_not_writable(data_dir, error) from None
    os.close(fd)


def folder_not_writable(data_dir: Path, error: OSError | None = None) -> FolderNotWritableError:
    return FolderNotWritableError(data_dir, unwritable_reason(data_dir, error), error)


def refuse_shared_folder(data_dir: Path) -> None:
    """Raise :class:`SharedFolderError` if a user other than this one can write the data folder.

    Such a user could have changed answers, planted a run or replaced a file, and could do so
    while the server runs: a server must not vouch for it. Checked before the store opens
    (which would tighten the modes and so hide that the folder was shared). A folder not made
    yet is fine: it will be made private.
    """
    euid = _euid()
    data_dir = Path(data_dir)
    for folder in (data_dir, *(data_dir / name for name in SUBFOLDERS)):
        try:
            # The folder named by the user may be a link to it; a subfolder that is a link is
            # not coptui's, and is refused below as not a folder.
            info = os.stat(folder) if folder == data_dir else os.lstat(folder)
        except FileNotFoundError:
            continue
        except OSError as error:
            raise SharedFolderError(f"cannot serve {data_dir}: {folder}: {error.strerror or error}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise SharedFolderError(f"cannot serve {data_dir}: {folder} is not a folder")
        mode = stat.S_IMODE(info.st_mode)
        if euid is not None and info.st_uid != euid:
            raise SharedFolderError(
                f"cannot serve {data_dir}: {folder} belongs to another user (uid {info.st_uid}); "
                "serve a data folder that the account running coptui owns"
            )
        if mode & WRITABLE_BY_OTHERS:
            who = (
                "its group and others"
                if mode & stat.S_IWGRP and mode & stat.S_IWOTH
                else ("its group" if mode & stat.S_IWGRP else "every user")
            )
            raise SharedFolderError(
                f"cannot serve {data_dir}: {folder} can be written by {who} (mode {mode:03o}), who could change "
                f"the answers; check its contents, then run: chmod -R go-rwx {data_dir}"
            )


def open_data_folder(data_dir: Path) -> list[str]:
    """Make the data folder and ``runs/`` if missing (private), tighten looser modes; the
    warnings for the user, one line each.

    A folder that cannot be made is a warning, not an error: reading commands still work (and
    find nothing), and every write says ``cannot write to DIR``. A path that names a file is an
    error: nothing can be read there either.
    """
    data_dir = Path(data_dir)
    if os.path.lexists(data_dir) and not os.path.isdir(data_dir):
        raise folder_not_writable(data_dir)
    try:
        make_private_dirs(data_dir)
    except OSError as error:
        return [str(folder_not_writable(data_dir, error))]
    warnings = []
    warning = tighten(data_dir).warning(data_dir)
    if warning is not None:
        warnings.append(warning)
    with suppress(OSError):  # a read-only folder: the first write says so
        make_private_dirs(data_dir / RUNS_DIR)
    return warnings
