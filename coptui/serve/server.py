"""`coptui serve`: one asyncio process on asyncssh; one app per SSH session; one shared workspace.

Who is who: public-key authentication only, against the keys of the members in
``community.toml`` (``keys = [...]``) and the authorized_keys-style file the community
names (lines ``<type> <base64> <handle>``). The member is the owner of the key whose
signature was accepted; the user name the client sends means nothing.

What a session gets: with a PTY, its own :class:`~coptui.tui.app.CoptuiApp` drawn through an
:class:`~coptui.serve.driver.SSHDriver`, sharing one :class:`~coptui.core.workspace.Workspace` (one
store, one hub) with every other session; without one (``ssh -T``, ``ssh host cmd``,
``ssh -s host sftp``) one line that says how to connect, and exit status 1.

What protects the others: limits per key, in total, on logins in progress and on connects
per second from one address; a login timeout, keepalives and an idle timeout; output
buffers bounded per session (a client that stops reading is dropped, logged
``reason=slow``); a crash ends its own session only. Every connect, refusal and disconnect
is one JSON line in the log (handle, key fingerprint, TERM, size, duration, reason), never
anything a member typed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import io
import json
import os
import signal
import socket
import stat
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import asyncssh

from coptui import __version__
from coptui.core.community import Community, community_path, load_community
from coptui.core.workspace import Workspace
from coptui.errors import CoptuiError
from coptui.serve.admission import SessionSlots
from coptui.serve.driver import DEFAULT_MAX_BUFFER, SSHDriver, clamp_size, configure_console, share_css_parsing
from coptui.store.store import ACTIONS_FILE, INDEX_FILE, RUNS_DIR, Change

if TYPE_CHECKING:
    from coptui.serve.admission import SlotTicket
    from coptui.serve.workers import WorkerContext

HOST_KEY_FILE = "ssh_host_ed25519_key"
LOG_FILE = "serve.log"
# A test hook (SSH-TESTS.md 9): the app of this member raises once it is running, so a test
# can check that a crash ends that session only. Never set it on a real server.
CRASH_HOOK_ENV = "COPTUI_SERVE_CRASH_MEMBER"

NO_PTY_MESSAGE = "coptui needs an interactive terminal: ssh -p {port} {host}"
MESSAGES = {
    "idle": "coptui: closed after {idle} without input. Your drafts are kept: reconnect any time.",
    "server-stop": "coptui: server stopping. Your work is saved: reconnect when it is back.",
    "crash": "coptui: your session hit an error and was closed; the server and everyone else carry on. Reconnect to go on.",
    "limit-key": "coptui: this key is already connected {count} times; close one of those sessions first.",
    "limit-total": "coptui: the server is full ({count} sessions); try again in a few minutes.",
}


class ServeError(CoptuiError):
    """The server cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 2222
    data_dir: Path | None = None
    surveys_dir: Path | None = None
    log_path: Path | None = None  # default: serve.log in the data folder; "-" for stderr
    max_sessions: int = 100
    max_per_key: int = 3
    max_startups: int = 100  # connections that have not logged in yet
    connect_rate: int = 20  # new connections per second from one address
    idle_timeout: float = 30 * 60
    login_timeout: float = 30
    keepalive_interval: float = 30
    keepalive_count_max: int = 3
    max_output: int = DEFAULT_MAX_BUFFER
    workers: int = 1  # server processes sharing the port (coptui/serve_workers.py)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeOptions:
        defaults = cls()
        return cls(
            host=args.host,
            port=args.port,
            data_dir=getattr(args, "data", None),
            surveys_dir=getattr(args, "surveys", None),
            log_path=getattr(args, "log", None),
            max_sessions=getattr(args, "max_sessions", None) or defaults.max_sessions,
            max_per_key=getattr(args, "max_per_key", None) or defaults.max_per_key,
            connect_rate=getattr(args, "connect_rate", None) or defaults.connect_rate,
            idle_timeout=getattr(args, "idle_timeout", None) or defaults.idle_timeout,
            login_timeout=getattr(args, "login_timeout", None) or defaults.login_timeout,
            keepalive_interval=getattr(args, "keepalive_interval", None) or defaults.keepalive_interval,
            max_output=getattr(args, "max_output", None) or defaults.max_output,
            workers=max(1, getattr(args, "workers", None) or defaults.workers),
        )


def serve_main(args: argparse.Namespace) -> int:
    """Entry point of ``coptui serve``: runs until SIGTERM or ctrl+c, returns the exit code."""
    options = ServeOptions.from_args(args)
    try:
        if options.workers > 1:
            from coptui.serve.workers import run_workers

            return run_workers(options)
        return asyncio.run(serve(options))
    except ServeError as error:
        print(f"coptui serve: {error}", file=sys.stderr)
        return 1


async def serve(options: ServeOptions, *, worker: WorkerContext | None = None) -> int:
    share_css_parsing()
    workspace = Workspace.open(options.data_dir, options.surveys_dir)
    if worker is not None:
        return await _serve(CoptuiServer(workspace, options, worker.slots, worker))
    with tempfile.TemporaryDirectory(prefix="coptui-serve-slots-") as slots:
        return await _serve(CoptuiServer(workspace, options, SessionSlots(Path(slots))))


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


# -- host key and member keys ------------------------------------------------------------------


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


# -- other processes' writes -------------------------------------------------------------------


class ForeignWrites:
    """Publishes on the hub what other processes (a local `coptui`, a script) write to the folder.

    The server's own writes are already on the hub (the store publishes them), and the
    folder watcher sees them again a moment later: every session would redraw twice. So
    each change heard on the hub records the file's (mtime, size) as it is then, and a
    file event is passed on only if the file is no longer in that state.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._known: dict[Path, tuple[int, int] | None] = {}
        self._lock = threading.Lock()

    def _path(self, change: Change) -> Path:
        data_dir = self.workspace.data_dir
        if change.area == "run" and change.run_id:
            return data_dir / RUNS_DIR / f"{change.run_id}.json"
        return data_dir / (ACTIONS_FILE if change.area == "actions" else INDEX_FILE)

    @staticmethod
    def _state(path: Path) -> tuple[int, int] | None:
        try:
            info = path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def heard(self, change: Change) -> None:
        """Hub subscriber (any thread): the file as it is after a change everyone already heard of."""
        path = self._path(change)
        state = self._state(path)
        with self._lock:
            self._known[path] = state

    def seen(self, change: Change) -> None:
        """Watcher callback: a file changed on disk; tell the hub unless it was us."""
        path = self._path(change)
        state = self._state(path)
        with self._lock:
            if state is not None and self._known.get(path) == state:
                return
        self.workspace.hub.publish(change)

    async def watch(self) -> None:
        from coptui.store.watch import watch_data_folder

        unsubscribe = self.workspace.hub.subscribe(self.heard)
        try:
            await watch_data_folder(self.workspace.data_dir, self.seen)
        finally:
            unsubscribe()


# -- the log -----------------------------------------------------------------------------------


class EventLog:
    """One JSON object per line: connects, refusals, disconnects. Never answer text."""

    def __init__(self, stream: IO[str], **always: Any) -> None:
        self._stream = stream
        self._always = always  # fields of every record (the worker's number)

    @classmethod
    def open(cls, path: Path | None, data_dir: Path, **always: Any) -> EventLog:
        if path is not None and str(path) == "-":
            return cls(sys.__stderr__, **always)
        path = path or data_dir / LOG_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        # Appended line by line: with --workers, several processes write the same file.
        return cls(open(path, "a", encoding="utf-8", buffering=1), **always)

    def write(self, event: str, **fields: Any) -> None:
        record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, **self._always}
        record.update({k: v for k, v in fields.items() if v is not None})
        try:
            self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._stream.flush()
        except (OSError, ValueError):  # a full disk must not take the sessions down
            pass

    def close(self) -> None:
        if self._stream is not sys.__stderr__:
            self._stream.close()


def serve_log_note(options: ServeOptions, event: str, **fields: Any) -> None:
    """One record in the server's log from outside a server (the supervisor of the workers)."""
    assert options.data_dir is not None
    log = EventLog.open(options.log_path, options.data_dir)
    log.write(event, **fields)
    log.close()


def _client_text(value: str | None, limit: int = 64) -> str | None:
    """Text the client chose (TERM, user name): logged, but kept short and printable."""
    if value is None:
        return None
    return "".join(ch if ch.isprintable() else "?" for ch in value[:limit])


# -- the server --------------------------------------------------------------------------------


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
        self, workspace: Workspace, options: ServeOptions, slots: SessionSlots, worker: WorkerContext | None = None
    ) -> None:
        self.workspace = workspace
        self.options = options
        self.slots = slots  # the session limits, counted here or across workers
        self.worker = worker
        self.keys = MemberKeys(workspace.surveys_dir, workspace.community)
        extra = {"worker": worker.index} if worker is not None else {}
        self.log = EventLog.open(options.log_path, workspace.data_dir, **extra)
        self.sessions: set[CoptuiSession] = set()
        self.connections: set[CoptuiConnection] = set()
        self.pending_logins = 0
        self._recent_connects: dict[str, deque[float]] = {}
        self._listener: asyncssh.SSHAcceptor | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._detach_relay: Callable[[], None] | None = None
        self._connection_options: asyncssh.SSHServerConnectionOptions | None = None
        self._handed: set[asyncio.Task[None]] = set()
        self.long_lived = LongLivedObjects()
        self._stopped = asyncio.Event()
        self._stopping = False
        self.crash_member = os.environ.get(CRASH_HOOK_ENV) or None

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
        tasks = [s.end("server-stop") for s in list(self.sessions)]
        tasks = [t for t in tasks if t is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        # Let clients read the goodbye and close by themselves (OpenSSH does when its
        # session ends); a disconnect sent at once can overtake the last lines.
        waits = [asyncio.ensure_future(c.wait_closed()) for c in list(self.connections)]
        if waits:
            await asyncio.wait(waits, timeout=2)
        for connection in list(self.connections):
            connection.close()
        waits = [asyncio.ensure_future(c.wait_closed()) for c in list(self.connections)]
        if waits:
            await asyncio.wait(waits, timeout=3)
        self.log.write("stopped")
        self.log.close()
        self._stopped.set()

    # -- admission ---------------------------------------------------------------------------------

    def admit_connection(self, address: str) -> str | None:
        """None if a new connection from ``address`` may proceed, else the reason it may not."""
        if self._stopping:
            return "server-stop"
        now = time.monotonic()
        recent = self._recent_connects.setdefault(address, deque())
        while recent and now - recent[0] > 1.0:
            recent.popleft()
        if len(recent) >= self.options.connect_rate:
            return "rate"
        recent.append(now)
        if len(self._recent_connects) > 1000:  # forget quiet addresses
            for other in [a for a, times in self._recent_connects.items() if not times or now - times[-1] > 1.0]:
                del self._recent_connects[other]
        if self.pending_logins >= self.options.max_startups:
            return "startups"
        return None

    def claim_session(self, session: CoptuiSession) -> tuple[str, int] | None:
        """Count ``session`` in, or say which limit it is over: (reason, limit)."""
        ticket = self.slots.claim(session.fingerprint or "", self.options.max_sessions, self.options.max_per_key)
        if isinstance(ticket, tuple):
            return ticket
        session.ticket = ticket
        self.sessions.add(session)
        return None

    def release_session(self, session: CoptuiSession) -> None:
        self.sessions.discard(session)
        if session.ticket is not None:
            session.ticket.release()
            session.ticket = None

    def member_for_key(self, key: asyncssh.SSHKey) -> str | None:
        if self.keys.refresh():
            # New members may have been added: sessions from now on see the new community.
            self.workspace.community = self.keys.community
        handle = self.keys.owner(key)
        if handle is None or self.workspace.community.member(handle) is None:
            return None
        return handle


class CoptuiConnection(asyncssh.SSHServer):
    """One SSH connection: authentication, and the sessions (channels) opened on it."""

    def __init__(self, server: CoptuiServer) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = ""
        self.user: str | None = None
        self.handle: str | None = None
        self.fingerprint: str | None = None
        self._offered: list[str] = []
        self._candidate: tuple[str, str] | None = None
        self._counted_pending = False
        self._refused = False
        self._sessions = 0
        self._no_session_timer: asyncio.TimerHandle | None = None
        self._closed = asyncio.Event()

    # -- connection ------------------------------------------------------------------------------

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        # asyncssh has no callback for `ssh -A`: a session's agent forwarding request asks
        # the connection for an agent listener, so this answer is where it is refused and logged.
        conn.create_agent_listener = self._refuse_agent_forwarding  # type: ignore[method-assign]
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = str(peer[0])
        self.server.connections.add(self)
        refusal = self.server.admit_connection(self.peer)
        if refusal is not None:
            self._refused = True
            self.server.log.write("refused", peer=self.peer, reason=refusal)
            conn.abort()
            return
        self.server.pending_logins += 1
        self._counted_pending = True

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_no_session_timer()
        self._leave_pending()
        self.server.connections.discard(self)
        self.server.connection_ended()
        if self.handle is None and not self._refused:
            reason = "unknown-key" if self._offered else "no-key"
            if isinstance(exc, asyncssh.DisconnectError) and "timeout" in str(exc).lower():
                reason = "login-timeout"
            self.server.log.write(
                "refused",
                peer=self.peer,
                user=_client_text(self.user),
                reason=reason,
                offered=self._offered[:5] or None,
            )
        self._closed.set()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def _leave_pending(self) -> None:
        if self._counted_pending:
            self._counted_pending = False
            self.server.pending_logins -= 1

    # -- authentication: public keys of members only ----------------------------------------------

    def begin_auth(self, username: str) -> bool:
        self.user = username
        return True  # always authenticate; the user name chooses nothing

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # Called for a key offered without a signature (a query) and again for one with a
        # signature, which asyncssh checks right after this returns. So the candidate of
        # the last call before auth_completed is the key that signed: identity comes from
        # there, never from an earlier key that was merely offered.
        key_fingerprint = fingerprint(key)
        if key_fingerprint not in self._offered:
            self._offered.append(key_fingerprint)
        handle = self.server.member_for_key(key)
        self._candidate = (handle, key_fingerprint) if handle else None
        return handle is not None

    def auth_completed(self) -> None:
        assert self._candidate is not None, "asyncssh completed auth without an accepted key"
        self.handle, self.fingerprint = self._candidate
        self._leave_pending()
        self._arm_no_session_timer()

    # -- forwarding: none ------------------------------------------------------------------------

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        self.server.log.write(
            "refused", peer=self.peer, handle=self.handle, fingerprint=self.fingerprint, reason="forwarding"
        )
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "coptui does not forward ports")

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        self.server.log.write(
            "refused", peer=self.peer, handle=self.handle, fingerprint=self.fingerprint, reason="forwarding"
        )
        return False

    async def _refuse_agent_forwarding(self) -> bool:
        self.server.log.write(
            "refused", peer=self.peer, handle=self.handle, fingerprint=self.fingerprint, reason="agent-forwarding"
        )
        return False

    # -- sessions ------------------------------------------------------------------------------

    def session_requested(self) -> CoptuiSession:
        self._sessions += 1
        self._cancel_no_session_timer()
        return CoptuiSession(self)

    def session_closed(self) -> None:
        self._sessions -= 1
        if self._sessions == 0:
            self._arm_no_session_timer()

    def _arm_no_session_timer(self) -> None:
        # `ssh -N` and forgotten multiplexing masters hold a login without a session.
        self._cancel_no_session_timer()
        loop = asyncio.get_running_loop()
        self._no_session_timer = loop.call_later(self.server.options.login_timeout, self._no_session)

    def _cancel_no_session_timer(self) -> None:
        if self._no_session_timer is not None:
            self._no_session_timer.cancel()
            self._no_session_timer = None

    def _no_session(self) -> None:
        self._no_session_timer = None
        if self._sessions == 0 and self.conn is not None:
            self.server.log.write(
                "disconnect", peer=self.peer, handle=self.handle, fingerprint=self.fingerprint, reason="no-session"
            )
            self.conn.close()


class CoptuiSession(asyncssh.SSHServerSession):  # type: ignore[type-arg]
    """One SSH session channel: a member's app, or a one-line refusal."""

    def __init__(self, connection: CoptuiConnection) -> None:
        self.connection = connection
        self.server = connection.server
        self.handle = connection.handle
        self.fingerprint = connection.fingerprint
        self.chan: asyncssh.SSHServerChannel | None = None  # type: ignore[type-arg]
        self.term: str | None = None
        self.size = (80, 24)
        self.env: dict[str, str] = {}
        self._has_pty = False
        self._request: str | None = None  # "exec" or "subsystem" when not a shell
        self.app: Any = None
        self.driver: SSHDriver | None = None
        self.task: asyncio.Task[None] | None = None
        self.reason: str | None = None
        self._started_at = time.monotonic()
        self._last_input = time.monotonic()
        self._idle_timer: asyncio.TimerHandle | None = None
        self._channel_open = True
        self._early_input = bytearray()
        self.ticket: SlotTicket | None = None  # its slots in the session limits
        self.color_system = "truecolor"  # the client's colour depth (configure_console)

    # -- requests before the session starts ------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:  # type: ignore[type-arg]
        self.chan = chan

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Mapping[int, int]
    ) -> bool:
        self._has_pty = True
        self.term = term_type
        self.size = clamp_size(term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        # Accepted only to answer with the one-line explanation: nothing is ever run.
        self._request = "exec"
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        self._request = "subsystem"
        return True

    def session_started(self) -> None:
        assert self.chan is not None
        self.env = {str(k): str(v) for k, v in self.chan.get_environment().items()}
        refusal = self._request or (None if self._has_pty else "no-pty")
        if refusal is not None:
            host, port = self.chan.get_extra_info("sockname")[:2]
            self._refuse(refusal, NO_PTY_MESSAGE.format(port=port, host=host), stderr=True)
            return
        over = self.server.claim_session(self)
        if over is not None:
            reason, count = over
            self._refuse(reason, MESSAGES[reason].format(count=count))
            return
        self.server.log.write(
            "connect",
            peer=self.connection.peer,
            handle=self.handle,
            fingerprint=self.fingerprint,
            term=_client_text(self.term),
            size=f"{self.size[0]}x{self.size[1]}",
            sessions=len(self.server.sessions),
        )
        self._arm_idle_timer()
        # A fresh context: this app's context variables (Textual's active app) must not
        # leak from, or into, the connection that asyncssh is serving.
        self.task = asyncio.get_running_loop().create_task(self._run_app(), context=contextvars.Context())

    def _refuse(self, reason: str, message: str, *, stderr: bool = False) -> None:
        assert self.chan is not None
        self.server.log.write(
            "refused", peer=self.connection.peer, handle=self.handle, fingerprint=self.fingerprint, reason=reason
        )
        line = (message + "\r\n").encode()
        try:
            if stderr:
                self.chan.write_stderr(line)
            else:
                self.chan.write(line)
            self.chan.exit(1)
        except OSError:
            pass

    # -- the app -------------------------------------------------------------------------------

    def _make_driver(self, app: Any, **options: Any) -> SSHDriver:
        assert self.chan is not None
        self.driver = SSHDriver(
            app,
            channel=self.chan,
            on_overflow=self._on_overflow,
            max_buffer=self.server.options.max_output,
            color_system=self.color_system,
            **options,
        )
        if self._early_input:
            self.driver.feed(bytes(self._early_input))
            self._early_input.clear()
        return self.driver

    async def _run_app(self) -> None:
        from rich.console import Console

        from coptui.tui.app import make_app

        exit_code = 0
        error: BaseException | None = None
        try:
            assert self.handle is not None
            app = self.app = make_app(workspace=self.server.workspace, member=self.handle)
            self.color_system = configure_console(app, self.term, self.env)
            app.driver_class = self._make_driver
            # A traceback may hold what a member typed: it goes nowhere near a channel or the log.
            app.error_console = Console(file=io.StringIO(), markup=False, highlight=False)
            if self.server.crash_member == self.handle:
                app.call_later(_crash_for_test)
            await app.run_async(size=self.size)
            error = getattr(app, "_exception", None)
            exit_code = app.return_code or 0
        except Exception as failure:
            error = failure
        if error is not None:
            exit_code = 1
            self.reason = self.reason or "crash"
            self._report_crash(error)
        self.reason = self.reason or "quit"
        self._finish(exit_code)

    def _report_crash(self, error: BaseException) -> None:
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else None
        # Type and place only: the message of an exception may quote user text.
        self.server.log.write(
            "error", handle=self.handle, fingerprint=self.fingerprint, error=type(error).__name__, where=where
        )

    def _finish(self, exit_code: int) -> None:
        self._cancel_idle_timer()
        self.server.release_session(self)
        self.server.long_lived.session_left()
        self.server.log.write(
            "disconnect",
            peer=self.connection.peer,
            handle=self.handle,
            fingerprint=self.fingerprint,
            term=_client_text(self.term),
            size=f"{self.size[0]}x{self.size[1]}",
            duration=round(time.monotonic() - self._started_at, 1),
            reason=self.reason,
        )
        if self.chan is None or not self._channel_open:
            return
        if self.reason == "slow":
            # Whatever we send would wait behind what the client is not reading.
            if self.connection.conn is not None:
                self.connection.conn.abort()
            return
        message = MESSAGES.get(self.reason or "")
        try:
            if message:
                idle = _duration_text(self.server.options.idle_timeout)
                self.chan.write(("\r\n" + message.format(idle=idle) + "\r\n").encode())
            self.chan.exit(exit_code)
        except OSError:
            pass

    def end(self, reason: str) -> asyncio.Task[None] | None:
        """Close this session's app for ``reason`` (idle, slow, server-stop); returns its task."""
        if self.reason is None:
            self.reason = reason
        if self.app is not None and self.task is not None and not self.task.done():
            self.app.exit()
        return self.task

    def _on_overflow(self) -> None:
        self.end("slow")

    # -- input, resizes, idle --------------------------------------------------------------------

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self._last_input = time.monotonic()
        if self.driver is not None:
            self.driver.feed(data)
        elif self.task is not None and len(self._early_input) < 4096:
            self._early_input += data  # typed while the app starts: the driver does not exist yet

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = clamp_size(width, height)
        if self.driver is not None:
            self.driver.resize(width, height)

    def eof_received(self) -> bool:
        return True  # keep the channel: the member may still read the screen

    def break_received(self, msec: int) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._channel_open = False
        if self.driver is not None:
            self.driver.close_output()
        # A peer that stopped answering keepalives (a suspended laptop, a stopped ssh) is
        # told apart from one that closed the connection.
        self.end("keepalive" if exc is not None and "keepalive" in str(exc).lower() else "closed")
        self.connection.session_closed()

    def _arm_idle_timer(self, delay: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(
            delay if delay is not None else self.server.options.idle_timeout, self._check_idle
        )

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _check_idle(self) -> None:
        # Keepalives are not input: only bytes from the member count as activity.
        remaining = self.server.options.idle_timeout - (time.monotonic() - self._last_input)
        if remaining > 0:
            self._arm_idle_timer(remaining)
        else:
            self._idle_timer = None
            self.end("idle")


def _crash_for_test() -> None:
    raise RuntimeError(f"crash requested by {CRASH_HOOK_ENV}")


def _duration_text(seconds: float) -> str:
    if seconds >= 120:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds)} seconds"
