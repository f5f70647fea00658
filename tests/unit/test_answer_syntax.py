"""`coptui answer`: options that hold a comma, answers from stdin, bytes that are not UTF-8."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coptui.cli.main import main
from coptui.core.run import NA
from coptui.core.workspace import Workspace

COMMAS = """
id = "commas"
kind = "survey"
title = "Commas"

[[questions]]
id = "topics"
type = "multi"
text = "Which topics?"
options = ["Ops, and more", "ci", "a,b", "a", "b"]
na = "None of these"

[[questions]]
id = "format"
type = "single"
text = "Which format?"
options = ["meetup, in person", "online"]

[[questions]]
id = "notes"
type = "text"
text = "Anything else?"
"""


@pytest.fixture
def run_id(surveys_dir: Path, data_dir: Path) -> str:
    (surveys_dir / "commas.toml").write_text(COMMAS, encoding="utf-8")
    return Workspace.open(data_dir, surveys_dir).runs.open_run("commas", by="ada").id


def answer(surveys_dir: Path, data_dir: Path, run_id: str, *items: str) -> int:
    return main(["answer", run_id, "--as", "chen", "--data", str(data_dir), "--surveys", str(surveys_dir), *items])


def stored(surveys_dir: Path, data_dir: Path, run_id: str) -> dict[str, object] | None:
    return Workspace.open(data_dir, surveys_dir).runs.own_response(run_id, "chen")


@pytest.mark.parametrize(
    ("items", "topics"),
    [
        (["topics=ci"], ["ci"]),
        (["topics=ci,a"], ["ci", "a"]),  # today's syntax
        (["topics=Ops, and more"], ["Ops, and more"]),  # the whole value is one option
        (["topics=a,b"], ["a,b"]),  # ... even when its parts are options too
        (["topics=a", "topics=b"], ["a", "b"]),  # repeated: each time one option
        (["topics=Ops, and more", "topics=ci,a"], ["Ops, and more", "ci", "a"]),  # or a list
        (["topics= a,b ", "topics=b"], ["a,b", "b"]),
        (["topics=", "topics=ci"], ["ci"]),
    ],
)
def test_a_multi_question_may_be_repeated(
    surveys_dir: Path, data_dir: Path, run_id: str, items: list[str], topics: list[str]
) -> None:
    assert answer(surveys_dir, data_dir, run_id, *items, "format=meetup, in person") == 0
    response = stored(surveys_dir, data_dir, run_id)
    assert response is not None and response["topics"] == topics and response["format"] == "meetup, in person"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            ["topics=Ops, and more, ci"],
            "topics: 'Ops', 'and more' not an option; an option that holds a comma is given alone, and topics= "
            "repeated for each other option (topics='Ops, and more' topics=...); allowed: 'Ops, and more', 'ci',",
        ),
        (["topics=na", "topics=ci"], "topics: 'None of these' cannot be chosen with other options"),
        (["topics=ci", "topics=None of these"], "topics: 'None of these' cannot be chosen with other options"),
        (["topics=ci", "topics=ci"], "topics: an option is chosen twice"),
        (["format=online", "format=online"], "format is given twice; give each question once"),
        (["notes=a", "notes=b"], "notes is given twice; give each question once"),
    ],
)
def test_repeating_has_its_rules(
    surveys_dir: Path,
    data_dir: Path,
    run_id: str,
    capsys: pytest.CaptureFixture[str],
    items: list[str],
    message: str,
) -> None:
    assert answer(surveys_dir, data_dir, run_id, *items) == 1
    err = capsys.readouterr().err
    assert message in err and err.startswith("coptui: ") and "Traceback" not in err
    assert stored(surveys_dir, data_dir, run_id) is None


def test_na_alone_still_means_not_applicable(surveys_dir: Path, data_dir: Path, run_id: str) -> None:
    assert answer(surveys_dir, data_dir, run_id, "topics=na") == 0
    response = stored(surveys_dir, data_dir, run_id)
    assert response is not None and response["topics"] is NA


def test_the_help_documents_the_syntax(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["answer", "--help"])
    help_text = capsys.readouterr().out
    assert 'topics="Ops, and more" topics=ci' in help_text
    assert "topics=ci topics=iac" in help_text and "- reads more" in help_text


# -- text that is not UTF-8 ----------------------------------------------------------------------


def test_argv_bytes_that_are_not_utf8_are_refused_in_one_line(
    surveys_dir: Path, data_dir: Path, run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # What Python makes of `notes=caf\xe9` (Latin-1) in argv under a UTF-8 locale.
    item = os.fsdecode(b"notes=caf\xe9 au lait")
    assert answer(surveys_dir, data_dir, run_id, item, "topics=ci") == 1
    err = capsys.readouterr().err
    assert err == (
        "coptui: 'notes' is not UTF-8 text (0xE9 at character 10); give answers in UTF-8 "
        "(check the terminal's or the script's encoding)\n"
    )
    assert stored(surveys_dir, data_dir, run_id) is None


def test_argv_bytes_that_are_not_utf8_from_a_real_process(surveys_dir: Path, data_dir: Path, run_id: str) -> None:
    argv = [sys.executable, "-m", "coptui", "answer", run_id, "--as", "chen", "--data", str(data_dir)]
    argv += ["--surveys", str(surveys_dir), b"notes=caf\xe9", "topics=\xff".encode("latin-1")]  # type: ignore[list-item]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "LC_ALL": "C.UTF-8"}
    result = subprocess.run(argv, capture_output=True, env=env, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.decode("utf-8").splitlines()
    assert lines == [
        "coptui: 'notes' is not UTF-8 text (0xE9 at character 10); give answers in UTF-8 "
        "(check the terminal's or the script's encoding)",
        "coptui: 'topics' is not UTF-8 text (0xFF at character 8); give answers in UTF-8 "
        "(check the terminal's or the script's encoding)",
    ]


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="ascii"))


def test_answers_from_stdin(surveys_dir: Path, data_dir: Path, run_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Read as UTF-8 whatever the locale says (here: ASCII), blank lines and CRLF ends skipped.
    feed_stdin(monkeypatch, "notes=caf\u00e9, and more\r\n\ntopics=Ops, and more\n".encode())
    assert answer(surveys_dir, data_dir, run_id, "topics=ci", "-") == 0
    response = stored(surveys_dir, data_dir, run_id)
    assert response is not None
    assert response["notes"] == "caf\u00e9, and more" and response["topics"] == ["ci", "Ops, and more"]


def test_stdin_that_is_not_utf8_is_refused_in_one_line(
    surveys_dir: Path, data_dir: Path, run_id: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, b"topics=ci\nnotes=caf\xe9\n")
    assert answer(surveys_dir, data_dir, run_id, "-") == 1
    assert capsys.readouterr().err == (
        "coptui: the answers on stdin are not UTF-8 text (byte 0xE9 on line 2); convert them to UTF-8 (iconv -t UTF-8)\n"
    )
    assert stored(surveys_dir, data_dir, run_id) is None


def test_stdin_is_read_once(
    surveys_dir: Path, data_dir: Path, run_id: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, b"topics=ci\n")
    assert answer(surveys_dir, data_dir, run_id, "-", "notes=x", "-") == 1
    assert capsys.readouterr().err == "coptui: give - once: stdin is read once\n"
