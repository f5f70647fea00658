"""End-to-end tests of how `coptui serve` sessions end: a crash, SIGTERM, the idle and login
timeouts, limits on connects and sessions, OpenSSH's terminal given back, keepalives.

Each test starts its own server, because each one ends sessions (or the server) on purpose.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time

import pytest

from coptui.serve.driver import ALT_SCREEN_OFF, CURSOR_SHOW, MOUSE_OFF, PASTE_OFF
from coptui.serve.options import ServeOptions
from tests.support.ssh import STOP_TIMEOUT, Client, KeyedCommunity, connect, make_keyed_surveys

pytestmark = [pytest.mark.e2e]

# The servers' own timers in these tests, short so that the tests are, and what a wait for one
# allows beyond it: a busy machine (two cores, two test processes, their servers and clients)
# runs a timer's callback late.
IDLE_TIMEOUT = 2
LOGIN_TIMEOUT = 2  # long enough for a member to log in beside 50 silent sockets
KEEPALIVE_INTERVAL = 0.5
KEEPALIVE_PROBES = ServeOptions().keepalive_count_max  # unanswered before the server drops a client
LATE = 8.0


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> KeyedCommunity:
    return make_keyed_surveys(tmp_path_factory.mktemp("ssh-life"), ["ada", "bruno", "chen"])


async def test_a_crash_ends_that_session_only(start_server, community: KeyedCommunity) -> None:
    # The real server, with an app factory whose app for chen raises once it runs.
    server = start_server(launcher=("-m", "tests.support.crashing_serve", "chen"))
    bob = await Client.connect(server.port, community.keys["bruno"])
    try:
        await bob.wait_text("Open for you")
        chen = await Client.connect(server.port, community.keys["chen"])
        assert await chen.wait_closed(10) == 1
        text = chen.output.decode(errors="replace")
        assert "your session hit an error and was closed" in text
        assert "Traceback" not in text and "RequestedCrash" not in text  # one line, no traceback
        assert text.rindex(ALT_SCREEN_OFF) < text.index("your session hit an error")
        chen.close()
        bob.send("\x10")  # bob carries on
        await bob.wait_text("Search for commands")
        error = await server.wait_log(lambda r: r["event"] == "error")
        assert error["handle"] == "chen" and error["error"] == "RequestedCrash"
        await server.wait_log(
            lambda r: r["event"] == "disconnect" and r.get("handle") == "chen" and r["reason"] == "crash"
        )
    finally:
        bob.close()


async def test_sigterm_tells_every_client_and_restores_their_terminals(start_server, community: KeyedCommunity) -> None:
    server = start_server()
    clients = [await Client.connect(server.port, community.keys[h]) for h in ("ada", "bruno")]
    try:
        for client in clients:
            await client.wait_text("Open for you")
        server.terminate()
        for client in clients:
            await client.wait_closed(STOP_TIMEOUT)
            text = client.output.decode(errors="replace")
            assert "server stopping" in text
            tail = text[text.rindex("\x1b[1;1H") :] if "\x1b[1;1H" in text else text  # after the last frame
            for code in (PASTE_OFF, MOUSE_OFF, ALT_SCREEN_OFF, CURSOR_SHOW):
                assert code in tail, f"{code!r} missing after the last frame"
            assert tail.index(ALT_SCREEN_OFF) < tail.index("server stopping")
        assert server.process.wait(STOP_TIMEOUT) == 0
        reasons = {r["handle"]: r["reason"] for r in server.log_records() if r["event"] == "disconnect"}
        assert reasons == {"ada": "server-stop", "bruno": "server-stop"}
    finally:
        for client in clients:
            client.close()


async def test_an_idle_session_gets_a_goodbye_and_keepalives_are_not_activity(
    start_server, community: KeyedCommunity
) -> None:
    server = start_server("--idle-timeout", str(IDLE_TIMEOUT), "--keepalive-interval", str(KEEPALIVE_INTERVAL))
    # The client answers keepalives (and sends its own): the session is still idle.
    conn = await connect(server.port, community.keys["ada"], keepalive_interval=0.3)
    client = await Client.connect(server.port, community.keys["ada"], conn=conn)
    busy = await Client.connect(server.port, community.keys["bruno"])
    try:
        await client.wait_text("Open for you")
        await busy.wait_text("Open for you")
        deadline = time.monotonic() + IDLE_TIMEOUT + LATE
        while client.chan is not None and not client._closed.is_set() and time.monotonic() < deadline:
            busy.send("\x10" if int(time.monotonic() * 2) % 2 else "\x1b")  # bruno keeps typing
            await asyncio.sleep(0.3)
        assert await client.wait_closed(1) == 0
        assert f"closed after {IDLE_TIMEOUT} seconds without input" in client.output.decode(errors="replace")
        record = await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("handle") == "ada")
        assert record["reason"] == "idle"
        assert not busy._closed.is_set()
    finally:
        client.close()
        busy.close()


async def test_silent_sockets_do_not_lock_members_out_and_are_closed_at_the_login_timeout(
    start_server, community: KeyedCommunity
) -> None:
    server = start_server("--login-timeout", str(LOGIN_TIMEOUT))
    sockets = []
    try:
        for _ in range(50):
            sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        client = await Client.connect(server.port, community.keys["ada"])
        await client.wait_text("Open for you")
        client.close()

        def closed_by_server(sock: socket.socket) -> bool:
            sock.settimeout(LOGIN_TIMEOUT + LATE)
            try:
                while sock.recv(4096):  # the server's banner, then end of stream
                    pass
            except OSError:
                pass
            return True

        assert all(await asyncio.gather(*(asyncio.to_thread(closed_by_server, s) for s in sockets[:5])))
        await server.wait_log(lambda r: r["event"] == "refused" and r.get("reason") == "login-timeout")
    finally:
        for sock in sockets:
            sock.close()


async def test_a_login_without_a_session_is_closed(start_server, community: KeyedCommunity) -> None:
    server = start_server("--login-timeout", str(LOGIN_TIMEOUT))
    conn = await connect(server.port, community.keys["ada"])
    await asyncio.wait_for(conn.wait_closed(), LOGIN_TIMEOUT + LATE)
    await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("reason") == "no-session")


async def test_too_many_connects_from_one_address_are_refused(start_server, community: KeyedCommunity) -> None:
    server = start_server("--connect-rate", "5")
    results = await asyncio.gather(
        *(connect(server.port, community.keys["ada"]) for _ in range(12)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert refused, "every connect was let in"
    for result in results:
        if not isinstance(result, BaseException):
            result.close()
    await server.wait_log(lambda r: r["event"] == "refused" and r.get("reason") == "rate")


async def test_the_total_session_limit_has_a_message(start_server, community: KeyedCommunity) -> None:
    server = start_server("--max-sessions", "1")
    first = await Client.connect(server.port, community.keys["ada"])
    try:
        await first.wait_text("Open for you")
        second = await Client.connect(server.port, community.keys["bruno"])
        assert await second.wait_closed(5) == 1
        assert b"the server is full (1 sessions)" in second.output
        second.close()
    finally:
        first.close()


@pytest.mark.skipif(not (shutil.which("ssh") and shutil.which("tmux")), reason="needs OpenSSH and tmux")
async def test_openssh_in_tmux_resizes_takes_keys_and_gets_its_terminal_back_on_sigterm(
    start_server, community: KeyedCommunity
) -> None:
    server = start_server()
    session = f"coptui-term-{server.port}"
    command = (
        f"ssh -tt -p {server.port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
        f"-o IdentitiesOnly=yes -o IdentityAgent=none -i {community.key_file('ada')} 127.0.0.1; "
        "echo SSH-EXIT=$?; sleep 30"
    )

    def pane() -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=False
        ).stdout

    async def wait_pane(text: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = pane()
            if text in shown:
                return shown
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{text!r} not in pane:\n{pane()}")

    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True)
    try:
        await wait_pane("Open for you")
        subprocess.run(["tmux", "resize-window", "-t", session, "-x", "60", "-y", "20"], check=True)
        await wait_pane("Ada…")  # the header was redrawn for 60 columns (and ellipsized), not just cut off
        subprocess.run(["tmux", "resize-window", "-t", session, "-x", "100", "-y", "30"], check=True)
        subprocess.run(["tmux", "send-keys", "-t", session, "F1"], check=True)
        await wait_pane("Keys")
        subprocess.run(["tmux", "send-keys", "-t", session, "Escape"], check=True)
        shown = await wait_pane("Open for you")
        server.terminate()
        shown = await wait_pane("SSH-EXIT=")
        assert "server stopping" in shown
        assert "Open for you" not in shown  # back on the normal screen, not the app's
        mode = subprocess.run(
            ["tmux", "display-message", "-p", "-t", session, "#{mouse_any_flag}#{alternate_on}#{cursor_flag}"],
            check=False,
            capture_output=True,
            text=True,
        ).stdout.strip()
        assert mode == "001", f"mouse reporting, alternate screen, cursor: {mode}"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


@pytest.mark.skipif(not shutil.which("ssh"), reason="needs OpenSSH")
async def test_a_stopped_openssh_client_is_dropped_by_keepalives(start_server, community: KeyedCommunity) -> None:
    server = start_server("--keepalive-interval", str(KEEPALIVE_INTERVAL))
    # Not in tmux: tmux sends SIGCONT to a pane's stopped process at once.
    ssh = subprocess.Popen(
        ["ssh", "-tt", "-p", str(server.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
         "-i", str(community.key_file("bruno")), "127.0.0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await server.wait_log(lambda r: r["event"] == "connect" and r.get("handle") == "bruno")
        ssh.send_signal(signal.SIGSTOP)
        # Unanswered probes: dropped within a few seconds, not left hanging.
        record = await server.wait_log(
            lambda r: r["event"] == "disconnect" and r.get("handle") == "bruno",
            timeout=KEEPALIVE_INTERVAL * (KEEPALIVE_PROBES + 1) + LATE,
        )
        assert record["reason"] == "keepalive"
    finally:
        ssh.send_signal(signal.SIGCONT)
        ssh.kill()
        ssh.wait(5)
