"""Serving details of `coptui serve` (issue 14): what a disconnect or a stop keeps, colour
for NO_COLOR and TERM=dumb, a worker killed with -9, and how soon the process exits.

Real asyncssh clients (and a real `coptui` in a pseudo-terminal) against real servers.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from coptui.core import retro
from coptui.core.workspace import Workspace
from tests.support.ssh import STOP_TIMEOUT, Client, KeyedCommunity, ServerProcess, make_keyed_surveys

pytestmark = [pytest.mark.e2e]
MEMBERS = ["ada", "bruno", "chen", "dana", "emeka", "farah"]
# The most a stopped server may take to exit after logging `stopped`. It takes some 50 ms
# (benchmarks/bench_stop.py measures it); this only says it does not hang on.
EXIT_AFTER_STOPPED = 10.0


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> KeyedCommunity:
    return make_keyed_surveys(tmp_path_factory.mktemp("ssh-details"), MEMBERS)


def _retro_in_write_phase(server: ServerProcess) -> str:
    workspace = Workspace.open(server.data_dir, server.surveys_dir)
    run_id = workspace.runs.open_run("mad-sad-glad", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    return run_id


async def _on_the_board(client: Client) -> None:
    await client.wait_text("Mad / Sad / Glad", timeout=20)
    client.send("\r")
    await client.wait_text("Phase 2/8 · Write")


def _composer_open(client: Client) -> bool:
    return re.search(r"^ (Mad|Sad|Glad):", client.text, re.MULTILINE) is not None


# -- a worker killed with -9 ----------------------------------------------------------------------


async def test_the_sessions_of_a_worker_killed_with_9_are_logged_as_ended(
    start_server, community: KeyedCommunity
) -> None:
    server = start_server("--workers", "2")
    await server.wait_log(lambda r: r["event"] == "listening" and r.get("worker") == 1)
    clients: dict[str, Client] = {}
    on: dict[str, int] = {}
    try:
        for handle in MEMBERS[:4]:  # handed out evenly: two sessions on each worker
            clients[handle] = await Client.connect(server.port, community.keys[handle])
            await clients[handle].wait_text("Open for you", timeout=20)
            record = await server.wait_log(lambda r, h=handle: r["event"] == "connect" and r["handle"] == h)
            on[handle] = record["worker"]
        victims = sorted(h for h, w in on.items() if w == 0)
        assert victims and len(victims) < len(on)
        pid = next(r["pid"] for r in server.log_records() if r["event"] == "listening" and r.get("worker") == 0)
        os.kill(pid, signal.SIGKILL)

        for handle in victims:
            record = await server.wait_log(
                lambda r, h=handle: r["event"] == "disconnect" and r.get("handle") == h, timeout=15
            )
            assert record["reason"] == "worker-ended" and record["worker"] == 0
            assert record["fingerprint"].startswith("SHA256:") and record["term"] == "xterm-256color"
            assert record["size"] == "100x30" and record["duration"] >= 0
            await clients[handle].wait_closed(15)
        ended = await server.wait_log(lambda r: r["event"] == "worker-ended", timeout=15)
        assert ended["worker"] == 0 and ended["pid"] == pid and ended["exit_code"] == -signal.SIGKILL
        assert ended["sessions"] == len(victims)
        # Every session the log shows starting now has an end; the other worker's carry on.
        records = server.log_records()
        assert sum(r["event"] == "connect" for r in records) - sum(r["event"] == "disconnect" for r in records) == len(
            on
        ) - len(victims)
        survivor = next(h for h, w in on.items() if w == 1)
        clients[survivor].send("\x10")
        await clients[survivor].wait_text("Search for commands")
        # The supervisor started the worker again, and it serves.
        await server.wait_log(lambda r: r["event"] == "listening" and r.get("worker") == 0 and r["pid"] != pid)
    finally:
        for client in clients.values():
            client.close()


async def test_a_worker_that_stops_normally_has_its_sessions_logged_once(
    start_server, community: KeyedCommunity
) -> None:
    # The supervisor logs only what a worker could not: at a stop each worker logs its own.
    server = start_server("--workers", "2")
    clients = [await Client.connect(server.port, community.keys[h]) for h in MEMBERS[:2]]
    try:
        for client in clients:
            await client.wait_text("Open for you", timeout=20)
        server.terminate()
        for client in clients:
            await client.wait_closed(STOP_TIMEOUT)
        assert server.process.wait(STOP_TIMEOUT) == 0
        disconnects = [r for r in server.log_records() if r["event"] == "disconnect"]
        assert sorted(r["handle"] for r in disconnects) == sorted(MEMBERS[:2])
        assert {r["reason"] for r in disconnects} == {"server-stop"}
        assert not [r for r in server.log_records() if r["event"] == "worker-ended"]
    finally:
        for client in clients:
            client.close()


# -- the process ends soon after `stopped` ----------------------------------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_the_process_exits_soon_after_logging_stopped(
    start_server, community: KeyedCommunity, workers: str
) -> None:
    server = start_server("--workers", workers)
    _retro_in_write_phase(server)
    clients = [await Client.connect(server.port, community.keys[h]) for h in MEMBERS[:3]]
    try:
        for client in clients:
            await _on_the_board(client)
        server.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        while server.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        exited = time.time()
        assert server.process.poll() == 0
        stopped = [
            datetime.fromisoformat(r["time"]).timestamp() for r in server.log_records() if r["event"] == "stopped"
        ]
        assert len(stopped) == int(workers)
        assert exited - max(stopped) < EXIT_AFTER_STOPPED
    finally:
        for client in clients:
            client.close()


# -- NO_COLOR and TERM=dumb -----------------------------------------------------------------------

_SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def _colours(output: bytes) -> set[str]:
    """Every colour an SGR sequence in ``output`` sets (24-bit, 8-bit, 16-colour; not the defaults 39/49)."""
    found: set[str] = set()
    for match in _SGR.finditer(output):
        parts = match.group(1).decode().split(";")
        index = 0
        while index < len(parts):
            part = parts[index]
            if part in ("38", "48", "58") and index + 1 < len(parts):
                width = 5 if parts[index + 1] == "2" else 3
                found.add(";".join(parts[index : index + width]))
                index += width
                continue
            if part.isdigit() and (30 <= int(part) <= 37 or 40 <= int(part) <= 47 or 90 <= int(part) <= 107):
                found.add(part)
            index += 1
    return found


async def test_no_color_from_the_client_gives_no_colour_at_all(start_server, community: KeyedCommunity) -> None:
    server = start_server()
    _retro_in_write_phase(server)
    plain = await Client.connect(server.port, community.keys["ada"], env={"NO_COLOR": "1", "COLORTERM": "truecolor"})
    coloured = await Client.connect(server.port, community.keys["bruno"], env={"COLORTERM": "truecolor"})
    try:
        for client in (plain, coloured):
            await _on_the_board(client)
            client.send("a")
            await client.wait_for(_composer_open, what="the card composer")
        assert _colours(bytes(coloured.output))  # the same screens have colours for others ...
        assert _colours(bytes(plain.output)) == set()  # ... and none at all, not greys, for NO_COLOR
        assert b"\x1b[1m" in plain.output or re.search(rb"\x1b\[[0-9;]*\b1\b", plain.output)  # bold is kept
    finally:
        plain.close()
        coloured.close()


async def test_an_empty_no_color_is_not_set(start_server, community: KeyedCommunity) -> None:
    server = start_server()
    client = await Client.connect(server.port, community.keys["ada"], env={"NO_COLOR": ""})
    try:
        await client.wait_text("Open for you")
        assert _colours(bytes(client.output))
    finally:
        client.close()


async def test_a_dumb_terminal_gets_one_line_and_exit_1(start_server, community: KeyedCommunity) -> None:
    server = start_server()
    client = await Client.connect(server.port, community.keys["ada"], term_type="dumb")
    try:
        assert await client.wait_closed(10) == 1
        line = client.stderr.decode()
        assert line == (
            "coptui draws a screen, and TERM=dumb says this terminal cannot show one: "
            f"connect from a terminal emulator with ssh -p {server.port} 127.0.0.1\r\n"
        )
        assert b"\x1b[" not in client.output and b"\x1b[" not in client.stderr
        refused = await server.wait_log(lambda r: r["event"] == "refused" and r.get("handle") == "ada")
        assert refused["reason"] == "dumb-terminal"
    finally:
        client.close()


def _run_local_coptui(community: KeyedCommunity, data: Path, env: dict[str, str]) -> tuple[int, bytes]:
    """`coptui --as ada` in a pseudo-terminal: what it draws until its home screen shows, then ctrl+q."""
    import pty
    import select
    import subprocess
    import sys

    from tests.support.ssh import REPO

    main, secondary = pty.openpty()
    os.set_blocking(main, False)
    process_env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    process_env.update({"COLUMNS": "100", "LINES": "30", **env})
    command = [sys.executable, "-m", "coptui", "--data", str(data), "--surveys", str(community.surveys_dir)]
    process = subprocess.Popen(
        [*command, "--as", "ada"], cwd=REPO, env=process_env, stdin=secondary, stdout=secondary, stderr=secondary
    )
    os.close(secondary)
    output = bytearray()
    deadline = time.monotonic() + 30
    quit_sent = False
    try:
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    output += os.read(main, 65536)
                except OSError:
                    break
            if not quit_sent and b"Open for you" in output:
                os.write(main, b"\x11")  # ctrl+q
                quit_sent = True
        code = process.wait(10)
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    return code, bytes(output)


def test_local_coptui_with_no_color_draws_no_colour(community: KeyedCommunity, tmp_path: Path) -> None:
    code, output = _run_local_coptui(community, tmp_path / "data", {"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert b"Open for you" in output and code == 0
    assert _colours(output) == set()
    code, output = _run_local_coptui(community, tmp_path / "data", {"TERM": "xterm-256color", "COLORTERM": "truecolor"})
    assert b"Open for you" in output and _colours(output)  # the same run without NO_COLOR has colours


def test_local_coptui_on_a_dumb_terminal_says_so_in_one_line(community: KeyedCommunity, tmp_path: Path) -> None:
    code, output = _run_local_coptui(community, tmp_path / "data", {"TERM": "dumb"})
    assert code == 1
    assert output.decode() == (
        "coptui: coptui draws a screen, and TERM=dumb says this terminal cannot show one: "
        "run it in a terminal emulator, or use `coptui report` for plain text\r\n"
    )


# -- unsent text survives a disconnect and a server stop -----------------------------------------


async def _type_unsent_card(client: Client, text: str) -> None:
    await _on_the_board(client)
    client.send("a")
    await client.wait_for(_composer_open, what="the card composer")
    client.send(text)  # no Enter: not sent
    await client.wait_text(text)


async def _composer_shows(server: ServerProcess, community: KeyedCommunity, handle: str, text: str) -> Client:
    client = await Client.connect(server.port, community.keys[handle])
    await _on_the_board(client)
    await client.wait_for(lambda c: _composer_open(c) and text in c.text, what=f"the composer holding {text!r}")
    return client


async def test_a_card_not_sent_is_there_after_a_disconnect(start_server, community: KeyedCommunity) -> None:
    server = start_server()
    run_id = _retro_in_write_phase(server)
    chen = await Client.connect(server.port, community.keys["chen"])
    await _type_unsent_card(chen, "cut off mid-sentence")
    chen.close()  # the connection drops (a laptop lid, a train tunnel)
    await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("handle") == "chen")
    workspace = Workspace.open(server.data_dir, server.surveys_dir)
    assert retro.draft_in(workspace.store, run_id, "chen") == retro.ComposerDraft("card", "mad", "cut off mid-sentence")
    again = await _composer_shows(server, community, "chen", "cut off mid-sentence")
    try:
        again.send(" and finished\r")  # typed on after the restored text, then sent
        deadline = time.monotonic() + 10
        while retro.draft_in(workspace.store, run_id, "chen") is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert [c.text for c in retro.board_for(workspace, run_id, "chen").my_cards] == [
            "cut off mid-sentence and finished"
        ]
        assert retro.draft_in(workspace.store, run_id, "chen") is None
    finally:
        again.close()


async def test_a_card_not_sent_is_there_after_the_server_stops_and_starts_again(
    start_server, community: KeyedCommunity, tmp_path: Path
) -> None:
    data = tmp_path / "kept"
    server = start_server(data=data)
    _retro_in_write_phase(server)
    chen = await Client.connect(server.port, community.keys["chen"])
    try:
        await _type_unsent_card(chen, "typed as the server stopped")
        server.terminate()
        await chen.wait_closed(STOP_TIMEOUT)
        assert "Your work is saved" in chen.output.decode(errors="replace")
        assert server.process.wait(STOP_TIMEOUT) == 0
    finally:
        chen.close()
    server.log_path.unlink()  # the next server's log starts afresh (its port is in it)
    server = start_server(data=data)
    again = await _composer_shows(server, community, "chen", "typed as the server stopped")
    again.close()
