"""The command palette (coptui/tui/palette.py): a burst of keys costs a bounded amount of
work, an Enter typed behind the text chooses among that text's results and closes the palette
once, and random input never raises in it."""

from __future__ import annotations

import asyncio
import shutil
import string
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from textual import events
from textual.command import CommandInput
from textual.pilot import Pilot

from coptui.core.definitions import default_surveys_dir
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.palette import MAX_QUERY, CoptuiPalette
from coptui.tui.screens.help import HelpScreen
from coptui.tui.screens.home import HomeScreen
from tests.support.keys import post_keys
from tests.support.waits import home_loaded, settle

# Keys a member may type into the palette (not q or ctrl+q: they end the app, which is no error).
KEYS = [
    *string.ascii_letters.replace("q", ""),
    *string.digits,
    *" -_/.,:;'\"[]{}()!?+=*&^%$#@~`|\\<>",
    "é", "ß", "中", "🙂", "\u200b", "\u0301",
    "enter", "escape", "tab", "shift+tab", "backspace", "delete", "up", "down", "left", "right",
    "home", "end", "pageup", "pagedown", "ctrl+home", "ctrl+end", "shift+home", "shift+end",
    "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+w", "ctrl+p", "ctrl+left", "ctrl+right",
    "shift+left", "shift+right", "space", "f1", "question_mark",
]  # fmt: skip


async def _open_palette(app: CoptuiApp, pilot: Pilot[None]) -> CoptuiPalette:
    await settle(pilot, until=lambda: home_loaded(app))
    await pilot.press("ctrl+p")
    await settle(pilot, until=lambda: isinstance(app.screen, CoptuiPalette) and app.screen.has_class("-ready"))
    assert isinstance(app.screen, CoptuiPalette)
    return app.screen


async def test_a_burst_of_keys_starts_a_bounded_number_of_searches(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 30)) as pilot:
        palette = await _open_palette(app, pilot)
        searches: list[str] = []
        gather = palette._gather_commands

        def counted(search_value: str) -> Any:
            searches.append(search_value)
            return gather(search_value)

        palette._gather_commands = counted  # type: ignore[method-assign]  # counting, this palette only
        post_keys(app, *("abcdefghij" * 100))  # one read of 1,000 keys, as over SSH
        field = palette.query_one(CommandInput)
        await settle(pilot, until=lambda: len(field.value) == MAX_QUERY and not palette._search_pending)
        # Textual's palette started (and cancelled) one search per key: 1,000 here.
        assert 1 <= len(searches) <= 20
        assert searches[-1] == ("abcdefghij" * 10)[:MAX_QUERY]


async def test_text_and_enters_typed_in_one_read_open_the_command_once(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_palette(app, pilot)
        # The second Enter reached Textual's palette after it had closed: it popped the help
        # screen's caller, or the last screen (ScreenStackError: the app ended).
        post_keys(app, *"help", "enter", "enter")
        await settle(pilot, until=lambda: isinstance(app.screen, HelpScreen))
        post_keys(app, "escape")
        await settle(pilot, until=lambda: isinstance(app.screen, HomeScreen))
        assert [type(s) for s in app.screen_stack] == [HomeScreen]
        assert app.is_running


def _copy_workspace() -> tuple[Workspace, Path]:
    folder = Path(tempfile.mkdtemp(prefix="coptui-palette-"))
    shutil.copytree(default_surveys_dir(), folder / "surveys")
    return Workspace.open(folder / "data", folder / "surveys"), folder


async def _type_into_palette(workspace: Workspace, keys: list[str | events.Paste]) -> CoptuiApp:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_palette(app, pilot)
        post_keys(app, *keys)
        post_keys(app, "escape", "escape", "escape")  # back out of wherever the keys went
        await settle(pilot, until=lambda: not app.is_running or not any(w.is_running for w in app.workers))
    return app


@settings(max_examples=12)
@given(
    st.lists(
        st.one_of(st.sampled_from(KEYS), st.text(max_size=300).map(events.Paste)),
        min_size=1,
        max_size=60,
    )
)
def test_random_input_never_raises_in_the_palette(keys: list[str | events.Paste]) -> None:
    workspace, folder = _copy_workspace()
    try:
        app = asyncio.run(_type_into_palette(workspace, keys))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert app._exception is None, repr(app._exception)
    assert app.return_code in (None, 0)
