"""`coptui report` on the seeded demo (DEMO_TODAY): the status table, charts and Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from coptui.cli.main import main

TABLE = [
    "STATUS   OBJECTIVE                              VALUE  TARGET  CHANGE   OVER",
    "met      Most members answer the monthly pulse  88%    ≥ 60%   +4 pts   last 3 runs",
    "at risk  Members find the community valuable    4.14   ≥ 4.10  +0.09    last 3 runs",
    "met      Members recommend the community        +52    ≥ +30   +7       last 3 runs",
    "missed   Retro actions get done                 50%    ≥ 70%   -21 pts  last 3 runs",
    "met      Retros are worth the time              3.94   ≥ 3.50  ±0       last 3 runs",
    "met      Feedback owed is given                 86%    ≥ 80%   +8 pts   last 3 runs",
]


def run_report(
    capsys: pytest.CaptureFixture[str], demo_data_dir: Path, surveys_dir: Path, *extra: str
) -> tuple[int, str, str]:
    code = main(["report", "--data", str(demo_data_dir), "--surveys", str(surveys_dir), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_report_table_and_charts(
    capsys: pytest.CaptureFixture[str], demo_data_dir: Path, surveys_dir: Path
) -> None:
    code, out, _ = run_report(capsys, demo_data_dir, surveys_dir, "--width", "100")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Objectives of Platform Engineering Guild"
    assert lines[2:9] == TABLE
    assert "\x1b" not in out  # stdout is not a terminal: no colour codes
    # One chart per objective, each with its title, target legend and the note below it.
    assert out.count("── target") == 6
    assert "Members recommend the community (NPS, target ≥ +30)" in out
    assert "NPS over 3 of the last 3 runs: +52; latest run alone: +43" in out
    assert "Dec 25" in out and "Oct 26" in out
    assert max(len(line) for line in lines) <= 100


def test_one_objective_at_a_narrow_width(
    capsys: pytest.CaptureFixture[str], demo_data_dir: Path, surveys_dir: Path
) -> None:
    code, out, _ = run_report(capsys, demo_data_dir, surveys_dir, "--objective", "satisfaction", "--width", "60")
    assert code == 0
    assert out.count("── target") == 1
    assert "Members recommend" not in out
    assert max(len(line) for line in out.splitlines()) <= 60


def test_markdown_summary(capsys: pytest.CaptureFixture[str], demo_data_dir: Path, surveys_dir: Path) -> None:
    code, out, _ = run_report(capsys, demo_data_dir, surveys_dir, "--format", "md", "--width", "80")
    assert code == 0
    assert out.startswith("# Objectives of Platform Engineering Guild\n\n6 objectives: 4 met, 1 at risk, 1 missed.\n")
    assert "| Status | Objective | Value | Target | Change | Over |" in out
    assert "| missed | Retro actions get done | 50% | ≥ 70% | -21 pts | last 3 runs |" in out
    assert "**Met with the latest run: Feedback owed is given** (86%, target ≥ 80%)." in out
    assert out.count("```text") == 6
    assert "## Members find the community valuable" in out
    assert "\x1b" not in out


def test_markdown_escapes_user_text_and_celebrates(
    capsys: pytest.CaptureFixture[str], demo_data_dir: Path, surveys_dir: Path
) -> None:
    path = surveys_dir / "community.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'title = "Most members answer the monthly pulse"', 'title = "Most | members *answer* \\u001b[31m"'
    )
    text = text.replace("target = 0.6\n", "target = 0.85\n", 1)
    path.write_text(text, encoding="utf-8")
    code, out, _ = run_report(capsys, demo_data_dir, surveys_dir, "--format", "md", "--objective", "participation")
    assert code == 0
    # The escape character is stripped, the rest is escaped so it cannot format or break the table.
    assert "| met | Most \\| members \\*answer\\* \\[31m | 88% |" in out
    assert "\x1b" not in out
    assert "**Met with the latest run: Most \\| members \\*answer\\* \\[31m** (88%, target ≥ 85%)." in out


def test_unknown_objective_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], demo_data_dir: Path, surveys_dir: Path
) -> None:
    code, out, err = run_report(capsys, demo_data_dir, surveys_dir, "--objective", "nope")
    assert code == 1 and out == ""
    assert (
        err.strip()
        == "coptui: there is no objective 'nope'; known: participation, satisfaction, nps, actions, roti, feedback"
    )


def test_empty_data_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path, surveys_dir: Path) -> None:
    code, out, _ = run_report(capsys, tmp_path / "empty", surveys_dir, "--width", "80")
    assert code == 0
    assert "no data  Members find the community valuable  –      ≥ 4.10" in out
    assert "No data yet" in out


def test_colour_only_on_a_terminal_without_no_color(
    capsys, monkeypatch, demo_data_dir: Path, surveys_dir: Path
) -> None:
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _, out, _ = run_report(capsys, demo_data_dir, surveys_dir, "--objective", "nps", "--width", "80")
    assert "\x1b[" in out
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _, plain, _ = run_report(capsys, demo_data_dir, surveys_dir, "--objective", "nps", "--width", "80")
    assert "\x1b" not in plain
