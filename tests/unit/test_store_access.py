"""Who can reach the data folder: private modes whatever the umask, tightening at start, a
serve that refuses a shared folder, one line for a folder that cannot be written, and a
message that tells the truth when the index fails after the run file was written."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import coptui.serve.server as server_module
import coptui.store.storage as storage_module
from coptui.cli.main import main
from coptui.core.community_cache import CACHE_DIR
from coptui.core.workspace import Workspace
from coptui.serve.keys import HOST_KEY_FILE
from coptui.serve.log import LOG_FILE
from coptui.store import permissions
from coptui.store.errors import FolderNotWritableError, StoreWriteError
from coptui.store.layout import INDEX_FILE, LOCK_FILE, QUARANTINE_DIR
from coptui.store.permissions import SharedFolderError, refuse_shared_folder
from coptui.store.store import Store
from tests.support.surveys import full_answers, open_every_type, write_every_type

NOBODY = 65534
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    """Every path under ``folder`` (itself included) and its permission bits."""
    found = {".": stat.S_IMODE(folder.lstat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


# -- private whatever the umask ---------------------------------------------------------------


def test_every_folder_and_file_made_by_coptui_is_private_whatever_the_umask(
    umask: int, surveys_dir: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "new" / "data"  # the folder and a parent made by coptui
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    workspace.runs.save_draft(run.id, "chen", {"mood": 2}, position=1)
    workspace.runs.save_draft(run.id, "dana", {"mood": 3}, position=1)
    workspace.runs.submit_response(run.id, "chen", full_answers())
    (data_dir / "runs" / "damaged.json").write_bytes(b"{")  # made with the umask: 0644 or 0666
    Workspace.open(data_dir, surveys_dir)  # refuses it and keeps a copy in quarantine/
    found = modes(data_dir)
    for name in (".", "runs", "drafts", "cache", QUARANTINE_DIR, INDEX_FILE, LOCK_FILE, "cache/community.json"):
        assert name in found, name
    assert any(name.startswith(f"{QUARANTINE_DIR}/") for name in found)
    for name, mode in found.items():
        folder = (data_dir / name).is_dir()
        assert mode == (0o700 if folder else 0o600), f"{name}: {mode:o} under umask {umask:03o}"
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


def test_a_serve_log_is_private(umask: int, data_dir: Path) -> None:
    from coptui.serve.log import EventLog

    Store(data_dir)
    log = EventLog.open(None, data_dir)
    log.write("start")
    log.close()
    assert stat.S_IMODE((data_dir / LOG_FILE).stat().st_mode) == 0o600


# -- tightened at start -------------------------------------------------------------------------


def _loosen(data_dir: Path) -> None:
    """What an older coptui (or a restore keeping modes) left: 0755 folders and 0644 files."""
    for path in [data_dir, *data_dir.rglob("*")]:
        if path.is_symlink():
            continue
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def test_looser_modes_are_tightened_at_start_with_one_warning(
    surveys_dir: Path, data_dir: Path, tmp_path: Path
) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "chen", {"mood": 2}, position=1)
    outside = tmp_path / "outside.txt"
    outside.write_text("not coptui's")
    os.chmod(outside, 0o644)
    (data_dir / "runs" / "link.json").symlink_to(outside)
    os.mkfifo(data_dir / "cache" / "fifo")  # never opened: opening a FIFO would wait for a writer
    (data_dir / "notes.txt").write_text("the user's own file")
    _loosen(data_dir)
    os.chmod(data_dir / "cache" / "fifo", 0o644)

    store = Store(data_dir)
    warnings = [str(p) for p in store.problems if "open to other users" in str(p)]
    assert len(warnings) == 1, store.problems
    assert warnings[0].startswith(f"{data_dir} was open to other users: made 4 folders and ")
    found = modes(data_dir)
    for name in (".", "runs", "drafts", "cache"):
        assert found[name] == 0o700, name
    for name in (INDEX_FILE, LOCK_FILE, f"runs/{run.id}.json", f"drafts/{run.id}.json", "cache/community.json"):
        assert found[name] == 0o600, name
    # Not followed, not opened, not coptui's: left as they were.
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644
    assert found["cache/fifo"] == 0o644
    assert found["notes.txt"] == 0o644
    # Done once: the next start has nothing to say.
    assert not [p for p in Store(data_dir).problems if "open to other users" in str(p)]


def test_a_loose_file_in_a_private_folder_is_tightened_without_a_word(data_dir: Path) -> None:
    store = Store(data_dir, check_shapes=False)
    store.write_run_record("alpha", {"id": "alpha", "state": "open"})
    os.chmod(store.run_path("alpha"), 0o644)  # other users could not reach it: the folders are 0700
    again = Store(data_dir, check_shapes=False)
    assert again.problems == []
    assert stat.S_IMODE(again.run_path("alpha").stat().st_mode) == 0o600


def test_a_read_only_folder_stays_read_only_for_its_owner(data_dir: Path) -> None:
    Store(data_dir)
    os.chmod(data_dir, 0o555)
    try:
        Store(data_dir)
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o500
    finally:
        os.chmod(data_dir, 0o700)


def test_the_warning_reaches_the_command_line(
    surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_every_type(surveys_dir, data_dir)
    _loosen(data_dir)
    assert main(["runs", "--data", str(data_dir), "--surveys", str(surveys_dir)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len([line for line in err if "open to other users" in line]) == 1
    assert err[0].startswith(f"warning: {data_dir} was open to other users")


def test_the_names_tightened_are_those_coptui_writes() -> None:
    assert CACHE_DIR in permissions.SUBFOLDERS
    assert {LOG_FILE, HOST_KEY_FILE} <= set(permissions.TOP_FILES)


# -- serve refuses a folder another user can write ------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "who"), [(0o770, "its group"), (0o707, "every user"), (0o777, "its group and others")]
)
def test_serve_refuses_a_folder_others_can_write(data_dir: Path, mode: int, who: str) -> None:
    Store(data_dir)
    os.chmod(data_dir, mode)
    with pytest.raises(SharedFolderError) as caught:
        refuse_shared_folder(data_dir)
    message = str(caught.value)
    assert "\n" not in message
    assert f"can be written by {who} (mode {mode:03o})" in message and f"chmod -R go-rwx {data_dir}" in message


def test_serve_refuses_a_writable_subfolder(data_dir: Path) -> None:
    Store(data_dir)
    os.chmod(data_dir / "runs", 0o777)
    with pytest.raises(SharedFolderError, match="runs can be written by"):
        refuse_shared_folder(data_dir)


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a folder to another user")
def test_serve_refuses_a_folder_owned_by_another_user(data_dir: Path) -> None:
    Store(data_dir)
    os.chown(data_dir, NOBODY, NOBODY)
    with pytest.raises(SharedFolderError, match=f"belongs to another user \\(uid {NOBODY}\\)"):
        refuse_shared_folder(data_dir)


def test_serve_takes_a_private_folder_a_new_one_and_one_named_through_a_link(data_dir: Path, tmp_path: Path) -> None:
    refuse_shared_folder(data_dir)  # not made yet: it will be made private
    Store(data_dir)
    os.chmod(data_dir, 0o755)  # readable by others: tightened when it opens, not refused
    refuse_shared_folder(data_dir)
    link = tmp_path / "link"
    link.symlink_to(data_dir)  # a link is 0777 itself: the folder it names is what counts
    refuse_shared_folder(link)
    (data_dir / "runs").rmdir()
    (data_dir / "runs").symlink_to(tmp_path)
    with pytest.raises(SharedFolderError, match="runs is not a folder"):
        refuse_shared_folder(data_dir)


def test_coptui_serve_refuses_before_opening_anything(
    surveys_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[Any] = []

    async def serve(*args: Any, **kwargs: Any) -> int:
        started.append(args)
        return 0

    monkeypatch.setattr(server_module, "serve", serve)
    Store(data_dir)
    os.chmod(data_dir, 0o775)
    code = main(["serve", "--data", str(data_dir), "--surveys", str(surveys_dir), "--port", "0"])
    assert code == 1 and started == []
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"coptui: cannot serve {data_dir}: ")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o775  # left for its owner to look at


# -- a folder that cannot be written ------------------------------------------------------------------


def test_a_data_path_naming_a_file_is_one_line(surveys_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    with pytest.raises(FolderNotWritableError) as caught:
        Workspace.open(path, surveys_dir)
    assert str(caught.value) == f"cannot write to {path}: it is a file, not a folder"
    assert path.read_text() == "not a folder"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs the kernel's process filesystem")
@pytest.mark.parametrize(
    ("folder", "reason"),
    [
        ("/proc/coptui-data", "the folder does not exist and cannot be created (No such file or directory)"),
        ("/proc/self", "it does not take new files (No such file or directory)"),
    ],
)
def test_a_folder_that_cannot_be_made_or_written_reads_as_empty_and_refuses_writes(
    surveys_dir: Path, folder: str, reason: str
) -> None:
    write_every_type(surveys_dir)
    workspace = Workspace.open(Path(folder), surveys_dir)
    assert workspace.runs.list_runs() == []  # reading still works
    with pytest.raises(FolderNotWritableError) as caught:
        workspace.runs.open_run("every-type", by="ada")
    assert str(caught.value) == f"cannot write to {folder}: {reason}"


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder that another user can reach (pytest's own are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="coptui-access-"))
    os.chmod(folder, 0o711)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                os.chmod(path, 0o700 if path.is_dir() else 0o600)
        shutil.rmtree(folder)


def _coptui_as_a_user_who_cannot_write(*args: str) -> subprocess.CompletedProcess[str]:
    """coptui run by the folder's owner after its write bit is gone. Root ignores modes: as
    root, the test gives the folder to nobody and runs coptui as nobody (through setpriv)."""
    prefix: list[str] = []
    if IS_ROOT:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: no way to run coptui as a user modes apply to")
        prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "coptui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": "/nonexistent"},
    )


def _hand_over(folder: Path) -> None:
    if IS_ROOT:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


def test_a_read_only_folder_reads_and_refuses_writes_in_one_line(shared_tmp: Path) -> None:
    surveys = shared_tmp / "surveys"
    from coptui.core.definitions import default_surveys_dir

    shutil.copytree(default_surveys_dir(), surveys)
    os.chmod(surveys, 0o755)
    data = shared_tmp / "data"
    workspace = Workspace.open(data, surveys)
    run = workspace.runs.open_run("cop-pulse", by="ada")
    _hand_over(data)
    os.chmod(data, 0o500)
    before = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
    common = ("--data", str(data), "--surveys", str(surveys), "--as", "ada")

    listing = _coptui_as_a_user_who_cannot_write("runs", *common)
    assert listing.returncode == 0, listing.stderr
    assert run.id in listing.stdout

    for command in (["runs", "--open", "cop-pulse"], ["runs", "--close", run.id]):
        result = _coptui_as_a_user_who_cannot_write(*command, *common)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [f"coptui: cannot write to {data}: Permission denied"], result.stderr
    assert {path: path.read_bytes() for path in data.rglob("*") if path.is_file()} == before


def test_an_unwritable_lock_file_is_one_line(shared_tmp: Path) -> None:
    surveys = shared_tmp / "surveys"
    from coptui.core.definitions import default_surveys_dir

    shutil.copytree(default_surveys_dir(), surveys)
    os.chmod(surveys, 0o755)
    data = shared_tmp / "data"
    Workspace.open(data, surveys).runs.open_run("cop-pulse", by="ada")
    _hand_over(data)
    os.chmod(data / LOCK_FILE, 0o400)
    result = _coptui_as_a_user_who_cannot_write(
        "runs", "--open", "cop-pulse", "--data", str(data), "--surveys", str(surveys), "--as", "ada"
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"coptui: cannot write to {data}: Permission denied ({LOCK_FILE})"]


# -- the index fails after the run file was written ------------------------------------------------------


@pytest.fixture
def disk_fills_up(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Once armed (append to the list), the disk fills up between a run file's write and the
    index's: the pending mark, written before the run file, still goes through."""
    real = storage_module.atomic_write
    armed: list[bool] = []
    written: list[Path] = []

    def atomic_write(path: Path, payload: bytes, **kwargs: Any) -> None:
        if armed and path.name == INDEX_FILE and written and written[-1].parent.name == "runs":
            raise StoreWriteError(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), path, "nothing was changed")
        real(path, payload, **kwargs)
        written.append(path)

    monkeypatch.setattr(storage_module, "atomic_write", atomic_write)
    return armed


def test_a_full_disk_after_the_run_file_says_the_run_is_closed(
    surveys_dir: Path, data_dir: Path, disk_fills_up: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    disk_fills_up.append(True)
    with pytest.raises(StoreWriteError) as caught:
        workspace.runs.close_run(run.id, by="ada", today=date(2026, 11, 9))
    message = str(caught.value)
    assert "nothing was changed" not in message
    assert message == (
        f"run {run.id} is saved (closed) in {workspace.store.run_path(run.id)}, but {workspace.store.index_path} "
        "could not be updated (No space left on device): lists of runs may show its previous state until "
        "coptui next starts with room to write"
    )
    monkeypatch.undo()
    # What the message promises: the run is closed, and the next start lists it so.
    again = Workspace.open(data_dir, surveys_dir)
    assert again.runs.get(run.id).state == "closed"
    assert {r.id: r.state for r in again.runs.list_runs()} == {run.id: "closed"}


def test_a_full_disk_after_a_new_run_file_says_the_run_is_open(
    surveys_dir: Path, data_dir: Path, disk_fills_up: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_every_type(surveys_dir)
    workspace = Workspace.open(data_dir, surveys_dir)
    disk_fills_up.append(True)
    with pytest.raises(StoreWriteError, match=r"^run every-type-\S+ is saved \(open\) in .*No space left on device"):
        workspace.runs.open_run("every-type", by="ada")
    monkeypatch.undo()
    assert [r.state for r in Workspace.open(data_dir, surveys_dir).runs.list_runs()] == ["open"]
