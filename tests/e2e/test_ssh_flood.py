"""One member cannot freeze everyone: floods of typed keys over real SSH sessions.

A member types a burst (typed keys, not a bracketed paste) into the command palette or the
card composer; another member presses a key and must see its effect within a generous
deadline. Before the input gate and the palette's bounded search, 2 KB into the palette
kept the other member waiting 20 s on this machine, and 20 KB for minutes. A session that
holds the loop itself (tests/support/hogging_serve.py) is slowed, then ended with a message,
and the server serves on. A member following a live retro without a key is not idle.
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

import pytest

from coptui.core import retro
from coptui.core.workspace import Workspace
from coptui.serve.options import MESSAGES
from tests.support.ssh import Client, KeyedCommunity, ServerProcess, make_keyed_surveys

pytestmark = [pytest.mark.e2e]

FLOOD_BYTES = 20_000
# The composer takes 500 characters and ignores the rest, at about 1 ms a key: a bigger flood
# held the others for longer than RESPONSIVE_TIMEOUT before the fix (20 KB: about 14 s).
COMPOSER_FLOOD_BYTES = 60_000
# What another member may wait for their screen during a flood, on a busy machine. Before the
# fix the answer did not come at all within it.
RESPONSIVE_TIMEOUT = 20
COMPOSER = re.compile(r"^ (Mad|Sad|Glad):", re.MULTILINE)


def typed_burst(size: int) -> str:
    """Letters, as a member typing at full speed would send them (no paste brackets, no q)."""
    chooser = random.Random(size)
    return "".join(chooser.choice(string.ascii_lowercase.replace("q", "")) for _ in range(size))


@pytest.fixture
def community(tmp_path: Path) -> KeyedCommunity:
    return make_keyed_surveys(tmp_path, ["ada", "chen", "dana"])


def _open_write_phase(server: ServerProcess, community: KeyedCommunity) -> str:
    workspace = Workspace.open(server.data_dir, community.surveys_dir)
    run = workspace.runs.open_run("mad-sad-glad", by="ada")
    retro.next_phase(workspace, run.id, "ada")  # the write phase: members write cards
    return run.id


async def _on_board(client: Client) -> None:
    await client.wait_text("Mad / Sad / Glad")
    client.send("\r")
    await client.wait_text("Write your cards")


async def _still_responsive(observer: Client, help_title: str) -> None:
    observer.send("?")
    await observer.wait_text(f"Help: {help_title}", timeout=RESPONSIVE_TIMEOUT)
    observer.send("\x1b")
    await observer.wait_for(lambda c: f"Help: {help_title}" not in c.text, RESPONSIVE_TIMEOUT, "help closed")


async def test_a_flood_into_the_palette_leaves_others_responsive_and_ends_with_its_session(
    start_server, community: KeyedCommunity
) -> None:
    server = start_server()
    observer = await Client.connect(server.port, community.keys["chen"])
    flooder = await Client.connect(server.port, community.keys["dana"])
    await observer.wait_text("Open for you")
    await flooder.wait_text("Open for you")
    flooder.send("\x10")  # ctrl+p
    await flooder.wait_text("Search for commands")
    flooder.send(typed_burst(FLOOD_BYTES))
    await _still_responsive(observer, "Home")
    # The flooding member is told that keys were dropped; their palette took a bounded query.
    # The notice is drawn by the flooder's own app, which is working through its backlog at
    # the gated rate: on a busy machine that takes longer than the others' answer.
    await flooder.wait_bytes(b"were dropped", timeout=3 * RESPONSIVE_TIMEOUT)
    flooder.close()
    record = await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("handle") == "dana", 20)
    assert record["reason"] == "closed"
    # Its work ended with it: another member is answered as quickly as before the flood.
    await _still_responsive(observer, "Home")
    assert not [r for r in server.log_records() if r["event"] == "error"]
    observer.close()


async def test_a_flood_into_the_card_composer_leaves_others_responsive(start_server, community: KeyedCommunity) -> None:
    server = start_server()
    _open_write_phase(server, community)
    observer = await Client.connect(server.port, community.keys["chen"])
    flooder = await Client.connect(server.port, community.keys["dana"])
    await _on_board(observer)
    await _on_board(flooder)
    flooder.send("a")
    await flooder.wait_for(lambda c: COMPOSER.search(c.text) is not None, 10, "the card composer")
    flooder.send(typed_burst(COMPOSER_FLOOD_BYTES))
    await _still_responsive(observer, "Retro")
    # The notice is drawn by the flooder's own app, which is working through its backlog at
    # the gated rate: on a busy machine that takes longer than the others' answer.
    await flooder.wait_bytes(b"were dropped", timeout=3 * RESPONSIVE_TIMEOUT)
    assert server.process.poll() is None
    flooder.close()
    observer.close()


async def test_a_session_holding_the_loop_is_slowed_then_ended_and_the_server_serves_on(
    start_server, community: KeyedCommunity
) -> None:
    server = start_server("--busy-timeout", "3", launcher=("-m", "tests.support.hogging_serve", "dana"))
    # Someone whose share the hog takes: a member alone is never slowed or ended.
    other = await Client.connect(server.port, community.keys["chen"])
    await other.wait_text("Open for you")
    hog = await Client.connect(server.port, community.keys["dana"])
    await hog.wait_text("Open for you")
    hog.send("x" * 400)  # each key holds the loop 0.1 s: 40 s of loop time if all were handled
    # Slowed first (its keys reach its app at a tenth of the rate, with a notice its app may
    # be too busy to draw), then ended after --busy-timeout over its share.
    await hog.wait_closed(timeout=RESPONSIVE_TIMEOUT + 10)
    assert "kept the server busy for too long" in hog.output.decode(errors="replace")
    record = await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("handle") == "dana", 10)
    assert record["reason"] == "busy"
    assert MESSAGES["busy"].startswith("coptui: your session kept the server busy")
    # The server lives on: the other member is served, and so is one who connects now.
    await _still_responsive(other, "Home")
    late = await Client.connect(server.port, community.keys["ada"])
    await late.wait_text("Open for you")
    late.close()
    assert server.process.poll() is None
    other.close()


async def test_a_member_watching_a_live_retro_is_not_idle_but_one_on_another_screen_is(
    start_server, community: KeyedCommunity
) -> None:
    server = start_server("--idle-timeout", "2")
    run_id = _open_write_phase(server, community)
    watcher = await Client.connect(server.port, community.keys["chen"])
    await _on_board(watcher)
    # The member on the home screen, who connected after the watcher's last key, is idle
    # after 2 s: by then the watcher would have been idle too, were the live board not live.
    away = await Client.connect(server.port, community.keys["dana"])
    await away.wait_text("Open for you")
    record = await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("handle") == "dana", 20)
    assert record["reason"] == "idle"
    await away.wait_closed()
    assert watcher.chan is not None and not watcher._closed.is_set()
    # Once the retro is closed there is nothing live to follow: the watcher is idle in turn.
    workspace = Workspace.open(server.data_dir, community.surveys_dir)
    workspace.runs.close_run(run_id, by="ada")
    record = await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("handle") == "chen", 30)
    assert record["reason"] == "idle"
