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
from collections.abc import Iterator
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


@pytest.fixture
def start_server(community: KeyedCommunity, tmp_path: Path) -> Iterator:
    started: list[ServerProcess] = []

    def start(*args: str, data: Path | None = None) -> ServerProcess:
        process = ServerProcess(data or tmp_path / f"data{len(started)}", community.surveys_dir, extra_args=args)
        started.append(process)
        return process.wait_ready()

    yield start
    for process in started:
        process.stop()


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
