"""End-to-end tests of `coptui serve` with real SSH clients: who may connect and as whom, no
forwarding, what a session without a terminal gets, colours, sizes and keys, the per-key limit,
a slow client, names shown literally, and the log.

One server process serves the whole module; every client is an asyncssh client with a
PTY reading raw bytes, or OpenSSH (`ssh`) in tmux. Every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from tests.support.ssh import (
    KEYS,
    Client,
    KeyedCommunity,
    ServerProcess,
    connect,
    make_keyed_surveys,
    remove_member_key,
)

pytestmark = [pytest.mark.e2e]

EVIL = "\x1b]0;pwned\x07\x1b[2J"
EVIL_NAME = f"[bold red]Chen[/] {EVIL}Wei"


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> KeyedCommunity:
    folder = tmp_path_factory.mktemp("ssh")
    return make_keyed_surveys(folder, ["ada", "bruno", "chen", "dana", "emeka", "farah"], names={"chen": EVIL_NAME})


@pytest.fixture(scope="module")
def server(community: KeyedCommunity) -> Iterator[ServerProcess]:
    data = community.surveys_dir.parent / "data"
    process = ServerProcess(
        data,
        community.surveys_dir,
        extra_args=["--max-per-key", "3", "--max-output", "262144"],
        env={"COLORTERM": "truecolor"},  # the server's own: must never reach a client
    ).wait_ready()
    yield process
    assert process.stop() == 0


@pytest.fixture(autouse=True)
def _sessions_end_between_tests(server: ServerProcess) -> Iterator[None]:
    """Sessions a test leaves end before the next test starts (so per-key limits never leak across)."""
    yield
    server.wait_sessions_ended()


def _records(server: ServerProcess, event: str, **fields: object) -> list[dict]:
    return [r for r in server.log_records() if r["event"] == event and all(r.get(k) == v for k, v in fields.items())]


# -- 1. auth and identity ---------------------------------------------------------------------------


async def test_unknown_key_is_refused(server: ServerProcess, community: KeyedCommunity) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, community.keys["stranger"])
    fingerprint = community.keys["stranger"].get_fingerprint("sha256")
    record = await server.wait_log(lambda r: r["event"] == "refused" and fingerprint in r.get("offered", []))
    assert record["reason"] == "unknown-key"
    assert "handle" not in record


async def test_password_and_keyboard_interactive_are_refused_without_a_prompt(server: ServerProcess) -> None:
    asked: list[str] = []

    class Asker(asyncssh.SSHClient):
        def password_auth_requested(self) -> str:
            asked.append("password")
            return "secret"

        def kbdint_auth_requested(self) -> str:
            asked.append("kbdint")
            return ""

    with pytest.raises(asyncssh.PermissionDenied):
        await asyncio.wait_for(
            asyncssh.connect(
                "127.0.0.1", server.port, username="ada", known_hosts=None, client_keys=None, agent_path=None,
                config=None, client_factory=Asker, preferred_auth="password,keyboard-interactive",
            ),
            10,
        )  # fmt: skip
    assert asked == []


async def test_identity_comes_from_the_key_not_the_user_name(server: ServerProcess, community: KeyedCommunity) -> None:
    client = await Client.connect(server.port, community.keys["bruno"], username="ada")
    try:
        await client.wait_text("Bruno Silva")
        assert "Ada Okafor" not in client.text
    finally:
        client.close()


@pytest.mark.skipif(not (shutil.which("ssh") and shutil.which("tmux")), reason="needs OpenSSH and tmux")
async def test_openssh_offering_one_key_and_signing_with_another_is_the_signer(
    server: ServerProcess, community: KeyedCommunity, tmp_path: Path
) -> None:
    """`ssh -i ada.pub -i bruno`: the server accepts ada's key, but only bruno can sign: it is bruno."""
    keys = community.keys_dir
    session = f"coptui-imp-{server.port}"
    debug = tmp_path / "ssh-debug.txt"
    command = (
        f"ssh -tt -v -p {server.port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        f"-o IdentitiesOnly=yes -o IdentityAgent=none -i {keys / 'ada.pub'} -i {keys / 'bruno'} ada@127.0.0.1 "
        f"2>{debug}"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True)
    try:
        deadline = time.monotonic() + 15
        pane = ""
        while time.monotonic() < deadline and "Bruno Silva" not in pane:
            await asyncio.sleep(0.1)
            pane = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=False
            ).stdout
        assert "Bruno Silva" in pane, pane
        assert "Ada Okafor" not in pane
        assert re.search(r"Server accepts key: .*ada\.pub", debug.read_text())
        ada = community.keys["ada"].get_fingerprint("sha256")
        bruno = community.keys["bruno"].get_fingerprint("sha256")
        record = await server.wait_log(lambda r: r["event"] == "connect" and r.get("fingerprint") == bruno)
        assert record["handle"] == "bruno"
        assert not _records(server, "connect", fingerprint=ada)
        # Quit with q; tmux closes the pane once ssh ends.
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        await server.wait_log(
            lambda r: r["event"] == "disconnect" and r.get("fingerprint") == bruno and r.get("reason") == "quit"
        )
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


@pytest.mark.skipif(not shutil.which("ssh"), reason="needs OpenSSH")
@pytest.mark.parametrize("how", ["stranger-key", "password"])
def test_openssh_is_refused_without_a_prompt(server: ServerProcess, community: KeyedCommunity, how: str) -> None:
    options = ["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
    if how == "stranger-key":
        options += ["-i", str(community.key_file("stranger"))]
    else:
        options += ["-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "NumberOfPasswordPrompts=1"]
    result = subprocess.run(
        ["ssh", "-p", str(server.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", *options, "ada@127.0.0.1", "true"],
        capture_output=True, text=True, timeout=15, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert result.returncode == 255
    assert "Permission denied (publickey)" in result.stderr


async def test_port_forwarding_is_administratively_prohibited(server: ServerProcess, community: KeyedCommunity) -> None:
    conn = await connect(server.port, community.keys["dana"])
    try:
        with pytest.raises(asyncssh.ChannelOpenError) as refused:
            await conn.open_connection("127.0.0.1", server.port)
        assert refused.value.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED
    finally:
        conn.close()


async def test_a_removed_key_is_refused_on_its_next_connect(server: ServerProcess, community: KeyedCommunity) -> None:
    first = await connect(server.port, community.keys["emeka"])
    first.close()
    remove_member_key(community.surveys_dir, "emeka")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, community.keys["emeka"])


# -- 2. no PTY, exec, subsystem --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    ["shell-without-pty", "exec", "subsystem"],
)
async def test_a_session_without_a_terminal_gets_one_line_and_exit_1(
    server: ServerProcess, community: KeyedCommunity, kind: str
) -> None:
    conn = await connect(server.port, community.keys["dana"])
    try:
        output: list[bytes] = []
        if kind == "subsystem":
            chan, _ = await conn.create_session(asyncssh.SSHClientSession, subsystem="sftp", encoding=None)
        else:
            chan, _ = await conn.create_session(
                asyncssh.SSHClientSession, command="ls -la" if kind == "exec" else None, encoding=None
            )
        process_done = asyncio.wait_for(chan.wait_closed(), 2)
        await process_done
        assert chan.get_exit_status() == 1
    finally:
        conn.close()
    del output
    refusal = {"shell-without-pty": "no-pty", "exec": "exec", "subsystem": "subsystem"}[kind]
    await server.wait_log(lambda r: r["event"] == "refused" and r.get("reason") == refusal)


async def test_the_one_line_says_how_to_connect(server: ServerProcess, community: KeyedCommunity) -> None:
    client = await Client.connect(server.port, community.keys["dana"], term_type=None)
    assert await client.wait_closed(5) == 1
    assert client.stderr.decode() == f"coptui needs an interactive terminal: ssh -p {server.port} 127.0.0.1\r\n"
    assert not client.output
    client.close()


# -- 5. colour per session ---------------------------------------------------------------------------


async def _colour_output(server: ServerProcess, key: asyncssh.SSHKey, env: dict[str, str]) -> bytes:
    client = await Client.connect(server.port, key, env=env)
    try:
        await client.wait_text("Open for you")
        return bytes(client.output)
    finally:
        client.close()


async def test_colour_depth_follows_each_client_not_the_server(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    plain, truecolor, no_color = await asyncio.gather(
        _colour_output(server, community.keys["ada"], {}),
        _colour_output(server, community.keys["bruno"], {"COLORTERM": "truecolor"}),
        _colour_output(server, community.keys["dana"], {"NO_COLOR": "1"}),
    )
    # The server runs with COLORTERM=truecolor; a client that did not say so gets 256 colours.
    assert b"38;5;" in plain and b"38;2;" not in plain
    assert b"38;2;" in truecolor
    # NO_COLOR: no colour at all (not greys): no 8-bit or 24-bit colour codes reach the client.
    assert b"Open for you" in no_color and not re.findall(rb"[345]8;[25];", no_color)


# -- 3. resize and clamp --------------------------------------------------------------------------------


async def test_resizes_reach_the_app_and_absurd_sizes_are_clamped(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    client = await Client.connect(server.port, community.keys["ada"])
    other = await Client.connect(server.port, community.keys["bruno"])
    try:
        await client.wait_text("Open for you")
        await other.wait_text("Open for you")
        rss_before = server.rss_kib()
        client.resize(60, 20)
        # The footer is redrawn for 60 columns: its last key hint moves inside column 60.
        await client.wait_for(
            lambda c: "Open for you" in c.text and len(c.text.splitlines()[0].rstrip()) <= 60, 5, "reflow"
        )
        client.resize(0, 0)
        client.resize(65535, 65535)
        client.resize(100, 30)
        await client.wait_text("Open for you")
        other.send("\x10")  # ctrl+p: the other session is untouched and still answers
        await other.wait_text("Search for commands")
        assert server.rss_kib() - rss_before < 20 * 1024
        record = await asyncio.to_thread(lambda: server.log_records())
        assert not [r for r in record if r["event"] == "error"]
    finally:
        client.close()
        other.close()


# -- 4. keys, paste, UTF-8 -------------------------------------------------------------------------------


async def test_keys_utf8_split_and_lone_escape(server: ServerProcess, community: KeyedCommunity) -> None:
    client = await Client.connect(server.port, community.keys["bruno"])
    try:
        await client.wait_text("Open for you")
        client.send("\x10")  # ctrl+p: the command palette
        await client.wait_text("Search for commands")
        client.send(b"caf\xc3")
        await asyncio.sleep(0.05)  # two separate packets, the character split between them
        client.send(b"\xa9")
        await client.wait_text("café")
        client.send(KEYS["escape"])  # a lone Esc: only the parser tick turns it into a key
        await client.wait_for(
            lambda c: "Search for commands" not in c.text and "café" not in c.text, 3, "palette closed"
        )
        # A bracketed paste is one Paste: its newline does not press Enter on the palette.
        client.send("\x10")
        await client.wait_text("Search for commands")
        client.send("\x1b[200~help\nme\x1b[201~")
        # The pasted text in the field and the commands it finds: Help, and no longer Trends.
        await client.wait_for(
            lambda c: (
                "Search for commands" not in c.text
                and "Keys and what this screen does" in c.text
                and "Objectives and trend charts" not in c.text
            ),
            5,
            "the pasted text's command in the palette",
        )
        # The paste's newline pressed nothing: shift+home and End after it are drawn in the palette's
        # field (a selection, then none) only if the palette is still the screen that takes keys.
        pasted = client.screen.style_of("help")
        client.send("\x1b[1;2H")  # shift+home: select what was pasted
        await client.wait_for(lambda c: c.screen.style_of("help") not in (None, pasted), 5, "the paste selected")
        client.send("\x1b[F")  # End: nothing selected
        await client.wait_for(lambda c: c.screen.style_of("help") == pasted, 5, "the selection gone")
        assert "Help: Home" not in client.text
        client.send(KEYS["enter"])  # now Enter runs the command the paste found
        await client.wait_text("Help: Home")
        client.send(KEYS["escape"])
        await client.wait_for(lambda c: "Help: Home" not in c.text, 5, "help closed")
        client.send("\x1bOP")  # F1
        await client.wait_text("Help: Home")
    finally:
        client.close()


# -- 7. limits ----------------------------------------------------------------------------------------------


async def test_a_fourth_session_for_one_key_is_refused_with_a_message(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    # farah's key is used by this test alone: the sessions it leaves must not count against another test.
    conn = await connect(server.port, community.keys["farah"])
    clients = []
    try:
        # Three sessions multiplexed on one connection, the fourth on another: all count.
        for _ in range(3):
            clients.append(await Client.connect(server.port, community.keys["farah"], conn=conn))
        for client in clients:
            await client.wait_text("Open for you")
        fourth = await Client.connect(server.port, community.keys["farah"])
        assert await fourth.wait_closed(5) == 1
        assert b"already connected 3 times" in fourth.output
        fourth.close()
    finally:
        conn.close()
    await server.wait_log(
        lambda r: r["event"] == "refused" and r.get("reason") == "limit-key" and r.get("handle") == "farah"
    )


# -- 8. slow client ------------------------------------------------------------------------------------------


async def test_a_client_that_stops_reading_is_dropped_and_others_carry_on(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    # A small SSH window: the server's channel buffer starts filling after 64 kB unread.
    slow_conn = await connect(server.port, community.keys["chen"], window=65536)
    slow = await Client.connect(server.port, community.keys["chen"], size=(200, 60), conn=slow_conn)
    bob = await Client.connect(server.port, community.keys["bruno"])
    try:
        await slow.wait_text("Open for you")
        await bob.wait_text("Open for you")
        rss_before = server.rss_kib()
        assert slow.chan is not None
        slow.chan.pause_reading()
        # Every window change repaints the whole screen; the client reads none of it.
        fingerprint = community.keys["chen"].get_fingerprint("sha256")
        deadline = time.monotonic() + 30
        dropped: list[dict] = []
        sizes = [(200, 60), (199, 60)]
        count = 0
        while not dropped and time.monotonic() < deadline:
            slow.chan.change_terminal_size(*sizes[count % 2])
            count += 1
            await asyncio.sleep(0.01)
            if count % 20 == 0:
                dropped = _records(server, "disconnect", fingerprint=fingerprint, reason="slow")
        assert dropped, "the slow client was never dropped"
        bob.send("\x10")  # ctrl+p: bob is still served
        await bob.wait_text("Search for commands")
        assert server.rss_kib() - rss_before < 10 * 1024
        print(f"dropped after {count} window changes")
    finally:
        slow.close()
        bob.close()


# -- 10. injection, log ------------------------------------------------------------------------------------------


async def test_markup_and_escape_codes_in_a_name_are_shown_literally(
    server: ServerProcess, community: KeyedCommunity
) -> None:
    client = await Client.connect(server.port, community.keys["chen"])
    try:
        await client.wait_text("[bold red]Chen[/]")
        raw = bytes(client.output)
        assert b"pwned" in raw  # the text is there ...
        # ... but never as a terminal command (Textual's own OSC 22 pointer shapes aside).
        assert b"\x07" not in re.sub(rb"\x1b\]22;[a-z-]*\x07", b"", raw)
        assert b"\x1b]0;" not in raw and b"\x1b[2J" not in raw
        assert EVIL.encode() not in raw
    finally:
        client.close()


def test_every_log_line_is_json_with_the_fields_an_admin_needs(server: ServerProcess) -> None:
    records = server.log_records()
    assert records[0]["event"] == "listening"
    for record in records:
        assert {"time", "event"} <= set(record)
        if record["event"] in ("connect", "disconnect"):
            assert {"handle", "fingerprint", "term", "size", "peer"} <= set(record), record
        if record["event"] == "disconnect" and record.get("reason") != "no-session":
            assert {"duration", "reason"} <= set(record), record
        if record["event"] == "refused":
            assert record.get("reason"), record
    assert "café" not in server.log_path.read_text(encoding="utf-8")
