"""Unit tests of the server's parts that need no network: member keys, and other processes' writes."""

from __future__ import annotations

from pathlib import Path

import asyncssh

from coptui.core.community_schema import load_community
from coptui.core.workspace import Workspace
from coptui.serve.keys import MemberKeys, load_host_key
from coptui.serve.relay import ForeignWrites
from coptui.store.layout import Change


def _key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def _public(key: asyncssh.SSHKey) -> str:
    """``<type> <base64>``, without a comment."""
    return " ".join(key.export_public_key().decode().split()[:2])


def test_keys_come_from_members_and_the_authorized_keys_file(surveys_dir: Path) -> None:
    ada, chen, stray, broken_owner = _key(), _key(), _key(), _key()
    path = surveys_dir / "community.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('handle = "ada"\n', f'handle = "ada"\nkeys = ["{_public(ada)}", "not a key"]\n', 1)
    text = 'authorized_keys = "members.keys"\n' + text
    path.write_text(text, encoding="utf-8")
    (surveys_dir / "members.keys").write_text(
        "# members' keys\n"
        f"{_public(chen)} chen\n"
        f"{_public(broken_owner)} nobody\n"
        "ssh-ed25519 AAAAnotbase64 dana\n"
        "just-one-field\n",
        encoding="utf-8",
    )
    community, problems = load_community(path)
    assert community is not None, problems
    keys = MemberKeys(surveys_dir, community)
    assert keys.owner(ada) == "ada"
    assert keys.owner(chen) == "chen"
    assert keys.owner(stray) is None
    assert keys.owner(broken_owner) is None  # the handle is not a member
    assert len(keys.problems) == 4, keys.problems
    assert any("members[0].keys[1]" in p for p in keys.problems)
    assert any("'nobody' is not a member" in p for p in keys.problems)


def test_a_removed_key_stops_working_and_a_broken_file_keeps_the_last_good_keys(surveys_dir: Path) -> None:
    ada = _key()
    path = surveys_dir / "community.toml"
    original = path.read_text(encoding="utf-8")
    path.write_text(
        original.replace('handle = "ada"\n', f'handle = "ada"\nkeys = ["{_public(ada)}"]\n', 1), encoding="utf-8"
    )
    community, _ = load_community(path)
    assert community is not None
    keys = MemberKeys(surveys_dir, community)
    assert keys.owner(ada) == "ada"

    path.write_text("this is [not toml", encoding="utf-8")
    assert keys.refresh() is False
    assert keys.owner(ada) == "ada"  # a typo must not lock everyone out

    path.write_text(original + "\n", encoding="utf-8")
    assert keys.refresh() is True
    assert keys.owner(ada) is None


def test_the_host_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_host_key(tmp_path)
    assert (tmp_path / "ssh_host_ed25519_key").stat().st_mode & 0o777 == 0o600
    assert load_host_key(tmp_path).public_data == first.public_data


def test_only_other_processes_writes_are_published_again(
    workspace: Workspace, data_dir: Path, surveys_dir: Path
) -> None:
    heard: list[Change] = []
    watcher = ForeignWrites(workspace)
    workspace.hub.subscribe(watcher.heard)
    workspace.hub.subscribe(heard.append)

    run = workspace.runs.open_run("mad-sad-glad", by="ada")  # our own write: on the hub once
    ours = list(heard)
    assert ours
    for change in ours:
        watcher.seen(change)  # the watcher sees the same files a moment later
    assert heard == ours

    other = Workspace.open(data_dir, surveys_dir)  # another process on the same folder
    from coptui.core import retro

    retro.next_phase(other, run.id, "ada")
    watcher.seen(Change("run", run.id))
    assert heard[len(ours) :] == [Change("run", run.id)]
