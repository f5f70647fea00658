"""How long `coptui serve` takes to exit after it logged ``stopped`` (SIGTERM with members on).

Runs a real `coptui serve` (subprocess) with N asyncssh clients on one retro's board,
sends SIGTERM, and measures, per round: from the signal to the ``stopped`` record, and
from the ``stopped`` record (its time stamp) to the process's exit as seen by this
process polling ``waitpid`` every 5 ms. The second figure is what members and a systemd
restart wait for once every goodbye has been said.

Usage: python benchmarks/bench_stop.py [--clients 10] [--rounds 5] [--workers 1] [--hold 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coptui.core import retro
from coptui.core.workspace import Workspace
from tests.support.ssh import Client, ServerProcess, make_keyed_surveys

MEMBERS = ["ada", "bruno", "chen", "dana", "emeka", "farah"]


async def one_round(root: Path, clients: int, workers: int, hold: float) -> tuple[float, float]:
    community = make_keyed_surveys(root, MEMBERS)
    server = ServerProcess(root / "data", community.surveys_dir, extra_args=["--workers", str(workers)]).wait_ready()
    workspace = Workspace.open(server.data_dir, server.surveys_dir)
    run_id = workspace.runs.open_run("mad-sad-glad", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    keys = [community.keys[MEMBERS[i % len(MEMBERS)]] for i in range(clients)]
    connected = [await Client.connect(server.port, key, track_screen=False) for key in keys]
    for client in connected:  # every member on the retro board, one with a card half typed
        await client.wait_bytes(b"Mad / Sad / Glad", timeout=60)
        client.send("\r")
    for client in connected:
        await client.wait_bytes(b"Write", timeout=60)
    if connected:
        connected[0].send("a")
        connected[0].send("half a card")
    await asyncio.sleep(hold)  # the folder watcher started, the sessions settled
    signalled = time.time()
    server.terminate()
    while server.process.poll() is None:
        await asyncio.sleep(0.005)
    exited = time.time()
    for client in connected:
        client.close()
    stopped = [r for r in server.log_records() if r["event"] == "stopped"]
    last = max(datetime.fromisoformat(r["time"]).timestamp() for r in stopped)
    return last - signalled, exited - last


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--hold", type=float, default=2.0, help="seconds on the board before SIGTERM")
    args = parser.parse_args()
    to_stopped: list[float] = []
    to_exit: list[float] = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-stop-") as folder:
            goodbye, after = await one_round(Path(folder), args.clients, args.workers, args.hold)
        to_stopped.append(goodbye)
        to_exit.append(after)
        print(f"round {n + 1}: SIGTERM to 'stopped' {goodbye:.2f} s; 'stopped' to exit {after:.2f} s", flush=True)
    print(
        f"{args.clients} clients, {args.workers} worker(s), {args.rounds} rounds: "
        f"SIGTERM to 'stopped' median {statistics.median(to_stopped):.2f} s (max {max(to_stopped):.2f}); "
        f"'stopped' to exit median {statistics.median(to_exit):.2f} s (max {max(to_exit):.2f})"
    )


if __name__ == "__main__":
    asyncio.run(main())
