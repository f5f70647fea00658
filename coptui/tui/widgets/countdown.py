"""A countdown to a stored deadline: every screen computes the time left itself, nothing ticks in the store."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from coptui.core.run import now_utc


def current_time() -> datetime:
    """The clock of every countdown (tests replace it to draw the same picture each run)."""
    return now_utc()


def format_remaining(seconds: int) -> str:
    minutes, seconds = divmod(max(0, seconds), 60)
    return f"{minutes:02d}:{seconds:02d}"


class Countdown(Widget):
    """Shows mm:ss until ``deadline``, then "time's up"; blank without a deadline.

    It has a fixed size and repaints itself once a second without asking for a new
    layout: many sessions tick at once in `coptui serve`.
    """

    DEFAULT_CSS = """
    Countdown {
        width: 12;
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    Countdown.-expired {
        color: $warning;
    }
    """

    deadline: reactive[datetime | None] = reactive(None)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._ticker: Timer | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self._tick, pause=self.deadline is None)

    def watch_deadline(self, deadline: datetime | None) -> None:
        if self._ticker is not None:
            if deadline is None:
                self._ticker.pause()
            else:
                self._ticker.resume()
        self._tick()

    def remaining(self) -> int | None:
        if self.deadline is None:
            return None
        return max(0, int((self.deadline - current_time()).total_seconds()))

    def _tick(self) -> None:
        self.set_class(self.remaining() == 0, "-expired")
        self.refresh()

    def render(self) -> Text:
        left = self.remaining()
        if left is None:
            return Text("")
        if left == 0:
            return Text("time's up")
        return Text(f"⏱ {format_remaining(left)}")
