"""Time to show the results screen of a run with 2,000 responses, next to the home screen, same run.

Data: one closed anonymous monthly pulse holding 2,000 responses (8 questions: 3 likert,
a rating, an NPS, a single choice and two free-text questions), in a community of 2,008
members, written through the store's own transaction as `Runs.submit_response` writes
them; answers come from the demo's generator and pass ``validate_answers``. The demo's
11 other history runs are not there: the home screen lists this one run.

Measured in one process, headless (``App.run_test``, 100x32 and 80x24), after the app is up:
- home: pushing a fresh home screen until its workers are done and the frame is drawn;
- results: pushing the results screen until its worker is done, the per-question widgets
  (three plotext charts among them) are mounted and the frame is drawn;
- gate: ``run_results`` alone (read the run file, apply the rules, count), no UI.
The figure that matters is results / home, measured in the same process and the same run.

    .venv/bin/python benchmarks/bench_results.py [--repeat 7] [--responses 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, median_p95

from coptui.core.answers import validate_answers
from coptui.core.definitions import default_surveys_dir
from coptui.core.results import run_results
from coptui.core.run import PARTICIPANTS, RESPONSES
from coptui.core.workspace import Workspace
from coptui.demo.history import _pulse_answers
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.home import HomeScreen
from coptui.tui.screens.results import ResultsScreen
from coptui.tui.widgets.bar_chart import DistributionChart

TIMEOUT = 60.0
OPENED = date(2026, 10, 1)


def make_surveys(target: Path, members: int) -> Path:
    shutil.copytree(default_surveys_dir(), target)
    extra = "".join(f'[[members]]\nhandle = "m{n:05d}"\nname = "Member {n:05d}"\n\n' for n in range(members))
    community = target / "community.toml"
    head, sep, tail = community.read_text().partition("[[objectives]]")
    community.write_text(head + extra + sep + tail)
    return target


def build_run(data_dir: Path, surveys_dir: Path, responses: int) -> str:
    """One closed anonymous pulse with ``responses`` responses (one transaction, as the store writes them)."""
    workspace = Workspace.open(data_dir, surveys_dir)
    runs = workspace.runs
    run = runs.open_run("cop-pulse", by="ada", today=OPENED)
    survey = run.survey()
    rng = random.Random(2026)
    handles = [f"m{n:05d}" for n in range(responses)]
    with workspace.store.run_tx(run.id) as tx:
        for handle in handles:
            values, na = validate_answers(survey, _pulse_answers(rng, 0.8))
            tx.insert(PARTICIPANTS, handle, {"answered": True})
            tx.insert(RESPONSES, uuid.uuid4().hex, {"answers": values, "na": na, "date": OPENED.isoformat()})
    runs.close_run(run.id, by="ada", today=OPENED + timedelta(days=14))
    return run.id


async def time_screens(data_dir: Path, surveys_dir: Path, run_id: str, size: tuple[int, int]) -> tuple[float, float]:
    workspace = Workspace.open(data_dir, surveys_dir)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=size) as pilot:
        await asyncio.wait_for(app.workers.wait_for_complete(), TIMEOUT)
        await pilot.pause()

        began = time.perf_counter()
        app.push_screen(HomeScreen())
        await pilot.pause()
        await asyncio.wait_for(app.workers.wait_for_complete(), TIMEOUT)
        await pilot.pause()
        home = time.perf_counter() - began
        app.pop_screen()
        await pilot.pause()

        began = time.perf_counter()
        app.push_screen(ResultsScreen(run_id))
        await pilot.pause()
        await asyncio.wait_for(app.workers.wait_for_complete(), TIMEOUT)
        await pilot.pause()
        results = time.perf_counter() - began
        screen = app.screen
        assert isinstance(screen, ResultsScreen) and screen.results is not None and screen.results.released
        assert len(screen.query(DistributionChart)) == 5
    return home, results


def time_gate(data_dir: Path, surveys_dir: Path, run_id: str) -> float:
    workspace = Workspace.open(data_dir, surveys_dir)
    run = workspace.runs.get(run_id)
    began = time.perf_counter()
    results = run_results(workspace.store, run)
    elapsed = time.perf_counter() - began
    assert results.responses > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--responses", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coptui-bench-results-") as folder:
        root = Path(folder)
        surveys = make_surveys(root / "surveys", args.responses)
        began = time.perf_counter()
        run_id = build_run(root / "data", surveys, args.responses)
        size = (root / "data" / "runs" / f"{run_id}.json").stat().st_size
        print(f"machine: {machine()}")
        print(
            f"data: 1 closed run, {args.responses} responses, run file {size / 1e6:.2f} MB (built in {time.perf_counter() - began:.1f} s)"
        )
        for screen_size in ((100, 32), (80, 24)):
            homes, results = [], []
            for _ in range(args.repeat):
                home, result = asyncio.run(time_screens(root / "data", surveys, run_id, screen_size))
                homes.append(home)
                results.append(result)
            home_median, home_p95 = median_p95(homes)
            results_median, results_p95 = median_p95(results)
            label = f"{screen_size[0]}x{screen_size[1]}"
            print(f"[{label}] home screen:    median {home_median * 1000:7.1f} ms   p95 {home_p95 * 1000:7.1f} ms")
            print(
                f"[{label}] results screen: median {results_median * 1000:7.1f} ms   p95 {results_p95 * 1000:7.1f} ms"
            )
            print(f"[{label}] ratio results / home (medians): {results_median / home_median:.2f}")
        gates = [time_gate(root / "data", surveys, run_id) for _ in range(args.repeat)]
        gate_median, gate_p95 = median_p95(gates)
        print(f"gate run_results alone: median {gate_median * 1000:.1f} ms   p95 {gate_p95 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
