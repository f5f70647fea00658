"""Waiting for Textual apps under test: poll a condition to a deadline, never a count of passes.

A test that presses a key and then checks the screen must give the app time to handle the key,
run the workers it starts and handle what they send back. How long that takes depends on how
busy the machine is, so a fixed number of pauses is right on a quiet machine and early on a busy
one. ``settle`` instead yields to the app until the condition the test is about holds, and fails
with what the screen showed if it never does. A wait that holds at once costs one pass, so the
deadline can be generous.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from textual.app import App
from textual.css.query import QueryError
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Static

from coptui.tui.screens.home import HomeScreen

# How long a wait may take before it fails, when nothing in the app sets a shorter bound. A
# wait for something that is true returns as soon as it is true: the bound costs nothing then.
DEFAULT_TIMEOUT = 30.0

# How long drawing a screen for a failure message may take: the app may be stuck, and the
# message must still come.
DRAW_TIMEOUT = 5.0

# How many lines of the screen a failure shows: enough to see where the app is.
SHOWN_LINES = 40

Condition = Callable[[], bool | Awaitable[bool]]


def no_workers(*apps: App[Any]) -> Callable[[], bool]:
    """The apps have no worker left: what they loaded or wrote has been handed back."""
    return lambda: not any(app.workers for app in apps)


def home_loaded(app: App[Any]) -> bool:
    """The home screen is up and shows what it read: its open runs, or that none is open.

    Home starts reading after its first frame, so "no worker left" alone can hold before the
    reading has begun. Its workers hand back what they read before they end: with its open runs
    shown and no worker left, the results, actions and objectives are shown too.
    """
    screen = app.screen
    if not isinstance(screen, HomeScreen) or app.workers:
        return False
    empty = str(screen.query_one("#open-runs-empty", Static).content)
    return screen.query_one("#open-runs", DataTable).row_count > 0 or bool(empty)


async def settle(
    pilot: Pilot[Any] | Sequence[Pilot[Any]],
    until: Condition,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Yield to the app (or every app, given several pilots) until ``until()`` holds.

    ``until`` returns a bool, or an awaitable of one. While the screen is still changing it may
    raise AssertionError or a Textual query error (a widget not mounted yet): that counts as not
    yet, and the last such error is chained to the failure. After ``timeout`` seconds the wait
    fails with an AssertionError that shows each app's screen as it was then.
    """
    pilots = [pilot] if isinstance(pilot, Pilot) else list(pilot)
    deadline = time.monotonic() + timeout
    while True:
        for each in pilots:
            # Every message queued so far handled, then the loop idle: workers and timers run meanwhile.
            await each.pause()
        last_error: Exception | None = None
        try:
            if await _holds(until):
                return
        except (AssertionError, QueryError) as error:
            last_error = error
        if time.monotonic() >= deadline:
            shown = [await describe(each.app) for each in pilots]
            raise AssertionError(
                f"{_name(until)} did not hold within {timeout:g} s"
                + (f" (last: {type(last_error).__name__}: {last_error})" if last_error else "")
                + "\n"
                + "\n".join(shown)
            ) from last_error


async def click(pilot: Pilot[Any], target: str | Widget) -> None:
    """Click ``target`` (a selector on the current screen, or a widget) once it has its place.

    A widget mounted but not laid out yet has an empty region at the top left corner: a click
    then lands on whatever is there (the header's command palette button).
    """

    def placed() -> bool:
        widget = pilot.app.screen.query_one(target) if isinstance(target, str) else target
        return widget.region.area > 0

    await settle(pilot, placed)
    assert await pilot.click(target), f"the click on {target!r} landed on another widget"


async def _holds(until: Condition) -> bool:
    result = until()
    if inspect.isawaitable(result):
        result = await result
    return bool(result)


def _name(until: Condition) -> str:
    """The condition as the test wrote it (the line of the call, for a lambda)."""
    try:
        source = inspect.getsource(until).strip()
    except (OSError, TypeError):
        return getattr(until, "__qualname__", repr(until))
    return " ".join(source.split())[:200]


async def describe(app: App[Any]) -> str:
    """Where the app is: its screen, the focused widget and the text on the screen."""
    try:
        screen = type(app.screen).__name__
        focused = app.focused
    except Exception as error:  # the app has no screen any more
        return f"{type(app).__name__}: no screen ({type(error).__name__}: {error})"
    lines = [f"{type(app).__name__} on {screen}, focus on {focused!r}:"]
    lines += [f"  | {line}" for line in (await screen_lines(app))[:SHOWN_LINES]]
    return "\n".join(lines)


async def screen_lines(app: App[Any]) -> list[str]:
    """The screen as plain text lines, drawn by the app itself: trailing blanks and blank lines cut."""
    drawn: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def draw() -> None:
        try:
            drawn.set_result(app.export_screenshot())
        except Exception as error:
            drawn.set_exception(error)

    # Drawn inside the app's own message loop: a widget finds its app through the context it
    # runs in, and the test task may have several apps.
    if not app.call_later(draw):
        return ["(the app has stopped: nothing to draw)"]
    try:
        svg = await asyncio.wait_for(drawn, DRAW_TIMEOUT)
    except Exception as error:
        return [f"(the screen could not be drawn: {type(error).__name__}: {error})"]
    return svg_text(svg)


def screen_text(app: App[Any]) -> str:
    """The app's screen as plain text, drawn in the calling task: for a test that runs one app
    (with several in one task, a widget may draw as another: ``screen_lines`` draws in the app's own)."""
    return "\n".join(svg_text(app.export_screenshot()))


_TEXT = re.compile(r'<text [^>]*?x="([\d.]+)"[^>]*?textLength="([\d.]+)"[^>]*?-line-(\d+)\)"[^>]*>(.*?)</text>')


def svg_text(svg: str) -> list[str]:
    """The characters of a Rich SVG export, put back on their lines and columns."""
    rows: dict[int, dict[int, str]] = {}
    for x, length, line, escaped in _TEXT.findall(svg):
        text = html.unescape(escaped).replace("\xa0", " ")  # Rich writes spaces as no-break spaces
        cell = float(length) / max(len(text), 1)
        rows.setdefault(int(line), {})[round(float(x) / cell)] = text
    lines = []
    for number in range(max(rows, default=-1) + 1):
        row = ""
        for column, text in sorted(rows.get(number, {}).items()):
            row = row.ljust(column) + text
        lines.append(row.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return [line for index, line in enumerate(lines) if line or (index and lines[index - 1])]
