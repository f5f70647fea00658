"""A session channel and a connection alone, with stand-ins for the server and the channel: what a
member is told when refused, what a crash of the app does (the app comes from the server's
factory), and which key decides who the member is."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any, cast

import asyncssh
from textual.app import App

from coptui.core.workspace import Workspace
from coptui.serve.connection import CoptuiConnection
from coptui.serve.log import EventLog
from coptui.serve.options import ServeOptions
from coptui.serve.session import CoptuiSession


class FakeChannel:
    """Keeps what the session writes and how it ends the channel."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.err = bytearray()
        self.exit_status: int | None = None

    def get_environment(self) -> dict[str, str]:
        return {}

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 2222) if name == "sockname" else None

    def write(self, data: bytes) -> None:
        self.out += data

    def write_stderr(self, data: bytes) -> None:
        self.err += data

    def exit(self, status: int) -> None:
        self.exit_status = status


class FakeServer:
    """The server as a session sees it: the log, the limits (``over`` says which one is full)."""

    def __init__(self, workspace: Workspace, make_app: Any, over: tuple[str, int] | None = None) -> None:
        self.workspace = workspace
        self.options = ServeOptions()
        self.stream = io.StringIO()
        self.log = EventLog(self.stream)
        self.make_app = make_app
        self.over = over
        self.held: set[CoptuiSession] = set()
        self.released: list[CoptuiSession] = []

    @property
    def session_count(self) -> int:
        return len(self.held)

    def claim_session(self, session: CoptuiSession) -> tuple[str, int] | None:
        if self.over is None:
            self.held.add(session)
        return self.over

    def release_session(self, session: CoptuiSession) -> None:
        self.held.discard(session)
        self.released.append(session)

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


class FakeLink:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = "127.0.0.1"
        self.handle: str | None = "ada"
        self.fingerprint: str | None = "SHA256:ada"
        self.closed = 0

    def session_closed(self) -> None:
        self.closed += 1


def _session(server: FakeServer, *, pty: bool = True) -> tuple[CoptuiSession, FakeChannel]:
    session = CoptuiSession(FakeLink(server))
    channel = FakeChannel()
    session.connection_made(cast("asyncssh.SSHServerChannel[bytes]", channel))
    if pty:
        session.pty_requested("xterm-256color", (100, 30, 0, 0), {})
    return session, channel


def _no_app(*, workspace: Workspace, member: str) -> App[Any]:
    raise AssertionError("no app may be made for a refused session")


async def test_a_session_without_a_terminal_is_told_how_to_connect_and_runs_nothing(workspace: Workspace) -> None:
    server = FakeServer(workspace, _no_app)
    session, channel = _session(server, pty=False)
    session.shell_requested()
    session.session_started()
    assert channel.err == b"coptui needs an interactive terminal: ssh -p 2222 127.0.0.1\r\n"
    assert channel.exit_status == 1 and session.task is None
    assert [(r["event"], r["reason"]) for r in server.records()] == [("refused", "no-pty")]


async def test_a_session_over_a_limit_is_refused_with_the_limit_named(workspace: Workspace) -> None:
    server = FakeServer(workspace, _no_app, over=("limit-key", 3))
    session, channel = _session(server)
    session.session_started()
    assert b"this key is already connected 3 times" in channel.out
    assert channel.exit_status == 1 and session.task is None


class RequestedCrash(RuntimeError):
    pass


def _crashing_app(*, workspace: Workspace, member: str) -> App[Any]:
    raise RequestedCrash(f"typed by {member}: secret")


async def test_an_app_that_fails_ends_its_session_with_one_line_and_logs_no_text(workspace: Workspace) -> None:
    server = FakeServer(workspace, _crashing_app)
    session, channel = _session(server)
    session.session_started()
    assert session.task is not None
    await asyncio.wait_for(session.task, 10)
    assert channel.exit_status == 1
    assert b"your session hit an error and was closed" in channel.out and b"secret" not in channel.out
    assert server.released == [session], "its slot in the limits is given back"
    events = {r["event"]: r for r in server.records()}
    assert events["error"]["error"] == "RequestedCrash" and "secret" not in server.stream.getvalue()
    assert events["disconnect"]["reason"] == "crash"


class KeyedServer(FakeServer):
    """A server as a connection sees it: which key is whose."""

    def __init__(self, workspace: Workspace, owners: dict[bytes, str]) -> None:
        super().__init__(workspace, _no_app)
        self.owners = owners
        self.connections: set[CoptuiConnection] = set()

    def admit_connection(self, address: str) -> str | None:
        return None

    def login_ended(self, address: str) -> None:
        pass

    def members_sharing_key(self, key: asyncssh.SSHKey) -> tuple[str, ...]:
        return ()

    def member_for_key(self, key: asyncssh.SSHKey) -> str | None:
        return self.owners.get(key.public_data)

    def connection_ended(self) -> None:
        pass


async def test_the_member_is_the_owner_of_the_key_that_signed_not_of_one_offered_before(
    workspace: Workspace,
) -> None:
    ada, stranger, chen = (asyncssh.generate_private_key("ssh-ed25519") for _ in range(3))
    server = KeyedServer(workspace, {ada.public_data: "ada", chen.public_data: "chen"})
    connection = CoptuiConnection(server)
    connection.begin_auth("root")  # the user name chooses nothing
    assert connection.validate_public_key("root", ada)  # offered only (a query)
    assert not connection.validate_public_key("root", stranger)
    assert connection.validate_public_key("root", chen)  # the key that signs: asyncssh asks last
    connection.auth_completed()
    assert (connection.handle, connection.fingerprint) == ("chen", chen.get_fingerprint("sha256"))
    assert not connection.password_auth_supported() and not connection.kbdint_auth_supported()
    connection._cancel_no_session_timer()


class StuckApp(App[None]):
    """An app that never gets round to closing: its run never ends by itself."""

    async def run_async(self, **options: Any) -> None:
        await asyncio.Event().wait()


def _stuck_app(*, workspace: Workspace, member: str) -> App[Any]:
    return StuckApp()


async def test_a_session_over_its_loop_share_is_slowed_then_ended_and_a_stuck_app_cut_off(
    workspace: Workspace, monkeypatch: Any
) -> None:
    import coptui.serve.session as session_module

    monkeypatch.setattr(session_module, "END_GRACE", 0.05)
    server = FakeServer(workspace, _stuck_app)
    server.options = ServeOptions(max_loop_share=0.5, busy_timeout=0.0)
    session, channel = _session(server)
    session.session_started()
    session._cancel_share_timer()  # judged by hand below, not every second
    deadline = asyncio.get_running_loop().time() + 10
    while session.app is None and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)  # until its app is made and running
    assert session.app is not None
    # Alone on the server, a member takes nobody's share: never slowed, however busy.
    session.meter.charge(100.0)
    session._check_share()
    session._cancel_share_timer()
    assert session._over_since is None
    other, _ = _session(server)
    server.held.add(other)  # another member, whose share this one takes now
    session.meter.charge(100.0)  # far more loop time than the interval held
    session._check_share()
    assert session._over_since is not None and session.task is not None and not session.task.done()
    session.meter.charge(100.0)
    session._check_share()  # still over, past --busy-timeout: ended
    await asyncio.wait_for(session.task, 10)  # the stuck app is cut off after END_GRACE
    assert b"kept the server busy for too long" in channel.out and channel.exit_status == 1
    assert server.released == [session]
    assert [r["reason"] for r in server.records() if r["event"] == "disconnect"] == ["busy"]


async def test_a_session_ended_before_its_app_is_made_still_ends_and_gives_its_slot_back(
    workspace: Workspace,
) -> None:
    server = FakeServer(workspace, _stuck_app)
    session, _ = _session(server)
    session.session_started()
    assert session.task is not None
    session.end("closed")  # the member went away in the same moment
    await asyncio.wait([session.task], timeout=10)
    assert session.task.done() and server.released == [session]
    assert [r["reason"] for r in server.records() if r["event"] == "disconnect"] == ["closed"]
