"""The store's promises inside one process: atomic writes under faults, refusal of damaged
and newer files, start-up repair. (Tests with several processes: test_store_processes.py.)

The numbers in the test names are those of the guarantees listed in docs/storage.md.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import typing
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

import coptui.store.files as files_module
import coptui.store.storage as storage_module
from coptui.core.workspace import Workspace
from coptui.store.errors import StoreError, StoreWriteError, UnreadableFileError
from coptui.store.layout import DRAFTS_DIR, INDEX_FILE, QUARANTINE_DIR, TEMP_PREFIX
from coptui.store.store import Store
from coptui.store.tables import PENDING_TABLE, RUN_META_KEY, RUN_META_TABLE, RUNS_TABLE, SCHEMA_VERSION
from tests.support.toy_records import records_of_no_declared_shape  # noqa: F401


def temps(data_dir: Path) -> list[Path]:
    return sorted(data_dir.rglob(f"{TEMP_PREFIX}*"))


def seeded(data_dir: Path) -> Store:
    """A store with two runs: their records in the index and a few responses each."""
    store = Store(data_dir)
    for run_id in ("alpha", "beta"):
        store.write_run_record(run_id, {"id": run_id, "state": "open"})
        with store.run_tx(run_id) as tx:
            for n in range(3):
                tx.insert("responses", f"{run_id}-{n}", {"answers": {"q": n}})
    return store


class FaultyOS:
    """Stands in for the ``os`` module inside files.py: one call fails, every call is recorded."""

    def __init__(self, fail: str | None = None, code: int = errno.EIO, *, nth: int = 1) -> None:
        self.fail, self.code, self.nth = fail, code, nth
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._seen = 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if not callable(real):
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args))
            if name == self.fail:
                self._seen += 1
                if self._seen == self.nth:
                    raise OSError(self.code, os.strerror(self.code))
            return real(*args, **kwargs)

        return call


# -- 2. a value a file cannot hold ------------------------------------------------------------


def test_2_non_serializable_value_leaves_the_file_byte_identical(data_dir: Path) -> None:
    store = seeded(data_dir)
    before = store.run_path("alpha").read_bytes()
    for bad in ({"tags": {"a", "b"}}, {"who": object()}):
        with pytest.raises(TypeError, match="JSON values only"), store.run_tx("alpha") as tx:
            tx.insert("responses", "fresh", {"answers": {"q": 1}})
            tx.put("responses", "bad", bad)
    assert store.run_path("alpha").read_bytes() == before
    assert temps(data_dir) == []
    # Below the Tx API too: the serialiser fails before a temp file exists.
    with pytest.raises(TypeError):
        storage_module.AtomicJSONStorage(store.run_path("alpha")).write({"t": {"k": {"v": {1, 2}}}})
    assert store.run_path("alpha").read_bytes() == before
    assert temps(data_dir) == []


def test_an_exception_inside_a_transaction_writes_nothing(data_dir: Path) -> None:
    store = seeded(data_dir)
    before = store.run_path("alpha").read_bytes()
    with pytest.raises(RuntimeError), store.run_tx("alpha") as tx:
        tx.insert("responses", "x", {"answers": {}})
        raise RuntimeError("the caller changed its mind")
    assert store.run_path("alpha").read_bytes() == before


# -- 3. faults from the operating system ------------------------------------------------------


@pytest.mark.parametrize("code", [errno.EIO, errno.ENOSPC], ids=["EIO", "ENOSPC"])
@pytest.mark.parametrize("call", ["write", "fsync", "replace"])
def test_3_fault_surfaces_keeps_old_file_removes_temp(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: int
) -> None:
    store = seeded(data_dir)
    path = store.run_path("alpha")
    before = path.read_bytes()
    faulty = FaultyOS(call, code)
    monkeypatch.setattr(files_module, "os", faulty)
    with pytest.raises(StoreWriteError) as caught, store.run_tx("alpha") as tx:
        tx.insert("responses", "new", {"answers": {"q": 5}})
    assert caught.value.errno == code
    assert isinstance(caught.value, OSError)
    assert "nothing was changed" in str(caught.value) and str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert temps(data_dir) == []
    monkeypatch.setattr(files_module, "os", os)
    with store.run_tx("alpha") as tx:
        tx.insert("responses", "new", {"answers": {"q": 5}})
    assert store.read_run("alpha").get("responses", "new") == {"answers": {"q": 5}}


def test_3_fault_in_the_folder_fsync_is_reported_not_hidden(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = seeded(data_dir)
    monkeypatch.setattr(files_module, "os", FaultyOS("fsync", errno.EIO, nth=2))  # 1st: the file, 2nd: the folder
    with pytest.raises(StoreWriteError, match="may not survive a power cut"), store.run_tx("alpha") as tx:
        tx.insert("responses", "new", {"answers": {"q": 5}})
    monkeypatch.setattr(files_module, "os", os)
    assert store.read_run("alpha").get("responses", "new") is not None  # the rename itself happened
    assert temps(data_dir) == []


def test_3_cli_reports_a_full_disk_in_one_line(
    data_dir: Path, surveys_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from coptui.cli.main import main

    Workspace.open(data_dir, surveys_dir)
    monkeypatch.setattr(files_module, "os", FaultyOS("write", errno.ENOSPC))
    code = main(
        ["runs", "--data", str(data_dir), "--surveys", str(surveys_dir), "--as", "ada", "--open", "health-check"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("coptui: could not save") and "No space left on device" in err and "Traceback" not in err


# -- 4. the order of system calls ---------------------------------------------------------------


def test_4_syscall_order_temp_beside_target_made_private(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = seeded(data_dir)
    path = store.run_path("alpha")
    os.chmod(path, 0o644)  # as an older coptui wrote it
    faulty = FaultyOS()
    monkeypatch.setattr(files_module, "os", faulty)
    with store.run_tx("alpha") as tx:
        tx.insert("responses", "new", {"answers": {"q": 5}})
    monkeypatch.setattr(files_module, "os", os)

    names = [name for name, _ in faulty.calls]
    opened = [args for name, args in faulty.calls if name == "open"]
    temp = Path(opened[0][0])
    assert temp.parent == path.parent and temp.name.startswith(TEMP_PREFIX)
    fsyncs = [i for i, name in enumerate(names) if name == "fsync"]
    first_write, replace = names.index("write"), names.index("replace")
    assert faulty.calls[replace][1] == (temp, path)
    assert first_write < fsyncs[0] < replace < fsyncs[1], names
    assert Path(opened[1][0]) == path.parent  # the second fsync is the folder's
    assert path.stat().st_mode & 0o777 == 0o600
    assert not temp.exists()


def test_4_run_file_is_written_before_the_index(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = seeded(data_dir)
    faulty = FaultyOS()
    monkeypatch.setattr(files_module, "os", faulty)
    store.write_run_record("alpha", {"id": "alpha", "state": "closed"})
    monkeypatch.setattr(files_module, "os", os)
    targets = [args[1].name for name, args in faulty.calls if name == "replace"]
    # Mark the run pending in the index, write its file, then copy its record into the index.
    assert targets == [INDEX_FILE, "alpha.json", INDEX_FILE]


# -- the Tx API's own promises ------------------------------------------------------------------


def test_put_replaces_a_record_whole_and_insert_refuses_a_taken_key(data_dir: Path) -> None:
    store = Store(data_dir)
    with store.run_tx("r") as tx:
        tx.put("t", "k", {"a": 1, "b": 2})
    with store.run_tx("r") as tx:
        tx.put("t", "k", {"a": 3})
        with pytest.raises(KeyError):
            tx.insert("t", "k", {"a": 4})
    assert store.read_run("r").get("t", "k") == {"a": 3}


def test_records_are_copied_on_the_way_in(data_dir: Path) -> None:
    store = Store(data_dir)
    record = {"answers": {"q": 1}}
    with store.run_tx("r") as tx:
        tx.put("t", "k", record)
        record["answers"]["q"] = 99
    assert store.read_run("r").get("t", "k") == {"answers": {"q": 1}}


def test_files_sort_keys_so_order_tells_nothing(data_dir: Path) -> None:
    store = Store(data_dir)
    with store.run_tx("r") as tx:
        for key in ("zz", "aa", "mm"):
            tx.insert("responses", key, {"v": key})
    raw = store.run_path("r").read_bytes()
    assert raw.index(b'"aa"') < raw.index(b'"mm"') < raw.index(b'"zz"')
    assert orjson.loads(raw)["_meta"] == {"schema": SCHEMA_VERSION}


def test_changes_are_published_after_the_write_only(data_dir: Path) -> None:
    store = Store(data_dir)
    heard: list[tuple[str, str | None, bool]] = []
    store.subscribe(lambda change: heard.append((change.area, change.run_id, store.run_path("r").exists())))
    with store.run_tx("r") as tx:
        tx.get("t", "nothing")  # a read-only transaction writes nothing and says nothing
    with store.run_tx("r") as tx:
        tx.insert("t", "k", {})
    assert heard == [("run", "r", True)]


# -- 9. start-up with leftovers -------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_9_stray_temps_and_an_old_lock_file(data_dir: Path) -> None:
    seeded(data_dir)
    before = {p.name: p.read_bytes() for p in (data_dir / "runs").glob("*.json")}
    dead = _dead_pid()
    stray_index = data_dir / f"{TEMP_PREFIX}{INDEX_FILE}.{dead}.1"
    stray_run = data_dir / "runs" / f"{TEMP_PREFIX}alpha.json.{dead}.7"
    stray_index.write_bytes(b'{"_meta": {"schema": 1}, "runs": {"half')
    stray_run.write_bytes(b"")
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as live:
        try:
            # A live writer's temp is not ours to delete (it may be about to rename it).
            busy = data_dir / "runs" / f"{TEMP_PREFIX}beta.json.{live.pid}.3"
            busy.write_bytes(b"{}")
            (data_dir / ".lock").write_text("left by a coptui that was killed\n")
            store = Store(data_dir, lock_timeout=2)
            assert not stray_index.exists() and not stray_run.exists()
            assert busy.exists()
        finally:
            live.kill()
    assert {p.name: p.read_bytes() for p in (data_dir / "runs").glob("*.json")} == before
    assert set(store.run_records()) == {"alpha", "beta"}
    with store.run_tx("alpha") as tx:  # the old lock file does not block anyone
        tx.insert("responses", "after", {"answers": {}})
    assert store.problems == []


# -- 10. a crash between the run file and the index -------------------------------------------


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs (BaseException skips `except Exception`)."""


def _crash_when(monkeypatch: pytest.MonkeyPatch, should_crash) -> None:
    real = storage_module.atomic_write

    def atomic_write(path: Path, payload: bytes, **kwargs: Any) -> None:
        if should_crash(path, orjson.loads(payload)):
            raise Crash(path)
        real(path, payload, **kwargs)

    monkeypatch.setattr(storage_module, "atomic_write", atomic_write)


def test_10_crash_after_run_file_before_index_is_repaired_at_start(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = seeded(data_dir)
    for run_id, record in (("alpha", {"id": "alpha", "state": "closed"}), ("gamma", {"id": "gamma", "state": "open"})):
        # The index write that would copy the record in (and clear the mark) never happens.
        _crash_when(
            monkeypatch,
            lambda path, data, run_id=run_id: path.name == INDEX_FILE and run_id not in data.get(PENDING_TABLE, {}),
        )
        with pytest.raises(Crash):
            store.write_run_record(run_id, record)
    monkeypatch.undo()
    index = orjson.loads((data_dir / INDEX_FILE).read_bytes())
    assert index[RUNS_TABLE]["alpha"]["state"] == "open" and "gamma" not in index[RUNS_TABLE]
    assert set(index[PENDING_TABLE]) == {"alpha", "gamma"}

    restarted = Store(data_dir)
    records = restarted.run_records()
    assert records["alpha"] == {"id": "alpha", "state": "closed"}
    assert records["gamma"] == {"id": "gamma", "state": "open"}
    assert restarted.read_index().all(PENDING_TABLE) == {}
    assert restarted.problems == []


def test_10_crash_after_the_mark_before_the_run_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = seeded(data_dir)
    _crash_when(monkeypatch, lambda path, data: path.parent.name == "runs")
    with pytest.raises(Crash):
        store.write_run_record("alpha", {"id": "alpha", "state": "closed"})
    with pytest.raises(Crash):
        store.write_run_record("gamma", {"id": "gamma", "state": "open"})
    monkeypatch.undo()

    restarted = Store(data_dir)
    # Neither write was acknowledged: the index agrees with the run files as they are.
    assert restarted.run_records() == {
        "alpha": {"id": "alpha", "state": "open"},
        "beta": {"id": "beta", "state": "open"},
    }
    assert restarted.read_index().all(PENDING_TABLE) == {}
    assert not restarted.run_exists("gamma")


def test_10_crash_inside_close_run_keeps_run_file_and_index_in_step(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = workspace.runs
    run = runs.open_run("health-check", by="ada", today=date(2026, 11, 2))
    _crash_when(monkeypatch, lambda path, data: path.name == INDEX_FILE and run.id not in data.get(PENDING_TABLE, {}))
    with pytest.raises(Crash):
        runs.close_run(run.id, by="ada", today=date(2026, 11, 20))
    monkeypatch.undo()
    record = workspace.store.read_run(run.id).get(RUN_META_TABLE, RUN_META_KEY)
    assert record is not None and record["state"] == "closed"
    reopened = Workspace.open(workspace.data_dir, workspace.surveys_dir)
    assert [r.state for r in reopened.runs.list_runs()] == ["closed"]


def test_10_index_rebuilt_when_missing_and_missing_run_files_reported(data_dir: Path) -> None:
    seeded(data_dir)
    (data_dir / INDEX_FILE).unlink()
    store = Store(data_dir)
    assert set(store.run_records()) == {"alpha", "beta"}
    assert (data_dir / INDEX_FILE).exists()
    (data_dir / INDEX_FILE).unlink()  # while this store is open
    assert set(store.run_records()) == {"alpha", "beta"}
    assert (data_dir / INDEX_FILE).exists()

    store.run_path("beta").unlink()  # someone deleted a run file by hand
    restarted = Store(data_dir)
    assert set(restarted.run_records()) == {"alpha"}
    assert [p.path.name for p in restarted.problems] == ["beta.json"]
    assert "in the index but its file is missing" in str(restarted.problems[0])
    assert "beta" in orjson.loads((data_dir / INDEX_FILE).read_bytes())[RUNS_TABLE]  # kept as evidence


# -- 11. schema versions ------------------------------------------------------------------------


def test_11_newer_file_is_refused_untouched_and_the_rest_opens(data_dir: Path) -> None:
    seeded(data_dir)
    newer = data_dir / "runs" / "alpha.json"
    payload = orjson.dumps({"_meta": {"schema": SCHEMA_VERSION + 1}, "responses": {"x": {"shape": "unknown"}}})
    newer.write_bytes(payload)
    store = Store(data_dir)
    with pytest.raises(UnreadableFileError, match=r"newer coptui .*upgrade coptui"):
        store.read_run("alpha")
    with pytest.raises(UnreadableFileError), store.run_tx("alpha") as tx:
        tx.put("responses", "y", {})
    with pytest.raises(UnreadableFileError):
        store.write_run_record("alpha", {"id": "alpha", "state": "closed"})
    assert newer.read_bytes() == payload
    assert not (data_dir / QUARANTINE_DIR).exists()  # not damaged: nothing to keep aside
    assert [p.path for p in store.problems] == [newer]
    assert store.read_run("beta").count("responses") == 3
    with store.run_tx("beta") as tx:
        tx.insert("responses", "more", {})


def test_11_plain_tinydb_file_is_read_and_migrated_atomically_on_next_write(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinydb import TinyDB  # the test may use TinyDB to make a file as TinyDB itself writes it

    (data_dir / "runs").mkdir(parents=True)
    legacy = data_dir / "runs" / "old.json"
    with TinyDB(legacy) as db:
        db.table("responses").insert({"answers": {"q": 4}})
    assert "_meta" not in orjson.loads(legacy.read_bytes())
    store = Store(data_dir)
    assert store.read_run("old").get("responses", "1") == {"answers": {"q": 4}}

    faulty = FaultyOS()
    monkeypatch.setattr(files_module, "os", faulty)
    with store.run_tx("old") as tx:
        tx.insert("responses", "abc", {"answers": {"q": 2}})
    temp = next(Path(args[0]) for name, args in faulty.calls if name == "open")
    assert ("replace", (temp, legacy)) in faulty.calls
    data = orjson.loads(legacy.read_bytes())
    assert data["_meta"] == {"schema": SCHEMA_VERSION}
    assert data["responses"] == {"1": {"answers": {"q": 4}}, "abc": {"answers": {"q": 2}}}


# -- 12. damaged files ------------------------------------------------------------------------------

VALID = orjson.dumps({"_meta": {"schema": 1}, "responses": {"a": {"answers": {"q": 1}}}})
DAMAGE = {
    "empty": (b"", "is empty"),
    "half": (VALID[: len(VALID) // 2], "is not valid JSON"),
    "extra-data": (VALID + b'{"responses": {}}', "is not valid JSON"),
    "not-an-object": (b"[1, 2]", "does not hold a JSON object"),
    "bad-table": (b'{"_meta": {"schema": 1}, "responses": 3}', "table 'responses' is not a JSON object"),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_12_damaged_run_file_refused_kept_aside_never_emptied(data_dir: Path, kind: str) -> None:
    seeded(data_dir)
    damaged, reason = DAMAGE[kind]
    path = data_dir / "runs" / "alpha.json"
    path.write_bytes(damaged)
    store = Store(data_dir)
    with pytest.raises(UnreadableFileError, match=reason) as caught:
        store.read_run("alpha")
    assert "left untouched" in str(caught.value) and str(path) in str(caught.value)
    for _attempt in range(2):  # refused again and again, never replaced by an empty file
        with pytest.raises(UnreadableFileError), store.run_tx("alpha") as tx:
            tx.put("responses", "b", {"answers": {}})
    assert path.read_bytes() == damaged
    copies = list((data_dir / QUARANTINE_DIR).iterdir())
    assert [c.read_bytes() for c in copies] == [damaged]
    assert [str(p) for p in store.problems] == [str(caught.value)]
    # The rest of the folder opens and takes writes.
    assert store.read_run("beta").count("responses") == 3
    with store.run_tx("beta") as tx:
        tx.insert("responses", "more", {})
    assert set(store.run_records()) == {"alpha", "beta"}


def test_12_damaged_file_first_met_in_a_transaction_is_quarantined(data_dir: Path) -> None:
    store = seeded(data_dir)
    path = store.run_path("alpha")
    path.write_bytes(b'{"_meta": {"sch')
    with pytest.raises(UnreadableFileError), store.run_tx("alpha") as tx:
        tx.insert("responses", "b", {})
    assert path.read_bytes() == b'{"_meta": {"sch'
    assert len(list((data_dir / QUARANTINE_DIR).iterdir())) == 1
    assert [p.path for p in store.problems] == [path]


def test_12_damaged_index_is_left_alone_and_runs_come_from_their_files(data_dir: Path, surveys_dir: Path) -> None:
    workspace = Workspace.open(data_dir, surveys_dir)
    runs = workspace.runs
    first = runs.open_run("health-check", by="ada", today=date(2026, 10, 1))
    answers = {q.id: "same" if q.id.endswith("_trend") else 2 for q in first.survey().questions if q.id != "notes"}
    runs.submit_response(first.id, "chen", answers)
    runs.close_run(first.id, by="ada", today=date(2026, 10, 10))
    index = data_dir / INDEX_FILE
    damaged = index.read_bytes()[:-40]
    index.write_bytes(damaged)

    reopened = Workspace.open(data_dir, surveys_dir)
    assert any("index.json" in p and "not valid JSON" in p for p in reopened.problems)
    service = reopened.runs
    assert [r.id for r in service.list_runs()] == [first.id]
    summary = service.summary(service.get(first.id))
    assert summary is not None and summary["responses"] == 1  # recomputed from the run file
    second = service.open_run("health-check", by="ada", today=date(2026, 11, 2))
    assert [r.id for r in service.list_runs()] == [first.id, second.id]
    service.close_run(second.id, by="ada", today=date(2026, 11, 3))
    assert index.read_bytes() == damaged
    assert [c.read_bytes() for c in (data_dir / QUARANTINE_DIR).iterdir()] == [damaged]
    with pytest.raises(UnreadableFileError), reopened.store.index_tx() as tx:
        tx.put("anything", "k", {})
    # Another process sees the same list, since it too reads the run files.
    assert [r.id for r in Workspace.open(data_dir, surveys_dir).runs.list_runs()] == [first.id, second.id]

    # The admin moves the damaged index away: the next look rebuilds it from the run files.
    index.unlink()
    assert [r.id for r in service.list_runs()] == [first.id, second.id]
    assert index.exists() and reopened.store.problems == []
    assert set(orjson.loads(index.read_bytes())[RUNS_TABLE]) == {first.id, second.id}


def test_12_restored_file_is_read_again(data_dir: Path) -> None:
    store = seeded(data_dir)
    path = store.run_path("alpha")
    good = path.read_bytes()
    path.write_bytes(b"")
    with pytest.raises(UnreadableFileError):
        store.read_run("alpha")
    path.write_bytes(good)  # restored from a backup
    assert store.read_run("alpha").count("responses") == 3
    assert store.problems == []


def test_12_damaged_actions_file_is_reported_at_start(data_dir: Path) -> None:
    store = seeded(data_dir)
    with store.actions_tx() as tx:
        tx.insert("actions", "a1", {"text": "write it down"})
    store.actions_path.write_bytes(b'{"_meta": {"schema": 1}, "actions": {"a1": {"te')
    restarted = Store(data_dir)
    assert [p.path.name for p in restarted.problems] == ["actions.json"]
    with pytest.raises(UnreadableFileError):
        restarted.read_actions()
    assert restarted.read_run("alpha").count("responses") == 3


def test_workspace_problems_name_the_file_and_what_to_do(data_dir: Path, surveys_dir: Path) -> None:
    Workspace.open(data_dir, surveys_dir)
    (data_dir / "runs" / "x.json").write_bytes(b"{")
    problems = Workspace.open(data_dir, surveys_dir).problems
    assert problems == [
        f"{data_dir / 'runs' / 'x.json'}: is not valid JSON (unexpected end of data: line 1 column 2 (char 1)); "
        f"it was left untouched (a copy is in {QUARANTINE_DIR}/)"
    ]


def test_run_ids_that_could_leave_the_folder_are_rejected(data_dir: Path) -> None:
    store = Store(data_dir)
    for bad in ("../escape", "Upper", "", "a/b"):
        with pytest.raises(StoreError, match="not a valid run id"):
            store.run_path(bad)


# -- TinyDB, through the store's extension points --------------------------------------------------


def test_tinydb_sees_the_records_the_store_wrote(data_dir: Path) -> None:
    from tinydb import Query  # the test reads the file with TinyDB's own queries

    store = Store(data_dir)
    with store.run_tx("r") as tx:
        tx.insert("t", "b", {"v": 2})
        tx.insert("t", "a", {"v": 1, "gone": True})
        tx.put("t", "a", {"v": 1})
    on_disk = storage_module.AtomicJSONStorage
    db = storage_module.RecordDB(store.run_path("r"), storage=on_disk)
    # Ids are the writer's strings, not TinyDB's counter; a put replaced the record whole.
    # (TinyDB annotates ids as int, whatever document_id_class makes them: hence the object.)
    stored: dict[object, dict[str, Any]] = {document.doc_id: dict(document) for document in db.table("t").all()}
    assert stored == {"a": {"v": 1}, "b": {"v": 2}}
    # No query cache, even for a table asked for with one: a search after a write sees it.
    for table in (
        db.table("t"),
        storage_module.RecordDB(store.run_path("r"), storage=on_disk).table("t", cache_size=30),
    ):
        found: list[object] = [document.doc_id for document in table.search(Query().v == 2)]
        assert found == ["b"]
        with store.run_tx("r") as tx:
            tx.put("t", "b", {"v": 3})
        assert table.search(Query().v == 2) == []
        with store.run_tx("r") as tx:
            tx.put("t", "b", {"v": 2})


def _declared(shape: Any) -> list[Any]:
    """The TypedDicts a table's records may be (a union lists several)."""
    return list(typing.get_args(shape)) or [shape]


def _matches(record: dict[str, Any], shapes: list[Any]) -> bool:
    return any(
        shape.__required_keys__ <= set(record) <= shape.__required_keys__ | shape.__optional_keys__ for shape in shapes
    )


def test_records_written_by_coptui_have_the_shapes_of_tables_py(demo_workspace: Workspace) -> None:
    """Every table in a demo folder (surveys, retros, feedback, actions) is declared in tables.py,
    and each record has the keys of one of the shapes declared for it."""
    from coptui.store import tables

    open_survey = next(r for r in demo_workspace.runs.list_runs(kind="survey", state="open"))
    drafter = next(
        m.handle
        for m in demo_workspace.community.members
        if m.handle not in demo_workspace.store.read_run(open_survey.id).all(tables.PARTICIPANTS)
    )
    demo_workspace.runs.save_draft(open_survey.id, drafter, {}, position=1)
    store = demo_workspace.store
    files = {
        tables.IndexFile: [store.index_path],
        tables.ActionsFile: [store.actions_path],
        tables.RunFile: [store.run_path(run_id) for run_id in store.run_ids_on_disk()],
        tables.DraftsFile: sorted((store.data_dir / DRAFTS_DIR).glob("*.json")),
    }
    seen: set[str] = set()
    for file_shape, paths in files.items():
        declared = typing.get_type_hints(file_shape)
        for path in paths:
            for name, records in orjson.loads(path.read_bytes()).items():
                assert name in declared, f"{path.name}: table {name!r} is not declared in tables.py"
                if name == tables.META_KEY:
                    assert records == {"schema": SCHEMA_VERSION}
                    continue
                shapes = _declared(typing.get_args(declared[name])[1])
                for key, record in records.items():
                    assert _matches(record, shapes), f"{path.name}: {name}/{key} has keys {sorted(record)}"
                seen.add(name)
    assert {tables.RESPONSES, tables.PARTICIPANTS, tables.DRAFTS, tables.RETRO_CARDS, tables.FEEDBACK} <= seen
