"""The command palette, with its work per key bounded.

Textual's palette starts a search worker on every change of its input and first cancels
the unfinished ones of its group. A burst of typed keys (over SSH a read of thousands
arrives before the first is handled) is a change each: every change cancelled every
worker before it, which had not had a turn to finish, so 1,000 keys made half a million
cancels and 20 KB held a server's loop for minutes, every other session waiting.

:class:`CoptuiPalette` notes the newest text on each change and searches for it at most
every :data:`SEARCH_EVERY` seconds: a burst of any length costs one note per key and a
search per interval. An Enter typed behind the text waits for that text's results. The query is bounded
too (:data:`MAX_QUERY` characters): command names are short, and a long line only costs
more to draw and to match.

It also closes once. Textual's ``Screen.dismiss`` pops whatever screen is on top: a second
Enter typed behind the one that chose a command (both in one read) reached the palette
after it had closed and popped the screen the command opened, or the last one
(``ScreenStackError``, the session ended). Once closing, the palette takes no more input.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.await_complete import AwaitComplete
from textual.command import CommandInput, CommandPalette
from textual.events import Mount
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList
from textual.worker import Worker, WorkerCancelled, WorkerFailed

# Longer than any command's name or help: a query past this finds nothing more.
MAX_QUERY = 100
# The palette searches for the newest text at most this often (seconds): a key typed after
# another within it only notes the text.
SEARCH_EVERY = 0.05


# Textual's private names this palette uses (textual is pinned exactly: docs/architecture.md).
# A Textual without one of them gets its stock palette (see :func:`bounded_palette_works`).
TEXTUAL_NAMES = ("_gather_commands", "_cancel_gather_commands", "_stop_no_matches_countdown", "_select_or_command")


def bounded_palette_works() -> bool:
    return all(callable(getattr(CommandPalette, name, None)) for name in TEXTUAL_NAMES)


class CoptuiPalette(CommandPalette):
    """Textual's command palette, searching once at a time and for a bounded query."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # CommandPalette's own keyword arguments
        self._searching: Worker[None] | None = None
        self._search_timer: Timer | None = None
        self._wanted: str | None = None  # the text to search next, once the running search stops
        self._dismissed = False
        self._submits_waiting = 0  # Enter pressed while the text's search had not run yet

    def on_mount(self, event: Mount) -> None:
        # Textual's own _on_mount (providers, the first search) runs too: handlers by name
        # run for every class that defines one.
        self.query_one(CommandInput).max_length = MAX_QUERY

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self._dismissed or not self.is_current:
            return AwaitComplete()  # closed already: the screen on top now is not this one to pop
        self._dismissed = True
        return super().dismiss(result)

    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _choose_in_turn(self, event: Message) -> None:
        # Textual's handlers of these (choose, run, close) run only while the palette is open,
        # and an Enter typed right behind the text waits for that text's results: it chooses
        # among them, not among those of the text before.
        if self._dismissed:
            event.stop()
            event.prevent_default()
        elif isinstance(event, Input.Submitted) and self._search_pending:
            event.stop()
            event.prevent_default()
            self._submits_waiting += 1

    @property
    def _search_pending(self) -> bool:
        return self._wanted is not None or (self._searching is not None and not self._searching.is_finished)

    @on(Input.Changed)
    def _search_in_turn(self, event: Input.Changed) -> None:
        # Instead of Textual's handler (prevent_default keeps it from running): note the
        # text, and search for the newest one noted at most every SEARCH_EVERY seconds.
        event.stop()
        event.prevent_default()
        if self._dismissed:
            return
        self._stop_no_matches_countdown()
        self._wanted = event.value.strip()
        if self._search_timer is None:
            self._search_timer = self.set_timer(SEARCH_EVERY, self._search_wanted)

    async def _search_wanted(self) -> None:
        self._search_timer = None
        wanted, self._wanted = self._wanted, None
        if wanted is None or self._dismissed or not self.is_attached:
            return
        super()._cancel_gather_commands()  # the search before, if it still runs
        self._searching = self._gather_commands(wanted)
        try:
            await self._searching.wait()
        except (WorkerCancelled, WorkerFailed):
            return  # a newer text, or closing: whoever cancelled goes on
        if self._submits_waiting and not self._search_pending:
            self.call_next(self._replay_submits)

    def _replay_submits(self) -> None:
        while self._submits_waiting and not self._search_pending and not self._dismissed:
            self._submits_waiting -= 1
            self._select_or_command()

    def _cancel_gather_commands(self) -> None:
        # Closing, or a command chosen: nothing noted is searched or chosen any more.
        self._wanted = None
        self._submits_waiting = 0
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        super()._cancel_gather_commands()
