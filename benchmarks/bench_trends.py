"""Time to show the trends screen and to print `coptui report`, next to the home screen, same run.

Data: 250 closed survey runs holding 100,000 responses (400 each, pulses and health checks
alternating) plus 2 open runs, written by ``_common.build_big_data_folder`` through the
store's own transactions, in a community of 1,008 members.

Measured in one process per repeat, headless (``App.run_test``, 100x32), after the app is up:
- header+footer: a screen with only those two, Textual's own floor for showing a screen;
- home: pushing a fresh home screen until its workers are done and the frame is drawn
  (the home screen reads the runs and, in its objectives panel, the objective reports);
- trends: pressing t until the trends screen's worker is done and the frame is drawn;
- next objective: then pressing down to each other objective (table cursor, note, chart);
- report: ``report_main`` in process, stdout to /dev/null (text, 5 objectives, 5 charts);
- report (process): ``coptui report`` as a subprocess, wall clock, including Python start.
For the screens, "wall" ends when the pilot finds the app idle; "drawn" is when the app drew
its last frame in the span (the pilot's idle test adds 40-100 ms of sleeping after it).
Garbage is collected before each span (``--no-collect`` leaves it to Python's thresholds,
which put a 35-60 ms full collection into a random span).
Target (issue 6): trends under 300 ms after the app is up.

    .venv/bin/python benchmarks/bench_trends.py [--folder DIR] [--repeat 7] [--before SRC]

``--before SRC`` first runs SRC's own copy of this benchmark (SRC: a checkout of an earlier
revision, e.g. ``git worktree add SRC REV``) in a child process with SRC's coptui package, on
the same data folder, then this one: a change is measured before and after in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import build_big_data_folder, machine, make_surveys, median_p95
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from coptui.cli.report import report_main
from coptui.core.trends import overview
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.home import HomeScreen
from coptui.tui.screens.trends import TrendsScreen

CLOSED_RUNS = 250
PER_RUN = 400
TIMEOUT = 60.0
COLLECT_FIRST = True  # --no-collect: leave garbage collection to Python's thresholds


class Clock:
    """Wall time and this process's CPU time (all threads) of one measured span.

    ``drawn``: wall time from the start of the span to the last frame the app drew in it
    (what the user sees; ``wall`` adds the pilot's wait for the app to go idle, which
    sleeps in steps of 20 ms until a step passes without work: 40-100 ms on top).
    """

    frames: ClassVar[list[float]] = []  # when the app drew each frame (perf_counter), filled by watch_frames

    def __enter__(self) -> Clock:
        if COLLECT_FIRST:
            # Garbage left by earlier screens (the bench pushes and pops two) is collected
            # in one full collection of 35-60 ms whenever Python's thresholds say so: do it
            # here rather than at random inside one screen's span.
            gc.collect()
        Clock.frames.clear()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.drawn = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        end = time.perf_counter()
        self.drawn = (Clock.frames[-1] if Clock.frames else end) - self.wall
        self.wall, self.cpu = end - self.wall, time.process_time() - self.cpu


def watch_frames(app: CoptuiApp) -> None:
    """Note the time of every frame the app draws (headless, it draws into nothing)."""
    display = app._display

    def timed_display(screen: Screen[Any], renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            Clock.frames.append(time.perf_counter())

    app._display = timed_display  # type: ignore[method-assign]


class BareScreen(Screen[None]):
    """Textual's floor: a screen with only the header and footer every coptui screen has."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Footer()


async def push_and_wait(app: CoptuiApp, pilot: Any, screen: Screen[None]) -> Clock:
    with Clock() as clock:
        app.push_screen(screen)
        await pilot.pause()
        await asyncio.wait_for(app.workers.wait_for_complete(), TIMEOUT)
        await pilot.pause()
    app.pop_screen()
    await pilot.pause()
    return clock


async def time_screens(data_dir: Path, surveys_dir: Path) -> tuple[Clock, Clock, Clock, list[Clock]]:
    workspace = Workspace.open(data_dir, surveys_dir)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        await asyncio.wait_for(app.workers.wait_for_complete(), TIMEOUT)
        await pilot.pause()
        watch_frames(app)

        bare = await push_and_wait(app, pilot, BareScreen())
        home = await push_and_wait(app, pilot, HomeScreen())

        with Clock() as trends:
            await pilot.press("t")
            await pilot.pause()
            await asyncio.wait_for(app.workers.wait_for_complete(), TIMEOUT)
            await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrendsScreen) and screen.data is not None
        assert screen.query_one("#objectives-table").row_count == len(workspace.community.objectives)

        # Every other objective's chart, one key press each (draws each chart once).
        moves = []
        for row in range(1, len(screen.data.reports)):
            with Clock() as move:
                await pilot.press("down")
                await pilot.pause()
            assert screen.selected_report() is screen.data.reports[row]
            moves.append(move)
    return bare, home, trends, moves


def time_report(data_dir: Path, surveys_dir: Path) -> Clock:
    args = argparse.Namespace(data=data_dir, surveys=surveys_dir, objective=None, width=100, format="text")
    with Clock() as clock, open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        report_main(args)
    return clock


def time_report_process(data_dir: Path, surveys_dir: Path) -> float:
    command = [
        sys.executable,
        "-m",
        "coptui",
        "report",
        "--data",
        str(data_dir),
        "--surveys",
        str(surveys_dir),
        "--width",
        "100",
    ]
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def time_core(data_dir: Path, surveys_dir: Path) -> Clock:
    workspace = Workspace.open(data_dir, surveys_dir)
    with Clock() as clock:
        overview(workspace)
    return clock


def run_before(source: Path, folder: Path, repeat: int, no_collect: bool) -> None:
    """SRC's own benchmark on the same folder, with SRC's coptui first on the path."""
    print(f"== before ({source})", flush=True)
    command = [sys.executable, str(source / "benchmarks" / "bench_trends.py"), "--folder", str(folder)]
    command += ["--repeat", str(repeat)] + (["--no-collect"] if no_collect else [])
    env = {**os.environ, "PYTHONPATH": str(source), "PYTHONSAFEPATH": "1"}
    subprocess.run(command, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="reuse (or build once into) this folder")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-collect", action="store_true", help="no gc.collect() before each span")
    parser.add_argument("--before", type=Path, metavar="SRC", help="first run SRC's benchmark with SRC's coptui")
    args = parser.parse_args()
    global COLLECT_FIRST
    COLLECT_FIRST = not args.no_collect
    folder = args.folder or Path(tempfile.mkdtemp(prefix="coptui-bench-trends-"))
    surveys_dir, data_dir = folder / "surveys", folder / "data"
    if not surveys_dir.exists():
        make_surveys(surveys_dir)
    if not (data_dir / "index.json").exists():
        began = time.perf_counter()
        build_big_data_folder(data_dir, surveys_dir, runs=CLOSED_RUNS + 2, per_run=PER_RUN, open_last=2)
        print(f"built {data_dir} in {time.perf_counter() - began:.0f} s")
    index_size = (data_dir / "index.json").stat().st_size
    if args.before:
        run_before(args.before.resolve(), folder, args.repeat, args.no_collect)
        print(f"\n== now ({Path(__file__).resolve().parents[1]})", flush=True)
    load_before = f"{os.getloadavg()[0]:.2f}"

    bares, homes, trends, moves, reports, processes, cores = [], [], [], [], [], [], []
    for _ in range(args.repeat):
        bare, home, trend, next_objective = asyncio.run(time_screens(data_dir, surveys_dir))
        moves.extend(next_objective)
        bares.append(bare)
        homes.append(home)
        trends.append(trend)
        reports.append(time_report(data_dir, surveys_dir))
        processes.append(time_report_process(data_dir, surveys_dir))
        cores.append(time_core(data_dir, surveys_dir))

    home_wall, _ = median_p95([c.wall for c in homes])
    home_cpu, _ = median_p95([c.cpu for c in homes])
    print(f"machine: {machine()}; load average before: {load_before}, after: {os.getloadavg()[0]:.2f}")
    print(
        f"data: {CLOSED_RUNS} closed runs, {CLOSED_RUNS * PER_RUN:,} responses in them; index {index_size / 1e6:.1f} MB"
    )
    print(
        f"repeats: {args.repeat}; ms; ratios are medians over the home screen's median; "
        f"garbage collected before each span: {'yes' if COLLECT_FIRST else 'no'}"
    )
    print(
        f"{'':<24} {'wall med':>9} {'wall p95':>9} {'ratio':>6} {'cpu med':>9} {'ratio':>6} {'drawn med':>10} {'drawn p95':>10}"
    )
    rows = [
        ("header+footer screen", bares),
        ("home screen (baseline)", homes),
        ("trends screen", trends),
        ("next objective (chart)", moves),
        ("trends core (overview)", cores),
        ("report, in process", reports),
    ]
    for name, clocks in rows:
        wall, p95 = median_p95([c.wall for c in clocks])
        cpu, _ = median_p95([c.cpu for c in clocks])
        line = f"{name:<24} {wall * 1000:9.1f} {p95 * 1000:9.1f} {wall / home_wall:6.2f} {cpu * 1000:9.1f} {cpu / home_cpu:6.2f}"
        if any(clocks is screens for screens in (bares, homes, trends, moves)):
            drawn, drawn_p95 = median_p95([c.drawn for c in clocks])
            line += f" {drawn * 1000:10.1f} {drawn_p95 * 1000:10.1f}"
        print(line)
    wall, p95 = median_p95(processes)
    print(f"{'report, whole process':<24} {wall * 1000:9.1f} {p95 * 1000:9.1f} {wall / home_wall:6.2f}")
    trends_wall = median_p95([c.wall for c in trends])[0]
    trends_cpu = median_p95([c.cpu for c in trends])[0]
    trends_drawn = median_p95([c.drawn for c in trends])[0]
    verdict = "met" if trends_wall < 0.3 else "NOT met"
    print(
        f"target: trends screen under 300 ms after the app is up: {verdict} in wall time to idle "
        f"({trends_wall * 1000:.0f} ms; last frame drawn at {trends_drawn * 1000:.0f} ms, cpu {trends_cpu * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
