"""End-to-end tests of `coptui serve` for what the other SSH tests leave out.

- 2: `ssh -A` with an agent running: the request is refused and the log says so.
- 4: Tab and ctrl+c run their actions (OpenSSH in tmux, and the OSC 52 copy an asyncssh client receives).
- 5: a NO_COLOR client gets the same greys as a local `NO_COLOR=1 coptui`; the server's own
  environment (NO_COLOR, COLORTERM) reaches no client.
- 8: a client that stops reading while 1,000 board changes are made is dropped (`reason=slow`);
  another member still gets every change, and the server's memory stays put.
- 10: `tmux kill-session` in the middle of a survey, then the same key again: same run, same draft.

One server process serves the module, with a data folder holding an open survey, a closed
survey and a retro in its group phase. Every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coptui.core import retro
from coptui.core.workspace import Workspace
from tests.support.ssh import (
    KEYS,
    Client,
    KeyedCommunity,
    ServerProcess,
    TmuxPane,
    colours_used,
    connect,
    is_grey,
    make_keyed_surveys,
    openssh_command,
)

pytestmark = [pytest.mark.e2e]

needs_tmux_ssh = pytest.mark.skipif(not (shutil.which("ssh") and shutil.which("tmux")), reason="needs OpenSSH and tmux")

SLOW_BOUND = 65536  # --max-output of the module's server, in bytes
BOARD_CHANGES = 1000
CHANGES_PER_ROUND = 20  # the test waits for the other member to show each round's last change


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> KeyedCommunity:
    return make_keyed_surveys(tmp_path_factory.mktemp("ssh-gaps"), ["ada", "bruno", "chen", "dana", "emeka", "farah"])


@pytest.fixture(scope="module")
def runs(community: KeyedCommunity) -> dict[str, str]:
    """The runs every test finds: an open pulse survey, a closed health check, a retro being grouped."""
    data = community.surveys_dir.parent / "data"
    workspace = Workspace.open(data, community.surveys_dir)
    pulse = workspace.runs.open_run("cop-pulse", by="ada")
    health = workspace.runs.open_run("health-check", by="ada")
    workspace.runs.close_run(health.id, by="ada")
    board = workspace.runs.open_run("mad-sad-glad", by="ada")
    retro.next_phase(workspace, board.id, "ada")  # write
    for number, column in enumerate(["mad", "sad", "glad"] * 8):
        retro.add_card(workspace, board.id, "ada", column, f"card number {number}")
    retro.next_phase(workspace, board.id, "ada")  # reveal
    retro.next_phase(workspace, board.id, "ada")  # group
    return {"pulse": pulse.id, "health": health.id, "retro": board.id}


@pytest.fixture(scope="module")
def server(community: KeyedCommunity, runs: dict[str, str]) -> Iterator[ServerProcess]:
    process = ServerProcess(
        community.surveys_dir.parent / "data",
        community.surveys_dir,
        extra_args=["--max-output", str(SLOW_BOUND)],
        # The server's own colour settings: no session may get them.
        env={"COLORTERM": "truecolor", "NO_COLOR": "1"},
    ).wait_ready()
    yield process
    assert process.stop() == 0


@pytest.fixture(autouse=True)
def _sessions_end_between_tests(server: ServerProcess) -> Iterator[None]:
    """Sessions a test leaves end before the next test starts (so per-key limits never leak across)."""
    yield
    server.wait_sessions_ended()


OPEN_RUNS = ("Monthly CoP pulse", "Mad / Sad / Glad")  # the open runs' rows on every member's home


def _pane_name(what: str, server: ServerProcess) -> str:
    return f"coptui-gaps-{what}-{server.port}-{os.getpid()}"


# -- 2. agent forwarding -----------------------------------------------------------------------------


@needs_tmux_ssh
@pytest.mark.skipif(not shutil.which("ssh-agent"), reason="needs ssh-agent")
async def test_agent_forwarding_is_refused_and_logged(server: ServerProcess, community: KeyedCommunity) -> None:
    # A short folder: a unix socket path must stay under about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="coptui-agent-"))
    socket_path = folder / "agent.sock"
    agent = await asyncio.to_thread(
        subprocess.Popen,
        ["ssh-agent", "-D", "-a", str(socket_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pane = None
    try:
        deadline = time.monotonic() + 5
        while not socket_path.exists():
            assert time.monotonic() < deadline, "ssh-agent did not start"
            await asyncio.sleep(0.05)
        # The agent holds emeka's key, as a member's agent would: forwarding it would hand it to the server.
        agent_env = {**os.environ, "SSH_AUTH_SOCK": str(socket_path)}
        added = await asyncio.to_thread(
            subprocess.run,
            ["ssh-add", str(community.key_file("emeka"))],
            env=agent_env,
            capture_output=True,
            timeout=10,
        )
        assert added.returncode == 0, added.stderr
        pane = TmuxPane(
            _pane_name("agent", server),
            openssh_command(server.port, community.key_file("emeka"), "-A"),
            env={"SSH_AUTH_SOCK": str(socket_path)},
        )
        await pane.wait_text("Open for you")  # the session itself goes on
        emeka = community.keys["emeka"].get_fingerprint("sha256")
        record = await server.wait_log(lambda r: r["event"] == "refused" and r.get("reason") == "agent-forwarding")
        assert record["handle"] == "emeka" and record["fingerprint"] == emeka
        assert record["peer"] == "127.0.0.1"
        pane.send_keys("q")
        await server.wait_log(
            lambda r: r["event"] == "disconnect" and r.get("handle") == "emeka" and r.get("reason") == "quit"
        )
    finally:
        if pane is not None:
            pane.kill()
        agent.terminate()
        agent.wait(5)
        shutil.rmtree(folder, ignore_errors=True)


async def test_an_ssh_session_without_agent_forwarding_logs_no_such_refusal(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    client = await Client.connect(server.port, community.keys["farah"])
    try:
        await client.wait_text("Open for you")
    finally:
        client.close()
    farah = community.keys["farah"].get_fingerprint("sha256")
    await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("fingerprint") == farah)
    assert not [r for r in server.log_records() if r["event"] == "refused" and r.get("fingerprint") == farah]


# -- 4. Tab and ctrl+c ---------------------------------------------------------------------------------


@needs_tmux_ssh
async def test_tab_and_ctrl_c_run_their_actions_in_openssh(server: ServerProcess, community: KeyedCommunity) -> None:
    pane = TmuxPane(
        _pane_name("keys", server),
        openssh_command(server.port, community.key_file("dana")) + "; echo SSH-EXIT=$?; sleep 30",
    )
    try:
        # Both tables are filled and the open runs have the focus (the home screen's AUTO_FOCUS):
        # their cursor row is drawn as focused, the recent results' as not.
        await pane.wait_screen(
            lambda s: any(s.highlighted(run) for run in OPEN_RUNS) and s.find("CoP health check") is not None,
            "the open runs' cursor row drawn focused",
        )
        assert not pane.screen().highlighted("CoP health check")
        # Tab moves the focus to the recent results: their cursor row is drawn as focused, and
        # Enter opens that closed survey.
        pane.send_keys("Tab")
        await pane.wait_screen(
            lambda s: s.highlighted("CoP health check") and not any(s.highlighted(run) for run in OPEN_RUNS),
            "Tab moving the focus to the recent results",
        )
        pane.send_keys("Enter")
        await pane.wait_text("Participation: 0 of 8 members answered")
        pane.send_keys("Escape")
        await pane.wait_text("Open for you")
        # ctrl+c reaches the app as a key (the ssh client's terminal is raw): Textual's own
        # answer, how to quit, and the session carries on.
        pane.send_keys("C-c")
        shown = await pane.wait_text("Do you want to quit?")
        assert "Press ctrl+q to quit the app" in shown
        assert "SSH-EXIT" not in shown
        pane.send_keys("F1")
        await pane.wait_text("Help: Home")
        pane.send_keys("Escape")
        await pane.wait_text("Open for you")
        pane.send_keys("C-q")  # the binding ctrl+c pointed at
        shown = await pane.wait_text("SSH-EXIT=")
        assert "SSH-EXIT=0" in shown
        dana = community.keys["dana"].get_fingerprint("sha256")
        record = await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("fingerprint") == dana)
        assert record["reason"] == "quit"
    finally:
        pane.kill()


async def test_ctrl_c_copies_selected_text_to_the_members_clipboard(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    """In a text field ctrl+c copies: the copy reaches the member's own terminal as OSC 52, not the server's."""
    client = await Client.connect(server.port, community.keys["bruno"])
    try:
        await client.wait_text("Open for you")
        client.send("\x10")  # ctrl+p: the command palette's search field
        await client.wait_text("Search for commands")
        client.send("quit")
        await client.wait_text("quit")
        start = len(client.output)
        client.send("\x1b[1;2H")  # shift+home: select what was typed
        client.send("\x03")  # ctrl+c
        copied = f"\x1b]52;c;{base64.b64encode(b'quit').decode()}\x07".encode()
        await client.wait_bytes(copied, start, timeout=5)
        client.send(KEYS["escape"])
        await client.wait_for(lambda c: "Search for commands" not in c.text, 5, "palette closed")
        assert not client._closed.is_set()  # ctrl+c ended nothing
    finally:
        client.close()


# -- 5. colour per session ---------------------------------------------------------------------------


async def _ssh_home_screen(
    server: ServerProcess, key_name: str, community: KeyedCommunity, env: dict[str, str]
) -> bytes:
    client = await Client.connect(server.port, community.keys[key_name], env=env)
    try:
        # The whole home screen, as the local run below ends up showing it: every section read.
        await client.wait_for(_home_drawn, what="the home screen with every section read")
        return bytes(client.output)
    finally:
        client.close()


def _home_drawn(client: Client) -> bool:
    """The home screen once each of its loads is drawn: both tables, the actions, the objectives."""
    shown = client.text
    return (
        all(run in shown for run in OPEN_RUNS)
        and "CoP health check" in shown  # the recent results
        and "No open actions" in shown
        and "target" in shown
        and "Loading objectives" not in shown
    )


@needs_tmux_ssh
async def test_a_no_color_client_sees_no_colour_as_a_local_no_color_run(
    server: ServerProcess, community: KeyedCommunity, tmp_path: Path
) -> None:
    no_color, plain = await asyncio.gather(
        _ssh_home_screen(server, "chen", community, {"NO_COLOR": "1"}),
        _ssh_home_screen(server, "dana", community, {}),
    )
    # The server runs with NO_COLOR=1 and COLORTERM=truecolor: neither reaches a client that did not send it.
    plain_colours = colours_used(plain.decode(errors="replace"))
    assert any(not is_grey(colour) for _, colour in plain_colours), "the server's NO_COLOR reached a client"
    assert b"38;2;" not in plain and b"38;2;" not in no_color, "the server's COLORTERM reached a client"
    ssh_colours = colours_used(no_color.decode(errors="replace"))
    assert not ssh_colours, sorted(ssh_colours)  # no colour at all, not greys (issue 14)

    # The same screen drawn by a local coptui with NO_COLOR=1, and the SSH bytes replayed into a
    # terminal of the same size: tmux reads both, and neither shows a colour.
    replay = tmp_path / "ssh-output"
    replay.write_bytes(no_color)
    local = TmuxPane(
        _pane_name("local", server),
        f"{sys.executable} -m coptui --data {server.data_dir} --surveys {server.surveys_dir} --as chen",
        env={"TERM": "xterm-256color", "NO_COLOR": "1", "COLORTERM": ""},
    )
    replayed = TmuxPane(_pane_name("replay", server), f"cat {replay}; sleep 60")
    try:
        await local.wait_text("CoP health check")
        await replayed.wait_text("CoP health check")
        # The local app may still be drawing: read both panes until they use the same colours.
        deadline = time.monotonic() + 15
        while True:
            local_colours = colours_used(local.capture(styles=True))
            replayed_colours = colours_used(replayed.capture(styles=True))
            if replayed_colours == local_colours or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert not local_colours, sorted(local_colours)
        assert replayed_colours == local_colours, (
            sorted(replayed_colours - local_colours),
            sorted(local_colours - replayed_colours),
        )
    finally:
        local.kill()
        replayed.kill()


async def test_a_256_colour_client_after_a_truecolor_one_gets_no_truecolor_codes(
    community: KeyedCommunity, tmp_path: Path
) -> None:
    # A server of its own: the truecolor session must be the first to draw these styles.
    fresh = ServerProcess(tmp_path / "data", community.surveys_dir).wait_ready()
    try:
        first = await Client.connect(fresh.port, community.keys["ada"], env={"COLORTERM": "truecolor"})
        try:
            await first.wait_text("Nothing open right now")  # the home screen once its data is loaded
            await first.wait_for(lambda c: b"38;2;" in c.output, 10, "truecolor codes")
        finally:
            first.close()
        later = await Client.connect(fresh.port, community.keys["dana"])  # same screen, same size, 256 colours
        try:
            await later.wait_text("Nothing open right now")
            # Every frame of a session is fitted to its client as a whole: the codes that show
            # its colours are the ones any truecolor code would have come with.
            await later.wait_for(lambda c: b"38;5;" in c.output, 10, "256-colour codes")
        finally:
            later.close()
        assert b"38;2;" not in later.output and b"48;2;" not in later.output, (
            "truecolor codes reached a 256-colour terminal"
        )
    finally:
        fresh.stop()


async def _open_by_clicking(client: Client, row_text: str, opened_text: str, timeout: float = 20) -> None:
    """Click a row of the home screen's open runs until ``opened_text`` shows: a click moves the
    cursor there and a click on the cursor's row opens it. Every change reloads the table, which
    may move the row or the cursor, so each click aims at where the row is drawn at that moment,
    and the next one waits until the server has drawn something since (or the run is open).
    A click goes only to the home screen: once its title is drawn over, the run is opening."""
    deadline = time.monotonic() + timeout

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{row_text!r} did not open within {timeout}s; screen:\n{client.text}")
        return left

    while opened_text not in client.text:
        await client.wait_for(
            lambda c: opened_text in c.text or _home_row(c.text, row_text) is not None, remaining(), repr(row_text)
        )
        place = _home_row(client.text, row_text)
        if place is None:
            continue  # opened meanwhile, or drawn away again: look again
        x, y = place

        def redrawn(c: Client, drawn: int = len(client.output)) -> bool:
            return opened_text in c.text or len(c.output) > drawn

        client.send(f"\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m")  # press and release, as a terminal sends them
        await client.wait_for(redrawn, remaining(), "a redraw")


def _home_row(screen: str, text: str) -> tuple[int, int] | None:
    """Where ``text`` shows on the home screen, or None (not drawn, or not the home screen)."""
    return _drawn_at(screen, text) if HOME_TITLE in screen else None


HOME_TITLE = "Open for you"  # the home screen's first section, at its top


def _drawn_at(screen: str, text: str) -> tuple[int, int] | None:
    """The terminal's (column, row), from 1, of the first place ``text`` shows, or None."""
    for row, line in enumerate(screen.splitlines()):
        if text in line:
            return line.index(text) + 1, row + 1
    return None


async def test_a_change_by_someone_else_leaves_the_highlighted_run_where_it_is(
    server: ServerProcess, community: KeyedCommunity, runs: dict[str, str]
) -> None:
    """In `coptui serve` every session's home reloads on every change anyone makes: the member's
    cursor must stay on the run they chose, or Enter opens another one."""
    client = await Client.connect(server.port, community.keys["farah"])
    try:
        await client.wait_for(_home_drawn, what="the home screen with every section read")
        assert not client.screen.highlighted("Mad / Sad / Glad"), "the retro's row is the cursor's already"
        place = _drawn_at(client.text, "Mad / Sad / Glad")
        assert place is not None, client.text
        x, y = place
        client.send(f"\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m")  # a click: the cursor to the retro's row
        await client.wait_for(lambda c: c.screen.highlighted("Mad / Sad / Glad"), what="the cursor on the retro")
        # A first click highlights, it does not open. Tab and shift+Tab after it are drawn on the
        # home screen only if the click left home the screen that takes keys.
        client.send(KEYS["tab"])
        await client.wait_for(lambda c: c.screen.highlighted("CoP health check"), what="the recent results focused")
        client.send(KEYS["shift+tab"])
        await client.wait_for(lambda c: c.screen.highlighted("Mad / Sad / Glad"), what="the open runs focused again")
        assert "Phase" not in client.text
        # Another change reaches the session (here farah's own draft, written beside the server,
        # so that the reload shows): the table is filled again, the cursor put back on the retro.
        workspace = Workspace.open(server.data_dir, server.surveys_dir)
        await asyncio.to_thread(workspace.runs.save_draft, runs["pulse"], "farah", {"domain": 4}, 0)
        await client.wait_for(
            lambda c: "draft" in c.text and c.screen.highlighted("Mad / Sad / Glad"), what="the reloaded table"
        )
        client.send(KEYS["enter"])
        await client.wait_for(lambda c: "Phase 4/8 · Group" in c.text or "Survey —" in c.text, 10, "a run opened")
        assert "Phase 4/8 · Group" in client.text, "Enter opened another run than the highlighted one"
    finally:
        client.close()


# -- 8. a slow client and 1,000 board changes -----------------------------------------------------------


async def test_a_client_that_stops_reading_during_1000_board_changes_is_dropped(
    server: ServerProcess, community: KeyedCommunity, runs: dict[str, str]
) -> None:
    run_id = runs["retro"]
    workspace = Workspace.open(server.data_dir, server.surveys_dir)
    theme = retro.board_for(workspace, run_id, "ada").themes[0].id
    chen = community.keys["chen"].get_fingerprint("sha256")
    logged_before = len(server.log_records())  # chen's earlier sessions (other tests) ended before this
    # A small SSH window: what the slow client does not read piles up in the server after 64 kB.
    slow_conn = await connect(server.port, community.keys["chen"], window=65536)
    slow = await Client.connect(server.port, community.keys["chen"], size=(200, 60), conn=slow_conn)
    bob = await Client.connect(server.port, community.keys["bruno"])
    try:
        for client in (slow, bob):
            await _open_by_clicking(client, "Mad / Sad / Glad", "Phase 4/8 · Group")
        # From here chen's screen is not read again: keeping its model costs this process more
        # than reading, and a client that reads late, before it stops reading, is dropped too early.
        slow.track_screen = False

        def rename(first: int) -> None:
            # The facilitator's changes, as a local coptui on the same folder makes them: the
            # server hears of them through its folder watcher. Names alternate in length, so
            # the column is laid out again each time.
            for number in range(first, first + CHANGES_PER_ROUND):
                tail = " and a longer name that wraps onto more lines" if number % 2 == 0 else ""
                retro.name_theme(workspace, run_id, "ada", theme, f"name {number:04d}{tail}")

        async def round_reaches_bob(first: int) -> float:
            """Make a round of changes; returns how long its last one took to reach bob's bytes."""
            started, start = time.perf_counter(), len(bob.output)
            await asyncio.to_thread(rename, first)
            last = f"name {first + CHANGES_PER_ROUND - 1:04d}".encode()
            return await bob.wait_bytes(last, start, timeout=5) - started

        before = [await round_reaches_bob(first) for first in range(-100, 0, CHANGES_PER_ROUND)]
        rss_before = server.rss_kib()
        assert slow.chan is not None

        def chen_left() -> list[dict]:
            return [
                r
                for r in server.log_records()[logged_before:]
                if r["event"] == "disconnect" and r.get("fingerprint") == chen
            ]

        assert not chen_left(), f"chen was dropped while still reading: {chen_left()}"
        slow.chan.pause_reading()
        during: list[float] = []
        dropped_after: int | None = None
        for first in range(0, BOARD_CHANGES, CHANGES_PER_ROUND):
            # Every round reaches bob (bounded wait) while chen reads nothing.
            during.append(await round_reaches_bob(first))
            if dropped_after is None and chen_left():
                dropped_after = first + CHANGES_PER_ROUND
        deadline = time.monotonic() + 5
        while not chen_left() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert [r["reason"] for r in chen_left()] == ["slow"], server.log_records()[-5:]
        assert dropped_after is not None and dropped_after < BOARD_CHANGES, (
            "chen was dropped only after the changes ended"
        )
        await bob.wait_text(f"name {BOARD_CHANGES - 1:04d}")
        assert server.rss_kib() - rss_before < 10 * 1024
        assert not [r for r in server.log_records() if r["event"] == "error"]
        stored = retro.board_for(workspace, run_id, "bruno")
        assert next(t for t in stored.themes if t.id == theme).name == f"name {BOARD_CHANGES - 1:04d}"
        # Figures, not assertions: bob's time to see a round's last change, before and while chen hung.
        print(
            f"chen dropped after {dropped_after} changes; bob's latency median {statistics.median(before) * 1000:.0f} ms "
            f"before, {statistics.median(during) * 1000:.0f} ms (max {max(during) * 1000:.0f} ms) during; "
            f"server RSS +{server.rss_kib() - rss_before} KiB"
        )
    finally:
        slow.close()
        bob.close()


# -- 10. resume after tmux kill-session ---------------------------------------------------------------------


@needs_tmux_ssh
async def test_killing_the_terminal_mid_draft_and_reconnecting_resumes_the_same_draft(
    server: ServerProcess, community: KeyedCommunity, runs: dict[str, str]
) -> None:
    run_id = runs["pulse"]
    workspace = Workspace.open(server.data_dir, server.surveys_dir)
    command = openssh_command(server.port, community.key_file("emeka"))
    first = TmuxPane(_pane_name("draft1", server), command)
    try:
        await first.wait_text("Monthly CoP pulse")
        first.send_keys("Enter")
        await first.wait_text("7 questions")
        first.send_keys("PageDown")
        # Answers by digit (the n-th choice; on 0-10 the score), each page after the last.
        for page, answer, label in (
            ("1 of 7", "4", "Agree"),
            ("2 of 7", "2", "Disagree"),
            ("3 of 7", "5", "Strongly agree"),
            ("4 of 7", "3", "3"),
            ("5 of 7", "3", "3"),
        ):
            # The page's choices are drawn, focused and none chosen yet: a digit now picks one.
            await first.wait_screen(
                lambda s: page in s.text and s.focus_border_shown() and not s.chosen(),  # noqa: B023 (used at once)
                f"the choices of page {page}, focused",
            )
            first.send_keys(answer)
            # The choice drawn before PgDn: a PgDn in the same packet as the digit is refused
            # (the screen hears of the answer only after the key; see the report of this test).
            await first.wait_screen(lambda s: s.chosen() == [label], f"{label!r} chosen on page {page}")  # noqa: B023
            first.send_keys("PageDown")
        # Shown for a score of 6 or less. What is typed before its box is drawn and focused is lost.
        await first.wait_screen(
            lambda s: (
                "What one change would make you recommend it?" in s.text
                and "●" not in s.text
                and s.focus_border_shown()
            ),
            "the written answer's box, focused",
        )
        first.send_keys("more demos please", literal=True)
        await first.wait_text("more demos please")
    finally:
        first.kill()  # the terminal goes away in the middle of the written answer

    emeka = community.keys["emeka"].get_fingerprint("sha256")
    await server.wait_log(lambda r: r["event"] == "disconnect" and r.get("fingerprint") == emeka)

    def stored_draft() -> tuple[dict, int] | None:
        return workspace.runs.load_draft(run_id, "emeka")

    deadline = time.monotonic() + 5
    draft = await asyncio.to_thread(stored_draft)
    while (draft is None or draft[0].get("recommend_why") != "more demos please") and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        draft = await asyncio.to_thread(stored_draft)
    assert draft is not None, "no draft was kept"
    answers, position = draft
    assert position == 5  # the written answer's question, the sixth of the survey
    assert answers == {
        "domain": 4,
        "community": 2,
        "practice": 5,
        "value": 3,
        "recommend": 3,
        "recommend_why": "more demos please",
    }

    second = TmuxPane(_pane_name("draft2", server), command)
    try:
        shown = await second.wait_text("Monthly CoP pulse")
        await second.wait_text("draft")  # home: where emeka stands in the run
        second.send_keys("Enter")
        shown = await second.wait_text("What one change would make you recommend it?")  # the same question
        shown = await second.wait_text("more demos please")  # with what was typed
        assert "6 of 8" in shown
        for _ in range(3):
            second.send_keys("PageDown")
        shown = await second.wait_text("Review")
        for answer in ("4 · Agree", "2 · Disagree", "5 · Strongly agree", "3 of 10", "more demos please"):
            assert answer in shown, answer
        second.send_keys("Escape")  # leave: the draft stays
        await second.wait_text("Open for you")
    finally:
        second.kill()
    connects = [r for r in server.log_records() if r["event"] == "connect" and r.get("fingerprint") == emeka]
    assert [r["handle"] for r in connects][-2:] == ["emeka", "emeka"]
    assert workspace.runs.load_draft(run_id, "emeka") is not None
    assert "more demos" not in server.log_path.read_text(encoding="utf-8")
