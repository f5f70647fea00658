"""Over `coptui serve`, hostile user text reaches a member's terminal as text only.

The community of tests/support/hostile.py (names, titles, options, answers, cards, actions,
feedback) served for real: what a client receives never holds a bidi control, an 8-bit
control, the user's OSC 8 link or OSC 52 clipboard write, or a screen clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from coptui.core.workspace import Workspace
from tests.support.hostile import hostile_feedback, hostile_retro, hostile_survey, write_hostile_community
from tests.support.ssh import KEYS, Client, KeyedCommunity, ServerProcess, make_keyed_surveys

pytestmark = [pytest.mark.e2e]

# What the hostile text holds that a terminal would obey, as the bytes a client would receive.
OBEYED = [
    *(chr(code).encode() for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))),
    "\x9b".encode(),  # the 8-bit CSI, as UTF-8
    "\x90".encode(),
    b"\x1b]52;",
    b"\x1b]8;;https://e.vil/",
    b"\x1b[2J",
    "\u2028".encode(),
]


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> KeyedCommunity:
    keyed = make_keyed_surveys(tmp_path_factory.mktemp("ssh-user-text"), ["ada", "chen"])
    write_hostile_community(keyed.surveys_dir)
    workspace = Workspace.open(keyed.surveys_dir.parent / "data", keyed.surveys_dir)
    hostile_survey(workspace)
    hostile_retro(workspace)
    hostile_feedback(workspace)
    return keyed


@pytest.fixture(scope="module")
def server(community: KeyedCommunity) -> Iterator[ServerProcess]:
    process = ServerProcess(community.surveys_dir.parent / "data", community.surveys_dir).wait_ready()
    yield process
    assert process.stop() == 0


def obeyed(raw: bytes) -> list[bytes]:
    return [needle for needle in OBEYED if needle in raw]


async def test_a_member_receives_hostile_text_as_text(server: ServerProcess, community: KeyedCommunity) -> None:
    client = await Client.connect(server.port, community.keys["chen"], size=(120, 40))
    try:
        # Home, read: the community's name in its card, the closed survey in the recent results.
        await client.wait_for(lambda c: "Guild =cmd" in c.text and "\n  Survey =cmd" in c.text, what="home, read")
        assert "[bold red]loud[/]" in client.text
        # Open the retro (the first open run): its title, from the template, is in the header.
        await client.wait_for(lambda c: c.screen.highlighted("4Ls evil"), what="the cursor on the retro")
        client.send(KEYS["enter"])
        await client.wait_text("theme evil")
        assert re.search(r"4Ls evil .*\[bold red\]x\[/\]", client.text)
        assert obeyed(bytes(client.output)) == []
    finally:
        client.close()
