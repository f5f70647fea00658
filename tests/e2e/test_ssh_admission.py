"""End-to-end tests of who gets in, against the real server: a stranger holding logins open
from one address locks no member out, a login that drags is cut at the login timeout, a
member's key signed by another key and an over-long user name are logged for what they
are, and a key listed for two members (or a keys file that is not UTF-8) is dealt with in
one line at start and on a reload.

The stranger's sockets come from 127.0.0.2 and 127.0.0.3, the members' from 127.0.0.1: on
Linux every address of 127.0.0.0/8 is this machine, so a server listening on 127.0.0.1
sees them as other addresses.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import asyncssh
import pytest

from coptui.serve.connection import MAX_KEYS_OFFERED
from tests.support.ssh import Client, KeyedCommunity, ServerProcess, connect, make_keyed_surveys

pytestmark = [pytest.mark.e2e]

STRANGER = "127.0.0.2"
LOGIN_TIMEOUT = 2
LATE = 8.0  # how late a busy machine may run a server's timer


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> KeyedCommunity:
    return make_keyed_surveys(tmp_path_factory.mktemp("ssh-admission"), ["ada", "bruno", "chen"])


def _from(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((address, 0))
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    return sock


def _still_open(sock: socket.socket) -> bool:
    """True if the server has not closed ``sock`` (what it sent so far is read and dropped)."""
    sock.setblocking(False)
    try:
        while True:
            if not sock.recv(4096):
                return False
    except BlockingIOError:
        return True
    except OSError:
        return False


def _refusals(server: ServerProcess, reason: str, peer: str) -> int:
    return sum(
        1 for r in server.log_records() if r["event"] == "refused" and r.get("reason") == reason and r["peer"] == peer
    )


async def _until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for {what}")
        await asyncio.sleep(0.05)


async def test_one_address_holding_its_logins_open_locks_no_member_out(start_server, community: KeyedCommunity) -> None:
    # Before: 100 connections that never log in took every place (--max-startups 100), and
    # members were closed before the SSH greeting for as long as the stranger kept them open.
    server = start_server("--max-startups-per-address", "10")
    sockets = [await asyncio.to_thread(_from, STRANGER, server.port) for _ in range(100)]
    try:
        await _until(lambda: _refusals(server, "startups-address", STRANGER) == 90, "90 of 100 refused")
        client = await Client.connect(server.port, community.keys["ada"])
        await client.wait_text("Open for you")
        assert sum(_still_open(s) for s in sockets) == 10, "the member got in while the stranger held its 10"
        client.close()
        assert _refusals(server, "startups", STRANGER) == 0, "the total was never reached"
    finally:
        for sock in sockets:
            sock.close()


async def test_a_login_that_trickles_bytes_is_closed_at_the_login_timeout(start_server) -> None:
    # A client that keeps sending, a byte at a time, is never done logging in: the login
    # timeout counts from the connect, whatever arrives.
    server = start_server("--login-timeout", str(LOGIN_TIMEOUT))
    sock = await asyncio.to_thread(_from, "127.0.0.3", server.port)
    try:
        sock.sendall(b"SSH-2.0-trickle\r\n\x00\x00\x01\x00")  # then a 256-byte packet, one byte at a time
        deadline = time.monotonic() + LOGIN_TIMEOUT + LATE
        closed = False
        while not closed and time.monotonic() < deadline:
            try:
                sock.send(b"\x00")
            except OSError:
                closed = True
                break
            closed = not _still_open(sock)
            await asyncio.sleep(0.2)
        assert closed, f"still logging in {LOGIN_TIMEOUT + LATE}s after connecting"
        await server.wait_log(
            lambda r: r["event"] == "refused" and r["peer"] == "127.0.0.3" and r.get("reason") == "login-timeout"
        )
    finally:
        sock.close()


async def test_a_members_key_signed_by_another_key_is_logged_as_a_bad_signature(
    start_server, community: KeyedCommunity
) -> None:
    # Before: logged `unknown-key`, as if the key were nobody's.
    server = start_server()
    forged = asyncssh.load_keypairs([community.keys["stranger"]])[0]
    forged.public_data = community.keys["ada"].public_data  # offers ada's key, signs with its own
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect(
            "127.0.0.1", server.port, client_keys=[forged], known_hosts=None, agent_path=None, config=None
        )
    record = await server.wait_log(lambda r: r["event"] == "refused" and r.get("offered"))
    assert record["reason"] == "bad-signature" and record["member"] == "ada"
    assert record["offered"] == [community.keys["ada"].get_fingerprint("sha256")]
    # A member's own key still works, and an unknown key is still `unknown-key`.
    client = await Client.connect(server.port, community.keys["ada"])
    await client.wait_text("Open for you")
    client.close()
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, community.keys["stranger"])
    await server.wait_log(lambda r: r["event"] == "refused" and r.get("reason") == "unknown-key")


@pytest.mark.parametrize("length", [1000, 1100])  # refused here; refused by asyncssh itself (1024 bytes and more)
async def test_an_over_long_user_name_is_refused_with_its_own_reason(
    start_server, community: KeyedCommunity, length: int
) -> None:
    # Before: logged `no-key`.
    server = start_server()
    with pytest.raises((asyncssh.Error, OSError)):
        await connect(server.port, community.keys["ada"], username="u" * length)
    record = await server.wait_log(lambda r: r["event"] == "refused")
    assert record["reason"] == "user-too-long"
    assert len(record.get("user", "")) <= 64, "the log keeps what the client chose short"
    client = await Client.connect(server.port, community.keys["ada"])
    await client.wait_text("Open for you")
    client.close()


async def test_a_login_may_try_ten_keys_and_no_more(start_server, community: KeyedCommunity) -> None:
    # Before: a client could offer keys until the login timeout, each one looked up on the loop.
    server = start_server()
    strangers = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(MAX_KEYS_OFFERED)]
    options = {"known_hosts": None, "agent_path": None, "config": None}
    member_tenth = [*strangers[: MAX_KEYS_OFFERED - 1], community.keys["ada"]]
    conn = await asyncssh.connect("127.0.0.1", server.port, client_keys=member_tenth, **options)
    conn.close()
    with pytest.raises(asyncssh.DisconnectError):
        await asyncssh.connect("127.0.0.1", server.port, client_keys=[*strangers, community.keys["ada"]], **options)
    record = await server.wait_log(lambda r: r["event"] == "refused" and r.get("reason") == "too-many-keys")
    assert len(record["offered"]) == 5, "the log keeps the first five"


def _public(key: asyncssh.SSHKey) -> str:
    return key.export_public_key().decode().strip()


def _list_key(surveys_dir: Path, handle: str, key: asyncssh.SSHKey) -> None:
    """Add ``key`` to ``handle``'s keys in community.toml, with a new mtime the server notices."""
    path = surveys_dir / "community.toml"
    text = path.read_text(encoding="utf-8")
    marker = f'handle = "{handle}"\nkeys = ['
    assert marker in text
    path.write_text(text.replace(marker, f"{marker}{json.dumps(_public(key))}, ", 1), encoding="utf-8")
    stamp = time.time() + 1
    os.utime(path, (stamp, stamp))


async def test_a_key_listed_for_two_members_logs_nobody_in_at_start_and_after_a_reload(
    start_server, tmp_path: Path
) -> None:
    # Before: the key logged in as whichever member was listed last.
    keyed = make_keyed_surveys(tmp_path / "shared", ["ada", "bruno", "chen"])
    _list_key(keyed.surveys_dir, "chen", keyed.keys["ada"])  # ada's key, under chen too
    server = start_server(surveys_dir=keyed.surveys_dir)
    warnings = [line for line in server.stderr_text().splitlines() if "warning" in line]
    assert len(warnings) == 1 and "'ada' and 'chen'" in warnings[0], warnings
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, keyed.keys["ada"])
    record = await server.wait_log(lambda r: r["event"] == "refused")
    assert record["reason"] == "shared-key" and record["member"] == "ada, chen"
    client = await Client.connect(server.port, keyed.keys["chen"])  # chen's own key is still chen's
    await client.wait_text("Open for you")
    client.close()

    _list_key(keyed.surveys_dir, "ada", keyed.keys["bruno"])  # now bruno's key is ada's too
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, keyed.keys["bruno"])  # the connect that rereads the files
    record = await server.wait_log(lambda r: r["event"] == "keys")
    assert any("'ada' and 'bruno'" in problem for problem in record["problems"]), record
    await _until(lambda: "'ada' and 'bruno'" in server.stderr_text(), "the reload's warning on stderr")
    assert "Traceback" not in server.stderr_text()


async def test_a_keys_file_that_is_not_utf8_is_one_line_and_its_good_lines_still_log_in(
    start_server, tmp_path: Path
) -> None:
    # Before: UnicodeDecodeError, and `coptui serve` ended with a traceback.
    keyed = make_keyed_surveys(tmp_path / "latin1", ["ada"])
    dana = asyncssh.generate_private_key("ssh-ed25519")
    path = keyed.surveys_dir / "community.toml"
    path.write_text('authorized_keys = "members.keys"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    (keyed.surveys_dir / "members.keys").write_bytes(
        "# Clés des membres, écrit en Latin-1\n".encode("latin-1") + f"{_public(dana)} dana\n".encode()
    )
    server = start_server(surveys_dir=keyed.surveys_dir)
    stderr = server.stderr_text()
    assert "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if "warning" in line] == [
        f"coptui serve: warning: {(keyed.surveys_dir / 'members.keys').resolve()}:1: is not UTF-8 text (byte 0xe9); "
        "save the file as UTF-8"
    ]
    client = await Client.connect(server.port, dana)
    await client.wait_text("Open for you")
    client.close()
