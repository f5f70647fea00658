"""Six `coptui runs --open` of one definition at once make six runs (issue 15, "Races").

Real processes, as a facilitator's script or two facilitators would start them. Each chooses
a run id and writes the run; if choosing and writing are not under one hold of the lock, two
of them take the same free id and the second run silently replaces the first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from coptui.store.layout import RUNS_DIR
from coptui.store.store import Store

OPENERS = 6
WAIT = 60.0  # seconds: the bound on every child


def test_six_opens_at_once_make_six_distinct_runs(data_dir: Path, surveys_dir: Path) -> None:
    command = [
        sys.executable, "-m", "coptui", "--data", str(data_dir), "--surveys", str(surveys_dir),
        "runs", "--open", "cop-pulse", "--as", "ada",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    Store(data_dir)  # the folder exists before they start, so they all race on its runs
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(OPENERS)
    ]
    ids = []
    for child in children:
        out, err = child.communicate(timeout=WAIT)
        assert child.returncode == 0, err
        assert out.startswith("Opened "), out
        ids.append(out.splitlines()[-1])
    assert len(set(ids)) == OPENERS, ids
    assert all(re.fullmatch(r"cop-pulse-\d{4}-\d\d-\d\d(-\d+)?", run_id) for run_id in ids)
    on_disk = sorted(p.stem for p in (data_dir / RUNS_DIR).glob("*.json"))
    assert on_disk == sorted(ids)
    store = Store(data_dir)
    assert sorted(store.run_records()) == sorted(ids) and store.problems == []
    for run_id in ids:  # each file holds its own run
        record = store.read_run(run_id).get("meta", "run")
        assert record is not None and record["id"] == run_id
