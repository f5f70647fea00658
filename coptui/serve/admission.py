"""Who may come in: connects per second from one address (`--connect-rate`), logins in
progress in total and from one address (`--max-startups-per-address`), and session limits
(`--max-sessions`, `--max-per-key`) counted with lock files.

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
import functools
import hashlib
import ipaddress
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path


class ConnectRate:
    """At most ``per_second`` new connections in any one second from one address
    (:func:`address_group`: an IPv6 address by its /64).

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
        address = address_group(address)  # an IPv6 host may pick a new address from its /64 each time
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


@functools.lru_cache(maxsize=4096)  # asked three times per connection; parsing costs 50-250 µs
def address_group(address: str) -> str:
    """The address a connection is counted under: an IPv4 address itself; an IPv6 address by
    its /64, since one host is usually handed a whole /64 and could pick a new address from
    it for every connection (an IPv4 address written as IPv6 counts as the IPv4 one)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP address (a Unix socket in a test): counted as it is
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginsInProgress:
    """Connections that have not logged in yet: at most ``total``, and at most
    ``per_address`` of them from one address (:func:`address_group`).

    The total alone let one address that opens connections and never logs in fill every
    place, so that members were closed before the SSH greeting; the cap per address keeps
    places for everyone else. Counted in the process that serves the connection: with
    `--workers N` each worker counts its own.
    """

    def __init__(self, total: int, per_address: int) -> None:
        self.total = total
        self.per_address = per_address
        self._count = 0
        self._by_address: dict[str, int] = {}

    def begin(self, address: str) -> str | None:
        """None, and counted in, if one more login from ``address`` may start; else the reason
        it may not: ``startups`` (the total) or ``startups-address``."""
        if self._count >= self.total:
            return "startups"
        group = address_group(address)
        held = self._by_address.get(group, 0)
        if held >= self.per_address:
            return "startups-address"
        self._by_address[group] = held + 1
        self._count += 1
        return None

    def end(self, address: str) -> None:
        """A login counted in by :meth:`begin` has ended: logged in, refused or gone."""
        group = address_group(address)
        held = self._by_address.get(group, 0)
        if held <= 0:
            return  # never counted: nothing to give back
        if held == 1:
            del self._by_address[group]  # forgotten, so that the table holds only live logins
        else:
            self._by_address[group] = held - 1
        self._count -= 1

    def __len__(self) -> int:
        return self._count

    def from_address(self, address: str) -> int:
        return self._by_address.get(address_group(address), 0)


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
