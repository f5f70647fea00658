"""Who is who: the server's host key, and which member owns which public key.

Public-key authentication only, against the keys of the members in ``community.toml``
(``keys = [...]``) and the authorized_keys-style file the community names (lines
``<type> <base64> <handle>``).

:func:`read_member_keys` checks every key the two places list, for `coptui serve` (at start
and on every reload) and `coptui validate` alike: a line that is not a public key, a
private key pasted in, a handle that is no member, a keys file that is missing or not
UTF-8, and a key listed for two members. A key says who you are, once: one listed for two
members is refused for both, since either of them could log in as the other.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from coptui.core.community import Community, community_path
from coptui.core.community_schema import load_community
from coptui.core.problems import Problem

HOST_KEY_FILE = "ssh_host_ed25519_key"


def load_host_key(data_dir: Path) -> asyncssh.SSHKey:
    """The server's host key: made on first start (mode 0600) and reused, so clients can pin it."""
    # Imported here: the server's options load its terminal driver (Textual), which
    # `coptui validate`, checking member keys with this module, has no use for.
    from coptui.serve.options import ServeError

    path = data_dir / HOST_KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519", comment="coptui host key")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another server started at the same moment: use its key
            pass
        else:
            with os.fdopen(fd, "wb") as file:
                file.write(key.export_private_key())
                file.flush()
                os.fsync(file.fileno())
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ServeError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    try:
        return asyncssh.read_private_key(path)
    except (OSError, asyncssh.KeyImportError) as error:
        raise ServeError(f"{path} is not a usable host key ({error}); move it away to make a new one") from None


def fingerprint(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")


KEY_LINE = "'<type> <base64> <handle>'"
PRIVATE_KEY_ADVICE = (
    "is a private key: remove it and list the public key (the .pub file) instead; "
    "whoever could read this file could log in with it, so make a new key"
)


def _is_private_key(text: str) -> bool:
    # asyncssh reads the public half out of a private key, so a pasted private key would work
    # as a member's key, and sit in a file others read: it is refused, never used.
    return "PRIVATE KEY" in text or "PuTTY-User-Key-File" in text


@dataclass(frozen=True)
class _Listed:
    """One place a key is listed: for whom, and where (as a problem names it)."""

    handle: str
    file: str
    path: str

    @property
    def where(self) -> str:
        return f"{self.file}: {self.path}" if self.path else self.file


@dataclass
class MemberKeyCheck:
    """What :func:`read_member_keys` found."""

    keys: dict[bytes, str]  # public key data -> the member it logs in as
    shared: dict[bytes, tuple[str, ...]]  # keys listed for two members or more, refused for all
    problems: list[Problem]


def read_member_keys(surveys_dir: Path, community: Community) -> MemberKeyCheck:
    """Every member key of ``community`` and every problem of the two places keys are
    listed, one line each. Lines with a problem give no key; a key listed for two members or
    more is refused for all of them."""
    listed: dict[bytes, list[_Listed]] = {}
    fingerprints: dict[bytes, str] = {}
    problems: list[Problem] = []

    def add(key: asyncssh.SSHKey, place: _Listed) -> None:
        listed.setdefault(key.public_data, []).append(place)
        fingerprints.setdefault(key.public_data, fingerprint(key))

    where = str(community_path(surveys_dir))
    for m_index, member in enumerate(community.members):
        for k_index, text in enumerate(member.keys):
            path = f"members[{m_index}].keys[{k_index}]"
            if _is_private_key(text):
                problems.append(Problem(where, path, PRIVATE_KEY_ADVICE))
                continue
            try:
                key = asyncssh.import_public_key(text.strip())
            except (asyncssh.KeyImportError, ValueError) as error:
                problems.append(Problem(where, path, f"is not an SSH public key ({_why(error)})"))
                continue
            add(key, _Listed(member.handle, where, path))
    if community.authorized_keys:
        keys_file = (surveys_dir / community.authorized_keys).resolve()
        lines, file_problems = _read_keys_file(keys_file)
        problems.extend(file_problems)
        problems.extend(_keys_file_entries(keys_file, lines, community, add))
    keys: dict[bytes, str] = {}
    shared: dict[bytes, tuple[str, ...]] = {}
    for data, places in listed.items():
        handles = list(dict.fromkeys(place.handle for place in places))
        if len(handles) == 1:
            keys[data] = handles[0]
            continue
        shared[data] = tuple(handles)
        first = places[0]
        others = [place for place in places if place.handle != first.handle]
        named = " and ".join(repr(h) for h in handles)
        also = "; ".join(f"for {place.handle!r} at {place.where}" for place in others)
        problems.append(
            Problem(
                first.file,
                first.path,
                f"the key {fingerprints[data]} of {first.handle!r} is also listed {also}: "
                f"a key says who you are, so it is refused for {named} until one member alone lists it",
            )
        )
    return MemberKeyCheck(keys, shared, problems)


def _why(error: Exception) -> str:
    return str(error).rstrip(".").lower() or "unreadable"


def _read_keys_file(path: Path) -> tuple[list[str], list[Problem]]:
    """The lines of the keys file, and the problems reading it (missing, unreadable, not UTF-8)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], [Problem(str(path), "", "does not exist (community.toml names it in authorized_keys)")]
    except OSError as error:
        return [], [Problem(str(path), "", f"cannot be read ({error.strerror or error})")]
    try:
        return data.decode("utf-8").splitlines(), []
    except UnicodeDecodeError as error:
        # The lines that are text still count: one bad byte must not lock every member out.
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.start + 1].hex()
        problem = Problem(f"{path}:{line}", "", f"is not UTF-8 text (byte 0x{bad}); save the file as UTF-8")
        lines = data.decode("utf-8", errors="replace").splitlines()
        return ["" if "\ufffd" in text else text for text in lines], [problem]


def _keys_file_entries(
    path: Path, lines: list[str], community: Community, add: Callable[[asyncssh.SSHKey, _Listed], None]
) -> list[Problem]:
    problems: list[Problem] = []
    private_from: int | None = None  # the first line of a private key pasted in, while in it
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if private_from is not None:
            if line.startswith("-----END"):
                problems.append(Problem(f"{path}:{private_from}-{number}", "", PRIVATE_KEY_ADVICE))
                private_from = None
            continue
        if not line or line.startswith("#"):
            continue
        at = f"{path}:{number}"
        if _is_private_key(line):
            if line.startswith("-----BEGIN"):
                private_from = number  # one problem for the whole block, at its end
            else:
                problems.append(Problem(at, "", PRIVATE_KEY_ADVICE))
            continue
        parts = line.split()
        if len(parts) < 3:
            problems.append(Problem(at, "", f"expected {KEY_LINE}: the key, then the member's handle"))
            continue
        try:
            key = asyncssh.import_public_key(f"{parts[0]} {parts[1]}")
        except (asyncssh.KeyImportError, ValueError) as error:
            problems.append(Problem(at, "", f"is not an SSH public key ({_why(error)}); expected {KEY_LINE}"))
            continue
        handle = parts[2]
        if community.member(handle) is None:
            problems.append(
                Problem(at, "", f"{handle!r} is not a member of community.toml (the third field is a member's handle)")
            )
            continue
        add(key, _Listed(handle, at, ""))
    if private_from is not None:
        problems.append(Problem(f"{path}:{private_from}-{len(lines)}", "", PRIVATE_KEY_ADVICE))
    return problems


@dataclass
class MemberKeys:
    """Which member owns which public key; reread when community.toml or the keys file change.

    A key removed from the files is refused on its next connect; sessions already open stay.
    ``report`` hears the problems found by a reread (at start, the server prints
    :attr:`problems` itself).
    """

    surveys_dir: Path
    community: Community
    report: Callable[[list[str]], None] | None = None
    _keys: dict[bytes, str] = field(default_factory=dict)
    _shared: dict[bytes, tuple[str, ...]] = field(default_factory=dict)
    _stamp: tuple[float, ...] = ()
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rebuild(self.community)
        self._stamp = self._files_stamp()

    def _keys_file(self, community: Community) -> Path | None:
        if not community.authorized_keys:
            return None
        return (self.surveys_dir / community.authorized_keys).resolve()

    def _files_stamp(self) -> tuple[float, ...]:
        stamps = []
        for path in (community_path(self.surveys_dir), self._keys_file(self.community)):
            try:
                stamps.append(path.stat().st_mtime if path else 0.0)
            except OSError:
                stamps.append(-1.0)
        return tuple(stamps)

    def refresh(self) -> bool:
        """Reread the files if they changed. True if the community itself was reloaded."""
        stamp = self._files_stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        community, problems = load_community(community_path(self.surveys_dir))
        if community is None:
            # Keep serving with what we had: a typo in community.toml must not lock everyone out.
            self.problems = [str(p) for p in problems]
            self._report()
            return False
        self.community = community
        self._rebuild(community)
        self._stamp = self._files_stamp()
        self._report()
        return True

    def _report(self) -> None:
        if self.report is not None and self.problems:
            self.report(self.problems)

    def _rebuild(self, community: Community) -> None:
        check = read_member_keys(self.surveys_dir, community)
        self._keys, self._shared = check.keys, check.shared
        self.problems = [str(problem) for problem in check.problems]

    def owner(self, key: asyncssh.SSHKey) -> str | None:
        return self._keys.get(key.public_data)

    def shared_by(self, key: asyncssh.SSHKey) -> tuple[str, ...]:
        """The members ``key`` is listed for, if more than one (it logs in as none of them)."""
        return self._shared.get(key.public_data, ())

    def __len__(self) -> int:
        return len(self._keys)
