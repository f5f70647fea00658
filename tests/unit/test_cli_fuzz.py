"""Hostile text in any argument of any command: one line and exit 1 (2 for a wrong command line),
never a traceback, and whatever is printed holds no control or bidi character."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coptui.cli.main import main
from coptui.core.definitions import default_surveys_dir
from coptui.core.workspace import Workspace
from tests.support.hostile import FORBIDDEN
from tests.support.surveys import OPENED, write_every_type

# Text with what breaks things drawn often: controls, escapes, bidi, separators, lone
# surrogates (what non-UTF-8 argv bytes become), markup, '=' and ','.
TRICKS = st.sampled_from(
    ["\x00", "\x1b[2J", "\x9b", "\u202e", "\u2066", "\u2028", "\udce9", "\ud800", "[bold]", "=", ",", "\n", "-", " "]
)
HOSTILE_TEXT = st.lists(st.one_of(TRICKS, st.characters()), max_size=12).map("".join)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("fuzz")
    surveys, data = root / "surveys", root / "data"
    shutil.copytree(default_surveys_dir(), surveys)
    write_every_type(surveys)
    run = Workspace.open(data, surveys).runs.open_run("every-type", by="ada", today=OPENED)
    return surveys, data, run.id


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def run(folders: tuple[Path, Path, str], *argv: str) -> None:
    surveys, data, _ = folders
    with captured() as (out, err):
        try:
            code = main([*argv, "--data", str(data), "--surveys", str(surveys)])
        except SystemExit as exit:  # argparse refusing the command line
            code = exit.code if isinstance(exit.code, int) else 2
    printed, errors = out.getvalue(), err.getvalue()
    assert code in (0, 1, 2), (argv, code, errors)
    assert "Traceback" not in errors
    if code == 1:
        assert errors and all(line.startswith(("coptui: ", "  ")) for line in errors.splitlines()), errors
    for text in (printed, errors):
        # Tabs and line breaks are the output's own; everything else was cleaned.
        assert not FORBIDDEN.search(re.sub("[\t\n]", " ", text)), (argv, text)
        text.encode("utf-8")  # no lone surrogate reached the terminal


@settings(max_examples=60)
@given(text=HOSTILE_TEXT, where=st.sampled_from(["run", "member", "answer", "value"]))
def test_answer_never_tracebacks(folders: tuple[Path, Path, str], text: str, where: str) -> None:
    run_id = folders[2]
    argv = {
        "run": ["answer", text or "x", "--as", "chen", "mood=4"],
        "member": ["answer", run_id, "--as", text or "x", "mood=4"],
        "answer": ["answer", run_id, "--as", "chen", text or "x"],
        "value": ["answer", run_id, "--as", "dana", f"notes={text}", f"topics={text}", f"mood={text}"],
    }[where]
    run(folders, *argv)


@settings(max_examples=60)
@given(text=HOSTILE_TEXT, command=st.sampled_from(["open", "close", "export", "report", "as", "validate"]))
def test_other_commands_never_traceback(folders: tuple[Path, Path, str], text: str, command: str) -> None:
    value = text or "x"
    argv = {
        "open": ["runs", "--open", value, "--as", "ada"],
        "close": ["runs", "--close", value, "--as", "ada"],
        "export": ["export", value],
        "report": ["report", "--objective", value, "--width", "60"],
        "as": ["report", "--as", value, "--width", "60"],
        "validate": ["validate", value],
    }[command]
    if command == "validate":
        argv = argv[:2]  # validate takes no --data or --surveys: it reads the paths it is given
        with captured() as (out, err):
            try:
                code = main(argv)
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 2
        assert code in (1, 2) and "Traceback" not in err.getvalue()
        for text in (out.getvalue(), err.getvalue()):
            assert not FORBIDDEN.search(re.sub("[\t\n]", " ", text)), text
        return
    run(folders, *argv)


@settings(max_examples=30)
@given(key=HOSTILE_TEXT, value=HOSTILE_TEXT)
def test_validate_quotes_a_hostile_file_cleaned(tmp_path_factory: pytest.TempPathFactory, key: str, value: str) -> None:
    folder = tmp_path_factory.mktemp("validate")
    # A survey with a hostile key (misspelled, so quoted back) and a hostile title, in a file
    # whose name is hostile too.
    name = re.sub(r"[/\x00\ud800-\udfff]", "", f"s{key}") + ".toml"
    body = f'id = "s"\nkind = "survey"\ntitle = {json.dumps(value)}\n{json.dumps(key or "k")} = 1\n'
    (folder / name).write_text(body, encoding="utf-8")  # JSON's escapes are ASCII; TOML may refuse some
    with captured() as (out, err):
        code = main(["validate", str(folder)])
    assert code in (0, 1) and "Traceback" not in err.getvalue()
    for text in (out.getvalue(), err.getvalue()):
        assert not FORBIDDEN.search(re.sub("[\t\n]", " ", text)), text


@settings(max_examples=40)
@given(data=st.binary(max_size=40) | HOSTILE_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_answers_on_stdin_never_traceback(folders: tuple[Path, Path, str], data: bytes) -> None:
    stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    try:
        run(folders, "answer", folders[2], "--as", "emeka", "-")
    finally:
        sys.stdin = stdin
