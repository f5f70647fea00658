"""`coptui runs` and `coptui answer`: scripts get the same rules as the screen, and clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from coptui.cli.main import main
from coptui.core.run import NA
from coptui.core.workspace import Workspace
from tests.support.surveys import open_every_type, write_every_type


@pytest.fixture
def run_id(surveys_dir: Path, data_dir: Path) -> str:
    _, run = open_every_type(surveys_dir, data_dir)
    return run.id


def answer(surveys_dir: Path, data_dir: Path, run_id: str, *items: str, member: str | None = "chen") -> int:
    argv = ["answer", run_id, "--data", str(data_dir), "--surveys", str(surveys_dir)]
    if member:
        argv += ["--as", member]
    return main(argv + list(items))


GOOD = ["mood=4", "value=3", "recommend=9", "topics=ci,iac", "format=meetup", "again=yes", "notes=fine"]


def test_answer_stores_a_typed_response(
    surveys_dir: Path, data_dir: Path, run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert answer(surveys_dir, data_dir, run_id, *GOOD) == 0
    assert "Thank you, Chen Wei" in capsys.readouterr().out
    own = Workspace.open(data_dir, surveys_dir).runs.own_response(run_id, "chen")
    assert own == {
        "mood": 4,
        "value": 3,
        "recommend": 9,
        "topics": ["ci", "iac"],
        "format": "meetup",
        "again": True,
        "notes": "fine",
        "why": NA,
    }


def test_answer_takes_na_and_skips(surveys_dir: Path, data_dir: Path, run_id: str) -> None:
    assert (
        answer(
            surveys_dir, data_dir, run_id, "mood=na", "topics=None of these", "again=no", "recommend=2", "why=too far"
        )
        == 0
    )
    own = Workspace.open(data_dir, surveys_dir).runs.own_response(run_id, "chen")
    assert own is not None
    assert own["mood"] is NA and own["topics"] is NA and own["again"] is False and own["why"] == "too far"
    assert own["value"] is NA  # skipped optional questions count as not applicable


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["nope=1", *GOOD], "'nope' is not a question of every-type; allowed: mood, value"),
        (["mood=7", *GOOD[1:]], "mood = 7 is out of range; allowed: 1 to 5"),
        (["mood=lots", *GOOD[1:]], "mood takes a whole number, not 'lots'"),
        (["recommend=11", *GOOD[:2], *GOOD[3:]], "recommend = 11 is out of range; allowed: 0 to 10"),
        (["value=na", *GOOD[:1], *GOOD[2:]], "value has no 'not applicable' answer"),
        (GOOD[1:], "mood is required (I enjoy the meetups.): give mood=VALUE, or mood=na if it does not apply"),
        ([*GOOD[:6]], None),
        (["why=because", *GOOD], "why is not asked here: its condition (recommend <= 6) is false"),
        (["format=online", *GOOD[:4], *GOOD[5:]], "'online' is not an option; allowed: meetup, office hours"),
        (["topics=ci,k8s", *GOOD[:3], *GOOD[4:]], "'k8s' not an option"),
        (["again=perhaps", *GOOD[:5], GOOD[6]], "again takes yes or no, not 'perhaps'"),
        (["mood", *GOOD[1:]], "'mood' is not QUESTION=VALUE"),
        (["mood=3", *GOOD], "mood is given twice"),
    ],
)
def test_answer_errors(
    surveys_dir: Path,
    data_dir: Path,
    run_id: str,
    capsys: pytest.CaptureFixture[str],
    items: list[str],
    message: str | None,
) -> None:
    code = answer(surveys_dir, data_dir, run_id, *items)
    err = capsys.readouterr().err
    if message is None:  # notes omitted: optional, so accepted
        assert code == 0
        return
    assert code == 1
    assert message in err
    assert err.startswith("coptui: ") and "Traceback" not in err
    assert Workspace.open(data_dir, surveys_dir).runs.response_count(run_id) == 0


def test_answer_unknown_run(surveys_dir: Path, data_dir: Path, run_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert answer(surveys_dir, data_dir, "no-such-run", *GOOD) == 1
    assert "there is no run 'no-such-run'" in capsys.readouterr().err


def test_answer_closed_run(surveys_dir: Path, data_dir: Path, run_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    Workspace.open(data_dir, surveys_dir).runs.close_run(run_id, by="ada", today=date(2026, 11, 9))
    assert answer(surveys_dir, data_dir, run_id, *GOOD) == 1
    assert f"run {run_id} is closed (since 2026-11-09); answers are no longer taken" in capsys.readouterr().err


def test_answer_second_submission(
    surveys_dir: Path, data_dir: Path, run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert answer(surveys_dir, data_dir, run_id, *GOOD) == 0
    assert answer(surveys_dir, data_dir, run_id, *GOOD) == 1
    assert "chen has already answered" in capsys.readouterr().err


def test_answer_needs_a_member(
    surveys_dir: Path, data_dir: Path, run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert answer(surveys_dir, data_dir, run_id, *GOOD, member=None) == 1
    assert "answer needs --as HANDLE" in capsys.readouterr().err
    assert answer(surveys_dir, data_dir, run_id, *GOOD, member="mallory") == 1
    assert "'mallory' is not a member" in capsys.readouterr().err


def test_answer_to_a_retro_is_refused(surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workspace = Workspace.open(data_dir, surveys_dir)
    retro = next(d for d in workspace.definitions.definitions.values() if d.kind == "retro")
    run = workspace.runs.open_run(retro.id, by="ada")
    assert answer(surveys_dir, data_dir, run.id, "x=1") == 1
    assert "is a retro, not a survey" in capsys.readouterr().err


def test_answer_keeps_markup_and_escapes(surveys_dir: Path, data_dir: Path, run_id: str) -> None:
    text = "[bold]x[/] \x1b[2J"
    assert answer(surveys_dir, data_dir, run_id, *GOOD[:-1], f"notes={text}") == 0
    own = Workspace.open(data_dir, surveys_dir).runs.own_response(run_id, "chen")
    assert own is not None and own["notes"] == text


def test_runs_open_prints_the_id_last_then_lists_and_closes(
    surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_every_type(surveys_dir)
    common = ["--data", str(data_dir), "--surveys", str(surveys_dir), "--as", "ada"]
    assert main(["runs", "--open", "every-type", *common]) == 0
    run_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert run_id.startswith("every-type-")
    assert answer(surveys_dir, data_dir, run_id, *GOOD) == 0
    capsys.readouterr()
    assert main(["runs", *common]) == 0
    listing = capsys.readouterr().out
    row = next(line for line in listing.splitlines() if line.startswith(run_id))
    assert row.split()[1:4] == ["every-type", "survey", "open"] and row.split()[-1] == "1"
    assert main(["runs", "--close", run_id, *common]) == 0
    assert f"Closed {run_id} with 1 responses." in capsys.readouterr().out


def test_runs_open_refuses_members_and_small_communities(
    surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_every_type(surveys_dir, anonymous=True, min_responses=20)
    base = ["--data", str(data_dir), "--surveys", str(surveys_dir)]
    assert main(["runs", "--open", "every-type", *base, "--as", "chen"]) == 1
    assert "only a facilitator" in capsys.readouterr().err
    assert main(["runs", "--open", "every-type", *base, "--as", "ada"]) == 1
    assert "only 8 members" in capsys.readouterr().err
