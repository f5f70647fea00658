"""How sessions hear of changes made outside their own process.

- :class:`ForeignWrites`: what other processes (a local `coptui`, a script) write to the
  data folder, seen by the folder watcher and published on the hub.
- :class:`ChangeRelay`: with `coptui serve --workers N`, what one worker writes, passed at
  once to the other workers over datagram sockets (the folder watcher would take
  50-150 ms more; if a datagram is lost, the watcher still catches the change).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from coptui.store.layout import Change, path_for
from coptui.store.watch import watch_data_folder

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace
    from coptui.store.hub import Hub
    from coptui.store.store import Store


class ForeignWrites:
    """Publishes on the hub what other processes (a local `coptui`, a script) write to the folder.

    The server's own writes are already on the hub (the store publishes them), and the
    folder watcher sees them again a moment later: every session would redraw twice. So
    each change heard on the hub records the file's (mtime, size) as it is then, and a
    file event is passed on only if the file is no longer in that state. Which file a
    change was written to is the store's to say (:func:`coptui.store.layout.path_for`).
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._known: dict[Path, tuple[int, int] | None] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _state(path: Path) -> tuple[int, int] | None:
        try:
            info = path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def heard(self, change: Change) -> None:
        """Hub subscriber (any thread): the file as it is after a change everyone already heard of."""
        path = path_for(self.workspace.data_dir, change)
        state = self._state(path)
        with self._lock:
            self._known[path] = state

    def seen(self, change: Change) -> None:
        """Watcher callback: a file changed on disk; tell the hub unless it was us."""
        path = path_for(self.workspace.data_dir, change)
        state = self._state(path)
        with self._lock:
            if state is not None and self._known.get(path) == state:
                return
        self.workspace.hub.publish(change)

    async def watch(self) -> None:
        unsubscribe = self.workspace.hub.subscribe(self.heard)
        try:
            await watch_data_folder(self.workspace.data_dir, self.seen)
        finally:
            unsubscribe()


class ChangeRelay:
    """Passes this worker's writes to the other workers, and theirs to this worker's hub."""

    def __init__(self, inbox: socket.socket, outboxes: list[socket.socket]) -> None:
        self.inbox = inbox
        self.outboxes = outboxes
        for box in (inbox, *outboxes):
            box.setblocking(False)
        self._hub: Hub | None = None

    def attach(self, store: Store, hub: Hub, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        self._hub = hub
        unsubscribe = store.subscribe(self.send)  # the store's own writes only, not relayed news
        loop.add_reader(self.inbox.fileno(), self._receive)

        def detach() -> None:
            unsubscribe()
            loop.remove_reader(self.inbox.fileno())

        return detach

    def send(self, change: Change) -> None:
        """Store listener (any thread): one datagram to each other worker, never blocking."""
        payload = json.dumps([change.area, change.run_id]).encode()
        for box in self.outboxes:
            with contextlib.suppress(OSError):  # full or gone: that worker's folder watcher catches up
                box.send(payload)

    def _receive(self) -> None:
        while True:
            try:
                payload = self.inbox.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            try:
                area, run_id = json.loads(payload)
                change = Change(str(area), None if run_id is None else str(run_id))
            except (ValueError, TypeError):
                continue
            if self._hub is not None:
                self._hub.publish(change)
