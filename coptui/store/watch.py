"""Hear about writes made by other processes (a `coptui serve` beside a local `coptui`).

Watches the data folder, not single files: a file watch goes silent after the first
``os.replace`` swaps the file away. Falls back to polling file signatures where
inotify is not available.

Start-up cost matters here: importing watchfiles (and anyio under it) takes longer than
drawing the first screen, so the watcher waits ``start_delay`` and imports in a thread.
Nothing is missed meanwhile: the folder's file signatures are noted when the watch is
asked for, and whatever changed before the watcher was listening is published once.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from pathlib import Path

from coptui.store.files import FileSignature, file_signature
from coptui.store.layout import Change, change_for, data_files

Signatures = dict[Path, FileSignature]
# How long after the watcher starts listening the catch-up comparison runs (inotify is
# registered by then, so every change is seen by one or the other, often by both).
CATCH_UP_AFTER = 0.3


def signatures(data_dir: Path) -> Signatures:
    """Every data file's signature. The inode is part of it: every store write swaps in a
    new one, so two writes within one tick of the file clock are still told apart."""
    current: Signatures = {}
    for path in data_files(data_dir):
        signature = file_signature(path)
        if signature is not None:
            current[path] = signature
    return current


def publish_differences(
    data_dir: Path, before: Signatures, after: Signatures, publish: Callable[[Change], None]
) -> None:
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path):
            change = change_for(data_dir, path)
            if change is not None:
                publish(change)


async def watch_data_folder(
    data_dir: Path, publish: Callable[[Change], None], *, poll_interval: float = 0.5, start_delay: float = 0.5
) -> None:
    before = signatures(data_dir)
    await asyncio.sleep(start_delay)
    try:
        watchfiles = await asyncio.to_thread(importlib.import_module, "watchfiles")
    except ImportError:
        await _poll(data_dir, publish, poll_interval, before)
        return
    catch_up = asyncio.create_task(_catch_up(data_dir, before, publish))
    try:
        async for events in watchfiles.awatch(data_dir, recursive=True, debounce=100, step=50):
            for _, name in events:
                change = change_for(data_dir, Path(name))
                if change is not None:
                    publish(change)
    except OSError:  # no inotify (or out of watches): poll instead
        await _poll(data_dir, publish, poll_interval, signatures(data_dir))
    finally:
        catch_up.cancel()


async def _catch_up(data_dir: Path, before: Signatures, publish: Callable[[Change], None]) -> None:
    await asyncio.sleep(CATCH_UP_AFTER)
    publish_differences(data_dir, before, await asyncio.to_thread(signatures, data_dir), publish)


async def _poll(
    data_dir: Path, publish: Callable[[Change], None], interval: float, seen: Signatures | None = None
) -> None:
    seen = signatures(data_dir) if seen is None else seen
    while True:
        current = await asyncio.to_thread(signatures, data_dir)
        publish_differences(data_dir, seen, current, publish)
        seen = current
        await asyncio.sleep(interval)
