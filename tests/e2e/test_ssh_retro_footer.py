"""Over SSH, the retro board's footer shows the keys of the phase (it is built by the screen
while drawing, not in the footer's own message loop: this checks that it is drawn at all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coptui.core import retro
from coptui.core.workspace import Workspace
from tests.support.ssh import KEYS, Client, ServerProcess, make_keyed_surveys

pytestmark = [pytest.mark.e2e]


async def test_the_board_footer_shows_the_phase_keys_over_ssh(tmp_path: Path) -> None:
    community = make_keyed_surveys(tmp_path, ["ada", "chen"])
    server = ServerProcess(tmp_path / "data", community.surveys_dir).wait_ready()
    try:
        workspace = Workspace.open(tmp_path / "data", community.surveys_dir)
        run_id = workspace.runs.open_run("mad-sad-glad", by="ada").id
        retro.next_phase(workspace, run_id, "ada")  # write
        ada = await Client.connect(server.port, community.keys["ada"])
        chen = await Client.connect(server.port, community.keys["chen"])
        try:
            for client in (ada, chen):
                # The retro's row drawn as the focused table's cursor: Enter opens it.
                await client.wait_for(lambda c: c.screen.highlighted("Mad / Sad / Glad"), what="the retro's row")
                client.send(KEYS["enter"])
                await client.wait_text("Write your cards")
            await ada.wait_for(
                lambda c: "n Reveal" in c.text.splitlines()[-1], 10, "the facilitator's keys in the footer"
            )
            await chen.wait_for(
                lambda c: "a Add card" in c.text.splitlines()[-1], 10, "the member's keys in the footer"
            )
            assert "Reveal" not in chen.text.splitlines()[-1]
            retro.next_phase(workspace, run_id, "ada")  # reveal: the keys change with the phase
            await ada.wait_for(lambda c: "Next phase" in c.text.splitlines()[-1], 10, "the reveal phase's keys")
            assert "Add card" not in ada.text.splitlines()[-1]
        finally:
            ada.close()
            chen.close()
    finally:
        server.stop()
