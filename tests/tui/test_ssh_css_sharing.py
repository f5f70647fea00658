"""`coptui serve` parses each piece of CSS once per process, not once per session's app."""

from __future__ import annotations

import pytest
from textual.css.stylesheet import Stylesheet

from coptui.core.workspace import Workspace
from coptui.serve.patches import share_css_parsing
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.retro import RetroScreen
from tests.support.waits import home_loaded, settle


@pytest.fixture
def shared_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Put Textual's own parser back after the test: the rest of this worker's tests use it.
    monkeypatch.setattr(Stylesheet, "_parse_rules", Stylesheet._parse_rules)
    share_css_parsing()
    share_css_parsing()  # a second call does not wrap the parser twice


async def test_two_sessions_share_parsed_rules_and_still_style_alike(
    workspace: Workspace, shared_parsing: None
) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    apps = [CoptuiApp(workspace, workspace.member(handle)) for handle in ("ada", "chen")]
    rules: list[list[object]] = []
    styles: list[dict[str, str]] = []
    for app in apps:
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(pilot, lambda: home_loaded(app))  # noqa: B023 (used at once)
            app.push_screen(RetroScreen(run_id))  # a screen with its own CSS file: the stylesheet is parsed again
            await settle(
                pilot,
                until=lambda: (
                    isinstance(app.screen, RetroScreen) and app.screen.board is not None and not app.workers  # noqa: B023
                ),
            )
            rules.append(list(app.stylesheet.rules))
            styles.append(
                {
                    f"{type(w).__name__}#{w.id}": str(w.styles.background) + str(w.styles.height)
                    for w in app.screen.walk_children()
                    if w.id
                }
            )
    first, second = rules
    assert len(first) == len(second) and all(a is b for a, b in zip(first, second))
    assert styles[0] == styles[1]


async def test_another_theme_is_parsed_anew(workspace: Workspace, shared_parsing: None) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        before = list(app.stylesheet.rules)
        light = next(name for name in app.available_themes if name != app.theme and "light" in name)
        app.theme = light
        # The stylesheet is built again for the theme's variables.
        await settle(pilot, until=lambda: list(app.stylesheet.rules) != before)
        after = list(app.stylesheet.rules)
    assert before and after and not any(a is b for a, b in zip(before, after))  # new variables: parsed anew
