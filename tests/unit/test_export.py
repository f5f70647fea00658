"""`coptui export`: the gated results as Markdown, CSV and JSON; retros and feedback through their modules."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from coptui.cli.main import main
from coptui.core.run import NA
from coptui.text import markdown_inline
from tests.support.surveys import full_answers, open_every_type

TRICKY = '=HYPERLINK("http://x") [bold]x[/] <b>|</b> *star* \x1b[31mred'


@pytest.fixture
def named_run(surveys_dir: Path, data_dir: Path):
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.submit_response(run.id, "ada", full_answers(mood=5, recommend=10, notes=TRICKY))
    workspace.runs.submit_response(run.id, "bruno", full_answers(mood=NA, recommend=2, why="too far", notes=None))
    return workspace, run


def export(surveys_dir: Path, data_dir: Path, run_id: str, fmt: str, *extra: str) -> int:
    return main(["export", run_id, "--format", fmt, "--data", str(data_dir), "--surveys", str(surveys_dir), *extra])


def test_json_export(surveys_dir: Path, data_dir: Path, named_run, capsys: pytest.CaptureFixture[str]) -> None:
    _, run = named_run
    assert export(surveys_dir, data_dir, run.id, "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"]["id"] == run.id and data["released"] is True
    assert data["participation"] == {"responses": 2, "members": 8, "rate": 0.25}
    questions = {q["id"]: q for q in data["questions"]}
    assert questions["mood"]["mean"] == 5 and questions["mood"]["not_applicable"] == 1
    assert questions["recommend"]["nps"] == {"score": 0.0, "promoters": 1, "passives": 0, "detractors": 1}
    assert questions["notes"]["texts"] == [TRICKY] and questions["notes"]["authors"] == ["ada"]
    assert questions["why"]["texts"] == ["too far"]


def test_csv_export_defuses_formulas(
    surveys_dir: Path, data_dir: Path, named_run, capsys: pytest.CaptureFixture[str]
) -> None:
    _, run = named_run
    assert export(surveys_dir, data_dir, run.id, "csv") == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["question", "type", "measure", "key", "value"]
    assert ["mood", "likert", "count", "5", "1"] in rows
    assert ["", "", "responses", "", "2"] in rows
    answer = next(row for row in rows if row[0] == "notes" and row[2] == "answer")
    assert answer[3] == "ada"
    assert answer[4].startswith("'=HYPERLINK")  # a spreadsheet shows it as text, never runs it
    assert "\x1b" not in answer[4]


def test_markdown_export_shows_user_text_literally(
    surveys_dir: Path, data_dir: Path, named_run, capsys: pytest.CaptureFixture[str]
) -> None:
    _, run = named_run
    assert export(surveys_dir, data_dir, run.id, "md") == 0
    out = capsys.readouterr().out
    assert out.startswith("# Every type\n")
    assert "- Participation: 2 of 8 members (25%)" in out
    assert "| 5 Strongly agree | 1 |" in out
    assert "NPS +0: 1 promoters, 0 passives, 1 detractors" in out
    assert markdown_inline(TRICKY) in out
    assert "\\[bold\\]x\\[/\\]" in out and "\\<b\\>\\|\\</b\\>" in out and "\\*star\\*" in out
    assert "\x1b" not in out


def test_export_to_a_file(
    surveys_dir: Path, data_dir: Path, named_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, run = named_run
    target = tmp_path / "out.json"
    assert export(surveys_dir, data_dir, run.id, "json", "--output", str(target)) == 0
    assert json.loads(target.read_text(encoding="utf-8"))["run"]["id"] == run.id
    assert capsys.readouterr().out == ""
    assert export(surveys_dir, data_dir, run.id, "json", "--output", str(tmp_path / "missing" / "x.json")) == 1
    assert "cannot write" in capsys.readouterr().err


def test_unknown_run(surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export(surveys_dir, data_dir, "nope", "md") == 1
    assert "there is no run 'nope'" in capsys.readouterr().err


def test_retro_exports_markdown_only(
    surveys_dir: Path, data_dir: Path, named_run, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, _ = named_run
    retro = next(d for d in workspace.definitions.definitions.values() if d.kind == "retro")
    run = workspace.runs.open_run(retro.id, by="ada")
    assert export(surveys_dir, data_dir, run.id, "csv") == 1
    assert "exports as Markdown only (use --format md)" in capsys.readouterr().err
    assert export(surveys_dir, data_dir, run.id, "md") == 0
    assert capsys.readouterr().out.startswith(f"# {retro.title}")


def test_feedback_export_is_the_members_own(
    surveys_dir: Path, data_dir: Path, named_run, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, _ = named_run
    form = next(d for d in workspace.definitions.definitions.values() if d.kind == "feedback")
    from coptui.core.feedback import start_round

    run = start_round(workspace, form.id, by="ada", pairing="all")
    assert export(surveys_dir, data_dir, run.id, "json", "--as", "chen") == 1
    assert "Markdown only" in capsys.readouterr().err
    assert export(surveys_dir, data_dir, run.id, "md", "--as", "chen") == 0
    assert capsys.readouterr().out.startswith("# Feedback for Chen Wei")
