"""Hear about writes made by other processes (a `coptui serve` beside a local `coptui`).

Watches the data folder, not single files: a file watch goes silent after the first
``os.replace`` swaps the file away. Falls back to polling file times where inotify is
not available.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from coptui.store import ACTIONS_FILE, INDEX_FILE, RUNS_DIR, TEMP_PREFIX, Change, FileSignature, file_signature


def change_for(data_dir: Path, path: Path) -> Change | None:
    """The store change a file event stands for, or None for files that do not matter."""
    if path.name.startswith(TEMP_PREFIX) or path.suffix != ".json":
        return None
    if path.parent.name == RUNS_DIR:
        return Change("run", path.stem)
    if path.name == INDEX_FILE:
        return Change("index")
    if path.name == ACTIONS_FILE:
        return Change("actions")
    return None


async def watch_data_folder(data_dir: Path, publish: Callable[[Change], None], *, poll_interval: float = 0.5) -> None:
    try:
        from watchfiles import awatch

        async for events in awatch(data_dir, recursive=True, debounce=100, step=50):
            for _, name in events:
                change = change_for(data_dir, Path(name))
                if change is not None:
                    publish(change)
    except (ImportError, OSError):
        await _poll(data_dir, publish, poll_interval)


async def _poll(data_dir: Path, publish: Callable[[Change], None], interval: float) -> None:
    # The inode is part of the signature: every store write swaps in a new one, so two
    # writes within one tick of the file clock are still told apart.
    seen: dict[Path, FileSignature] = {}
    while True:
        current = {}
        for path in [*data_dir.glob("*.json"), *(data_dir / RUNS_DIR).glob("*.json")]:
            signature = file_signature(path)
            if signature is not None:
                current[path] = signature
        if seen:
            for path, stamp in current.items():
                if seen.get(path) != stamp:
                    change = change_for(data_dir, path)
                    if change is not None:
                        publish(change)
        seen = current
        await asyncio.sleep(interval)
