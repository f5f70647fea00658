"""The command line as a newcomer and a script use it: clear messages, exit codes, no tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coptui import __version__
from coptui.cli.main import main
from tests.support.demo import DEMO_TODAY
from tests.support.ssh import TmuxPane
from tests.support.waits import DEFAULT_TIMEOUT


def coptui(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coptui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def test_help_and_version() -> None:
    result = coptui("--help")
    assert result.returncode == 0
    for command in ("demo", "seed-demo", "validate", "runs", "answer", "serve", "report", "export"):
        assert command in result.stdout
    version = coptui("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"coptui {__version__}"


def test_validate_shipped_surveys_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert "all valid" in capsys.readouterr().out


def test_validate_reports_one_line_per_problem_and_exit_1(surveys_dir: Path) -> None:
    (surveys_dir / "broken.toml").write_text(
        'id = "b"\nkind = "survey"\ntitle = "B"\n[[questions]]\nid = "q"\ntype = "likert"\nscale = 40\ntext = "Q"\n'
    )
    (surveys_dir / "syntax.toml").write_text('id = "c"\nkind = "survey"\ntitle = "C\n')
    result = coptui("validate", str(surveys_dir))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{surveys_dir / 'broken.toml'}: questions[0].scale: scale 40 is out of range")
    assert lines[1].startswith(f"{surveys_dir / 'syntax.toml'}: TOML syntax error") and "line 3" in lines[1]
    assert "2 problems" in result.stderr


def test_validate_a_single_file_and_a_missing_one(surveys_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(surveys_dir / "cop-pulse.toml")]) == 0
    assert main(["validate", str(surveys_dir / "nope.toml")]) == 1
    assert "nope.toml: does not exist" in capsys.readouterr().out


def test_validate_checks_objectives_against_the_folder(surveys_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    community = surveys_dir / "community.toml"
    community.write_text(community.read_text().replace('question = "value"', 'question = "worth"'))
    assert main(["validate", str(community)]) == 1
    assert "objectives[1].question: 'worth' is not a question of cop-pulse" in capsys.readouterr().out


def test_runs_open_list_close(data_dir: Path, surveys_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--data", str(data_dir), "--surveys", str(surveys_dir)]
    assert main(["runs", *common]) == 0
    assert "No runs yet" in capsys.readouterr().out
    assert main(["runs", *common, "--as", "ada", "--open", "health-check", "--closes-on", "2099-12-31"]) == 0
    run_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert run_id.startswith("health-check-")
    assert (
        main(
            [
                "answer",
                run_id,
                *common,
                "--as",
                "chen",
                *[f"{q}=3" for q in ("mission", "learning", "fun", "support", "delivering")],
                *[f"{q}_trend=same" for q in ("mission", "learning", "fun", "support", "delivering")],
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["runs", *common]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["ID", "DEFINITION", "KIND", "STATE", "OPENED", "RESPONSES"]
    assert listing[1].split()[:4] == [run_id, "health-check", "survey", "open"] and listing[1].split()[-1] == "1"
    assert main(["runs", *common, "--as", "ada", "--close", run_id]) == 0
    assert "with 1 responses" in capsys.readouterr().out
    assert main(["runs", *common, "--as", "ada", "--close", run_id]) == 1
    assert "already closed" in capsys.readouterr().err


def test_only_facilitators_open_runs(data_dir: Path, surveys_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["runs", "--data", str(data_dir), "--surveys", str(surveys_dir), "--as", "hana", "--open", "cop-pulse"])
        == 1
    )
    assert "only a facilitator can open a run" in capsys.readouterr().err


def test_unknown_member_gets_a_clear_message(data_dir: Path, surveys_dir: Path) -> None:
    result = coptui(
        "--data", str(data_dir), "--surveys", str(surveys_dir), env={"USER": "mallory", "LOGNAME": "mallory"}
    )
    assert result.returncode == 1
    assert "'mallory' is not a member of Platform Engineering Guild" in result.stderr
    assert "--as HANDLE" in result.stderr and "Traceback" not in result.stderr


def test_broken_community_file_is_explained(data_dir: Path, surveys_dir: Path) -> None:
    (surveys_dir / "community.toml").write_text('name = "X"\n[[members]]\nhandle = "Bad Handle"\n')
    result = coptui("runs", "--data", str(data_dir), "--surveys", str(surveys_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "community.toml cannot be loaded" in result.stderr
    assert "members[0].handle" in result.stderr and "domain: is required but missing" in result.stderr


def test_seed_demo_writes_a_year_and_refuses_to_seed_twice(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed-demo", "--data", str(data_dir), "--today", DEMO_TODAY.isoformat()]) == 0
    assert "Seeded" in capsys.readouterr().out
    assert main(["runs", "--data", str(data_dir)]) == 0
    listing = capsys.readouterr().out
    assert listing.count("cop-pulse-") == 12
    assert "open" in listing
    assert main(["seed-demo", "--data", str(data_dir)]) == 1
    assert "already holds runs" in capsys.readouterr().err


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_coptui_demo_opens_in_a_real_terminal(tmp_path: Path) -> None:
    """The README's first command, as a newcomer types it: the app opens on the demo and quits with q."""
    session = f"coptui-demo-{os.getpid()}"
    data = tmp_path / "demo"
    command = f"{sys.executable} -m coptui demo --data {data}; echo EXIT=$?; sleep 30"
    # TmuxPane starts the app once the pane is 100x30 (else it may start at 80x24 and cut the header).
    pane = TmuxPane(session, command, width=100, height=30)
    try:
        screen = _wait_for(session, "Monthly CoP pulse", timeout=DEFAULT_TIMEOUT)
        assert "Platform Engineering Guild" in screen and "Ada Okafor (facilitator)" in screen
        pane.send_keys("q")
        screen = _wait_for(session, "EXIT=", timeout=DEFAULT_TIMEOUT)
        assert "EXIT=0" in screen
        assert f"coptui --data {data} --as ada" in screen
    finally:
        pane.kill()


def _wait_for(session: str, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        joined = ["tmux", "capture-pane", "-p", "-J", "-t", session]  # wrapped lines joined
        screen = subprocess.run(joined, capture_output=True, text=True, check=False).stdout
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear within {timeout} s; the screen was:\n{screen}")


def test_options_before_the_subcommand_count(
    data_dir: Path, surveys_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["--data", str(data_dir), "--surveys", str(surveys_dir), "--as", "ada", "runs", "--open", "health-check"])
        == 0
    )
    run_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert (data_dir / "runs" / f"{run_id}.json").exists()
    assert main(["runs", "--data", str(data_dir)]) == 0
    assert run_id in capsys.readouterr().out


def test_answer_problems_are_one_line_each(
    data_dir: Path, surveys_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--data", str(data_dir), "--surveys", str(surveys_dir)]
    assert main(["runs", *common, "--as", "ada", "--open", "health-check"]) == 0
    run_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["answer", run_id, *common, "--as", "chen", "mission=x", "nosuch=1"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "coptui: mission takes a whole number, not 'x'",
        "coptui: 'nosuch' is not a question of health-check; allowed: "
        "mission, mission_trend, learning, learning_trend, fun, fun_trend, support, support_trend, delivering, delivering_trend, notes",
    ]
