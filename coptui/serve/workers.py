"""`coptui serve --workers N`: N server processes on one port, one data folder.

One Python process draws every session on one event loop, so a big retro is bound by
one core (docs/benchmarks.md, "SSH serving"). With N workers, N processes each have their
own loop, sessions and store handle on the same data folder (the store's file lock keeps
writes safe, as it does for a local `coptui` beside the server). The supervisor process
(:class:`Supervisor`) accepts every connection and hands it (the socket itself, over a Unix socket) to the
worker holding the fewest connections (:class:`WorkerLoad`): an even share, where the
kernel's spreading by address and port (SO_REUSEPORT) gave 18 and 32 of 50 in a
benchmark. What the workers share:

- **changes**: a change written by one worker is relayed at once to the others over a
  datagram socket (:class:`~coptui.serve.relay.ChangeRelay`), so every session hears of it as fast as the writer's own sessions
  (the folder watcher would take 50-150 ms more); if a datagram is lost, the watcher
  still catches the change;
- **limits**: sessions in total and per key are counted across workers by
  :class:`~coptui.serve.admission.SessionSlots` in one folder;
- the host key, made once by the supervisor before the workers start, and the log file
  (one JSON line per write, appended; each record names its worker).

The supervisor only accepts, hands connections out, passes signals on and starts a
worker again if one dies; it draws nothing. It knows nothing of the server it forks:
each worker runs the function it is given (``coptui.serve.server`` passes its own loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coptui.core.workspace import Workspace
from coptui.serve.admission import SessionSlots
from coptui.serve.keys import load_host_key
from coptui.serve.log import serve_log_note
from coptui.serve.options import ServeError, ServeOptions
from coptui.serve.relay import ChangeRelay


@dataclasses.dataclass
class WorkerContext:
    """What one worker is given by the supervisor."""

    index: int
    relay: ChangeRelay
    slots: SessionSlots
    link: socket.socket  # connections come in here; how many have ended goes out
    ended: int = 0  # connections handed to this worker that have ended

    def take_connections(self, loop: asyncio.AbstractEventLoop, serve: Callable[[socket.socket], object]) -> None:
        """Call ``serve`` with each connected socket the supervisor hands over."""
        self.link.setblocking(False)

        def receive() -> None:
            while True:
                try:
                    _, fds, _, _ = socket.recv_fds(self.link, 16, 8)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    return
                for fd in fds:
                    serve(socket.socket(fileno=fd))

        loop.add_reader(self.link.fileno(), receive)

    def connection_ended(self) -> None:
        """Tell the supervisor that one more of the connections it handed here has ended."""
        self.ended += 1
        self._tell(str(self.ended).encode())

    def session_started(self, key: str, **fields: object) -> None:
        """Tell the supervisor of a session that began here (``fields``: what its log
        record says of it), so that it can log the session's end if this worker is killed."""
        self._tell(json.dumps({"session": key, "started": time.time(), **fields}).encode())

    def session_ended(self, key: str) -> None:
        """Tell the supervisor that the session ``key`` ended here, and was logged."""
        self._tell(json.dumps({"session": key, "ended": True}).encode())

    def _tell(self, message: bytes) -> None:
        # A full queue (the supervisor is behind by some thousand messages) loses this one.
        with contextlib.suppress(OSError):
            self.link.send(message)


@dataclasses.dataclass
class WorkerLoad:
    """The connections one worker holds, as the supervisor knows them: those it handed to
    the worker, less those the worker has said ended.

    Counted this way a connection is the worker's from the moment it is handed over. A
    count the worker reported of the connections it held left out those still on their way
    in, and a busy worker, slow to take them, got more than its share in a burst (21 and
    29 of 50, then 23 and 27, in benchmarks).
    """

    handed: int = 0
    ended: int = 0
    # The sessions the worker said began and has not said ended: key -> what it said of them.
    sessions: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    @property
    def connections(self) -> int:
        return self.handed - self.ended

    def reported(self, message: bytes) -> None:
        if message.startswith(b"{"):
            self._session_news(message)
            return
        with contextlib.suppress(ValueError):
            self.ended = max(self.ended, int(message))  # a count only grows

    def _session_news(self, message: bytes) -> None:
        try:
            news = json.loads(message)
            key = str(news.pop("session"))
        except (ValueError, TypeError, KeyError, AttributeError):
            return
        if news.get("ended"):
            self.sessions.pop(key, None)
        else:
            self.sessions[key] = news


class Supervisor:
    """The process of `coptui serve --workers N` that accepts every connection and hands it to
    a worker: it prepares what the workers share, forks them, passes signals on, starts
    again a worker that died, and hands each connection to the worker next in line.

    ``serve_worker`` is what each forked worker runs (the server's event loop, with the
    worker's :class:`WorkerContext`). What was imported before the fork (the server, the app
    and its home screen) is shared by the workers' pages; the screens an app opens later
    (a retro board: 72 ms and 2 MB once per worker) are imported by each worker itself.
    """

    # How long one wait for a connection or a worker's message lasts: how soon a stop or a
    # dead worker is noticed.
    TICK = 0.2

    def __init__(
        self,
        options: ServeOptions,
        serve_worker: Callable[[ServeOptions, WorkerContext], int],
    ) -> None:
        self.options = options
        self.count = options.workers
        self._serve_worker = serve_worker
        self.stopping = False
        self.workers: dict[int, int] = {}  # pid -> index
        self.load = [WorkerLoad() for _ in range(self.count)]

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT has stopped every worker; the worst exit code of theirs."""
        options = self.options
        workspace = Workspace.open(options.data_dir, options.surveys_dir)  # a broken setup stops here, once
        load_host_key(workspace.data_dir)  # made once, here, not raced by the workers
        try:
            self.listener = socket.create_server((options.host, options.port), backlog=128)
        except OSError as error:
            raise ServeError(f"cannot listen on {options.host}:{options.port}: {error.strerror or error}") from None
        self.listener.setblocking(False)
        port = self.listener.getsockname()[1]
        count = self.count
        self.changes = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) for _ in range(count)]
        self.links = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) for _ in range(count)]
        self.slots_dir = Path(tempfile.mkdtemp(prefix="coptui-serve-slots-"))
        self.worker_options = dataclasses.replace(
            options, port=port, data_dir=workspace.data_dir, surveys_dir=workspace.surveys_dir
        )
        gc.freeze()  # objects made so far stay put: the collector would copy shared pages into each worker
        signal.signal(signal.SIGTERM, self._forward)
        signal.signal(signal.SIGINT, self._forward)
        for index in range(count):
            self.workers[self._start(index)] = index
            self.links[index][0].setblocking(False)
        serve_log_note(self.worker_options, "workers", workers=count, port=port, pid=os.getpid())
        try:
            return self._hand_out_until_stopped()
        finally:
            with contextlib.suppress(OSError):
                self.listener.close()
            shutil.rmtree(self.slots_dir, ignore_errors=True)

    def _start(self, index: int) -> int:
        """Fork worker ``index``; in the supervisor, its pid."""
        pid = os.fork()
        if pid:
            self.load[index] = WorkerLoad()  # a worker started again holds nothing yet
            return pid
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _end_with_supervisor()
            self.listener.close()
            changes = self.changes
            relay = ChangeRelay(changes[index][0], [pair[1] for other, pair in enumerate(changes) if other != index])
            context = WorkerContext(index, relay, SessionSlots(self.slots_dir), self.links[index][1])
            code = self._serve_worker(self.worker_options, context)
        except BaseException as error:
            print(
                f"coptui serve: worker {index} stopped: {type(error).__name__}: {error}",
                file=sys.__stderr__,
                flush=True,
            )
        finally:
            os._exit(code)

    def _forward(self, signum: int, _frame: object) -> None:
        self.stopping = True
        for pid in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _hand_out_until_stopped(self) -> int:
        listener, links, load = self.listener, self.links, self.load
        code = 0
        waiting: deque[socket.socket] = deque()  # accepted, not yet taken by a worker (their queues were full)
        last_handed = time.monotonic()
        while self.workers:
            if self.stopping and listener.fileno() >= 0:
                listener.close()  # no new connections while the workers say goodbye
                while waiting:
                    waiting.popleft().close()
            watched = [link for link, _ in links] + ([listener] if listener.fileno() >= 0 else [])
            with contextlib.suppress(InterruptedError):
                room = [links[index][0] for index in next_in_line(load)] if waiting else []
                # While stopping, workers end any moment: noticed within STOP_TICK, not TICK.
                ready, _writable, _ = select.select(watched, room, [], STOP_TICK if self.stopping else self.TICK)
                for source in ready:
                    if source is listener:
                        waiting.extend(_accept_all(listener))
                    else:
                        read_load(source, links, load)
                # A worker in line that takes nothing for a while (stuck) must not hold up the rest.
                stalled = time.monotonic() - last_handed > STALL_SECONDS
                while waiting and hand_out(waiting[0], links, load, anyone=stalled):
                    waiting.popleft().close()  # the worker has its own copy now
                    last_handed = time.monotonic()
                if not waiting:
                    last_handed = time.monotonic()
            code = max(code, self._reap())
        return code

    def _reap(self) -> int:
        """Collect ended workers; start again any that ended while not stopping. The worst exit code."""
        workers = self.workers
        code = 0
        while workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                workers.clear()
                break
            if pid == 0:
                break
            index = workers.pop(pid, None)
            if index is None:
                continue
            exit_code = os.waitstatus_to_exitcode(status)
            self._log_sessions_lost(index, pid, exit_code)
            if self.stopping:
                code = max(code, exit_code)
                continue
            print(
                f"coptui serve: worker {index} ended ({exit_code}); starting it again", file=sys.__stderr__, flush=True
            )
            workers[self._start(index)] = index
        return code

    def _log_sessions_lost(self, index: int, pid: int, exit_code: int) -> None:
        """Log the end of every session worker ``index`` held when it ended.

        A worker logs each of its sessions' ends itself, even at a stop; one that was killed
        (``kill -9``, the kernel's out-of-memory killer) or crashed could not, and its members'
        sessions ended with it. The supervisor knows them from the worker's messages."""
        link = self.links[index][0]
        read_load(link, self.links, self.load)  # what the worker said before it ended
        lost = self.load[index].sessions
        if not lost and exit_code == 0:
            return
        now = time.time()
        for news in lost.values():
            started = news.pop("started", now)
            duration = round(now - started, 1) if isinstance(started, (int, float)) else None
            record = {**news, "worker": index, "duration": duration, "reason": "worker-ended"}
            serve_log_note(self.worker_options, "disconnect", **record)
        serve_log_note(
            self.worker_options, "worker-ended", worker=index, pid=pid, exit_code=exit_code, sessions=len(lost)
        )
        lost.clear()


def _accept_all(listener: socket.socket) -> list[socket.socket]:
    accepted: list[socket.socket] = []
    while True:
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return accepted
        except OSError:
            return accepted  # e.g. too many open files: the client retries, the others go on
        accepted.append(connection)


# How often the supervisor looks for ended workers while they stop (a few seconds at most).
STOP_TICK = 0.02
# How many connections more than the least loaded worker a worker may be given.
BALANCE_SLACK = 1
# After this long without a hand-out while connections wait, any worker with room takes them.
STALL_SECONDS = 1.0


def next_in_line(load: list[WorkerLoad], *, anyone: bool = False) -> list[int]:
    """The workers that may take the next connection, fewest connections first: those within
    BALANCE_SLACK of the least loaded (every worker if ``anyone``). Sessions on one worker
    share its core, so an even share is what keeps the slowest screen fast when a change
    reaches everyone at once."""
    limit = min(worker.connections for worker in load) + BALANCE_SLACK
    in_line = (i for i, worker in enumerate(load) if anyone or worker.connections <= limit)
    return sorted(in_line, key=lambda i: (load[i].connections, i))


def hand_out(
    connection: socket.socket,
    links: list[tuple[socket.socket, socket.socket]],
    load: list[WorkerLoad],
    *,
    anyone: bool = False,
) -> bool:
    """Pass ``connection`` to the worker next in line that can take it now.

    A worker's queue of handed connections is bounded by its socket's buffer (about 280 on
    a Linux default): a worker that takes none for long fills it. The connection then
    waits in the supervisor until a worker in line has room, rather than going to a worker
    that holds more than its share; unless ``anyone``, when any worker with room takes it.
    """
    for index in next_in_line(load, anyone=anyone):
        try:
            socket.send_fds(links[index][0], [b"c"], [connection.fileno()])
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            continue
        load[index].handed += 1
        return True
    return False


def read_load(link: socket.socket, links: list[tuple[socket.socket, socket.socket]], load: list[WorkerLoad]) -> None:
    index = next(i for i, (end, _) in enumerate(links) if end is link)
    while True:
        try:
            message = link.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        load[index].reported(message)


def _end_with_supervisor() -> None:
    """In a worker: SIGTERM when the supervisor dies, however it dies (Linux), so that no
    worker is left holding members' sessions without it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
