"""Unit tests of who may log in: the member keys as `coptui serve` and `coptui validate` check
them, the logins in progress counted per address, and the reason a failed login is logged with."""

from __future__ import annotations

import json
from pathlib import Path

import asyncssh
import pytest

from coptui.cli.main import main
from coptui.core.community_schema import load_community
from coptui.core.workspace import Workspace
from coptui.serve.admission import LoginsInProgress, address_group
from coptui.serve.connection import MAX_KEYS_OFFERED, MAX_USER_NAME, TOO_MANY_KEYS, CoptuiConnection, login_refusal
from coptui.serve.keys import MemberKeys, read_member_keys
from tests.unit.test_ssh_session import KeyedServer


def _key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def _public(key: asyncssh.SSHKey) -> str:
    """``<type> <base64>``, without a comment."""
    return " ".join(key.export_public_key().decode().split()[:2])


def _give_keys(surveys_dir: Path, keys: dict[str, list[str]], *, keys_file: str | bytes | None = None) -> Path:
    """Write ``keys`` (handle -> texts) into community.toml, and a keys file if given."""
    path = surveys_dir / "community.toml"
    text = path.read_text(encoding="utf-8")
    for handle, texts in keys.items():
        marker = f'handle = "{handle}"\n'
        text = text.replace(marker, f"{marker}keys = {json.dumps(texts)}\n", 1)
    if keys_file is not None:
        text = 'authorized_keys = "members.keys"\n' + text
        target = surveys_dir / "members.keys"
        if isinstance(keys_file, bytes):
            target.write_bytes(keys_file)
        else:
            target.write_text(keys_file, encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    return path


def _member_keys(surveys_dir: Path) -> MemberKeys:
    community, problems = load_community(surveys_dir / "community.toml")
    assert community is not None, problems
    return MemberKeys(surveys_dir, community)


# -- a key says who you are, once -----------------------------------------------------------------


def test_a_key_listed_for_two_members_is_refused_for_both_in_one_line_naming_both(surveys_dir: Path) -> None:
    shared, ada_own = _key(), _key()
    _give_keys(surveys_dir, {"ada": [_public(ada_own), _public(shared)]}, keys_file=f"{_public(shared)} chen\n")
    keys = _member_keys(surveys_dir)
    assert keys.owner(shared) is None, "neither member may log in with it"
    assert keys.shared_by(shared) == ("ada", "chen") and keys.shared_by(ada_own) == ()
    assert keys.owner(ada_own) == "ada"
    assert len(keys.problems) == 1, keys.problems
    problem = keys.problems[0]
    assert "members[0].keys[1]" in problem and "members.keys:1" in problem
    assert "'ada'" in problem and "'chen'" in problem and shared.get_fingerprint("sha256") in problem


def test_a_key_listed_twice_for_one_member_is_that_member(surveys_dir: Path) -> None:
    ada = _key()
    _give_keys(surveys_dir, {"ada": [_public(ada)]}, keys_file=f"{_public(ada)} ada\n")
    keys = _member_keys(surveys_dir)
    assert keys.owner(ada) == "ada" and keys.problems == []


def test_either_order_of_two_members_gives_nobody_the_key(surveys_dir: Path) -> None:
    # Before: the member listed last owned the key, so in one order a member logged in as the facilitator.
    shared = _key()
    _give_keys(surveys_dir, {"chen": [_public(shared)], "ada": [_public(shared)]})
    keys = _member_keys(surveys_dir)
    assert keys.owner(shared) is None
    assert len(keys.problems) == 1 and "'ada'" in keys.problems[0] and "'chen'" in keys.problems[0]


def test_a_pasted_private_key_is_one_line_and_never_a_key(surveys_dir: Path) -> None:
    pasted, in_toml, bruno = _key(), _key(), _key()
    private = pasted.export_private_key().decode()
    keys_file = f"{_public(bruno)} bruno\n" + private + f"{_public(_key())} dana\n"
    _give_keys(surveys_dir, {"ada": [in_toml.export_private_key().decode()]}, keys_file=keys_file)
    keys = _member_keys(surveys_dir)
    assert keys.owner(pasted) is None and keys.owner(bruno) == "bruno"
    assert keys.owner(in_toml) is None, "a private key in community.toml is refused too (asyncssh would read it)"
    assert len(keys.problems) == 2, keys.problems
    block_end = 1 + len(private.splitlines())
    assert keys.problems[0].endswith("members[0].keys[0]: " + keys.problems[0].split(": ", 2)[2])
    assert "is a private key" in keys.problems[0]
    assert f"members.keys:2-{block_end}: is a private key" in keys.problems[1]


def test_lines_that_are_not_keys_each_get_one_clear_line(surveys_dir: Path) -> None:
    chen, lone, mislabelled = _key(), _key(), _key()
    keys_file = (
        "# members' keys\n"
        f"{_public(chen)} chen\n"
        "garbage\n"
        f"{_public(lone)}\n"
        f"ssh-rsa {_public(mislabelled).split()[1]} dana\n"
        f"{_public(_key())} chen@laptop\n"
    )
    _give_keys(surveys_dir, {"ada": ["not a key"]}, keys_file=keys_file)
    keys = _member_keys(surveys_dir)
    assert keys.owner(chen) == "chen" and keys.owner(lone) is None and keys.owner(mislabelled) is None
    problems = keys.problems
    assert len(problems) == 5, problems
    assert "members[0].keys[0]: is not an SSH public key" in problems[0]
    assert "members.keys:3: expected '<type> <base64> <handle>'" in problems[1]
    assert "members.keys:4: expected '<type> <base64> <handle>'" in problems[2]
    assert "members.keys:5: is not an SSH public key (public key algorithm mismatch)" in problems[3]
    assert "members.keys:6: 'chen@laptop' is not a member of community.toml" in problems[4]


def test_a_missing_keys_file_is_one_line(surveys_dir: Path) -> None:
    ada = _key()
    _give_keys(surveys_dir, {"ada": [_public(ada)]}, keys_file="")
    (surveys_dir / "members.keys").unlink()
    keys = _member_keys(surveys_dir)
    assert keys.owner(ada) == "ada", "the keys in community.toml still work"
    assert keys.problems == [
        f"{surveys_dir / 'members.keys'}: does not exist (community.toml names it in authorized_keys)"
    ]


def test_a_keys_file_that_is_not_utf8_is_one_line_and_its_good_lines_still_work(surveys_dir: Path) -> None:
    chen, dana = _key(), _key()
    data = f"{_public(chen)} chen\n".encode() + b"ssh-ed25519 AAAA\xff\xfe dana\n" + f"{_public(dana)} dana\n".encode()
    _give_keys(surveys_dir, {}, keys_file=data)
    keys = _member_keys(surveys_dir)  # before: UnicodeDecodeError, a traceback at `coptui serve`
    assert keys.owner(chen) == "chen" and keys.owner(dana) == "dana"
    assert keys.problems == [f"{surveys_dir / 'members.keys'}:2: is not UTF-8 text (byte 0xff); save the file as UTF-8"]


def test_a_reload_reports_what_it_found(surveys_dir: Path) -> None:
    path = _give_keys(surveys_dir, {})
    community, _ = load_community(path)
    assert community is not None
    heard: list[list[str]] = []
    keys = MemberKeys(surveys_dir, community, report=heard.append)
    shared = _key()
    _give_keys(surveys_dir, {"ada": [_public(shared)], "bruno": [_public(shared)]})
    assert keys.refresh() is True
    assert keys.owner(shared) is None
    assert len(heard) == 1 and len(heard[0]) == 1 and "'ada' and 'bruno'" in heard[0][0]


def test_validate_checks_keys_one_line_each_and_exits_1(surveys_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared = _key()
    _give_keys(
        surveys_dir,
        {"ada": [_public(shared)]},
        keys_file=f"{_public(shared)} chen\n{_public(_key())} nobody\n" + _key().export_private_key().decode(),
    )
    assert main(["validate", str(surveys_dir)]) == 1  # before: "all valid"
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3, lines
    assert "members.keys:2: 'nobody' is not a member" in lines[0]
    assert "members.keys:3-" in lines[1] and "is a private key" in lines[1]
    assert "'ada' and 'chen'" in lines[2]
    community, _ = load_community(surveys_dir / "community.toml")
    assert community is not None
    assert [str(p) for p in read_member_keys(surveys_dir, community).problems] == lines, (
        "the server's check, word for word"
    )


def test_validate_names_a_missing_keys_file(surveys_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _give_keys(surveys_dir, {}, keys_file="")
    (surveys_dir / "members.keys").unlink()
    assert main(["validate", str(surveys_dir / "community.toml")]) == 1
    assert "members.keys: does not exist" in capsys.readouterr().out


def test_validate_with_good_keys_is_all_valid(surveys_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _give_keys(surveys_dir, {"ada": [_public(_key())]}, keys_file=f"{_public(_key())} chen\n")
    assert main(["validate", str(surveys_dir)]) == 0
    assert "all valid" in capsys.readouterr().out


# -- logins in progress, per address ------------------------------------------------------------


def test_one_address_cannot_take_every_login_place() -> None:
    logins = LoginsInProgress(total=5, per_address=2)
    assert logins.begin("192.0.2.7") is None and logins.begin("192.0.2.7") is None
    assert logins.begin("192.0.2.7") == "startups-address"
    assert logins.begin("192.0.2.8") is None, "another address still gets in"
    logins.end("192.0.2.7")
    assert logins.begin("192.0.2.7") is None, "a login that ended gives its place back"
    assert logins.begin("198.51.100.1") is None and logins.begin("198.51.100.2") is None
    assert len(logins) == 5
    assert logins.begin("203.0.113.1") == "startups", "the total still holds"


def test_an_ended_login_is_forgotten_and_never_counted_twice() -> None:
    logins = LoginsInProgress(total=10, per_address=1)
    assert logins.begin("192.0.2.7") is None
    logins.end("192.0.2.7")
    logins.end("192.0.2.7")  # once too often: nothing below zero
    assert len(logins) == 0 and logins.from_address("192.0.2.7") == 0
    assert logins._by_address == {}


def test_ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() -> None:
    assert address_group("2001:db8:1:2::1") == address_group("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_group("2001:db8:1:3::1") != address_group("2001:db8:1:2::1")
    assert address_group("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_group("not-an-address") == "not-an-address"
    logins = LoginsInProgress(total=10, per_address=1)
    assert logins.begin("2001:db8:1:2::1") is None
    assert logins.begin("2001:db8:1:2::2") == "startups-address"


# -- the reason a failed login is logged with ----------------------------------------------------


def test_each_failed_login_is_logged_with_what_happened() -> None:
    timeout = asyncssh.ConnectionLost("Login timeout expired")
    assert login_refusal(None, False, None, None) == "no-key"
    assert login_refusal(None, True, None, None) == "unknown-key"
    assert login_refusal(None, True, "ada", None) == "no-signature"
    assert login_refusal(None, True, None, None, shared=True) == "shared-key"
    assert login_refusal(None, True, "ada", "ada") == "bad-signature"
    assert login_refusal(timeout, True, "ada", "ada") == "bad-signature"
    assert login_refusal(timeout, True, None, None) == "login-timeout"
    assert login_refusal(asyncssh.IllegalUserName("Username too long"), False, None, None) == "user-too-long"
    assert login_refusal(asyncssh.IllegalUserName("invalid UTF-8"), False, None, None) == "bad-user-name"
    too_many = asyncssh.DisconnectError(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, TOO_MANY_KEYS)
    assert login_refusal(too_many, True, None, None) == "too-many-keys"


def test_a_login_is_cut_off_past_ten_keys_or_twenty_questions(workspace: Workspace) -> None:
    connection = CoptuiConnection(KeyedServer(workspace, {}))
    for _ in range(MAX_KEYS_OFFERED):
        assert not connection.validate_public_key("root", _key())
    with pytest.raises(asyncssh.DisconnectError, match="too many keys"):
        connection.validate_public_key("root", _key())
    same = _key()
    again = CoptuiConnection(KeyedServer(workspace, {}))
    for _ in range(2 * MAX_KEYS_OFFERED):
        assert not again.validate_public_key("root", same)
    with pytest.raises(asyncssh.DisconnectError, match="too many keys"):
        again.validate_public_key("root", same)  # one key asked about again and again counts too


def test_a_signature_that_does_not_verify_for_a_members_key_is_noted(workspace: Workspace) -> None:
    ada, forger = _key(), _key()
    offered = asyncssh.import_public_key(ada.export_public_key())  # the object asyncssh would pass
    connection = CoptuiConnection(KeyedServer(workspace, {ada.public_data: "ada"}))
    connection.begin_auth("root")
    assert connection.validate_public_key("root", offered)
    assert offered.verify(b"data", ada.sign(b"data", b"ssh-ed25519")) is True
    assert connection._forged is None
    assert offered.verify(b"data", forger.sign(b"data", b"ssh-ed25519")) is False
    assert connection._forged == "ada"


def test_an_over_long_user_name_is_refused_before_any_key(workspace: Workspace) -> None:
    connection = CoptuiConnection(KeyedServer(workspace, {}))
    assert connection.begin_auth("u" * MAX_USER_NAME) is True
    with pytest.raises(asyncssh.IllegalUserName) as refused:
        connection.begin_auth("u" * (MAX_USER_NAME + 1))
    assert login_refusal(refused.value, False, None, None) == "user-too-long"
