"""Time to store one survey response when the data folder already holds 100,000.

coptui: ``Runs.submit_response`` (validation, the folder lock, one atomic write of the
run's file with fsyncs) into a named run that already holds 500 responses, in a folder of
200 runs x 500 responses. Baseline, in the same run and on the same disk: plain TinyDB
with its default JSONStorage holding the same 100,000 response records in one file, one
``insert``. Targets (issue 2): coptui under 10 ms median, at least 30x faster than TinyDB.

    .venv/bin/python benchmarks/bench_store.py [--folder DIR] [--submits 200] [--inserts 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import build_big_data_folder, machine, make_surveys, median_p95

from coptui.core.run import PARTICIPANTS, RESPONSES
from coptui.core.workspace import Workspace
from coptui.demo.history import _health_answers


def prepare(folder: Path) -> tuple[Path, Path]:
    data, surveys = folder / "data", folder / "surveys"
    if not data.exists():
        began = time.perf_counter()
        make_surveys(surveys)
        build_big_data_folder(data, surveys)
        print(f"built the data folder in {time.perf_counter() - began:.1f} s")
    return data, surveys


def bench_coptui(data: Path, surveys: Path, submits: int) -> tuple[list[float], str, int]:
    workspace = Workspace.open(data, surveys)
    runs = workspace.runs
    run = next(r for r in reversed(runs.list_runs(kind="survey", state="open")) if not r.anonymous)
    answered = set(workspace.store.read_run(run.id).all(PARTICIPANTS))
    before = workspace.store.read_run(run.id).count(RESPONSES)
    members = [m.handle for m in workspace.community.members if m.handle not in answered][:submits]
    if len(members) < submits:
        raise SystemExit(f"only {len(members)} members have not answered {run.id}; use a fresh --folder")
    rng = random.Random(7)
    samples = []
    for handle in members:
        answers = _health_answers(rng, 0.5)
        began = time.perf_counter()
        runs.submit_response(run.id, handle, answers)
        samples.append(time.perf_counter() - began)
    return samples, run.id, before


def all_response_records(data: Path) -> list[dict]:
    records = []
    for path in sorted((data / "runs").glob("*.json")):
        records.extend(json.loads(path.read_bytes()).get(RESPONSES, {}).values())
    return records


def bench_tinydb(folder: Path, records: list[dict], inserts: int) -> list[float]:
    from tinydb import TinyDB

    path = folder / "plain-tinydb.json"
    # The file as TinyDB's JSONStorage writes it, built directly rather than by 100,000 inserts.
    path.write_text(json.dumps({"_default": {str(n + 1): record for n, record in enumerate(records)}}))
    samples = []
    with TinyDB(path) as db:
        for n in range(inserts):
            record = dict(records[n], member=f"bench{n}")
            began = time.perf_counter()
            db.insert(record)
            samples.append(time.perf_counter() - began)
        assert len(db) == len(records) + inserts
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="keep the generated data here (reused when it exists)")
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--inserts", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        data, surveys = prepare(folder)
        records = all_response_records(data)
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
        print(f"data folder: {len(records):,} responses in {len(list((data / 'runs').glob('*.json')))} run files")

        coptui_samples, run_id, before = bench_coptui(data, surveys, args.submits)
        c_median, c_p95 = median_p95(coptui_samples)
        print(
            f"coptui submit_response into {run_id} ({before} -> {before + args.submits} responses), {args.submits} submits:"
        )
        print(f"  median {c_median * 1000:.2f} ms, p95 {c_p95 * 1000:.2f} ms")

        tinydb_samples = bench_tinydb(folder, records, args.inserts)
        t_median, t_p95 = median_p95(tinydb_samples)
        print(f"plain TinyDB (JSONStorage, one file of {len(records):,} records), {args.inserts} inserts:")
        print(f"  median {t_median * 1000:.1f} ms, p95 {t_p95 * 1000:.1f} ms")

        ratio = t_median / c_median
        print(f"ratio (TinyDB median / coptui median): {ratio:.0f}x")
        print(f"target coptui < 10 ms median: {'met' if c_median < 0.010 else 'MISSED'}")
        print(f"target >= 30x faster than plain TinyDB: {'met' if ratio >= 30 else 'MISSED'}")


if __name__ == "__main__":
    main()
