"""The data folder's layout: every path in it, said once, and the change each file stands for.

::

    index.json          runs (a copy of each run's record) and summaries of closed runs
    actions.json        retro actions, which live past their retro
    runs/<run>.json     everything put into one run: responses, cards, votes, feedback ...
    drafts/<run>.json   unsent survey answers and feedback of one run, kept apart from what was sent
    .lock               the file lock held around every read-modify-write
    quarantine/         copies of damaged files, kept for a human to look at
    .tmp-<name>.<pid>.<thread>   a write on its way (beside its target, in the same folder)

Only these names are data: anything else in runs/ (``X (copy).json``, ``Backup.json``) is
left alone and reported (:func:`stray_names`).

The store writes these paths, the folder watcher maps events on them back to a
:class:`Change`, and the server relays foreign writes by the same two functions
(:func:`path_for`, :func:`change_for`), so the three cannot disagree about a name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

INDEX_FILE = "index.json"
ACTIONS_FILE = "actions.json"
RUNS_DIR = "runs"
DATA_SUFFIX = ".json"
LOCK_FILE = ".lock"
QUARANTINE_DIR = "quarantine"
DRAFTS_DIR = "drafts"
TEMP_PREFIX = ".tmp-"
# A run id becomes a file name: lower case, no separator, nothing that climbs out of runs/.
_RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")


@dataclass(frozen=True, slots=True)
class Change:
    """What a write touched: published on the hub after the file is safely on disk."""

    area: str  # "run" | "drafts" | "index" | "actions"
    run_id: str | None = None


def is_run_id(run_id: str) -> bool:
    return _RUN_ID.match(run_id) is not None


def runs_dir(data_dir: Path) -> Path:
    return data_dir / RUNS_DIR


def run_path(data_dir: Path, run_id: str) -> Path:
    """The file of one run; the caller checks ``run_id`` with :func:`is_run_id` first."""
    return data_dir / RUNS_DIR / f"{run_id}{DATA_SUFFIX}"


def drafts_path(data_dir: Path, run_id: str) -> Path:
    """The drafts of one run; the caller checks ``run_id`` with :func:`is_run_id` first."""
    return data_dir / DRAFTS_DIR / f"{run_id}{DATA_SUFFIX}"


def lock_path(data_dir: Path) -> Path:
    return data_dir / LOCK_FILE


def quarantine_dir(data_dir: Path) -> Path:
    return data_dir / QUARANTINE_DIR


def temp_folders(data_dir: Path) -> tuple[Path, Path, Path]:
    """The folders where a write's temp file can be left behind by a crash."""
    return data_dir, data_dir / RUNS_DIR, data_dir / DRAFTS_DIR


def is_temp(path: Path) -> bool:
    return path.name.startswith(TEMP_PREFIX)


def _names_in_runs(data_dir: Path) -> list[str]:
    # Names only (no stat, nothing opened): what each entry is, is for the reader to check.
    try:
        return os.listdir(data_dir / RUNS_DIR)
    except OSError:
        return []  # no runs/ folder, or not a folder: the store reports it once


def run_ids(data_dir: Path) -> list[str]:
    """The runs that have a file, sorted: names ``<run id>.json`` in runs/ (temps left out)."""
    return sorted(
        name[: -len(DATA_SUFFIX)]
        for name in _names_in_runs(data_dir)
        if name.endswith(DATA_SUFFIX) and not name.startswith(TEMP_PREFIX) and is_run_id(name[: -len(DATA_SUFFIX)])
    )


def stray_names(data_dir: Path) -> list[str]:
    """Names in runs/ that look like data files but name no run (``X (copy).json``,
    ``Backup.json``, an editor's ``.#X.json``): ignored for data, reported by the store."""
    return sorted(
        name
        for name in _names_in_runs(data_dir)
        if name.endswith(DATA_SUFFIX) and not name.startswith(TEMP_PREFIX) and not is_run_id(name[: -len(DATA_SUFFIX)])
    )


def data_files(data_dir: Path) -> list[Path]:
    """Every file that holds data (index, actions, run files), as they are now."""
    names = [INDEX_FILE, ACTIONS_FILE]
    present = [data_dir / name for name in names if os.path.lexists(data_dir / name)]
    drafts = sorted(
        path for path in (data_dir / DRAFTS_DIR).glob(f"*{DATA_SUFFIX}") if not is_temp(path) and is_run_id(path.stem)
    )
    return present + [run_path(data_dir, run_id) for run_id in run_ids(data_dir)] + drafts


def path_for(data_dir: Path, change: Change) -> Path:
    """The file a change was written to."""
    if change.area == "run" and change.run_id:
        return run_path(data_dir, change.run_id)
    if change.area == "drafts" and change.run_id:
        return drafts_path(data_dir, change.run_id)
    return data_dir / (ACTIONS_FILE if change.area == "actions" else INDEX_FILE)


def change_for(data_dir: Path, path: Path) -> Change | None:
    """The store change a file stands for, or None for files that do not matter (temps, the lock,
    quarantined copies, anything else)."""
    parts = _parts_inside(data_dir, path)
    if parts == (INDEX_FILE,):
        return Change("index")
    if parts == (ACTIONS_FILE,):
        return Change("actions")
    if len(parts) == 2 and parts[0] in (RUNS_DIR, DRAFTS_DIR):
        name = Path(parts[1])
        if name.suffix == DATA_SUFFIX and not is_temp(name) and is_run_id(name.stem):
            return Change("run" if parts[0] == RUNS_DIR else "drafts", name.stem)
    return None


def _parts_inside(data_dir: Path, path: Path) -> tuple[str, ...]:
    # File events may name the folder another way than the caller did (relative, or through
    # a symlink such as /tmp on some systems): compare resolved paths when plain ones differ.
    for base, target in ((data_dir, path), (data_dir.resolve(), path.resolve())):
        try:
            return target.relative_to(base).parts
        except ValueError:
            continue
    return ()
