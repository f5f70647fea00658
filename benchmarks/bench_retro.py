"""Retro board costs behind a live retro with 50 members (what each SSH session pays per change).

Every change to a retro makes each open screen rebuild its member's view (``board_for``,
in a thread) and redraw it (``RetroScreen.show_board``, on the shared event loop). This
prints, for a board of 50 members x 4 cards:

- the baseline: reading and decoding the run file (``Store.read_run``);
- ``board_for`` in the write phase (200 hidden cards) and in the vote phase (200 themes,
  50 ballots), as a ratio to the baseline;
- one write (``add_card``, ``vote``): lock, read, atomic write with fsync;
- ``show_board`` on the event loop, until the frame is drawn: the first draw, a redraw
  where nothing changed, and a redraw after one theme disappears; beside the baseline of
  a pilot pause with nothing to draw.

Run: .venv/bin/python benchmarks/bench_retro.py
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from coptui.core import retro
from coptui.core.definitions import default_surveys_dir
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp

MEMBERS = 50
CARDS_EACH = 4


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def line(name: str, samples: list[float], baseline: float | None = None) -> str:
    median = statistics.median(samples)
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    ratio = f"  ({median / baseline:.1f}x the file read)" if baseline else ""
    return f"{name:<48} median {median:7.2f} ms  p95 {p95:7.2f} ms{ratio}"


def big_community(folder: Path) -> Path:
    surveys = folder / "surveys"
    shutil.copytree(default_surveys_dir(), surveys)
    extra = "".join(f'\n[[members]]\nhandle = "m{n:02d}"\nname = "Member {n:02d}"\n' for n in range(MEMBERS - 8))
    community = surveys / "community.toml"
    text = community.read_text()
    head, _, tail = text.partition("[[objectives]]")
    community.write_text(head + extra + "\n[[objectives]]" + tail)
    return surveys


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="coptui-bench-retro-"))
    workspace = Workspace.open(folder / "data", big_community(folder))
    handles = [m.handle for m in workspace.community.members]
    assert len(handles) == MEMBERS
    run_id = workspace.runs.open_run("sailboat", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    columns = ["wind", "anchors", "rocks", "island"]
    for index, handle in enumerate(handles):
        for card in range(CARDS_EACH):
            retro.add_card(
                workspace, run_id, handle, columns[(index + card) % 4], f"Card {card} of {handle}: some words about it"
            )
    store = workspace.store
    print(
        f"Retro board, {MEMBERS} members x {CARDS_EACH} cards, run file {store.run_path(run_id).stat().st_size // 1024} KiB"
    )
    baseline = statistics.median(timed(lambda: store.read_run(run_id), 60))
    print(line("baseline: Store.read_run (read + decode)", timed(lambda: store.read_run(run_id), 60)))
    print(
        line(
            "board_for, write phase (others' cards hidden)",
            timed(lambda: retro.board_for(workspace, run_id, "chen"), 60),
            baseline,
        )
    )
    print(
        line(
            "add_card (lock, read, atomic write, fsync)",
            timed(lambda: retro.add_card(workspace, run_id, "chen", "wind", "one more"), 20),
        )
    )

    retro.advance(workspace, run_id, "ada", to="vote")
    themes = [t.id for t in retro.board_for(workspace, run_id, "ada").themes]
    for index, handle in enumerate(handles):
        for vote in range(2 if handle != "hana" else 0):
            retro.vote(workspace, run_id, handle, themes[(index * 3 + vote) % len(themes)])
    print(
        line(
            "board_for, vote phase (200 themes, 50 ballots)",
            timed(lambda: retro.board_for(workspace, run_id, "chen"), 60),
            baseline,
        )
    )

    def vote_and_take_back() -> None:
        retro.vote(workspace, run_id, "hana", themes[0])
        retro.unvote(workspace, run_id, "hana", themes[0])

    print(line("vote + unvote (two locked writes)", timed(vote_and_take_back, 10)))
    asyncio.run(draw(workspace, run_id))
    shutil.rmtree(folder, ignore_errors=True)


async def reset(screen: object) -> None:
    """Forget the drawn board (outside the timing)."""
    await screen.query_one("#retro-columns").remove_children()  # type: ignore[attr-defined]
    screen.board, screen._columns = None, []  # type: ignore[attr-defined]


async def draw(workspace: Workspace, run_id: str) -> None:
    from coptui.tui.screens.retro import RetroScreen

    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = RetroScreen(run_id)
        await app.push_screen(screen)
        board = retro.board_for(workspace, run_id, "chen")
        await app.workers.wait_for_complete()
        await pilot.pause()
        idle, first, same, fewer_drawn = [], [], [], []
        for _ in range(9):  # the baseline: what a pause costs with nothing to draw
            start = time.perf_counter()
            await pilot.pause()
            idle.append((time.perf_counter() - start) * 1000)
        for _ in range(9):
            await reset(screen)
            await pilot.pause()
            start = time.perf_counter()
            await screen.show_board(board)
            await pilot.pause()  # until the frame is drawn
            first.append((time.perf_counter() - start) * 1000)
        for _ in range(20):
            start = time.perf_counter()
            await screen.show_board(board)
            await pilot.pause()
            same.append((time.perf_counter() - start) * 1000)
        fewer = retro.RetroBoard(**{**board.__dict__, "themes": board.themes[1:]})
        for index in range(10):
            start = time.perf_counter()
            await screen.show_board(fewer if index % 2 == 0 else board)
            await pilot.pause()
            fewer_drawn.append((time.perf_counter() - start) * 1000)
        base = statistics.median(idle)
        print(line("pilot pause with nothing to draw (baseline)", idle))
        print(
            line("show_board + frame: first draw, 200 items", first, base).replace("x the file read", "x the baseline")
        )
        print(line("show_board + frame: redraw, same items", same, base).replace("x the file read", "x the baseline"))
        print(
            line("show_board + frame: redraw, one theme gone", fewer_drawn, base).replace(
                "x the file read", "x the baseline"
            )
        )


if __name__ == "__main__":
    main()
