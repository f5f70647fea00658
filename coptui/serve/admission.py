"""Who may come in: connects per second from one address (`--connect-rate`), and session
limits (`--max-sessions`, `--max-per-key`) counted with lock files.

A session holds a lock (``flock``) on one slot file of the server and one of its key; a
limit is reached when every slot of it is locked. The same count works in one process and
across the workers of `coptui serve --workers N` (locks on separate opens of a file
exclude each other in one process too), and the kernel frees a slot when its session's
process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path


class ConnectRate:
    """At most ``per_second`` new connections in any one second from one address.

    Counted in the process that accepts the connection: with `--workers N` each worker
    counts the connections it was handed.
    """

    FORGET_AFTER = 1000  # addresses remembered before quiet ones are forgotten

    def __init__(self, per_second: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self._clock = clock
        self._recent: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        """True, and counted, if one more connection from ``address`` is within the rate."""
        now = self._clock()
        recent = self._recent.setdefault(address, deque())
        while recent and now - recent[0] > 1.0:
            recent.popleft()
        if len(recent) >= self.per_second:
            return False
        recent.append(now)
        if len(self._recent) > self.FORGET_AFTER:
            for other in [a for a, times in self._recent.items() if not times or now - times[-1] > 1.0]:
                del self._recent[other]
        return True


class SessionSlots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def claim(self, key_fingerprint: str, total: int, per_key: int) -> SlotTicket | tuple[str, int]:
        """A ticket holding the session's two slots, or the limit it is over: (reason, limit)."""
        total_slot = self._lock_one("session", total)
        if total_slot is None:
            return "limit-total", total
        key_slot = self._lock_one("key-" + hashlib.sha256(key_fingerprint.encode()).hexdigest()[:24], per_key)
        if key_slot is None:
            os.close(total_slot)
            return "limit-key", per_key
        return SlotTicket((total_slot, key_slot))

    def _lock_one(self, name: str, count: int) -> int | None:
        for index in range(count):
            fd = os.open(self.folder / f"{name}.{index}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None


@dataclasses.dataclass
class SlotTicket:
    fds: tuple[int, ...]

    def release(self) -> None:
        fds, self.fds = self.fds, ()
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
