"""Shared by the benchmarks: a data folder as big as a busy community gets after years.

``build_big_data_folder`` writes 200 runs holding 500 responses each (100,000 in all),
through the store's own transactions (one transaction per run for its responses), so
the files are exactly what coptui writes. Answers come from the demo's generators and
pass ``validate_answers``, so they look like real ones.
"""

from __future__ import annotations

import platform
import random
import shutil
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from coptui.core.answers import validate_answers
from coptui.core.definitions import default_surveys_dir
from coptui.core.run import PARTICIPANTS, RESPONSES
from coptui.core.runs import Runs
from coptui.core.workspace import Workspace
from coptui.demo.history import _health_answers, _pulse_answers

RUNS = 200
RESPONSES_PER_RUN = 500
EXTRA_MEMBERS = 1_000  # a big community, so that 500+ different people can answer one run
BENCH_RUN_PREFIX = "health-check"


def machine() -> str:
    return f"{platform.machine()}, {platform.system()} {platform.release()}, Python {sys.version.split()[0]}"


def median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def make_surveys(target: Path) -> Path:
    """The shipped definitions, with a community grown to 1,008 members."""
    shutil.copytree(default_surveys_dir(), target)
    extra = "".join(f'\n[[members]]\nhandle = "m{n:04d}"\nname = "Member {n:04d}"\n' for n in range(EXTRA_MEMBERS))
    community = target / "community.toml"
    text = community.read_text()
    # Members must come before the first [[objectives]] table to stay in the members array.
    head, sep, tail = text.partition("[[objectives]]")
    community.write_text(head + extra.lstrip("\n") + "\n" + sep + tail)
    return target


def build_big_data_folder(
    data_dir: Path, surveys_dir: Path, *, runs: int = RUNS, per_run: int = RESPONSES_PER_RUN, open_last: int = 2
) -> list[str]:
    """Fill ``data_dir`` with ``runs`` survey runs of ``per_run`` responses; returns the run ids.

    Runs alternate between the anonymous monthly pulse and the named health check; all but
    the last ``open_last`` are closed (so the index holds their summaries).
    """
    workspace = Workspace.open(data_dir, surveys_dir)
    store = workspace.store
    service = Runs(store, workspace.definitions, workspace.community)
    rng = random.Random(2026)
    handles = [f"m{n:04d}" for n in range(EXTRA_MEMBERS)]
    start = date(2010, 1, 4)
    run_ids = []
    for index in range(runs):
        definition = "cop-pulse" if index % 2 == 0 else "health-check"
        opened = start + timedelta(days=14 * index)
        run = service.open_run(definition, by="ada", today=opened)
        survey = run.survey()
        progress = index / max(1, runs - 1)
        with store.run_tx(run.id) as tx:
            for handle in rng.sample(handles, per_run):
                raw = _pulse_answers(rng, progress) if definition == "cop-pulse" else _health_answers(rng, progress)
                values, na = validate_answers(survey, raw)
                response_id = uuid.uuid4().hex
                if run.anonymous:
                    tx.insert(PARTICIPANTS, handle, {"answered": True})
                    tx.insert(RESPONSES, response_id, {"answers": values, "na": na, "date": opened.isoformat()})
                else:
                    stamp = f"{opened.isoformat()}T10:{rng.randrange(60):02d}:00+00:00"
                    tx.insert(PARTICIPANTS, handle, {"answered": True, "response": response_id, "submitted_at": stamp})
                    tx.insert(
                        RESPONSES, response_id, {"answers": values, "na": na, "member": handle, "submitted_at": stamp}
                    )
        if index < runs - open_last:
            service.close_run(run.id, by="ada", today=opened + timedelta(days=10))
        run_ids.append(run.id)
    return run_ids


def main() -> None:
    """Build a folder for trying things by hand: python benchmarks/_common.py DIR."""
    target = Path(sys.argv[1])
    surveys = make_surveys(target / "surveys")
    began = time.perf_counter()
    build_big_data_folder(target / "data", surveys)
    print(f"built {target} in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
