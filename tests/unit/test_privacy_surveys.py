"""Each anonymity rule, and a test that tries to get around it and finds nothing.

Rules (docs/privacy.md): thresholds frozen at opening; no live results; storage that
links nothing to a member; free text in an order unrelated to submission; no anonymous run
in a community smaller than the threshold; one gate for the screen and the export.
"""

from __future__ import annotations

import json
import os
import uuid
from argparse import Namespace
from datetime import date
from pathlib import Path

import orjson
import pytest

from coptui.core.results import run_results, text_order
from coptui.core.run import DRAFTS, PARTICIPANTS, RESPONSES, RunError
from coptui.core.workspace import Workspace
from coptui.exports.run import export_run
from tests.support.surveys import MEMBERS, OPENED, full_answers, open_every_type, write_every_type

CLOSED = date(2026, 11, 20)


def _secret_answers(handle: str, **overrides) -> dict:
    return full_answers(notes=f"note written by {handle}", **overrides)


def _everything_exported(workspace: Workspace, run) -> str:
    return "\n".join(export_run(workspace, run, fmt, None) for fmt in ("md", "csv", "json"))


# -- no live results ------------------------------------------------------------------------------


def test_an_open_anonymous_run_shows_nothing_of_its_answers(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    for handle in MEMBERS:  # everyone answered: far over the threshold, yet still open
        workspace.runs.submit_response(run.id, handle, _secret_answers(handle, mood=5))
    results = run_results(workspace.store, workspace.runs.get(run.id))
    assert not results.released and results.questions == []
    assert results.responses == 8 and "when it is closed" in (results.withheld or "")
    exported = _everything_exported(workspace, workspace.runs.get(run.id))
    assert "note written by" not in exported
    assert '"questions": []' in exported and "mood" not in exported
    # the summary used by trends is not written for open runs either
    assert workspace.runs.summary(workspace.runs.get(run.id)) is None


def test_a_closed_run_one_response_short_shows_only_how_many_were_needed(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=5)
    for handle in MEMBERS[:4]:
        workspace.runs.submit_response(run.id, handle, _secret_answers(handle))
    closed = workspace.runs.close_run(run.id, by="ada", today=CLOSED)
    results = run_results(workspace.store, closed)
    assert not results.released and results.questions == [] and results.needed == 1
    assert "4 of the 5 needed (1 more was needed)" in (results.withheld or "")
    exported = _everything_exported(workspace, closed)
    assert "note written by" not in exported and "mood" not in exported
    summary = workspace.runs.summary(closed)
    assert summary is not None and summary["released"] is False and summary["questions"] == {}


def test_lowering_the_threshold_in_the_toml_after_opening_changes_nothing(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=5, min_text=6)
    for handle in MEMBERS[:4]:
        workspace.runs.submit_response(run.id, handle, _secret_answers(handle))
    # The host edits the definition down to the floor and restarts coptui.
    write_every_type(surveys_dir, anonymous=True, min_responses=3, min_text=3)
    reopened = Workspace.open(data_dir, surveys_dir)
    closed = reopened.runs.close_run(run.id, by="ada", today=CLOSED)
    assert (closed.min_responses, closed.min_text_responses) == (5, 6)
    assert not run_results(reopened.store, closed).released
    assert "note written by" not in _everything_exported(reopened, closed)


def test_written_answers_wait_for_their_own_threshold(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3, min_text=5)
    for handle in MEMBERS[:4]:
        workspace.runs.submit_response(run.id, handle, _secret_answers(handle))
    closed = workspace.runs.close_run(run.id, by="ada", today=CLOSED)
    results = run_results(workspace.store, closed)
    assert results.released
    notes = next(item for item in results.questions if item.question.id == "notes")
    assert notes.texts == [] and "from 5 responses on; this run has 4" in (notes.texts_withheld or "")
    assert "note written by" not in _everything_exported(workspace, closed)


# -- free text order ----------------------------------------------------------------------------------


def test_free_text_order_is_unrelated_to_submission(surveys_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    orders = []
    for attempt, handles in enumerate((MEMBERS[:6], list(reversed(MEMBERS[:6])), MEMBERS[2:6] + MEMBERS[:2])):
        workspace, run = open_every_type(surveys_dir, tmp_path / f"data-{attempt}", anonymous=True, min_responses=3)
        for handle in handles:
            workspace.runs.submit_response(run.id, handle, _secret_answers(handle))
        closed = workspace.runs.close_run(run.id, by="ada", today=CLOSED)
        notes = next(item for item in run_results(workspace.store, closed).questions if item.question.id == "notes")
        assert notes.authors == []  # never who wrote it
        orders.append(notes.texts)
    assert orders[0] == orders[1] == orders[2]  # the same texts come out the same way, whoever answered first
    assert orders[0] == sorted(orders[0], key=text_order)
    assert orders[0] != [f"note written by {h}" for h in MEMBERS[:6]]


# -- small communities -----------------------------------------------------------------------------------


def test_no_anonymous_run_in_a_community_smaller_than_the_threshold(surveys_dir: Path, data_dir: Path) -> None:
    write_every_type(surveys_dir, anonymous=True, min_responses=9)
    workspace = Workspace.open(data_dir, surveys_dir)
    with pytest.raises(RunError, match="only 8 members, so nobody's answer could stay anonymous"):
        workspace.runs.open_run("every-type", by="ada", today=OPENED)


# -- storage: read every file of the data folder ------------------------------------------------------


def _all_files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_nothing_in_the_data_folder_links_an_answer_to_a_member(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    order = ["hana", "chen", "gus", "ada", "emeka"]
    before = _all_files(data_dir)
    stamps = {path: os.stat(path).st_mtime_ns for path in before}
    for index, handle in enumerate(order):
        workspace.runs.save_draft(run.id, handle, {"mood": 1}, position=1)
        workspace.runs.submit_response(run.id, handle, _secret_answers(handle, mood=index + 1))
    after = _all_files(data_dir)
    run_file = workspace.store.run_path(run.id)

    # File times: submissions touched only the run's own file, which holds every response
    # alike; no file (nor its time) belongs to one response.
    assert set(after) == set(before)
    changed = {path for path in after if os.stat(path).st_mtime_ns != stamps[path]}
    assert changed == {run_file}

    # Every other file says nothing of the answers.
    for path, raw in after.items():
        if path != run_file:
            assert b"note written by" not in raw, path

    tables = orjson.loads(after[run_file])
    responses, participants = tables[RESPONSES], tables[PARTICIPANTS]
    assert tables.get(DRAFTS, {}) == {}  # drafts of an anonymous run go on submit
    assert sorted(participants) == sorted(order)
    assert all(record == {"answered": True} for record in participants.values())  # nothing to join on
    for response_id, record in responses.items():
        assert uuid.UUID(hex=response_id).version == 4  # random: follows no order
        assert list(record) == ["answers", "date", "na"]  # field order: sorted, the same for all
        assert record["date"] == OPENED.isoformat()  # no time finer than the run's date
        serialised = json.dumps(record)
        # The note text names its author (that is the test's marker); nothing else in the record does.
        assert not any(handle in serialised.replace(record["answers"]["notes"], "") for handle in MEMBERS)

    # Record order in the file is the order of the random ids, not the order of submission.
    text = after[run_file].decode()
    positions = sorted(responses, key=text.index)
    assert positions == sorted(responses)
    submitted = [f"note written by {h}" for h in order]
    in_file = [responses[rid]["answers"]["notes"] for rid in positions]
    assert sorted(in_file) == sorted(submitted)


def test_participation_is_shown_but_never_who(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    for handle in MEMBERS[:3]:
        workspace.runs.submit_response(run.id, handle, _secret_answers(handle))
    closed = workspace.runs.close_run(run.id, by="ada", today=CLOSED)
    results = run_results(workspace.store, closed)
    assert (results.responses, results.members) == (3, 8)
    text = _everything_exported(workspace, closed)
    for handle in MEMBERS:
        assert f'"{handle}"' not in text and f",{handle}," not in text


# -- one gate ------------------------------------------------------------------------------------------------


def test_export_goes_through_the_gate(surveys_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import coptui.exports.run

    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    calls = []
    real = coptui.exports.run.run_results

    def spy(store, run_arg, snapshot=None):
        calls.append(run_arg.id)
        return real(store, run_arg, snapshot)

    monkeypatch.setattr(coptui.exports.run, "run_results", spy)
    for fmt in ("md", "csv", "json"):
        export_run(workspace, run, fmt, None)
    assert calls == [run.id] * 3


def test_export_command_refuses_to_leak_an_open_anonymous_run(
    surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from coptui.cli.commands import run_export

    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    for handle in MEMBERS[:6]:
        workspace.runs.submit_response(run.id, handle, _secret_answers(handle))
    args = Namespace(data=data_dir, surveys=surveys_dir, member=None, run_id=run.id, format="csv", output=None)
    assert run_export(args) == 0
    out = capsys.readouterr().out
    assert "withheld" in out and "note written by" not in out and "mood" not in out


# -- thresholds that `coptui validate` refuses ----------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("min_responses = 2", "min_responses 2 is too low for an anonymous survey; allowed: 3 or more"),
        ("min_responses = 5\nmin_text_responses = 4", "min_text_responses 4 is below min_responses 5"),
        ("allow_edit = true", "allow_edit is not allowed on an anonymous survey"),
    ],
)
def test_validate_refuses_weak_anonymity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: str, message: str
) -> None:
    from coptui.cli.main import main

    path = tmp_path / "weak.toml"
    path.write_text(
        f'id = "weak"\nkind = "survey"\ntitle = "Weak"\nanonymous = true\n{settings}\n\n'
        '[[questions]]\nid = "q"\ntype = "likert"\ntext = "Q?"\n',
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 1
    assert message in capsys.readouterr().out


def test_defaults_are_five_and_five(surveys_dir: Path, data_dir: Path) -> None:
    (surveys_dir / "plain.toml").write_text(
        'id = "plain"\nkind = "survey"\ntitle = "Plain"\nanonymous = true\n\n[[questions]]\nid = "q"\ntype = "likert"\ntext = "Q?"\n',
        encoding="utf-8",
    )
    run = Workspace.open(data_dir, surveys_dir).runs.open_run("plain", by="ada", today=OPENED)
    assert (run.min_responses, run.min_text_responses) == (5, 5)


def test_only_the_gate_reads_the_responses_table() -> None:
    """No module but runs (which writes responses) and results (the gate) touches the table.

    A screen, an export, a report or a trend that read responses itself would be a path
    around the rules; this keeps every later one honest.
    """
    import ast

    import coptui

    package = Path(coptui.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name in ("runs.py", "results.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            imports_table = isinstance(node, ast.ImportFrom) and any(alias.name == "RESPONSES" for alias in node.names)
            calls_table = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                # not .get: summaries are dicts with a "responses" count
                and node.func.attr in ("all", "count", "insert", "put", "delete")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == RESPONSES
            )
            if (imports_table or calls_table) and isinstance(node, ast.ImportFrom | ast.Call):
                offenders.append(f"{path.relative_to(package)}:{node.lineno}")
    assert offenders == []
