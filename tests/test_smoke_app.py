"""The app opens on the home screen of the demo community."""

from __future__ import annotations

from coptui.app import CoptuiApp
from coptui.screens.home import HomeScreen


async def test_home_shows_community_and_open_pulse(demo_workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        text = app.screen.query_one("#community-name").render()
        assert "Platform Engineering Guild" in str(text)
        table = app.screen.query_one("#open-runs")
        # The demo also has an open feedback round; the pulse must be among the open runs.
        assert any(str(key.value).startswith("cop-pulse-") for key in table.rows)
