"""Time to store one survey response when the data folder already holds 100,000.

coptui: ``Runs.submit_response`` (validation, the folder lock, one atomic write of the
run's file with fsyncs) into a named run that already holds 500 responses, in a folder of
200 runs x 500 responses. Baseline, in the same run and on the same disk: plain TinyDB
with its default JSONStorage holding the same 100,000 response records in one file, one
``insert``. Targets: coptui under 10 ms median, at least 200x faster than TinyDB (issue 2
asked for 30x; the store has held more than 200x since, and a change must keep it).

    .venv/bin/python benchmarks/bench_store.py [--folder DIR] [--submits 200] [--inserts 20] [--before SRC]

The submits run in a child process, on a copy of the data folder of their own.
``--before SRC`` also runs the same submits with the coptui package found in the folder
SRC (e.g. ``git archive REV coptui | tar -x -C SRC``), on another copy, taking turns with
this tree, so a change of the store is measured before and after in one run, under the
same load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import build_big_data_folder, machine, make_surveys, median_p95

from coptui.store.tables import RESPONSES

# Run with either tree on the path, so it uses only what both have: Workspace.open,
# Runs.submit_response, the demo's answers, and table names, which the file format fixes.
SUBMITS = r"""
import json, random, sys, time
from pathlib import Path
import coptui
try:
    from coptui.core.workspace import Workspace
    from coptui.demo.history import _health_answers
except ImportError:  # a tree from before the layer packages (coptui/ was flat)
    from coptui.workspace import Workspace
    from coptui.demo import _health_answers

data, surveys, submits = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
workspace = Workspace.open(data, surveys)
runs = workspace.runs
run = next(r for r in reversed(runs.list_runs(kind="survey", state="open")) if not r.anonymous)
snapshot = workspace.store.read_run(run.id)
answered = set(snapshot.all("participants"))
members = [m.handle for m in workspace.community.members if m.handle not in answered][:submits]
if len(members) < submits:
    sys.exit(f"only {len(members)} members have not answered {run.id}; use a fresh --folder")
rng = random.Random(7)
samples = []
for handle in members:
    answers = _health_answers(rng, 0.5)
    began = time.perf_counter()
    runs.submit_response(run.id, handle, answers)
    samples.append(time.perf_counter() - began)
print(json.dumps({"run": run.id, "before": snapshot.count("responses"), "samples": samples,
                  "package": str(Path(coptui.__file__).parent)}))
"""


def prepare(folder: Path) -> tuple[Path, Path]:
    data, surveys = folder / "data", folder / "surveys"
    if not data.exists():
        began = time.perf_counter()
        make_surveys(surveys)
        build_big_data_folder(data, surveys)
        print(f"built the data folder in {time.perf_counter() - began:.1f} s")
    return data, surveys


def bench_coptui(data: Path, surveys: Path, submits: int, source: Path | None = None) -> dict[str, Any]:
    """Submits timed in a child process on ``data``; ``source`` puts another coptui tree first on its path."""
    # PYTHONSAFEPATH: no working folder on the path, which would put this tree before SRC.
    env = {**os.environ, "PYTHONSAFEPATH": "1"}
    if source is not None:
        env["PYTHONPATH"] = str(source.resolve())
    done = subprocess.run(
        [sys.executable, "-c", SUBMITS, str(data), str(surveys), str(submits)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the submits failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report_coptui(label: str, result: dict[str, Any], submits: int) -> float:
    median, p95 = median_p95(result["samples"])
    before = result["before"]
    print(
        f"coptui {label} ({result['package']}): submit_response into {result['run']}"
        f" ({before} -> {before + submits} responses), {submits} submits; load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  median {median * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
    return median


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
    parser.add_argument("--before", type=Path, metavar="SRC", help="also time the coptui package in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        data, surveys = prepare(folder)
        records = all_response_records(data)
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
        print(f"data folder: {len(records):,} responses in {len(list((data / 'runs').glob('*.json')))} run files")

        # Each tree gets a copy of the folder; with --before the two take turns, a quarter of
        # the submits at a time, so that a change in the machine's load falls on both.
        trees: dict[str, Path | None] = {"before": args.before} if args.before else {}
        trees["now"] = None
        results: dict[str, dict[str, Any]] = {}
        for label in trees:
            copy = folder / f"data-{label}"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(data, copy)
        rounds = 4 if args.before else 1
        for _ in range(rounds):
            for label, source in trees.items():
                part = bench_coptui(folder / f"data-{label}", surveys, args.submits // rounds, source)
                if label in results:
                    results[label]["samples"] += part["samples"]
                else:
                    results[label] = part
        medians = {label: report_coptui(label, result, len(result["samples"])) for label, result in results.items()}

        tinydb_samples = bench_tinydb(folder, records, args.inserts)
        t_median, t_p95 = median_p95(tinydb_samples)
        print(f"plain TinyDB (JSONStorage, one file of {len(records):,} records), {args.inserts} inserts:")
        print(f"  median {t_median * 1000:.1f} ms, p95 {t_p95 * 1000:.1f} ms")

        for label, median in medians.items():
            ratio = t_median / median
            print(f"{label}: ratio (TinyDB median / coptui median) {ratio:.0f}x")
            print(f"  target coptui < 10 ms median: {'met' if median < 0.010 else 'MISSED'}")
            print(f"  target >= 200x faster than plain TinyDB: {'met' if ratio >= 200 else 'MISSED'}")


if __name__ == "__main__":
    main()
