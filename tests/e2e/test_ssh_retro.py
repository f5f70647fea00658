"""A whole live retro over SSH: real clients, one server, every phase; screens and stored data.

ada (facilitator) opens a Mad / Sad / Glad retro (anonymous cards) from her facilitator
screen; chen and dana join from their home screens. The test checks what each terminal
shows, the bytes each one receives (a hidden card's text never reaches another member),
and what is stored at the end.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coptui.core import retro
from coptui.core.workspace import Workspace
from tests.support.ssh import KEYS, Client, KeyedCommunity, ServerProcess, make_keyed_surveys

pytestmark = [pytest.mark.e2e]

EVIL_CARD = "[bold red]boom[/] \x1b]0;pwned\x07\x1b[2J escaped"


@pytest.fixture
def community(tmp_path: Path) -> KeyedCommunity:
    return make_keyed_surveys(tmp_path, ["ada", "chen", "dana"])


@pytest.fixture
def server(community: KeyedCommunity, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "data", community.surveys_dir).wait_ready()
    yield process
    process.stop()


async def _open_retro(ada: Client, title: str) -> None:
    """ada opens a run of ``title`` from the facilitator screen, with keys only."""
    ada.send("f")
    await ada.wait_text("Definitions: select one")
    lines = ada.text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("Definition "))
    row = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    ada.send(KEYS["down"] * (row - header - 1) + "o")
    await ada.wait_text(f"Start a live retro with {title}?")
    ada.send("y")
    await ada.wait_text("Review of open actions")


async def _everyone_sees(clients: list[Client], text: str, timeout: float = 10) -> None:
    await asyncio.gather(*(c.wait_text(text, timeout) for c in clients))


async def _write_card(client: Client, text: str, column_moves: int = 0) -> None:
    client.send(KEYS["right"] * column_moves + "a")
    await client.wait_for(
        lambda c: re.search(r"^ (Mad|Sad|Glad):", c.text, re.MULTILINE) is not None, 5, "the card composer"
    )
    client.send(text + KEYS["enter"])
    await client.wait_text(text)
    client.send(KEYS["escape"])  # close the composer
    await client.wait_for(lambda c: re.search(r"^ (Mad|Sad|Glad):", c.text, re.MULTILINE) is None, 5, "composer closed")


# How the board draws a card's box: the current one heavy, the one being moved double, others light.
CURRENT, MOVING = "┏", "╔"
_CORNERS = "┏╔╭"


def _is_current(client: Client, text: str) -> bool:
    """True when the card or theme showing ``text`` is the board's current one (drawn in a heavy box)."""
    return client.screen.border_left_of(text) == "┃"


def _first_column_boxes(client: Client) -> list[str]:
    """The top-left corners of the cards in the board's first column, top to bottom."""
    rows = client.text.splitlines()
    corners = [(y, line.index(c)) for y, line in enumerate(rows) for c in _CORNERS if c in line]
    if not corners:
        return []
    left = min(x for _, x in corners)
    return [rows[y][x] for y, x in sorted(corners) if x == left]


async def test_a_whole_retro_over_ssh(server: ServerProcess, community: KeyedCommunity) -> None:
    clients = [await Client.connect(server.port, community.keys[h]) for h in ("ada", "chen", "dana")]
    ada, chen, dana = clients
    try:
        await _everyone_sees(clients, "Open for you")
        await _open_retro(ada, "Mad / Sad / Glad")
        # Members see the new run on their home screen and join it.
        for member in (chen, dana):
            await member.wait_text("Mad / Sad / Glad")
            member.send(KEYS["enter"])
        await _everyone_sees(clients, "Phase 1/8 · Review of open actions")

        ada.send("n")
        await _everyone_sees(clients, "Phase 2/8 · Write")
        written_at = {id(c): len(c.output) for c in clients}
        # A card with markup and escape codes, written by a member without a terminal.
        workspace = Workspace.open(server.data_dir, server.surveys_dir)
        run_id = next(r.id for r in workspace.runs.list_runs(state="open") if r.kind == "retro")
        await asyncio.to_thread(retro.add_card, workspace, run_id, "emeka", "mad", EVIL_CARD)
        await _write_card(chen, "chen wants faster deploys")
        await _write_card(chen, "chen misses the demos", column_moves=1)
        await _write_card(dana, "dana likes pairing", column_moves=2)
        await ada.wait_text("Others have written 4 cards")  # counts only, never text

        # Hidden cards never reach another member's terminal: check the bytes.
        for other, secret in (
            (ada, b"chen wants"),
            (ada, b"dana likes"),
            (dana, b"chen misses"),
            (chen, b"dana likes"),
        ):
            assert secret not in other.output[written_at[id(other)] :], f"{secret!r} reached another terminal"
        assert b"pwned" not in ada.output + chen.output + dana.output

        ada.send("n")
        await _everyone_sees(clients, "Phase 3/8 · Reveal")
        await _everyone_sees(clients, "chen wants faster deploys")
        await _everyone_sees(clients, "dana likes pairing")
        await _everyone_sees(clients, "[bold red]boom[/]")
        for client in clients:
            raw = bytes(client.output)
            assert b"\x1b]0;pwned" not in raw and b"\x1b[2J" not in raw
        for client in clients:  # an anonymous template: no author next to any card
            assert "— Chen Wei" not in client.text and "— Dana Kowalski" not in client.text

        ada.send("n")
        await _everyone_sees(clients, "Phase 4/8 · Group")
        # ada picks the first Mad card up and drops it on the second: one theme; then names it.
        ada.send(KEYS["up"] * 3)  # to the top of the column, wherever focus was
        await ada.wait_for(lambda c: _first_column_boxes(c)[:1] == [CURRENT], 5, "the first Mad card current")
        ada.send("m")
        await ada.wait_text("Moving a theme")
        ada.send(KEYS["down"])
        await ada.wait_for(
            lambda c: _first_column_boxes(c)[:2] == [MOVING, CURRENT], 5, "the second Mad card the drop target"
        )
        ada.send("m")
        await ada.wait_text("(unnamed theme)")
        ada.send("e")
        await ada.wait_text("Theme name:")
        ada.send("Deploys and safety" + KEYS["enter"])
        await _everyone_sees(clients, "Deploys and safety")

        ada.send("n")
        await _everyone_sees(clients, "Phase 5/8 · Vote")
        await chen.wait_text("Votes left: 3/3")
        chen.send(KEYS["left"])  # from Sad, where chen wrote last, to the Mad column and its theme
        await chen.wait_for(lambda c: _is_current(c, "Deploys and safety"), 5, "the theme current")
        chen.send("v")
        await chen.wait_text("Votes left: 2/3")
        chen.send("v")
        await chen.wait_text("Votes left: 1/3")
        dana.send("v")
        await dana.wait_text("Votes left: 2/3")
        await ada.wait_text("2 members voted so far")
        assert "▲" not in ada.text  # votes stay hidden until the vote ends

        ada.send("n")
        await _everyone_sees(clients, "Phase 6/8 · Discuss")
        await _everyone_sees(clients, "▲ 2 votes")  # chen's two; dana's went to her own Glad card
        await _everyone_sees(clients, "▲ 1 vote ")
        await _everyone_sees(clients, "Now discussing")

        ada.send("n")
        await _everyone_sees(clients, "Phase 7/8 · Actions")
        ada.send("a")
        await ada.wait_text("What will be done")
        ada.send("Add a deploy checklist" + KEYS["enter"])
        await _everyone_sees(clients, "Add a deploy checklist")

        ada.send("n")
        await _everyone_sees(clients, "Phase 8/8 · Close: ROTI")
        chen.send("4")
        dana.send("5")
        await chen.wait_text("your ROTI is in")
        await dana.wait_text("your ROTI is in")
        await ada.wait_text("2 given so far")
        ada.send("n")
        await ada.wait_text("Close this retro?")
        ada.send("y")
        await _everyone_sees(clients, "This retro is closed")
        await _everyone_sees(clients, "2 answers: a mean and a spread are shown from 3")

        # What is stored: the closed retro, its theme, votes, action and ROTI.
        stored = Workspace.open(server.data_dir, server.surveys_dir)
        board = retro.board_for(stored, run_id, "ada")
        assert not board.is_open
        theme = next(t for t in board.themes if t.name == "Deploys and safety")
        assert theme.votes == 2 and len(theme.cards) == 2
        assert board.roti_count == 2 and board.roti_scores == ()  # two answers: held back
        assert sorted(r["score"] for r in stored.store.read_run(run_id).all(retro.ROTI).values()) == [4, 5]
        assert [a.text for a in board.actions] == ["Add a deploy checklist"]
        assert {c.text for t in board.themes for c in t.cards} >= {"chen wants faster deploys", "dana likes pairing"}
        assert all(c.author is None for t in board.themes for c in t.cards)  # anonymous template
        # The log has sessions, never what anyone wrote.
        log = server.log_path.read_text(encoding="utf-8")
        for text in ("chen wants", "dana likes", "Deploys and safety", "deploy checklist", "boom"):
            assert text not in log
        assert {r["handle"] for r in server.log_records() if r["event"] == "connect"} == {"ada", "chen", "dana"}
    finally:
        for client in clients:
            client.close()


async def _retro_in_write_phase(server: ServerProcess) -> tuple[Workspace, str]:
    """A Mad / Sad / Glad retro opened by ada (through the core, as a local coptui would), in its write phase."""
    workspace = Workspace.open(server.data_dir, server.surveys_dir)
    run = await asyncio.to_thread(workspace.runs.open_run, "mad-sad-glad", by="ada")
    await asyncio.to_thread(retro.next_phase, workspace, run.id, "ada")
    return workspace, run.id


async def _join_write_phase(client: Client) -> None:
    """From the home screen, open the retro and wait for its write phase."""
    await client.wait_text("Mad / Sad / Glad")
    client.send(KEYS["enter"])
    await client.wait_text("Phase 2/8 · Write")


async def test_a_member_who_reconnects_finds_the_phase_and_their_hidden_cards(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    await _retro_in_write_phase(server)
    chen = await Client.connect(server.port, community.keys["chen"])
    try:
        await _join_write_phase(chen)
        await _write_card(chen, "my hidden draft")
    finally:
        chen.close()  # the connection drops mid-retro
    again = await Client.connect(server.port, community.keys["chen"])
    try:
        await _join_write_phase(again)
        await again.wait_text("my hidden draft")
    finally:
        again.close()


async def test_a_write_by_another_process_reaches_ssh_sessions_live(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    """A local `coptui` (here: the core, in this test process) opens a retro; members on SSH see it at once."""
    chen = await Client.connect(server.port, community.keys["chen"])
    try:
        await chen.wait_text("Nothing open right now")
        workspace = Workspace.open(server.data_dir, server.surveys_dir)
        run = await asyncio.to_thread(workspace.runs.open_run, "mad-sad-glad", by="ada")
        await chen.wait_text("Mad / Sad / Glad", timeout=5)
        chen.send(KEYS["enter"])
        await chen.wait_text("Phase 1/8 · Review of open actions")
        await asyncio.to_thread(retro.next_phase, workspace, run.id, "ada")
        await chen.wait_text("Phase 2/8 · Write", timeout=5)
    finally:
        chen.close()


async def test_a_card_typed_in_one_packet_with_its_keys_is_written_whole(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    """The facilitator sends "a", a card with an "n" in it and Enter in one packet (a fast typist
    or a busy server): the card is written whole and the "n" does not move the retro on."""
    workspace, run_id = await _retro_in_write_phase(server)
    ada = await Client.connect(server.port, community.keys["ada"])
    try:
        await _join_write_phase(ada)
        ada.send(
            "a"
            + "nightly builds are slow"
            + KEYS["enter"]
            + KEYS["escape"]
            + KEYS["right"]
            + "a"
            + "next one"
            + KEYS["enter"]
        )
        await ada.wait_for(
            lambda c: c.text.count("nightly builds are slow") + c.text.count("next one") >= 2, 10, "both cards"
        )
        # Both cards are stored by the time both are drawn, or soon after: read until they are.
        deadline = time.monotonic() + 10
        board = await asyncio.to_thread(retro.board_for, workspace, run_id, "ada")
        while len(board.my_cards) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            board = await asyncio.to_thread(retro.board_for, workspace, run_id, "ada")
        assert board.phase == "write", ada.text
        assert [(card.column, card.text) for card in board.my_cards] == [
            ("mad", "nightly builds are slow"),
            ("sad", "next one"),
        ]
    finally:
        ada.close()
