"""The Textual app: identity, workspace, navigation, live updates."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.content import Content
from textual.filter import Monochrome, NoColor
from textual.notifications import SeverityLevel
from textual.screen import Screen

from coptui.core.community import Member
from coptui.core.workspace import Workspace
from coptui.store.layout import Change
from coptui.store.watch import watch_data_folder
from coptui.text import one_line, strip_controls
from coptui.tui import navigation
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.palette import CoptuiPalette, bounded_palette_works
from coptui.tui.screens.help import HelpScreen
from coptui.tui.screens.home import HomeScreen


class CoptuiApp(App[None]):
    """One member's view of one community. Many of these share a workspace in `coptui serve`."""

    CSS_PATH = "app.tcss"
    TITLE = "coptui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("h", "go_home", "Home"),
        Binding("t", "show_trends", "Trends"),
        Binding("f", "show_facilitator", "Facilitate"),
        Binding("i", "show_inbox", "Feedback"),
        Binding("f1,question_mark", "show_help", "Help"),
    ]
    # Changes arriving within this many seconds are merged into one refresh.
    REFRESH_DELAY = 0.05
    # What the keys of BINDINGS open: nothing more once the app is closing (a "t" typed right
    # after "q" would mount the trends screen into an app taking its screens down).
    NAVIGATION_ACTIONS = frozenset({"go_home", "show_trends", "show_facilitator", "show_inbox", "show_help"})

    def __init__(
        self, workspace: Workspace, member: Member, *, watch_files: bool = False, collector_paused: bool = False
    ) -> None:
        """``collector_paused``: the caller turned the garbage collector off for the start
        (`coptui` does, see commands.run_tui); the app turns it back on after its first frame."""
        super().__init__()
        self.use_no_color(bool(os.environ.get("NO_COLOR")))
        self.workspace = workspace
        self.member = member
        self.watch_files = watch_files
        self.collector_paused = collector_paused
        self._pending: set[Change] = set()
        self._unsubscribe = lambda: None
        self._unsubscribe_problems = lambda: None
        self._problems_shown: set[str] = set()
        self._leaving = False
        # The header draws its text as is: control characters in a name would reach the terminal.
        self.sub_title = strip_controls(f"{workspace.community.name} · {member.name} ({member.role})")

    def format_title(self, title: str, sub_title: str) -> Content:
        # The header draws whatever a screen sets as its title (a retro's, from its template):
        # cleaned here, once for every screen, and kept on the header's one line.
        return super().format_title(one_line(title), one_line(sub_title))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        # A toast shows its text as given, and many quote user text (an error naming a card or a
        # file): every notification of every screen is cleaned here.
        super().notify(
            strip_controls(message), title=one_line(title), severity=severity, timeout=timeout, markup=markup
        )

    def use_no_color(self, no_color: bool) -> None:
        """No colour at all when ``no_color`` (NO_COLOR set and not empty, as no-color.org says).

        Textual's own answer to NO_COLOR (any value, even empty) is its Monochrome filter for
        a truecolor app: every colour drawn as a grey. Its NoColor filter draws everything in
        the terminal's own colours; what has the focus is still told apart by its heavier
        line, never by colour alone. (`coptui serve` sets each session's from its client.)"""
        self.no_color = no_color
        filters = getattr(self, "_filters", None)  # Textual's list of line filters (a private name)
        if not isinstance(filters, list):
            return
        filters[:] = [f for f in filters if not isinstance(f, (Monochrome, NoColor))]
        if no_color:
            filters.append(NoColor())

    # -- start and live updates -------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        # Home is the bottom screen itself rather than pushed over an empty default screen:
        # one screen to lay out and draw at start, not two.
        return HomeScreen()

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        # Many apps share one loop in `coptui serve`: run the callback in this app's context,
        # not in the context of whichever thread or session made the change.
        context = contextvars.copy_context()

        def on_change(change: Change) -> None:
            loop.call_soon_threadsafe(self._queue_change, change, context=context)

        self._unsubscribe = self.workspace.hub.subscribe(on_change)

        def on_problem(problem: object) -> None:
            # A damaged file is often first met after start, by a screen's worker reading it.
            loop.call_soon_threadsafe(self._notify_problem, str(problem), context=context)

        self._unsubscribe_problems = self.workspace.store.subscribe_problems(on_problem)
        if self.collector_paused:
            self.call_after_refresh(self._resume_collector)
        if self.watch_files:
            self._watch_data_folder()
        # After the first frame: the problems include the definitions', loaded on first use.
        self.call_after_refresh(self._notify_problems)

    def _notify_problems(self) -> None:
        for problem in self.workspace.problems[:5]:
            self._notify_problem(problem)

    def _notify_problem(self, problem: str) -> None:
        if problem in self._problems_shown:
            return
        self._problems_shown.add(problem)
        self.notify(problem, title="Problem in your files", severity="warning", timeout=10, markup=False)

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        self._leaving = True
        super().exit(result, return_code, message)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self._leaving and action in self.NAVIGATION_ACTIONS)

    def on_unmount(self) -> None:
        self._unsubscribe()
        self._unsubscribe_problems()
        self._resume_collector()

    def _resume_collector(self) -> None:
        if not self.collector_paused:
            return
        self.collector_paused = False
        # What the start built (modules, classes, styles, the home screen) lives as long as
        # the app: frozen, later collections never scan it again. The few thousand objects
        # of start-up garbage frozen with it (well under 1 MB) are never freed.
        gc.freeze()
        gc.enable()

    def _queue_change(self, change: Change) -> None:
        first = not self._pending
        self._pending.add(change)
        if first:
            self.set_timer(self.REFRESH_DELAY, self._flush_changes)

    def _flush_changes(self) -> None:
        changes, self._pending = frozenset(self._pending), set()
        if not changes:
            return
        # The screen shown hears it now; those underneath catch up when they are shown again
        # (CoptuiScreen). A message handled by the screen just under the top one repaints the
        # whole terminal (Textual counts it as visible), and in `coptui serve` every session
        # would pay that on every card and vote.
        stack = self.screen_stack
        if not stack:
            return  # the app is closing
        top = stack[-1]
        for screen in stack:
            if screen is top:
                screen.post_message(DataChanged(changes))
            elif isinstance(screen, CoptuiScreen):
                screen.missed(changes)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def _watch_data_folder(self) -> None:
        await watch_data_folder(self.workspace.data_dir, self.workspace.hub.publish)

    # -- navigation -----------------------------------------------------------------------------

    def _show(self, screen: Screen[Any]) -> None:
        # Keys typed in the same read as the "q" come after it: the app is going, show nothing.
        if not self._leaving:
            self.push_screen(screen)

    def open_run(self, run_id: str) -> None:
        """Open a run in the screen that fits its kind."""
        self._show(navigation.run_screen(self.workspace.runs.get(run_id)))

    def show_results(self, run_id: str) -> None:
        self._show(navigation.results_screen(run_id))

    def action_go_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_show_trends(self) -> None:
        self._show(navigation.trends_screen())

    def action_show_facilitator(self) -> None:
        if not self.member.is_facilitator:
            self.notify("Only facilitators can open and close runs.", severity="warning")
            return
        self._show(navigation.facilitator_screen())

    def action_show_inbox(self) -> None:
        self._show(navigation.inbox_screen())

    def action_show_help(self) -> None:
        self._show(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        # Textual's palette with its work per key bounded (tui/palette.py): a burst of keys
        # must not hold the loop that every session of `coptui serve` shares.
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            palette = CoptuiPalette if bounded_palette_works() else CommandPalette
            self.push_screen(palette(id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Home", "Back to the home screen", self.action_go_home)
        yield SystemCommand("Trends", "Objectives and trend charts", self.action_show_trends)
        yield SystemCommand("Feedback inbox", "Feedback you owe and feedback you received", self.action_show_inbox)
        if self.member.is_facilitator:
            yield SystemCommand(
                "Facilitate", "Open and close surveys, retros and feedback rounds", self.action_show_facilitator
            )
        yield SystemCommand("Help", "Keys and what this screen does", self.action_show_help)


# What `coptui` says, instead of drawing, to a terminal that cannot show a screen.
NEEDS_A_SCREEN = "coptui draws a screen, and TERM=dumb says this terminal cannot show one"


def cannot_draw(term: str | None) -> bool:
    """True for TERM=dumb: a terminal (Emacs's shell, a pipe to a log) that cannot move the
    cursor, so that every frame would pile up as lines of escape codes."""
    return (term or "").strip().lower() == "dumb"


def make_app(
    *,
    data_dir: Path | None = None,
    surveys_dir: Path | None = None,
    member: str,
    workspace: Workspace | None = None,
    watch_files: bool = False,
    collector_paused: bool = False,
) -> CoptuiApp:
    """The one app factory: used by the CLI, the SSH server, tests and snapshot apps."""
    workspace = workspace or Workspace.open(data_dir, surveys_dir)
    return CoptuiApp(workspace, workspace.member(member), watch_files=watch_files, collector_paused=collector_paused)
