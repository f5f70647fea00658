"""Drafts: kept apart from what was sent, checked like answers, gone once sent or closed."""

from __future__ import annotations

import errno
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from coptui.core import feedback as fb
from coptui.core.run import NA, AnswerError
from coptui.core.workspace import Workspace
from coptui.store.errors import StoreWriteError
from coptui.store.layout import DRAFTS_DIR, Change, change_for, drafts_path, path_for
from coptui.store.tables import DRAFTS, PARTICIPANTS
from tests.support.surveys import full_answers, open_every_type

DAY = date(2026, 11, 2)


def _json_files(data_dir: Path) -> dict[Path, Any]:
    files = {}
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and not path.is_symlink():
            try:
                files[path] = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError:
                files[path] = None  # the lock, a cache: looked at as bytes below
    return files


def _where(data_dir: Path, needle: str) -> list[str]:
    """Every place ``needle`` appears in the folder: file/table/key for JSON, the file otherwise."""
    found = []
    for path, data in _json_files(data_dir).items():
        name = str(path.relative_to(data_dir))
        if name.startswith("cache/"):
            continue  # the community itself: every member's name, with nothing of any run
        if isinstance(data, dict):
            for table, records in data.items():
                if isinstance(records, dict):
                    for key, record in records.items():
                        if needle in key or needle in json.dumps(record):
                            found.append(f"{name}/{table}/{key}")
        elif needle.encode() in path.read_bytes():
            found.append(name)
    return found


def test_a_draft_is_kept_apart_from_the_responses_and_gone_after_the_submit(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    runs = workspace.runs
    runs.save_draft(run.id, "hana", {"mood": 2, "notes": "unsent words of hana"}, position=6)
    runs.save_draft(run.id, "chen", {"mood": 5, "notes": "unsent words of chen"}, position=3)
    run_file = orjson.loads(workspace.store.run_path(run.id).read_bytes())
    assert run_file.get(DRAFTS, {}) == {}  # the file of the responses holds no name next to answers
    assert _where(data_dir, "unsent words of hana") == [f"{DRAFTS_DIR}/{run.id}.json/{DRAFTS}/hana"]
    assert runs.status_for(run, "hana").status == "draft"

    runs.submit_response(run.id, "hana", full_answers(notes="sent words"))
    # No draft of hana survives, in any file; her name is left only where participation is counted.
    assert _where(data_dir, "unsent words of hana") == []
    assert _where(data_dir, "hana") == [f"runs/{run.id}.json/{PARTICIPANTS}/hana"]
    assert runs.load_draft(run.id, "hana") is None
    assert runs.status_for(run, "hana").status == "answered"
    # chen's draft is untouched.
    assert runs.load_draft(run.id, "chen") == ({"mood": 5, "notes": "unsent words of chen"}, 3)

    runs.submit_response(run.id, "chen", full_answers())
    # The last draft takes its file with it: nothing says that anyone had one.
    assert not drafts_path(data_dir, run.id).exists()
    assert _where(data_dir, "chen") == [f"runs/{run.id}.json/{PARTICIPANTS}/chen"]


def test_closing_a_run_removes_its_drafts(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    workspace.runs.save_draft(run.id, "gus", {"notes": "never sent"}, position=7)
    workspace.runs.close_run(run.id, by="ada", today=DAY)
    assert not drafts_path(data_dir, run.id).exists()
    assert _where(data_dir, "never sent") == []


def test_a_discarded_draft_is_gone(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "gus", {"notes": "second thoughts"}, position=7)
    workspace.runs.discard_draft(run.id, "gus")
    assert _where(data_dir, "second thoughts") == []
    assert workspace.runs.status_for(run, "gus").status == "to do"


def test_a_draft_left_in_the_run_file_by_an_older_coptui_moves_out(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    with workspace.store.run_tx(run.id) as tx:  # where drafts used to be kept
        tx.put(DRAFTS, "dana", {"answers": {"mood": 3}, "na": ["topics"], "position": 2})
    runs = workspace.runs
    assert runs.status_for(run, "dana").status == "draft"
    assert runs.load_draft(run.id, "dana") == ({"mood": 3, "topics": NA}, 2)
    runs.save_draft(run.id, "dana", {"mood": 4}, position=3)
    assert orjson.loads(workspace.store.run_path(run.id).read_bytes()).get(DRAFTS) == {}
    assert runs.load_draft(run.id, "dana") == ({"mood": 4}, 3)
    with workspace.store.run_tx(run.id) as tx:
        tx.put(DRAFTS, "emeka", {"answers": {"notes": "old words"}, "na": [], "position": 7})
    runs.submit_response(run.id, "emeka", full_answers())
    assert _where(data_dir, "old words") == []


def test_a_damaged_drafts_file_costs_a_draft_never_an_answer(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "farah", {"mood": 2}, position=1)
    drafts_path(data_dir, run.id).write_bytes(b"{ torn")
    workspace = Workspace.open(data_dir, surveys_dir)
    assert workspace.runs.load_draft(run.id, "farah") is None
    assert any(str(drafts_path(data_dir, run.id)) in str(p) for p in workspace.store.problems)
    workspace.runs.submit_response(run.id, "farah", full_answers())
    assert workspace.runs.status_for(run, "farah").status == "answered"
    assert drafts_path(data_dir, run.id).read_bytes() == b"{ torn"  # refused, never overwritten


@pytest.mark.parametrize(
    ("answers", "position", "problem"),
    [
        ({"mood": 9}, 1, "mood = 9 is out of range; allowed: 1 to 5"),
        ({"mood": "4"}, 1, "mood takes a whole number from 1 to 5, not '4'"),
        ({"nope": 1}, 1, "'nope' is not a question of every-type; allowed: mood, value, recommend"),
        ({"notes": "x" * 10_001}, 1, "notes is too long (10,001 characters; allowed: 10,000)"),
        ({"format": "picnic"}, 1, "format = 'picnic' is not an option"),
        ({"value": NA}, 1, "value has no 'not applicable' answer; give a value"),
        ({"mood": 3}, 99, "a draft's position is a question's number, 0 to 8, not 99"),
    ],
)
def test_a_draft_is_checked_like_an_answer(
    surveys_dir: Path, data_dir: Path, answers: dict[str, Any], position: int, problem: str
) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    with pytest.raises(AnswerError) as caught:
        workspace.runs.save_draft(run.id, "gus", answers, position=position)
    assert len(caught.value.lines()) == 1 and caught.value.lines()[0].startswith(problem)
    assert workspace.runs.load_draft(run.id, "gus") is None
    assert not drafts_path(data_dir, run.id).exists()


def test_a_draft_may_be_partial(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    # Required questions unanswered, an answer a condition now hides (why), an empty text: all fine.
    workspace.runs.save_draft(run.id, "gus", {"recommend": 9, "why": "kept", "notes": "", "topics": NA}, position=4)
    assert workspace.runs.load_draft(run.id, "gus") == ({"recommend": 9, "why": "kept", "notes": "", "topics": NA}, 4)


def test_feedback_drafts_are_kept_apart_and_gone_after_the_submit(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "all", today=DAY)
    fb.save_draft(workspace, run.id, "chen", "dana", {"situation": "unsent to dana"}, today=DAY)
    fb.save_draft(workspace, run.id, "chen", "emeka", {"situation": "unsent to emeka"}, today=DAY)
    data_dir = workspace.data_dir
    assert orjson.loads(workspace.store.run_path(run.id).read_bytes()).get(DRAFTS, {}) == {}
    assert _where(data_dir, "unsent to dana") == [f"{DRAFTS_DIR}/{run.id}.json/{DRAFTS}/chen>dana"]
    assert [r.status for r in fb.giver_round(workspace, run.id, "chen", DAY).recipients if r.handle == "dana"] == [
        "draft"
    ]
    fb.submit(workspace, run.id, "chen", "dana", {"situation": "sent", "behaviour": "b", "impact": "i"}, today=DAY)
    assert _where(data_dir, "unsent to dana") == []
    assert _where(data_dir, "chen>dana") == []
    assert fb.load_draft(workspace, run.id, "chen", "emeka") == {"situation": "unsent to emeka"}


def test_a_drafts_file_is_a_change_of_its_own() -> None:
    data_dir = Path("/data")
    change = change_for(data_dir, data_dir / DRAFTS_DIR / "pulse-2026-11-02.json")
    assert change == Change("drafts", "pulse-2026-11-02")
    assert path_for(data_dir, change) == drafts_path(data_dir, "pulse-2026-11-02")


def test_drafts_that_cannot_be_removed_at_the_close_say_the_run_is_closed(
    surveys_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "gus", {"mood": 2}, position=1)
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.parent.name == DRAFTS_DIR:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(self))
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(StoreWriteError) as caught:
        workspace.runs.close_run(run.id, by="ada", today=DAY)
    monkeypatch.undo()
    assert str(caught.value) == (
        f"run {run.id} is closed, but its drafts could not be removed (Operation not permitted); "
        f"delete {drafts_path(data_dir, run.id)} by hand"
    )
    assert workspace.runs.get(run.id).state == "closed"
