"""User text is data on every path out of coptui: exports, the report, CLI output.

Each path is fed the same hostile text (tests/support/hostile.py): bidi overrides and
isolates, ANSI and OSC escapes, 8-bit controls, Rich markup, Markdown that would break a
table, formulas. None of it may reach a terminal, drive it, or change how a file reads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coptui.cli.main import main
from coptui.core.workspace import Workspace
from coptui.exports import survey as survey_export
from coptui.text import BIDI_CONTROLS, json_safe, markdown_inline, one_line, strip_controls
from tests.support.hostile import (
    FORBIDDEN,
    HOSTILE,
    hostile_feedback,
    hostile_name,
    hostile_retro,
    hostile_survey,
    write_hostile_community,
)

BIDI = [
    "\u061c",
    "\u200e",
    "\u200f",
    *(chr(code) for code in range(0x202A, 0x202F)),
    *(chr(code) for code in range(0x2066, 0x206A)),
]
# Kept in text that keeps its lines, never on one line.
LINE_BREAKS = re.compile("[\t\n]")


def forbidden_in(text: str, *, lines: bool = True) -> list[str]:
    """The characters of ``text`` that must never be shown (tab and newline allowed if ``lines``)."""
    checked = LINE_BREAKS.sub(" ", text) if lines else text
    return sorted({repr(match[0]) for match in FORBIDDEN.finditer(checked)})


# -- coptui.text ------------------------------------------------------------------------------------


def test_the_bidi_list_is_every_bidi_control() -> None:
    assert set(BIDI) == {char for char in map(chr, range(0x10000)) if re.fullmatch(f"[{BIDI_CONTROLS}]", char)}


@pytest.mark.parametrize("char", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_every_bidi_control_is_removed(char: str) -> None:
    assert strip_controls(f"pay{char}ment") == "payment"
    assert one_line(f"pay{char}ment") == "payment"  # removed inside a word, no space left behind
    assert markdown_inline(f"pay{char}ment") == "payment"


def test_controls_escapes_and_separators() -> None:
    assert strip_controls("a\x1b[2Jb\x9b31mc\x90d\x9c\x07e\x7f\tf\ng\r\n") == "a[2Jb31mcde\tf\ng\n"
    assert strip_controls("one\u2028two\u2029three") == "one\ntwo\nthree"
    assert strip_controls("bytes \udce9") == "bytes \ufffd"  # a lone surrogate can be written nowhere
    assert one_line(" a\n\tb\u2028c  \x1b]52;c;x\x07 d ") == "a b c ]52;c;x d"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("---", "\\---"),
        ("=== x", "\\=== x"),
        ("1. first", "1\\. first"),
        ("2) second", "2\\) second"),
        ("1.5 is a number", "1.5 is a number"),
        ("a | b", "a \\| b"),
        ("[bold red]x[/] [link=https://e.vil]y[/link]", "\\[bold red\\]x\\[/\\] \\[link=https://e.vil\\]y\\[/link\\]"),
        ("<b>&amp;</b>", "\\<b\\>\\&amp;\\</b\\>"),
        ("line\nbreak", "line break"),
    ],
)
def test_markdown_inline_reads_literally(text: str, shown: str) -> None:
    assert markdown_inline(text) == shown


# Any text, with the characters that matter drawn often: bidi controls, ESC, 8-bit CSI,
# separators, lone surrogates (st.text leaves those out), pipes and markup.
TRICKS = st.sampled_from([*BIDI, "\x1b", "\x9b", "\x07", "\u2028", "\u2029", "\ud800", "\udce9", "|", "[", "\n", "\r"])
# (st.text of a mixed alphabet hardly ever draws the sampled ones: a list of characters does.)
ANY_TEXT = st.lists(st.one_of(TRICKS, st.characters())).map("".join)


@given(ANY_TEXT)
def test_cleaned_text_holds_nothing_a_terminal_would_obey(text: str) -> None:
    assert forbidden_in(strip_controls(text)) == []
    assert not re.search("[\ud800-\udfff]", strip_controls(text))
    assert forbidden_in(one_line(text), lines=False) == [] and "\n" not in one_line(text)
    escaped = markdown_inline(text)
    assert forbidden_in(escaped, lines=False) == []
    assert not re.search(r"(?<!\\)\|", escaped)  # no pipe that could end a table cell


@given(ANY_TEXT)
def test_json_safe_keeps_the_text_and_shows_none_of_it_raw(text: str) -> None:
    written = json_safe(json.dumps({"text": text}, ensure_ascii=False))
    assert json.loads(written) == {"text": text}
    assert forbidden_in(written, lines=False) == [] and not re.search("[\ud800-\udfff]", written)
    written.encode("utf-8")  # a lone surrogate is escaped, so the file can be written


# -- exports and the report, from the command line -------------------------------------------------


@pytest.fixture
def hostile(surveys_dir: Path, data_dir: Path) -> Workspace:
    write_hostile_community(surveys_dir)
    return Workspace.open(data_dir, surveys_dir)


def run_cli(surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data", str(data_dir), "--surveys", str(surveys_dir)])
    out, err = capsys.readouterr()
    return code, out, err


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def cells(row: str) -> int:
    """How many cells a Markdown table row has (a pipe escaped with a backslash is text)."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


def test_survey_markdown_shows_hostile_text_literally(
    hostile: Workspace, surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = hostile_survey(hostile)
    code, out, err = run_cli(surveys_dir, data_dir, capsys, "export", run.id, "--format", "md")
    assert code == 0 and err == ""
    assert forbidden_in(out) == []
    assert markdown_inline(hostile_name("ada")) in out
    assert "\\[bold red\\]loud\\[/\\]" in out and "\\[link=https://e.vil/\\]click\\[/link\\]" in out
    rows = table_rows(out)
    assert rows and all(cells(row) == 2 for row in rows)  # no option or answer breaks its table
    assert "| \\-100 | 0 |" in out


def test_retro_and_feedback_markdown_show_hostile_text_literally(
    hostile: Workspace, surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    retro = hostile_retro(hostile)
    code, out, _ = run_cli(surveys_dir, data_dir, capsys, "export", retro.id)
    assert code == 0 and forbidden_in(out) == []
    assert markdown_inline(hostile_name("action")) in out
    assert all(cells(row) == 4 for row in table_rows(out))  # the actions table
    feedback = hostile_feedback(hostile)
    code, out, _ = run_cli(surveys_dir, data_dir, capsys, "export", feedback.id, "--as", "chen")
    assert code == 0 and forbidden_in(out) == []
    assert out.startswith(f"# Feedback for {markdown_inline(hostile_name('Chen'))}\n")
    # A blockquote keeps the giver's lines, each escaped: nothing in it opens a list or a heading.
    assert "> second line" in out and all(not line.startswith("> -") for line in out.splitlines())


def test_csv_keeps_numbers_and_defuses_only_text(
    hostile: Workspace, surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = hostile_survey(hostile)
    code, out, _ = run_cli(surveys_dir, data_dir, capsys, "export", run.id, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert ["recommend", "nps", "nps", "score", "-100"] in rows  # not '-100.0
    assert ["recommend", "nps", "mean", "", "0"] in rows
    assert ["", "", "participation", "", "0.375"] in rows
    assert ["pick", "multi", "count", "'=1+1", "0"] in rows  # an option is text: defused
    assert ["pick", "multi", "count", "'-100", "0"] in rows
    for row in rows:
        for cell in row:
            assert forbidden_in(cell) == [], row
            # What starts like a formula is a number (the NPS score) or was defused.
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or re.fullmatch(r"-\d+(\.\d+)?", cell), row
    answers = [row for row in rows if row[2] == "answer"]
    assert sorted(row[3] for row in answers) == ["ada", "bruno", "chen"]
    assert all("[bold red]loud[/]" in row[4] for row in answers)  # CSV is not markup: text as typed


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\u202e=", "\x1b="])
def test_csv_defuses_every_formula_start(start: str) -> None:
    cell = survey_export._cell(f"{start}HYPERLINK(1)")
    # Defused with a quote, or the control that made it a formula is gone (a CR is removed).
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) and cell.endswith("HYPERLINK(1)")
    assert forbidden_in(cell) == []
    assert cell.startswith("'") or start == "\r"


@pytest.mark.parametrize(
    ("value", "cell"), [(-100, "-100"), (-100.0, "-100"), (-2.5, "-2.5"), (3, "3"), (0.375, "0.375")]
)
def test_csv_numbers_stay_numbers(value: float, cell: str) -> None:
    assert survey_export._cell(value) == cell


def test_json_keeps_the_text_exactly_and_escapes_it(
    hostile: Workspace, surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = hostile_survey(hostile)
    code, out, _ = run_cli(surveys_dir, data_dir, capsys, "export", run.id, "--format", "json")
    assert code == 0 and forbidden_in(out) == []
    data = json.loads(out)
    notes = next(q for q in data["questions"] if q["id"] == "notes")
    assert sorted(notes["texts"]) == sorted(hostile_name(handle) for handle in ("ada", "bruno", "chen"))
    assert data["run"]["title"] == hostile_name("Survey")
    recommend = next(q for q in data["questions"] if q["id"] == "recommend")
    assert recommend["nps"]["score"] == -100


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_report_shows_hostile_titles_literally(
    hostile: Workspace, surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code, out, _ = run_cli(surveys_dir, data_dir, capsys, "report", "--format", fmt, "--width", "100")
    assert code == 0 and forbidden_in(out) == []
    assert "Objective" in out and "evil" in out
    if fmt == "md":
        assert all(cells(row) == 6 for row in table_rows(out))


def test_export_on_stdout_is_utf8_whatever_the_locale(
    hostile: Workspace, surveys_dir: Path, data_dir: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    run = hostile_survey(hostile)
    import sys

    # An ASCII stdout (PYTHONIOENCODING=ascii, an old LANG=C) cannot hold the em dash of an export.
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="ascii")
    try:
        assert main(["export", run.id, "--data", str(data_dir), "--surveys", str(surveys_dir)]) == 0
        sys.stdout.flush()
    finally:
        sys.stdout.detach()
        sys.stdout = sys.__stdout__
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert " — " in out and "evil" in out


# -- command-line output -------------------------------------------------------------------------


def test_cli_messages_show_hostile_names_on_one_clean_line(
    hostile: Workspace, surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = hostile_survey(hostile, close=False)
    code, out, err = run_cli(surveys_dir, data_dir, capsys, "answer", run.id, "--as", "zed", "pick=x")
    assert code == 1 and "'zed' is not a member of Guild" in err
    assert forbidden_in(err) == [] and len(err.splitlines()) == 1
    code, out, err = run_cli(surveys_dir, data_dir, capsys, "answer", run.id, "--as", "dana", "notes=fine")
    assert code == 0 and out.startswith("Thank you, Dana Kowalski: your answer to Survey ")
    assert forbidden_in(out) == []
    code, out, err = run_cli(surveys_dir, data_dir, capsys, "runs", "--open", "hostile", "--as", "ada")
    assert code == 0 and forbidden_in(out) == [] and out.startswith("Opened Survey ")
    code, out, err = run_cli(surveys_dir, data_dir, capsys, "runs")
    assert code == 0 and forbidden_in(out) == []


def test_an_error_quoting_an_argument_stays_one_line(
    hostile: Workspace, surveys_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(surveys_dir, data_dir, capsys, "answer", f"run{HOSTILE}", "--as", "ada", "x=1")
    assert code == 1 and err.startswith("coptui: ") and "Traceback" not in err
    assert forbidden_in(err) == [] and len(err.splitlines()) == 1


def test_report_charts_show_hostile_titles_literally(
    demo_data_dir: Path, surveys_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The demo history has runs to chart; the objective's title, and so its chart's, is hostile
    # (short enough for plotext to draw it).
    community = surveys_dir / "community.toml"
    title = "O \u202eevil\u202c \x1b]52;c;aGk=\x07\x9b31m [b]x[/b]\ny"
    text = community.read_text(encoding="utf-8")
    community.write_text(text.replace('"Members recommend the community"', json.dumps(title)), encoding="utf-8")
    code, out, _ = run_cli(surveys_dir, demo_data_dir, capsys, "report", "--objective", "nps", "--width", "100")
    assert code == 0 and forbidden_in(out) == []
    assert "O evil ]52;c;aGk= 31m [b]x[/b] y (NPS, target ≥ +30)" in out  # the chart's title, on one line
