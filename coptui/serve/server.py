"""`coptui serve`: one asyncio process on asyncssh; one app per SSH session; one shared workspace.

The parts, in the order a connection meets them:

- :mod:`~coptui.serve.options`: the command line's options, and what members are told;
- :mod:`~coptui.serve.keys`: the host key, and which member owns which public key;
- :mod:`~coptui.serve.admission`: connects per second and logins in progress from one
  address, and the session limits per key and in total (counted across workers too);
- :mod:`~coptui.serve.connection`: one SSH connection: authentication, no forwarding;
- :mod:`~coptui.serve.session`: one session channel: a member's app drawn through an
  :class:`~coptui.serve.driver.SSHDriver`, or a one-line refusal without a PTY;
- :mod:`~coptui.serve.fair_share`: each session's input at a bounded pace, and its loop
  time metered: one member cannot freeze the others;
- :mod:`~coptui.serve.relay`: changes made by other processes (and other workers) reach
  every session;
- :mod:`~coptui.serve.log`: one JSON line per connect, refusal and disconnect, never
  anything a member typed;
- :mod:`~coptui.serve.patches`: the few changes made to Textual and asyncssh, once, behind
  a version check;
- :mod:`~coptui.serve.workers`: `--workers N`, the supervisor that hands connections to N
  server processes.

This module holds what ties them together: :class:`CoptuiServer` (shared state of all
connections: workspace, member keys, limits, log, live sessions), the server's garbage
collection policy, and the entry point. What protects the others: the limits above, a
login timeout, keepalives and an idle timeout; output buffers bounded per session (a
client that stops reading is dropped, logged ``reason=slow``); a crash ends its own
session only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import asyncssh

from coptui import __version__
from coptui.core.community import community_path
from coptui.core.workspace import Workspace, default_data_dir
from coptui.serve import patches
from coptui.serve.admission import ConnectRate, LoginsInProgress, SessionSlots
from coptui.serve.connection import CoptuiConnection
from coptui.serve.fair_share import install_loop_meter
from coptui.serve.keys import MemberKeys, fingerprint, load_host_key
from coptui.serve.log import EventLog, client_text
from coptui.serve.options import ServeError, ServeOptions
from coptui.serve.relay import ForeignWrites
from coptui.serve.session import AppFactory, CoptuiSession
from coptui.serve.workers import Supervisor, WorkerContext
from coptui.store.permissions import refuse_shared_folder
from coptui.tui.app import make_app

# How a stop waits, in turn: for the apps to close, for clients to close after their
# goodbye, then for connections closed from here.
STOP_APPS_SECONDS = 5.0
STOP_GOODBYE_SECONDS = 2.0
STOP_CLOSE_SECONDS = 3.0
STOP_SECONDS = STOP_APPS_SECONDS + STOP_GOODBYE_SECONDS + STOP_CLOSE_SECONDS  # the longest a stop waits


def serve_main(args: argparse.Namespace, *, make_app: AppFactory = make_app, exit_when_stopped: bool = True) -> int:
    """Entry point of ``coptui serve``: runs until SIGTERM or ctrl+c, returns the exit code.

    ``make_app`` builds each member's app; a test passes its own to check what a crash does.
    Once the server (or the supervisor of its workers) has stopped, the process ends at
    once (:func:`exit_now`) unless ``exit_when_stopped`` is False."""
    options = ServeOptions.from_args(args)
    # Before anything opens the folder (opening tightens its modes, which would hide that it was shared).
    refuse_shared_folder(options.data_dir or default_data_dir())
    try:
        if options.workers > 1:

            def serve_worker(worker_options: ServeOptions, worker: WorkerContext) -> int:
                return asyncio.run(serve(worker_options, worker=worker, make_app=make_app))

            code = Supervisor(options, serve_worker).run()
        else:
            code = asyncio.run(serve(options, make_app=make_app))
    except ServeError as error:
        print(f"coptui serve: {error}", file=sys.stderr)
        return 1
    if exit_when_stopped:
        exit_now(code)
    return code


def exit_now(code: int) -> None:
    """End the process without tearing down its objects one by one.

    Once ``stopped`` is logged nothing is left to do: every session has ended, every write
    is on disk (the apps' thread workers ran in the loop's executor, which ``asyncio.run``
    joined), the log is closed, and no other thread is left. What remained was the
    interpreter's own teardown, freeing every object of every session one at a time: 1.5 s
    after ``stopped`` with 10 members on a retro board, growing with the sessions (the
    benchmark ``benchmarks/bench_stop.py``). A worker of ``--workers`` ends the same way,
    and so does their supervisor once it has collected them all.
    """
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(code)


async def serve(options: ServeOptions, *, worker: WorkerContext | None = None, make_app: AppFactory = make_app) -> int:
    patches.apply()
    install_loop_meter()  # each session's loop time, for its fair share (fair_share.py)
    workspace = Workspace.open(options.data_dir, options.surveys_dir)
    if worker is not None:
        return await _serve(CoptuiServer(workspace, options, worker.slots, worker, make_app=make_app))
    with tempfile.TemporaryDirectory(prefix="coptui-serve-slots-") as slots:
        return await _serve(CoptuiServer(workspace, options, SessionSlots(Path(slots)), make_app=make_app))


async def _serve(server: CoptuiServer) -> int:
    await server.start()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, server.request_stop)
    try:
        await server.wait_stopped()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return 0


class LongLivedObjects:
    """Keeps Python's full garbage collections off the loop that every session shares.

    Each session's app holds some 15,000 objects (widgets, styles, caches). With 30
    sessions the process held about 800,000, and a full collection (generation 2)
    walked them all: about 0.7 s during which no session drew anything. Measured with
    30 sessions: 14 full collections, 4.0 s of the 10 s of CPU spent on joining, and
    two in a single reveal (1.3 s of its 2.4 s). So twice a second whatever has lived
    that long is frozen (``gc.freeze``: moved out of the collector's reach, which costs
    nothing); collections then walk only what was made since (50 sessions: full
    collections while joining 3.3 s with a freeze every 2 s, 1.1 s twice a second; in a
    reveal 0.2 s). Frozen objects that become
    garbage (a closed session's app) are only reclaimed by an unfreeze and a full
    collection, which runs once a few seconds after the last session in a burst left.
    """

    FREEZE_EVERY = 0.5
    COLLECT_AFTER_LEAVING = 10.0

    def __init__(self) -> None:
        self._freezer: asyncio.Task[None] | None = None
        self._collect: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._freezer = asyncio.get_running_loop().create_task(self._freeze_often())

    async def _freeze_often(self) -> None:
        while True:
            await asyncio.sleep(self.FREEZE_EVERY)
            gc.freeze()

    def session_left(self) -> None:
        if self._collect is not None:
            self._collect.cancel()
        self._collect = asyncio.get_running_loop().call_later(self.COLLECT_AFTER_LEAVING, self.collect)

    def collect(self) -> None:
        self._collect = None
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        if self._freezer is not None:
            self._freezer.cancel()
        if self._collect is not None:
            self._collect.cancel()
        gc.unfreeze()


class CoptuiServer:
    """Shared state of all connections: workspace, member keys, limits, log, live sessions."""

    def __init__(
        self,
        workspace: Workspace,
        options: ServeOptions,
        slots: SessionSlots,
        worker: WorkerContext | None = None,
        *,
        make_app: AppFactory = make_app,
    ) -> None:
        self.workspace = workspace
        self.options = options
        self.make_app = make_app  # builds each member's app (a test may pass one that crashes)
        self.slots = slots  # the session limits, counted here or across workers
        self.worker = worker
        self.keys = MemberKeys(workspace.surveys_dir, workspace.community, report=self._key_problems)
        extra = {"worker": worker.index} if worker is not None else {}
        self.log = EventLog.open(options.log_path, workspace.data_dir, **extra)
        self.sessions: set[CoptuiSession] = set()
        self.connections: set[CoptuiConnection] = set()
        self.logins = LoginsInProgress(options.max_startups, options.max_startups_per_address)
        self._connect_rate = ConnectRate(options.connect_rate)
        self._listener: asyncssh.SSHAcceptor | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._detach_relay: Callable[[], None] | None = None
        self._connection_options: asyncssh.SSHServerConnectionOptions | None = None
        self._handed: set[asyncio.Task[None]] = set()
        self.long_lived = LongLivedObjects()
        self._stopped = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        host_key = load_host_key(self.workspace.data_dir)
        first = self.worker is None or self.worker.index == 0  # one worker speaks for them all
        for problem in self.keys.problems if first else ():
            print(f"coptui serve: warning: {problem}", file=sys.__stderr__)
        if first and not len(self.keys):
            print(
                f"coptui serve: warning: no member has an SSH key yet; add keys = [...] to members in "
                f"{community_path(self.workspace.surveys_dir)}",
                file=sys.__stderr__,
            )
        options = self.options
        ssh_options = dict(
            server_factory=lambda: CoptuiConnection(self),
            server_host_keys=[host_key],
            server_version=f"coptui_{__version__}",
            public_key_auth=True,
            password_auth=False,
            kbdint_auth=False,
            host_based_auth=False,
            gss_host=None,
            login_timeout=options.login_timeout,
            keepalive_interval=options.keepalive_interval,
            keepalive_count_max=options.keepalive_count_max,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=False,
            allow_pty=True,
            line_editor=False,
            encoding=None,
            rdns_lookup=False,
        )
        if self.worker is None:
            try:
                self._listener = await asyncssh.listen(options.host, options.port, **ssh_options)
            except OSError as error:
                raise ServeError(f"cannot listen on {options.host}:{options.port}: {error.strerror or error}") from None
        else:
            # The supervisor accepts and hands this worker its share of the connections.
            self._connection_options = await asyncssh.SSHServerConnectionOptions.construct(None, **ssh_options)
            self.worker.take_connections(asyncio.get_running_loop(), self._serve_handed)
        # One watcher for the whole server (not one per session): writes by a local `coptui`
        # on the same folder reach every session.
        self._watcher = asyncio.get_running_loop().create_task(ForeignWrites(self.workspace).watch())
        if self.worker is not None:
            loop = asyncio.get_running_loop()
            self._detach_relay = self.worker.relay.attach(self.workspace.store, self.workspace.hub, loop)
        self.long_lived.start()
        port = self.port
        self.log.write(
            "listening",
            host=options.host,
            port=port,
            host_key=fingerprint(host_key),
            members_with_keys=len(self.keys),
            pid=os.getpid(),
        )
        if not first:
            return
        print(
            f"coptui serve: listening on {options.host}:{port} (host key {fingerprint(host_key)}); "
            f"members connect with: ssh -p {port} {options.host}",
            file=sys.__stderr__,
            flush=True,
        )

    @property
    def port(self) -> int:
        if self._listener is None:
            return self.options.port  # a worker: the supervisor's port
        return self._listener.get_port()

    def _serve_handed(self, sock: socket.socket) -> None:
        """A connection the supervisor accepted: serve SSH on it like one accepted here."""
        if self._stopping:
            sock.close()
            return
        task = asyncio.get_running_loop().create_task(self._run_handed(sock))
        self._handed.add(task)
        task.add_done_callback(self._handed.discard)

    async def _run_handed(self, sock: socket.socket) -> None:
        try:
            await asyncssh.run_server(sock, options=self._connection_options)
        except (OSError, asyncssh.Error, TimeoutError):
            pass  # refused or cut off before logging in: CoptuiConnection logged why

    def connection_ended(self) -> None:
        if self.worker is not None:
            self.worker.connection_ended()

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    def request_stop(self) -> None:
        if not self._stopping:
            self._stopping = True
            asyncio.get_running_loop().create_task(self._stop())

    async def _stop(self) -> None:
        self.log.write("stopping", sessions=len(self.sessions))
        if self._listener is not None:
            self._listener.close()
        if self._watcher is not None:
            self._watcher.cancel()
        if self._detach_relay is not None:
            self._detach_relay()
        self.long_lived.stop()
        ending = [s.end("server-stop") for s in list(self.sessions)]
        tasks = [t for t in ending if t is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_APPS_SECONDS)
        # Let clients read the goodbye and close by themselves (OpenSSH does when its
        # session ends); a disconnect sent at once can overtake the last lines.
        waits = [asyncio.ensure_future(c.wait_closed()) for c in list(self.connections)]
        if waits:
            await asyncio.wait(waits, timeout=STOP_GOODBYE_SECONDS)
        for connection in list(self.connections):
            connection.close()
        waits = [asyncio.ensure_future(c.wait_closed()) for c in list(self.connections)]
        if waits:
            await asyncio.wait(waits, timeout=STOP_CLOSE_SECONDS)
        self.log.write("stopped")
        self.log.close()
        self._stopped.set()

    # -- admission ---------------------------------------------------------------------------------

    def admit_connection(self, address: str) -> str | None:
        """None if a new connection from ``address`` may proceed, else the reason it may not."""
        if self._stopping:
            return "server-stop"
        if not self._connect_rate.allow(address):
            return "rate"
        return self.logins.begin(address)  # counted in until login_ended

    def login_ended(self, address: str) -> None:
        self.logins.end(address)

    def claim_session(self, session: CoptuiSession) -> tuple[str, int] | None:
        """Count ``session`` in, or say which limit it is over: (reason, limit)."""
        ticket = self.slots.claim(session.fingerprint or "", self.options.max_sessions, self.options.max_per_key)
        if isinstance(ticket, tuple):
            return ticket
        session.ticket = ticket
        self.sessions.add(session)
        if self.worker is not None:
            # What the connect record says of it: the supervisor logs its end if this worker dies.
            self.worker.session_started(
                str(id(session)),
                peer=session.connection.peer,
                handle=session.handle,
                fingerprint=session.fingerprint,
                term=client_text(session.term),
                size=f"{session.size[0]}x{session.size[1]}",
            )
        return None

    def release_session(self, session: CoptuiSession) -> None:
        if session in self.sessions and self.worker is not None:
            self.worker.session_ended(str(id(session)))
        self.sessions.discard(session)
        if session.ticket is not None:
            session.ticket.release()
            session.ticket = None
        self.long_lived.session_left()

    @property
    def session_count(self) -> int:
        return len(self.sessions)

    def _key_problems(self, problems: list[str]) -> None:
        """What a reread of the member keys found: on stderr, as at start, and in the log."""
        if self.worker is None or self.worker.index == 0:  # one worker speaks for them all
            for problem in problems:
                print(f"coptui serve: warning: {problem}", file=sys.__stderr__, flush=True)
        self.log.write("keys", problems=problems)

    def members_sharing_key(self, key: asyncssh.SSHKey) -> tuple[str, ...]:
        return self.keys.shared_by(key)

    def member_for_key(self, key: asyncssh.SSHKey) -> str | None:
        if self.keys.refresh():
            # New members may have been added: sessions from now on see the new community.
            self.workspace.community = self.keys.community
        handle = self.keys.owner(key)
        if handle is None or self.workspace.community.member(handle) is None:
            return None
        return handle
