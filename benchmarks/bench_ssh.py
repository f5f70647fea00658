"""50 SSH clients in one live retro: join time, memory per session, fan-out of changes.

Runs a real `coptui serve` (subprocess) on 127.0.0.1 and real asyncssh clients with PTYs
in this process, on the same machine, so client work (key exchange, decryption) competes
with the server for the same cores, as in a test but not as in production.

Measured, each beside a baseline taken in the same run:

- join: N clients connect at once, each reaches its home screen, opens the retro and sees
  its board ("Phase 2/8 · Write"); time until the last one does. Baseline: one client.
- memory: server PSS (RSS with pages shared between forked workers counted once) with N
  sessions on the board minus the same before anyone connected,
  divided by N. Baseline: the same with one session.
- write fan-out: one member submits a card (Enter in the composer); time until each other
  client's bytes show the new count ("Others have written K card"): while the write phase
  lasts, that count is all another member may see of a card.
- reveal fan-out: the facilitator presses n; time until each client's bytes hold the text
  of a card written by someone else.

- server CPU per session: the server process's CPU time (/proc/PID/stat, 10 ms ticks)
  spent on the join, on one card (median over the cards) and on the reveal, divided by
  the number of sessions on the board.

``--before SRC`` runs the N-client scenario a second time with the coptui package found
in the folder SRC (a copy of an older tree), in the same run, so that a change is
measured before and after under the same load. Both servers run with PYTHONSAFEPATH=1,
so that only PYTHONPATH (or the installed package) decides which coptui serves.

``--flood BYTES`` measures what one member typing BYTES at full speed into the command
palette (typed keys, not a paste) costs the others: the N-client scenario is run without
and then with one more member who opens the palette and sends BYTES at once just before
the cards are written; the others' write fan-out p95 of both runs, and their ratio, are
printed (the target: within 1.5x).

Usage: python benchmarks/bench_ssh.py [--clients 50] [--cards 10] [--before SRC] [--flood BYTES]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncssh

from benchmarks._common import machine, median_p95
from coptui.core import retro
from coptui.core.workspace import Workspace
from tests.support.ssh import KEYS, Client, ServerProcess, make_keyed_surveys

COMPOSER = re.compile(r"^ (Mad|Sad|Glad):", re.MULTILINE)
BOARD = b"Write your cards"  # the write phase hint: one style run, so contiguous bytes


async def until_quiet(client: Client, quiet: float, timeout: float = 5) -> None:
    """Until ``client`` has received no bytes for ``quiet`` seconds (at most ``timeout``).

    Only the benchmark waits so: it measures the server's CPU until every screen is drawn,
    and no condition on the screen says that the server has stopped drawing. The tests wait
    for what they need to see instead (tests/support/ssh.py).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = len(client.output)
        await asyncio.sleep(quiet)
        if len(client.output) == received:
            return


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the workers of `coptui serve --workers N`)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            pending += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its descendants."""
    total = 0
    for member in process_tree(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> int:
    """Proportional set size of the process tree (pages shared by forked workers are counted
    once in total, not once per worker as RSS would)."""
    total = 0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total


def add_members(surveys_dir: Path, count: int) -> dict[str, asyncssh.SSHKey]:
    """Append ``count`` members with fresh keys to community.toml."""
    keys: dict[str, asyncssh.SSHKey] = {}
    blocks = []
    for index in range(count):
        handle = f"m{index:03d}"
        key = asyncssh.generate_private_key("ssh-ed25519")
        keys[handle] = key
        public = key.export_public_key().decode().strip()
        blocks.append(
            f'\n[[members]]\nhandle = "{handle}"\nname = "Member {index:03d}"\nkeys = [{json.dumps(public)}]\n'
        )
    path = surveys_dir / "community.toml"
    text = path.read_text(encoding="utf-8")
    head, sep, tail = text.partition("\n[[objectives]]")
    path.write_text(head + "".join(blocks) + sep + tail, encoding="utf-8")
    return keys


async def join(port: int, keys: list[asyncssh.SSHKey]) -> tuple[list[Client], float, float]:
    """Connect all at once; each opens the retro from its home screen. Returns (clients, to home, to board)."""
    start = time.perf_counter()
    home_times: list[float] = []

    async def one(key: asyncssh.SSHKey) -> Client:
        # The first client writes the cards and reads its screen; the others keep raw bytes only.
        client = await Client.connect(port, key, track_screen=key is keys[0])
        await client.wait_bytes(b"Open for you", timeout=120)
        home_times.append(time.perf_counter() - start)
        await client.wait_bytes(b"Mad / Sad / Glad", timeout=60)  # the retro's row is in the table
        await until_quiet(client, 0.2, timeout=30)
        client.send(KEYS["enter"])
        await client.wait_bytes(BOARD, timeout=120)
        return client

    clients = await asyncio.gather(*(one(k) for k in keys))
    return list(clients), max(home_times), time.perf_counter() - start


async def write_fanout(
    writer: Client, others: list[Client], cards: int, first_count: int, pid: int
) -> tuple[list[float], list[float]]:
    """Per card and per other client: seconds from Enter to the new count in that client's bytes;
    and per card, the server's CPU seconds until every screen showed it and went quiet."""
    samples: list[float] = []
    cpu: list[float] = []
    for index in range(cards):
        count = first_count + index
        word = "card" if count == 1 else "cards"
        needle = f"Others have written {count} {word}".encode()
        marks = [len(c.output) for c in others]
        # One column after another, so that every card fits on the screen at the reveal.
        writer.send((KEYS["right"] if index else "") + "a")
        await writer.wait_for(lambda c: COMPOSER.search(c.text) is not None, 10, "the card composer")
        text = f"fan-out card {index:02d}"
        writer.send(text)
        await writer.wait_text(text)
        cpu_before = cpu_seconds(pid)
        sent = time.perf_counter()
        writer.send(KEYS["enter"])
        arrivals = await asyncio.gather(*(c.wait_bytes(needle, start=m, timeout=60) for c, m in zip(others, marks)))
        samples.extend(at - sent for at in arrivals)
        await asyncio.gather(*(until_quiet(c, 0.2, timeout=30) for c in [writer, *others]))
        cpu.append(cpu_seconds(pid) - cpu_before)
        writer.send(KEYS["escape"])
        await writer.wait_for(lambda c: COMPOSER.search(c.text) is None, 10, "the composer closed")
    return samples, cpu


async def reveal_fanout(facilitator: Client, clients: list[Client], needle: bytes) -> list[float]:
    marks = [len(c.output) for c in clients]
    await until_quiet(facilitator, 0.2)
    sent = time.perf_counter()
    facilitator.send("n")
    arrivals = await asyncio.gather(*(c.wait_bytes(needle, start=m, timeout=120) for c, m in zip(clients, marks)))
    return [at - sent for at in arrivals]


async def start_flood(port: int, key: asyncssh.SSHKey, size: int) -> Client:
    """One more member opens the command palette and types ``size`` letters at full speed."""
    flooder = await Client.connect(port, key, track_screen=False)
    await flooder.wait_bytes(b"Open for you", timeout=60)
    await until_quiet(flooder, 0.2)
    flooder.send("\x10")  # ctrl+p
    await flooder.wait_bytes(b"Search for commands", timeout=60)
    letters = "abcdefghijklmnoprstuvwxyz"  # no q
    flooder.send("".join(letters[i % len(letters)] for i in range(size)))
    return flooder


async def scenario(
    folder: Path,
    clients_wanted: int,
    cards: int,
    label: str,
    source: Path | None = None,
    workers: int = 1,
    flood: int = 0,
) -> dict[str, Any]:
    community = make_keyed_surveys(folder, ["ada"], strangers=())
    member_keys = add_members(community.surveys_dir, clients_wanted + (1 if flood else 0))
    flood_key = member_keys.popitem()[1] if flood else None
    data = folder / "data"
    env = {"PYTHONSAFEPATH": "1"} | ({"PYTHONPATH": str(source.resolve())} if source else {})
    extra = ["--max-sessions", "500", "--connect-rate", "1000"] + (["--workers", str(workers)] if workers > 1 else [])
    server = ServerProcess(
        data, community.surveys_dir, extra_args=extra, env=env, startups_per_address=source is None
    ).wait_ready()
    pid = server.process.pid
    try:
        workspace = Workspace.open(data, community.surveys_dir)
        run = workspace.runs.open_run("mad-sad-glad", by="ada")
        retro.next_phase(workspace, run.id, "ada")  # the write phase: the board is up
        await asyncio.sleep(1.0)  # let the server finish starting (imports, first GC) before the baseline
        rss_idle = memory_kib(pid)

        cpu_start, harness_start = cpu_seconds(pid), time.process_time()
        clients, to_home, to_board = await join(server.port, list(member_keys.values()))
        await asyncio.gather(*(until_quiet(c, 0.3, timeout=30) for c in clients))
        cpu_join = cpu_seconds(pid) - cpu_start
        harness_join = time.process_time() - harness_start
        rss_joined = memory_kib(pid)
        per_worker = Counter(r.get("worker", 0) for r in server.log_records() if r["event"] == "connect")
        facilitator = await Client.connect(server.port, community.keys["ada"], track_screen=False)
        await facilitator.wait_bytes(b"Mad / Sad / Glad", timeout=60)
        await until_quiet(facilitator, 0.2)
        facilitator.send(KEYS["enter"])
        await facilitator.wait_bytes(BOARD, timeout=60)
        await until_quiet(facilitator, 0.3)

        writer, others = clients[0], [*clients[1:], facilitator]
        flooder = await start_flood(server.port, flood_key, flood) if flood_key is not None else None
        fanout, cpu_cards = await write_fanout(writer, others, cards, 1, pid) if others[:-1] else ([], [])
        # Reveal: the writer's first card reaches everyone else.
        cpu_start, harness_start = cpu_seconds(pid), time.process_time()
        reveal = await reveal_fanout(facilitator, [*clients[1:], facilitator], b"fan-out card 00")
        await asyncio.gather(*(until_quiet(c, 0.2, timeout=30) for c in [*clients, facilitator]))
        cpu_reveal = cpu_seconds(pid) - cpu_start
        harness_reveal = time.process_time() - harness_start
        sessions = clients_wanted + 1
        for client in [*clients, facilitator, *([flooder] if flooder else [])]:
            client.close()
        result = {
            "clients": float(clients_wanted),
            "to_home": to_home,
            "to_board": to_board,
            "rss_per_session_mib": (rss_joined - rss_idle) / 1024 / clients_wanted,
            "rss_idle_mib": rss_idle / 1024,
            "cpu_join": cpu_join / clients_wanted,
            "cpu_reveal": cpu_reveal / sessions,
            # The clients' own CPU (this process): on this machine it competes with the server.
            "harness_join": harness_join,
            "harness_reveal": harness_reveal,
            "sessions_per_worker": "/".join(str(n) for _, n in sorted(per_worker.items())),
        }
        if fanout:
            result["write_median"], result["write_p95"] = median_p95(fanout)
            result["cpu_card"] = median_p95(cpu_cards)[0] / sessions
        result["reveal_median"], result["reveal_p95"] = median_p95(reveal)
        errors = [r for r in server.log_records() if r["event"] == "error"]
        if errors:
            raise RuntimeError(f"{label}: sessions crashed: {errors[:3]}")
        return result
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--cards", type=int, default=10)
    parser.add_argument(
        "--before",
        type=Path,
        metavar="SRC",
        help="also run the N-client scenario with the coptui package in this folder",
    )
    parser.add_argument(
        "--flood",
        type=int,
        metavar="BYTES",
        help="run the N-client scenario without and with one member typing BYTES into the palette; print the ratio",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="coptui serve --workers N for the N-client scenario (the baseline keeps 1)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f}")
    before: dict[str, Any] | None = None
    if args.flood:
        with tempfile.TemporaryDirectory(prefix="coptui-bench-ssh-") as tmp:
            calm = asyncio.run(scenario(Path(tmp) / "calm", args.clients, args.cards, "calm", workers=args.workers))
            flooded = asyncio.run(
                scenario(Path(tmp) / "flood", args.clients, args.cards, "flood", workers=args.workers, flood=args.flood)
            )
        print(f"{args.clients} clients adding cards; one more member types {args.flood} bytes into the palette")
        print(f"{'':<34} {'no flood':>13} {'flood':>13}  ratio")
        for name, key in (("write fan-out median", "write_median"), ("write fan-out p95", "write_p95")):
            b, f = calm[key], flooded[key]
            print(f"{name:<34} {b * 1000:9.1f} ms  {f * 1000:9.1f} ms  {f / b:5.2f}x")
        ratio = flooded["write_p95"] / calm["write_p95"]
        print(f"target write fan-out p95 within 1.5x under the flood: {'met' if ratio <= 1.5 else 'MISSED'}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return
    with tempfile.TemporaryDirectory(prefix="coptui-bench-ssh-") as tmp:
        base = asyncio.run(scenario(Path(tmp) / "baseline", 2, args.cards, "baseline"))
        if args.before:
            before = asyncio.run(
                scenario(Path(tmp) / "before", args.clients, args.cards, "before", args.before, workers=args.workers)
            )
        full = asyncio.run(scenario(Path(tmp) / "full", args.clients, args.cards, "full", workers=args.workers))

    def row(name: str, key: str, unit: str, scale: float = 1.0) -> None:
        b, f = base.get(key), full.get(key)
        if b is None or f is None:
            return
        ratio = f"{f / b:5.1f}x" if b else "   -"
        print(f"{name:<34} {b * scale:9.1f} {unit:<3} {f * scale:9.1f} {unit:<3} {ratio}")

    print(f"{'':<34} {'2 clients':>13} {f'{args.clients} clients':>13}  ratio   (server workers: 1 and {args.workers})")
    row("all on home screen", "to_home", "ms", 1000)
    row("all on the retro board (join)", "to_board", "ms", 1000)
    row("server memory (PSS) per session", "rss_per_session_mib", "MiB")
    row("write fan-out median", "write_median", "ms", 1000)
    row("write fan-out p95", "write_p95", "ms", 1000)
    row("reveal fan-out median", "reveal_median", "ms", 1000)
    row("reveal fan-out p95", "reveal_p95", "ms", 1000)
    row("server CPU per session: join", "cpu_join", "ms", 1000)
    row("server CPU per session: a card", "cpu_card", "ms", 1000)
    row("server CPU per session: reveal", "cpu_reveal", "ms", 1000)
    print(f"server memory (PSS) before any session: {full['rss_idle_mib']:.1f} MiB")
    print(f"sessions per server worker (the {args.clients} clients): {full['sessions_per_worker']}")
    print(
        f"CPU of the clients (this process), {args.clients} clients: join {full['harness_join']:.1f} s, "
        f"reveal {full['harness_reveal']:.2f} s (it shares the machine's cores with the server)"
    )
    if before is not None:
        print(f"\n{args.clients} clients, before ({args.before}) and now:")
        for name, key, scale, unit in (
            ("all on the retro board (join)", "to_board", 1000, "ms"),
            ("write fan-out median", "write_median", 1000, "ms"),
            ("write fan-out p95", "write_p95", 1000, "ms"),
            ("reveal fan-out median", "reveal_median", 1000, "ms"),
            ("reveal fan-out p95", "reveal_p95", 1000, "ms"),
            ("server CPU per session: join", "cpu_join", 1000, "ms"),
            ("server CPU per session: a card", "cpu_card", 1000, "ms"),
            ("server CPU per session: reveal", "cpu_reveal", 1000, "ms"),
            ("server memory (PSS) per session", "rss_per_session_mib", 1, "MiB"),
        ):
            if key in before and key in full:
                b, f = before[key], full[key]
                ratio = f"{f / b:5.2f}x" if b else "   -"
                print(f"{name:<34} {b * scale:9.1f} {unit:<3} {f * scale:9.1f} {unit:<3} {ratio}")
    targets = {
        "write fan-out p95 < 250 ms": full.get("write_p95", 0) < 0.25,
        "reveal fan-out p95 < 250 ms": full["reveal_p95"] < 0.25,
        "< 10 MiB per session": full["rss_per_session_mib"] < 10,
        f"all {args.clients} on the board within 10 s": full["to_board"] < 10,
    }
    for target, met in targets.items():
        print(f"target {target}: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
