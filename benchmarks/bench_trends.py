"""Time to show the trends screen and to print `coptui report`, next to the home screen, same run.

Data: 250 closed survey runs holding 100,000 responses (400 each, pulses and health checks
alternating) plus 2 open runs, written by ``_common.build_big_data_folder`` through the
store's own transactions, in a community of 1,008 members.

Measured in one process per repeat, headless (``App.run_test``, 100x32), after the app is up:
- home: pushing a fresh home screen until its workers are done and the frame is drawn
  (the home screen reads the runs and, in its objectives panel, the objective reports);
- trends: pressing t until the trends screen's worker is done and the frame is drawn;
- report: ``report_main`` in process, stdout to /dev/null (text, 5 objectives, 5 charts);
- report (process): ``coptui report`` as a subprocess, wall clock, including Python start.
Target (issue 6): trends under 300 ms after the app is up.

    .venv/bin/python benchmarks/bench_trends.py [--folder DIR] [--repeat 7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import build_big_data_folder, machine, median_p95, make_surveys  # noqa: E402

from coptui.app import CoptuiApp  # noqa: E402
from coptui.report import report_main  # noqa: E402
from coptui.screens.home import HomeScreen  # noqa: E402
from coptui.screens.trends import TrendsScreen  # noqa: E402
from coptui.trends import overview  # noqa: E402
from coptui.workspace import Workspace  # noqa: E402

CLOSED_RUNS = 250
PER_RUN = 400
TIMEOUT = 60.0


async def time_screens(data_dir: Path, surveys_dir: Path) -> tuple[float, float]:
    workspace = Workspace.open(data_dir, surveys_dir)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
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
        await pilot.press("t")
        await pilot.pause()
        await asyncio.wait_for(app.workers.wait_for_complete(), TIMEOUT)
        await pilot.pause()
        trends = time.perf_counter() - began
        screen = app.screen
        assert isinstance(screen, TrendsScreen) and screen.data is not None
        assert screen.query_one("#objectives-table").row_count == len(workspace.community.objectives)
    return home, trends


def time_report(data_dir: Path, surveys_dir: Path) -> float:
    args = argparse.Namespace(data=data_dir, surveys=surveys_dir, objective=None, width=100, format="text")
    began = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        report_main(args)
    return time.perf_counter() - began


def time_report_process(data_dir: Path, surveys_dir: Path) -> float:
    command = [sys.executable, "-m", "coptui", "report", "--data", str(data_dir), "--surveys", str(surveys_dir), "--width", "100"]
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def time_core(data_dir: Path, surveys_dir: Path) -> float:
    workspace = Workspace.open(data_dir, surveys_dir)
    began = time.perf_counter()
    overview(workspace)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="reuse (or build once into) this folder")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="coptui-bench-trends-"))
    surveys_dir, data_dir = folder / "surveys", folder / "data"
    if not surveys_dir.exists():
        make_surveys(surveys_dir)
    if not (data_dir / "index.json").exists():
        began = time.perf_counter()
        build_big_data_folder(data_dir, surveys_dir, runs=CLOSED_RUNS + 2, per_run=PER_RUN, open_last=2)
        print(f"built {data_dir} in {time.perf_counter() - began:.0f} s")
    index_size = (data_dir / "index.json").stat().st_size

    homes, trends, reports, processes, cores = [], [], [], [], []
    for _ in range(args.repeat):
        home, trend = asyncio.run(time_screens(data_dir, surveys_dir))
        homes.append(home)
        trends.append(trend)
        reports.append(time_report(data_dir, surveys_dir))
        processes.append(time_report_process(data_dir, surveys_dir))
        cores.append(time_core(data_dir, surveys_dir))

    home_median, _ = median_p95(homes)
    print(f"machine: {machine()}")
    print(f"data: {CLOSED_RUNS} closed runs, {CLOSED_RUNS * PER_RUN:,} responses in them; index {index_size / 1e6:.1f} MB")
    print(f"repeats: {args.repeat}; median and p95 in ms; ratio = median / home screen median")
    rows = [
        ("home screen (baseline)", homes),
        ("trends screen", trends),
        ("trends core (overview)", cores),
        ("report, in process", reports),
        ("report, whole process", processes),
    ]
    for name, samples in rows:
        median, p95 = median_p95(samples)
        print(f"{name:<24} {median * 1000:8.1f} {p95 * 1000:8.1f}   x{median / home_median:.2f}")
    verdict = "met" if median_p95(trends)[0] < 0.3 else "NOT met"
    print(f"target: trends screen under 300 ms after the app is up: {verdict}")


if __name__ == "__main__":
    main()
