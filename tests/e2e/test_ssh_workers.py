"""`coptui serve --workers 2`: two processes on one port, one board, shared limits.

Real asyncssh clients against a real server. The supervisor hands each connection to
the worker holding the fewest; the tests read the log to know who is where.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coptui.core import retro
from coptui.core.workspace import Workspace
from tests.support.ssh import KEYS, STOP_TIMEOUT, Client, KeyedCommunity, ServerProcess, make_keyed_surveys

pytestmark = [pytest.mark.e2e]
MEMBERS = ["ada", "bruno", "chen", "dana", "emeka", "farah", "gus", "hana"]


@pytest.fixture
def community(tmp_path: Path) -> KeyedCommunity:
    return make_keyed_surveys(tmp_path, MEMBERS)


@pytest.fixture
def server(community: KeyedCommunity) -> Iterator[ServerProcess]:
    data = community.surveys_dir.parent / "data"
    process = ServerProcess(
        data, community.surveys_dir, extra_args=["--workers", "2", "--max-per-key", "2"]
    ).wait_ready()
    yield process
    process.stop()


def _workers_of(server: ServerProcess) -> dict[int, str]:
    """The worker that logged each open session's connect, by the order of connects."""
    return {i: r["worker"] for i, r in enumerate(r for r in server.log_records() if r["event"] == "connect")}


def _connect_of(handle: str) -> Callable[[dict[str, Any]], bool]:
    """A log predicate: the connect record of ``handle``'s session."""
    return lambda record: record["event"] == "connect" and record["handle"] == handle


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


async def _members_on_both_workers(server: ServerProcess, community: KeyedCommunity) -> list[tuple[Client, int]]:
    """Connect members (one session each) until both workers hold one; (client, worker) pairs."""
    clients: list[tuple[Client, int]] = []
    for handle in MEMBERS:
        client = await Client.connect(server.port, community.keys[handle])
        await client.wait_text("Open for you", timeout=20)
        record = await server.wait_log(_connect_of(handle))
        clients.append((client, record["worker"]))
        if {worker for _, worker in clients} == {0, 1}:
            return clients
    pytest.fail(f"8 connections all went to one worker: {_workers_of(server)}")


async def test_two_workers_serve_one_live_board(server: ServerProcess, community: KeyedCommunity) -> None:
    assert len(_children(server.process.pid)) == 2
    await server.wait_log(lambda r: r["event"] == "listening" and r["worker"] == 1)
    listening = [r for r in server.log_records() if r["event"] == "listening"]
    assert sorted(r["worker"] for r in listening) == [0, 1] and len({r["port"] for r in listening}) == 1

    workspace = Workspace.open(server.data_dir, server.surveys_dir)
    run_id = workspace.runs.open_run("mad-sad-glad", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    clients = await _members_on_both_workers(server, community)
    try:
        for client, _ in clients:
            await client.wait_text("Mad / Sad / Glad")
            client.send(KEYS["enter"])
        await asyncio.gather(*(c.wait_text("Phase 2/8 · Write") for c, _ in clients))

        # A card written on one worker: the count reaches the sessions of the other at once
        # (relayed between the workers), and its text reaches nobody before the reveal.
        writer, writer_worker = clients[0]
        others = [(c, w) for c, w in clients[1:]]
        assert any(w != writer_worker for _, w in others)
        marks = [len(c.output) for c, _ in others]
        writer.send("a")
        await writer.wait_text("Mad:")
        writer.send("across the workers" + KEYS["enter"])
        await asyncio.gather(*(c.wait_text("Others have written 1 card", timeout=10) for c, _ in others))
        assert all(b"across the workers" not in bytes(c.output[m:]) for (c, _), m in zip(others, marks))

        await asyncio.to_thread(retro.next_phase, workspace, run_id, "ada")
        await asyncio.gather(*(c.wait_text("across the workers", timeout=10) for c, _ in clients))
    finally:
        for client, _ in clients:
            client.close()


async def test_connections_are_shared_evenly_between_the_workers(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    clients = []
    try:
        for handle in MEMBERS[:6]:
            client = await Client.connect(server.port, community.keys[handle])
            await client.wait_text("Open for you", timeout=20)
            clients.append(client)
        await server.wait_log(lambda r: r["event"] == "connect" and r["handle"] == MEMBERS[5])
        per_worker = [
            sum(1 for r in server.log_records() if r["event"] == "connect" and r["worker"] == w) for w in (0, 1)
        ]
        assert per_worker == [3, 3]
    finally:
        for client in clients:
            client.close()


async def test_a_burst_of_connections_is_all_served(server: ServerProcess) -> None:
    # 40 connections at once, handed out while the workers still take the earlier ones.
    async def banner() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            return await asyncio.wait_for(reader.readline(), 15)
        finally:
            writer.close()

    banners = await asyncio.gather(*(banner() for _ in range(40)))
    assert all(line.startswith(b"SSH-2.0-coptui_") for line in banners), banners


async def test_the_per_key_limit_counts_sessions_on_every_worker(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    key = community.keys["chen"]
    sessions: list[Client] = []
    try:
        # Separate connections, so that the kernel may put them on different workers.
        for _ in range(2):
            client = await Client.connect(server.port, key)
            await client.wait_text("Open for you", timeout=20)
            sessions.append(client)
        extra = [await Client.connect(server.port, key) for _ in range(4)]
        for client in extra:
            await client.wait_closed(timeout=10)
            assert b"already connected 2 times" in client.output
        workers = {
            r["worker"] for r in server.log_records() if r["event"] == "refused" and r.get("reason") == "limit-key"
        }
        assert workers, "the refusals are logged with their worker"

        # A session that ends frees its slot, whichever worker held it.
        sessions.pop().close()
        await server.wait_log(lambda r: r["event"] == "disconnect" and r["handle"] == "chen")
        again = await Client.connect(server.port, key)
        await again.wait_text("Open for you", timeout=20)
        sessions.append(again)
    finally:
        for client in sessions:
            client.close()


async def test_sigterm_reaches_every_worker_and_a_dead_worker_is_replaced(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    clients = await _members_on_both_workers(server, community)
    await server.wait_log(lambda r: r["event"] == "listening" and r["worker"] == 1)
    first = _children(server.process.pid)
    os.kill(first[0], signal.SIGKILL)
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        now = _children(server.process.pid)
        if len(now) == 2 and first[0] not in now:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail(f"the killed worker was not replaced: {first} -> {_children(server.process.pid)}")
    assert "starting it again" in server.stderr_text()

    # The killed worker's clients lost their connection; the others get the goodbye.
    killed = next(r["worker"] for r in server.log_records() if r["event"] == "listening" and r["pid"] == first[0])
    survivors = [c for c, worker in clients if worker != killed]
    assert survivors
    server.terminate()
    assert server.process.wait(STOP_TIMEOUT) == 0
    for client in survivors:
        await client.wait_closed(timeout=10)
        assert b"server stopping" in client.output
