"""A stray or damaged file never blocks the rest (issue 15), tried on a copy of the demo folder.

Each case leaves something unusual in the data folder and then runs the real ``coptui runs``
in a child process (a FIFO or an endless device would hang an in-process test, so the
child's bound is what turns a hang into a failure): every other run is still listed, one
warning line names the file, and there is no traceback. Then the store's own promises: a
damaged file is never overwritten, is kept aside once per version and never through a
symlink, and a file holding another run is refused.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coptui.core.run import Run
from coptui.core.workspace import Workspace
from coptui.store import shapes
from coptui.store.errors import LockUnavailableError, UnreadableFileError
from coptui.store.layout import INDEX_FILE, LOCK_FILE, QUARANTINE_DIR, RUNS_DIR
from coptui.store.store import Store
from coptui.store.tables import META_KEY, RUN_META_KEY, RUN_META_TABLE, RUNS_TABLE, SUMMARIES

# The open survey of the demo history (seeded at DEMO_TODAY) and a closed one.
OPEN_SURVEY = "cop-pulse-2026-11-02"
CLOSED_SURVEY = "cop-pulse-2026-10-01"


def coptui_runs(data_dir: Path, surveys_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coptui", "--data", str(data_dir), "--surveys", str(surveys_dir), "runs"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )


def listed(output: str) -> set[str]:
    return {line.split()[0] for line in output.splitlines()[1:] if line.strip()}


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


def _open_run(data_dir: Path) -> Path:
    return data_dir / RUNS_DIR / f"{OPEN_SURVEY}.json"


def _set_field(field: str, value: Any) -> Callable[[Path], None]:
    def damage(data_dir: Path) -> None:
        _edit(_open_run(data_dir), lambda d: d[RUN_META_TABLE][RUN_META_KEY].__setitem__(field, value))

    return damage


def _drop_field(field: str) -> Callable[[Path], None]:
    def damage(data_dir: Path) -> None:
        _edit(_open_run(data_dir), lambda d: d[RUN_META_TABLE][RUN_META_KEY].pop(field))

    return damage


def _index(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda data_dir: _edit(data_dir / INDEX_FILE, change)


def _first_summary_is(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(index: dict[str, Any]) -> None:
        index[SUMMARIES][next(iter(index[SUMMARIES]))] = value

    return change


def _copy_open_run_as(name: str) -> Callable[[Path], None]:
    def damage(data_dir: Path) -> None:
        shutil.copy(_open_run(data_dir), data_dir / RUNS_DIR / name)

    return damage


def _runs_entry(name: str, make: Callable[[Path], None]) -> Callable[[Path], None]:
    return lambda data_dir: make(data_dir / RUNS_DIR / name)


def _replace_index(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def damage(data_dir: Path) -> None:
        (data_dir / INDEX_FILE).unlink()
        make(data_dir / INDEX_FILE)

    return damage


def _write_open_run(payload: bytes) -> Callable[[Path], None]:
    def damage(data_dir: Path) -> None:
        _open_run(data_dir).write_bytes(payload)

    return damage


def _truncate_open_run(data_dir: Path) -> None:
    path = _open_run(data_dir)
    path.write_bytes(path.read_bytes()[:100])


def _newer_open_run(data_dir: Path) -> None:
    _edit(_open_run(data_dir), lambda d: d.__setitem__(META_KEY, {"schema": 99}))


def _wrong_responses(data_dir: Path) -> None:
    _edit(_open_run(data_dir), lambda d: d.__setitem__("responses", {"x": 5}))


def _bad_index_key(index: dict[str, Any]) -> None:
    index[RUNS_TABLE]["Not A Run Id"] = index[RUNS_TABLE][OPEN_SURVEY]


# name -> (what to do to the folder, the file the warning must name, the run left out if any)
CASES: dict[str, tuple[Callable[[Path], None], str, str | None]] = {
    "a copy": (_copy_open_run_as(f"{OPEN_SURVEY} (copy).json"), f"{OPEN_SURVEY} (copy).json", None),
    "Backup.json": (_copy_open_run_as("Backup.json"), "Backup.json", None),
    "an editor's lock": (
        _runs_entry(f".#{OPEN_SURVEY}.json", lambda p: p.symlink_to("ada@host.1234:1700000000")),
        f".#{OPEN_SURVEY}.json",
        None,
    ),
    "a folder": (_runs_entry("x.json", lambda p: p.mkdir()), "x.json", None),
    "a FIFO": (_runs_entry("y.json", lambda p: os.mkfifo(p)), "y.json", None),
    "a self-link": (_runs_entry("z.json", lambda p: p.symlink_to(p.name)), "z.json", None),
    "a link to an endless device": (_runs_entry("w.json", lambda p: p.symlink_to("/dev/zero")), "w.json", None),
    "index.json a folder": (_replace_index(lambda p: p.mkdir()), INDEX_FILE, None),
    "index.json a FIFO": (_replace_index(lambda p: os.mkfifo(p)), INDEX_FILE, None),
    "truncated": (_truncate_open_run, f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "empty": (_write_open_run(b""), f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "not UTF-8": (_write_open_run(b'{"\xff\xfe": 1}'), f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "newer schema": (_newer_open_run, f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "a missing field": (_drop_field("title"), f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "a text for a number": (_set_field("members", "eight"), f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "true for a number": (_set_field("min_responses", True), f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "an unknown kind": (_set_field("kind", "poll"), f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "not a date": (_set_field("opened_on", "last tuesday"), f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "responses of the wrong type": (_wrong_responses, f"{OPEN_SURVEY}.json", OPEN_SURVEY),
    "an index entry that is a number": (
        _index(lambda i: i[RUNS_TABLE].__setitem__(OPEN_SURVEY, 5)),
        INDEX_FILE,
        None,
    ),
    "a bad summary": (_index(_first_summary_is([1])), INDEX_FILE, None),
    "a summary missing its counts": (_index(_first_summary_is({"responses": 3})), INDEX_FILE, None),
    "an index key that is not a run id": (_index(_bad_index_key), INDEX_FILE, None),
    "a backup x.bak.json": (_copy_open_run_as(f"{OPEN_SURVEY}.bak.json"), f"{OPEN_SURVEY}.bak.json", None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_stray_or_damaged_file_leaves_every_other_run_listed(
    case: str, demo_data_dir: Path, surveys_dir: Path
) -> None:
    expected = listed(coptui_runs(demo_data_dir, surveys_dir).stdout)
    assert OPEN_SURVEY in expected and CLOSED_SURVEY in expected
    damage, named, left_out = CASES[case]
    damage(demo_data_dir)
    result = coptui_runs(demo_data_dir, surveys_dir)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert listed(result.stdout) == expected - {left_out}
    warnings = [line for line in result.stderr.splitlines() if named in line]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith("warning: ")
    assert len(result.stderr.splitlines()) == 1, result.stderr  # nothing else to say


@pytest.mark.parametrize(
    "case", ["truncated", "a missing field", "responses of the wrong type", "a bad summary", "a backup x.bak.json"]
)
def test_a_damaged_file_is_refused_kept_aside_once_and_never_overwritten(case: str, demo_data_dir: Path) -> None:
    damage, named, _ = CASES[case]
    damage(demo_data_dir)
    path = demo_data_dir / (named if named == INDEX_FILE else f"{RUNS_DIR}/{named}")
    damaged = path.read_bytes()
    for _start in range(3):  # three starts (a cron job): one copy of the one damaged version
        store = Store(demo_data_dir)
        if named == INDEX_FILE:  # a refused index is served from the run files meanwhile
            assert store.is_refused(path) and OPEN_SURVEY in store.run_records()
        else:
            with pytest.raises(UnreadableFileError, match="left untouched"):
                store.read_run(path.stem)
        with pytest.raises(UnreadableFileError):
            tx_for = store.index_tx() if named == INDEX_FILE else store.run_tx(path.stem)
            with tx_for as tx:
                tx.put("drafts", "ada", {"answers": {}, "na": [], "position": 0})
        assert path.read_bytes() == damaged
    copies = sorted((demo_data_dir / QUARANTINE_DIR).iterdir())
    assert [c.read_bytes() for c in copies] == [damaged]
    assert copies[0].stat().st_mode & 0o077 == 0  # a copy of private answers stays private
    # Another damaged version is another copy.
    path.write_bytes(damaged[:-1])
    store = Store(demo_data_dir)
    assert store.is_refused(path) if named == INDEX_FILE else not store.run_file_readable(path.stem)
    assert len(list((demo_data_dir / QUARANTINE_DIR).iterdir())) == 2


def test_a_symlink_to_a_file_outside_is_never_copied_into_quarantine(demo_data_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_bytes(b"{not json, but private")
    (demo_data_dir / RUNS_DIR / "leak.json").symlink_to(secret)
    index = demo_data_dir / INDEX_FILE
    index.unlink()
    index.symlink_to(secret)
    store = Store(demo_data_dir)
    # The runs are listed from their own files meanwhile (the link among them is refused).
    assert OPEN_SURVEY in store.run_records() and "leak" not in store.run_records()
    assert any("leak.json" in str(p) and "symbolic link" in str(p) for p in store.problems)
    assert any(f"{INDEX_FILE}: is a symbolic link" in str(p) for p in store.problems)
    quarantine = demo_data_dir / QUARANTINE_DIR
    assert not quarantine.exists() or all(b"private" not in c.read_bytes() for c in quarantine.iterdir())


def test_a_run_file_holding_another_run_takes_no_answer_and_releases_nothing(
    demo_workspace: Workspace,
) -> None:
    runs = demo_workspace.runs
    shutil.copy(demo_workspace.store.run_path(OPEN_SURVEY), demo_workspace.store.run_path(f"{OPEN_SURVEY}.bak"))
    before = demo_workspace.store.run_path(OPEN_SURVEY).read_bytes()
    assert [r.id for r in runs.list_runs(check_files=True)].count(OPEN_SURVEY) == 1
    with pytest.raises(UnreadableFileError, match="a copy of another run's file"):
        runs.close_run(f"{OPEN_SURVEY}.bak", by="ada")
    with pytest.raises(UnreadableFileError):
        runs.submit_response(f"{OPEN_SURVEY}.bak", "hana", {"domain": 4})
    assert demo_workspace.store.run_path(OPEN_SURVEY).read_bytes() == before
    assert runs.get(OPEN_SURVEY).is_open


def test_a_lock_file_that_is_a_folder_is_one_line_and_reads_go_on(demo_workspace: Workspace) -> None:
    lock = demo_workspace.data_dir / LOCK_FILE
    if lock.exists():
        lock.unlink()
    lock.mkdir()
    runs = demo_workspace.runs
    assert OPEN_SURVEY in {r.id for r in runs.list_runs()}
    with pytest.raises(
        LockUnavailableError, match=r"cannot write to .*: its lock file .lock cannot be used \(it is a folder\)"
    ):
        runs.save_draft(OPEN_SURVEY, "hana", {"domain": 4})


def test_runs_that_is_a_file_is_one_line(demo_data_dir: Path, surveys_dir: Path) -> None:
    shutil.rmtree(demo_data_dir / RUNS_DIR)
    (demo_data_dir / RUNS_DIR).write_text("")
    result = coptui_runs(demo_data_dir, surveys_dir)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"warning: {demo_data_dir / RUNS_DIR}: is not a folder; no run can be read or kept until it is moved away "
        "(coptui then makes an empty runs/)"
    ]


def test_a_bigger_file_than_coptui_ever_writes_is_not_read(
    demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coptui.store.safe_read as safe_read

    monkeypatch.setattr(safe_read, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(safe_read.read_file, "__kwdefaults__", {"limit": 1000})
    store = Store(demo_data_dir)
    with pytest.raises(UnreadableFileError, match="larger than"):
        store.read_run(OPEN_SURVEY)
    assert not (demo_data_dir / QUARANTINE_DIR).exists()  # not damaged: nothing copied


# -- the shape check and the run model agree -------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def demo_run_record(_seeded_demo: Path) -> dict[str, Any]:
    data = orjson.loads((_seeded_demo / RUNS_DIR / f"{OPEN_SURVEY}.json").read_bytes())
    record: dict[str, Any] = data[RUN_META_TABLE][RUN_META_KEY]
    return record


@given(
    field=st.sampled_from([*sorted(Run.model_fields), "extra"]), value=JSON | st.just("2026-01-02"), drop=st.booleans()
)
def test_a_run_record_the_shape_check_passes_is_one_the_run_model_reads(
    demo_run_record: dict[str, Any], field: str, value: Any, drop: bool
) -> None:
    """Whatever one field becomes (or if it goes), either the check refuses the file in words or
    the ``Run`` model reads the record: no record gets past the check only to make the model
    fail later. (The frozen definition inside is the model's to check: see the test below.)"""
    record = copy.deepcopy(demo_run_record)
    if drop:
        record.pop(field, None)
    else:
        record[field] = value
    problem = shapes.run_file_problem({RUN_META_TABLE: {RUN_META_KEY: record}}, OPEN_SURVEY)
    if problem is None:
        Run.model_validate(record)
    else:
        assert isinstance(problem, str) and len(problem) < 300


def test_every_file_of_the_demo_passes_the_shape_check(demo_workspace: Workspace) -> None:
    store = demo_workspace.store
    assert store.problems == []
    for run_id in store.run_ids_on_disk():
        assert store.run_file_readable(run_id)
    store.read_index()
    store.read_actions()
    assert store.problems == []


def test_a_damaged_frozen_definition_is_one_line(demo_workspace: Workspace) -> None:
    from coptui.core.run import RunError

    path = demo_workspace.store.run_path(OPEN_SURVEY)
    _edit(path, lambda d: d[RUN_META_TABLE][RUN_META_KEY].__setitem__("definition", {"kind": "survey"}))
    with pytest.raises(RunError, match=f"run {OPEN_SURVEY}: the definition frozen in its file is damaged"):
        demo_workspace.runs.get(OPEN_SURVEY).survey()
