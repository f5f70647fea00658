"""Writes by another process reach a watcher of the data folder, swap after swap.

A watch on a single file goes silent after the first ``os.replace`` (the watched inode is
gone); the folder watch must keep hearing. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from coptui.store import layout, watch
from coptui.store.layout import Change
from coptui.store.store import Store

WAIT = 10.0


WRITER = r"""
import sys
from pathlib import Path
from coptui.store.store import Store
from tests.support.toy_records import records_of_no_declared_shape  # noqa: F401

store = Store(Path(sys.argv[1]), check_shapes=False)
for line in sys.stdin:
    kind, value = line.split()
    if kind == "run":
        with store.run_tx("watched") as tx:
            tx.put("t", "k", {"v": int(value)})
    else:
        store.write_run_record("watched", {"id": "watched", "v": int(value)})
    print("ok", flush=True)
"""


async def _next_change(changes: asyncio.Queue[Change], wanted: Change) -> None:
    async def until_wanted() -> None:
        while await changes.get() != wanted:
            pass

    await asyncio.wait_for(until_wanted(), WAIT)


async def _all_heard(changes: asyncio.Queue[Change], wanted: set[Change]) -> None:
    async def until_all() -> None:
        missing = set(wanted)
        while missing:
            missing.discard(await changes.get())

    await asyncio.wait_for(until_all(), WAIT)


async def _watching(data_dir: Path, changes: asyncio.Queue[Change], start) -> asyncio.Task[None]:
    """Start a watcher and return once it demonstrably hears a write (no race with its start)."""
    task = asyncio.create_task(start(data_dir, changes.put_nowait))
    store = Store(data_dir)
    for attempt in range(int(WAIT / 0.1)):
        with store.run_tx("warm-up") as tx:
            tx.put("t", "k", {"attempt": attempt})
        try:
            await asyncio.wait_for(_next_change(changes, Change("run", "warm-up")), 0.3)
            return task
        except TimeoutError:
            continue
    task.cancel()
    pytest.fail("the watcher never heard a write")


async def _ask(child: subprocess.Popen[str], command: str) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(command + "\n")
    child.stdin.flush()
    line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), WAIT)
    assert line.strip() == "ok", line


@pytest.mark.parametrize(
    "start",
    [
        lambda data_dir, publish: watch.watch_data_folder(data_dir, publish, start_delay=0),
        lambda data_dir, publish: watch._poll(data_dir, publish, 0.05),
    ],
    ids=["watchfiles", "polling"],
)
async def test_writes_by_another_process_reach_the_watcher_after_many_swaps(data_dir: Path, start) -> None:
    Store(data_dir)
    changes: asyncio.Queue[Change] = asyncio.Queue()
    task = await _watching(data_dir, changes, start)
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        for value in range(6):  # six os.replace swaps of the same file
            await _ask(child, f"run {value}")
            await _next_change(changes, Change("run", "watched"))
        await _ask(child, "record 1")  # run file first, then the index
        await _next_change(changes, Change("index"))
    finally:
        task.cancel()
        child.kill()
        child.wait(timeout=WAIT)


async def test_a_write_made_before_the_watcher_listens_is_still_published(data_dir: Path) -> None:
    store = Store(data_dir)
    with store.run_tx("early") as tx:
        tx.put("t", "k", {"v": 0})
    changes: asyncio.Queue[Change] = asyncio.Queue()
    task = asyncio.create_task(watch.watch_data_folder(data_dir, changes.put_nowait, start_delay=0.3))
    await asyncio.sleep(0)  # the watch has noted the folder as it was, and waits to start
    try:
        with store.run_tx("early") as tx:
            tx.put("t", "k", {"v": 1})
        store.write_run_record("fresh", {"id": "fresh"})
        await _all_heard(changes, {Change("run", "early"), Change("run", "fresh"), Change("index")})
    finally:
        task.cancel()


def test_change_for_ignores_temp_files_and_strangers(tmp_path: Path) -> None:
    data = tmp_path
    assert layout.change_for(data, data / "runs" / "pulse-1.json") == Change("run", "pulse-1")
    assert layout.change_for(data, data / "index.json") == Change("index")
    assert layout.change_for(data, data / "actions.json") == Change("actions")
    assert layout.change_for(data, data / "runs" / ".tmp-pulse-1.json.12.34") is None
    assert layout.change_for(data, data / ".lock") is None
    assert layout.change_for(data, data / "quarantine" / "index.json.20261125T101010") is None


def test_path_for_and_change_for_agree_and_know_only_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "runs").mkdir(parents=True)
    for change in (Change("run", "pulse-1"), Change("index"), Change("actions")):
        assert layout.change_for(data, layout.path_for(data, change)) == change
    assert layout.change_for(data, tmp_path / "index.json") is None  # beside the folder, not in it
    assert layout.change_for(data, data / "quarantine" / "index.json") is None
    assert layout.change_for(data, data / "runs" / "Not a run.json") is None
    # Events may name the folder through a symlink (or the other way round).
    (tmp_path / "link").symlink_to(data)
    assert layout.change_for(tmp_path / "link", data / "runs" / "r.json") == Change("run", "r")
    assert layout.change_for(data, tmp_path / "link" / "actions.json") == Change("actions")
