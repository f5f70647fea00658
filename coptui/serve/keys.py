"""Who is who: the server's host key, and which member owns which public key.

Public-key authentication only, against the keys of the members in ``community.toml``
(``keys = [...]``) and the authorized_keys-style file the community names (lines
``<type> <base64> <handle>``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from coptui.core.community import Community, community_path
from coptui.core.community_schema import load_community
from coptui.serve.options import ServeError

HOST_KEY_FILE = "ssh_host_ed25519_key"


def load_host_key(data_dir: Path) -> asyncssh.SSHKey:
    """The server's host key: made on first start (mode 0600) and reused, so clients can pin it."""
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


@dataclass
class MemberKeys:
    """Which member owns which public key; reread when community.toml or the keys file change.

    A key removed from the files is refused on its next connect; sessions already open stay.
    """

    surveys_dir: Path
    community: Community
    _keys: dict[bytes, str] = field(default_factory=dict)
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
            return False
        self.community = community
        self._rebuild(community)
        self._stamp = self._files_stamp()
        return True

    def _rebuild(self, community: Community) -> None:
        keys: dict[bytes, str] = {}
        problems: list[str] = []
        where = community_path(self.surveys_dir)
        for m_index, member in enumerate(community.members):
            for k_index, text in enumerate(member.keys):
                try:
                    keys[asyncssh.import_public_key(text.strip()).public_data] = member.handle
                except (asyncssh.KeyImportError, ValueError):
                    problems.append(f"{where}: members[{m_index}].keys[{k_index}] is not an SSH public key")
        keys_file = self._keys_file(community)
        if keys_file is not None:
            try:
                lines = keys_file.read_text(encoding="utf-8").splitlines()
            except OSError as error:
                problems.append(f"{keys_file}: cannot be read ({error.strerror})")
                lines = []
            for number, line in enumerate(lines, start=1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = line.split()
                if len(parts) < 3:
                    problems.append(f"{keys_file}:{number}: expected '<type> <base64> <handle>'")
                    continue
                handle = parts[2]
                if community.member(handle) is None:
                    problems.append(f"{keys_file}:{number}: {handle!r} is not a member")
                    continue
                try:
                    keys[asyncssh.import_public_key(f"{parts[0]} {parts[1]}").public_data] = handle
                except (asyncssh.KeyImportError, ValueError):
                    problems.append(f"{keys_file}:{number}: not an SSH public key")
        self._keys = keys
        self.problems = problems

    def owner(self, key: asyncssh.SSHKey) -> str | None:
        return self._keys.get(key.public_data)

    def __len__(self) -> int:
        return len(self._keys)
