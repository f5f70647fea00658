"""Definitions and community files written to break coptui: each is one clear problem of its
file, never a traceback or a hang, and the other files of the folder still load.

Also the rules `coptui validate` holds a file to beyond its types: fields that do nothing,
true where a number goes, blank titles, a community without a facilitator; every problem of
a file in one pass, each on one line of bounded length, and the count of them said right.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coptui.cli.main import main
from coptui.core.community_schema import load_community, parse_community
from coptui.core.definitions import (
    SurveyDefinition,
    default_surveys_dir,
    load_definitions,
    parse_definition,
)
from coptui.core.problems import MAX_MESSAGE, Problem
from coptui.core.run import Run
from coptui.core.toml_files import MAX_NESTING, TomlFileError, parse_toml

SURVEY_HEAD = 'id = "s"\nkind = "survey"\ntitle = "S"\n'
NPS = '[[questions]]\nid = "a"\ntype = "nps"\ntext = "A"\n'
DEEP = 3_000


def coptui(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own: a hang is a failed test, not a stuck run."""
    return subprocess.run(
        [sys.executable, "-m", "coptui", *args], capture_output=True, text=True, timeout=120, env=os.environ.copy()
    )


def problems_of(folder: Path, text: str, name: str = "x.toml") -> list[str]:
    (folder / name).write_text(text, encoding="utf-8")
    return [f"{p.path}: {p.message}" if p.path else p.message for p in load_definitions(folder).problems]


def deep_arrays(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def deep_tables(depth: int) -> str:
    return "{a = " * depth + "1" + "}" * depth


# -- nesting, and files that are not files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"x = {deep_arrays(DEEP)}\n",
        f"x = {deep_tables(DEEP)}\n",
        SURVEY_HEAD + f'[[questions]]\nid = "a"\ntype = "nps"\ntext = {deep_arrays(DEEP)}\n',
        # Dotted keys nest without the parser recursing: the table is deep all the same.
        "[" + ".".join(["a"] * DEEP) + "]\nb = 1\n",
        f"x = {deep_arrays(MAX_NESTING + 1)}\n",
    ],
    ids=["arrays", "inline-tables", "in-a-question", "dotted-keys", "just-too-deep"],
)
def test_a_deeply_nested_file_is_one_problem_and_its_siblings_load(tmp_path: Path, text: str) -> None:
    (tmp_path / "good.toml").write_text(SURVEY_HEAD + NPS, encoding="utf-8")
    (tmp_path / "deep.toml").write_text(text, encoding="utf-8")
    loaded = load_definitions(tmp_path)
    assert list(loaded.definitions) == ["s"]
    assert [str(p) for p in loaded.problems] == [
        f"{tmp_path / 'deep.toml'}: is nested more than {MAX_NESTING} levels deep; no definition needs more than a few"
    ]


def test_nesting_up_to_the_limit_is_a_plain_problem_of_types(tmp_path: Path) -> None:
    text = SURVEY_HEAD + f"description = {deep_arrays(MAX_NESTING - 1)}\n" + NPS
    assert problems_of(tmp_path, text) == ["description: takes text in quotes, not a list"]


def test_validate_names_the_deep_file_and_checks_the_others(surveys_dir: Path) -> None:
    (surveys_dir / "deep.toml").write_text(f"x = {deep_arrays(DEEP)}\n", encoding="utf-8")
    files = len(list(surveys_dir.glob("*.toml")))
    result = coptui("validate", str(surveys_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.splitlines() == [
        f"{surveys_dir / 'deep.toml'}: is nested more than 32 levels deep; no definition needs more than a few"
    ]
    assert result.stderr.strip() == f"1 problem in 1 file ({files} files checked)"


def test_runs_lists_the_runs_and_warns_of_the_deep_file(surveys_dir: Path, data_dir: Path) -> None:
    common = ["--data", str(data_dir), "--surveys", str(surveys_dir)]
    opened = coptui(*common, "--as", "ada", "runs", "--open", "cop-pulse")
    assert opened.returncode == 0, opened.stderr
    (surveys_dir / "deep.toml").write_text(f"x = {deep_tables(DEEP)}\n", encoding="utf-8")
    listed = coptui(*common, "runs")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert opened.stdout.splitlines()[-1] in listed.stdout
    assert listed.stderr.splitlines() == [
        f"warning: {surveys_dir / 'deep.toml'}: is nested more than 32 levels deep; no definition needs more than a few"
    ]


def test_a_deep_community_file_is_one_line(surveys_dir: Path, data_dir: Path) -> None:
    community = surveys_dir / "community.toml"
    community.write_text(community.read_text(encoding="utf-8") + f"\nextra = {deep_arrays(DEEP)}\n", encoding="utf-8")
    result = coptui("validate", str(surveys_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.splitlines() == [
        f"{community}: is nested more than 32 levels deep; no definition needs more than a few"
    ]
    listed = coptui("--data", str(data_dir), "--surveys", str(surveys_dir), "runs")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert listed.stderr.splitlines() == [
        f"coptui: {community} cannot be loaded; `coptui validate {surveys_dir}` shows why",
        f"  {community}: is nested more than 32 levels deep; no definition needs more than a few",
    ]


def test_files_that_are_not_files_are_named_and_never_read(surveys_dir: Path) -> None:
    os.mkfifo(surveys_dir / "pipe.toml")  # a plain open() waits for a writer forever
    (surveys_dir / "zero.toml").symlink_to("/dev/zero")  # endless
    (surveys_dir / "loop.toml").symlink_to("loop.toml")
    (surveys_dir / "folder.toml").mkdir()
    (surveys_dir / "huge.toml").write_bytes(b"# padding\n" * 500_000)
    result = coptui("validate", str(surveys_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines == {
        str(surveys_dir / "folder.toml"): "is a folder, not a file",
        str(surveys_dir / "huge.toml"): "is 5,000,000 bytes; a definition or community file may hold at most 4,194,304",
        str(surveys_dir / "loop.toml"): "cannot be read: Too many levels of symbolic links",
        str(surveys_dir / "pipe.toml"): "is not a regular file (a device, a pipe or a socket); it is not read",
        str(surveys_dir / "zero.toml"): "is not a regular file (a device, a pipe or a socket); it is not read",
    }
    assert result.stderr.strip().startswith("5 problems in 5 files (")


def test_a_community_file_that_is_a_pipe_is_refused_at_once(surveys_dir: Path, data_dir: Path) -> None:
    community = surveys_dir / "community.toml"
    community.unlink()
    os.mkfifo(community)
    result = coptui("--data", str(data_dir), "--surveys", str(surveys_dir), "runs")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{community}: is not a regular file" in result.stderr


# -- fields that do nothing, slips of type, blanks ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["nps", "text", "single", "multi", "yesno"])
def test_labels_are_refused_where_they_do_nothing(tmp_path: Path, kind: str) -> None:
    options = 'options = ["x", "y"]\n' if kind in ("single", "multi") else ""
    text = SURVEY_HEAD + f'[[questions]]\nid = "a"\ntype = "{kind}"\ntext = "A"\n{options}labels = ["low", "high"]\n'
    assert problems_of(tmp_path, text) == [
        f"questions[0].labels: labels are only used on likert and rating questions, not on {kind}; remove them"
    ]


def test_labels_still_work_on_scales(tmp_path: Path) -> None:
    text = SURVEY_HEAD + '[[questions]]\nid = "a"\ntype = "rating"\ntext = "A"\nlabels = ["low", "high"]\n'
    assert problems_of(tmp_path, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SURVEY_HEAD + "min_responses = true\n" + NPS, "min_responses: takes a whole number, not true"),
        (SURVEY_HEAD + "min_text_responses = false\n" + NPS, "min_text_responses: takes a whole number, not false"),
        (
            SURVEY_HEAD + '[[questions]]\nid = "a"\ntype = "likert"\ntext = "A"\nscale = true\n',
            "questions[0].scale: takes a whole number, not true",
        ),
        (
            'id = "r"\nkind = "retro"\ntitle = "R"\nvotes_per_person = true\n[[columns]]\nid = "a"\ntitle = "A"\n',
            "votes_per_person: takes a whole number, not true",
        ),
        (
            'id = "f"\nkind = "feedback"\ntitle = "F"\nmin_responses = true\n',
            "min_responses: takes a whole number, not true",
        ),
    ],
)
def test_true_is_not_a_number(tmp_path: Path, text: str, expected: str) -> None:
    assert problems_of(tmp_path, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('id = "s"\nkind = "survey"\ntitle = "  \\t "\n' + NPS, "title"),
        (SURVEY_HEAD + '[[questions]]\nid = "a"\ntype = "nps"\ntext = "\\n"\n', "questions[0].text"),
        ('id = "r"\nkind = "retro"\ntitle = "R"\n[[columns]]\nid = "a"\ntitle = " "\n', "columns[0].title"),
        ('id = "f"\nkind = "feedback"\ntitle = "F"\n[[fields]]\nid = "a"\ntitle = "   "\n', "fields[0].title"),
    ],
)
def test_blank_titles_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert problems_of(tmp_path, text) == [f"{expected}: is blank; write the text shown to members"]


def community_text(**replace: str) -> str:
    text = (default_surveys_dir() / "community.toml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def community_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "community.toml"
    path.write_text(text, encoding="utf-8")
    community, problems = load_community(path)
    assert (community is None) == bool(problems)
    return [f"{p.path}: {p.message}" for p in problems]


def test_a_community_needs_a_facilitator(tmp_path: Path) -> None:
    text = community_text().replace('role = "facilitator"', 'role = "member"')
    assert community_problems(tmp_path, text) == [
        'members: no member has role = "facilitator"; at least one is needed to open runs and lead retros'
    ]


def test_community_blanks_and_slips(tmp_path: Path) -> None:
    text = community_text(**{'name = "Platform Engineering Guild"': 'name = " "', "window = 3": "window = true"})
    problems = community_problems(tmp_path, text)
    assert "name: is blank; write the text shown to members" in problems
    assert any(p.endswith(".window: takes a whole number, not true") for p in problems)


# -- names, one pass, words not patterns, short echoes, counts ------------------------------------------------


def test_a_misspelled_key_with_a_dash_is_named(tmp_path: Path) -> None:
    text = SURVEY_HEAD + "min-responses = 3\n" + NPS + 'show-if = "a >= 1"\n'
    assert sorted(problems_of(tmp_path, text)) == [
        "min-responses: is not a known field (check its spelling)",
        "questions[0].show-if: is not a known field (check its spelling)",
    ]


def test_a_key_that_is_not_a_name_is_quoted_on_one_line(tmp_path: Path) -> None:
    text = SURVEY_HEAD + '"two\\nlines" = 1\n' + NPS
    assert problems_of(tmp_path, text) == ["'two\\nlines': is not a known field (check its spelling)"]


def test_every_problem_of_a_file_in_one_pass(tmp_path: Path) -> None:
    text = (
        'id = "Bad Id"\nkind = "survey"\ntitle = " "\nmin_responses = true\n'
        '[[questions]]\nid = "a"\ntype = "slider"\ntext = "A"\n'
        '[[questions]]\nid = "a"\ntype = "nps"\ntext = "B"\nlabels = ["x", "y"]\n'
        '[[questions]]\nid = "c"\ntype = "likert"\nscale = 12\ntext = "C"\noptions = ["x", "y"]\n'
        '[[questions]]\nid = "d"\ntype = "text"\ntext = "D"\nshow_if = "nosuch >= 3"\n'
    )
    problems = problems_of(tmp_path, text)
    assert sorted(problems) == sorted(
        [
            "id: 'Bad Id' is not a valid id; an id is 1 to 64 lower-case letters, digits, '-' or '_', "
            "starting with a letter or a digit",
            "title: is blank; write the text shown to members",
            "min_responses: takes a whole number, not true",
            "questions[0].type: 'slider' is not a question type; allowed: likert, rating, nps, single, multi, text, yesno",
            "questions[1].labels: labels are only used on likert and rating questions, not on nps; remove them",
            "questions[1].id: 'a' is a duplicate; every question id must be unique",
            "questions[2].scale: scale 12 is out of range for a likert question; allowed: 3 to 7",
            "questions[2].options: options are only allowed on single and multi questions, not on likert",
        ]
    )


def test_a_condition_is_checked_even_when_another_question_is_broken(tmp_path: Path) -> None:
    text = (
        SURVEY_HEAD
        + NPS
        + '[[questions]]\nid = "b"\ntype = "text"\ntext = "B"\nshow_if = "nosuch >= 3"\n'
        + '[[questions]]\nid = "c"\ntype = "likert"\nscale = 12\ntext = "C"\n'
    )
    assert problems_of(tmp_path, text) == [
        "questions[2].scale: scale 12 is out of range for a likert question; allowed: 3 to 7",
        "questions[1].show_if: 'nosuch >= 3': 'nosuch' is not an earlier question; allowed: a",
    ]


def test_no_rule_is_stated_as_a_regular_expression(tmp_path: Path) -> None:
    text = (
        'id = "UPPER"\nkind = "survey"\ntitle = "S"\n[[questions]]\nid = "-x"\ntype = "nps"\ntext = "A"\n'
        'show_if = "a >= @"\n'
    )
    problems = problems_of(tmp_path, text)
    (tmp_path / "x.toml").unlink()
    problems += community_problems(tmp_path, community_text(**{'handle = "ada"': 'handle = "Ada Okafor"'}))
    assert len(problems) == 4
    for problem in problems:
        assert not re.search(r"\^|\$'|\{\d+,\d+\}|\[a-z", problem), problem
        assert "pattern" not in problem


def test_a_huge_condition_is_never_echoed(tmp_path: Path) -> None:
    huge = "a == 1 or " * 40_000 + "zz"
    invalid = "a == " + "(" * 30 + "1" + ")" * 29 + " $" + "x" * 3_000
    text = SURVEY_HEAD + NPS + f'[[questions]]\nid = "b"\ntype = "nps"\ntext = "B"\nshow_if = "{huge}"\n'
    text += f'[[questions]]\nid = "c"\ntype = "nps"\ntext = "C"\nshow_if = "{invalid}"\n'
    text += f'[[questions]]\nid = "d"\ntype = "single"\ntext = "D"\noptions = ["x", "y"]\nshow_if = "a == \'{"q" * 500}\'"\n'
    problems = load_definitions_problems(tmp_path, text)
    assert [p.path for p in problems] == ["questions[1].show_if", "questions[2].show_if", "questions[3].show_if"]
    assert "(400,002 characters) is too long for a condition; allowed: 2,000 characters" in problems[0].message
    for problem in problems:
        assert len(str(problem)) < 400, str(problem)


def load_definitions_problems(folder: Path, text: str) -> list[Problem]:
    (folder / "x.toml").write_text(text, encoding="utf-8")
    return load_definitions(folder).problems


def test_long_values_are_cut_in_every_message(tmp_path: Path) -> None:
    long = "k" * 400_000
    text = f'id = "s"\nkind = "{long}"\n'
    problems = load_definitions_problems(tmp_path, text)
    assert problems[0].message == f"'{'k' * 60}'… (400,000 characters) is not allowed; allowed: survey, retro, feedback"
    text = (
        SURVEY_HEAD + f'"{long}" = 1\n[[questions]]\nid = "{long}"\ntype = "{long}"\ntext = "A"\nrequired = "{long}"\n'
    )
    for problem in load_definitions_problems(tmp_path, text):
        assert len(str(problem)) < 400, str(problem)[:500]


def test_validate_counts_problems_and_files_right(surveys_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pulse = surveys_dir / "health-check.toml"
    assert main(["validate", str(pulse)]) == 0
    assert capsys.readouterr().out.strip() == "1 file checked: all valid"
    pulse.write_text(pulse.read_text(encoding="utf-8").replace('title = "CoP health check"', 'title = " "'))
    assert main(["validate", str(pulse)]) == 1
    assert capsys.readouterr().err.strip() == "1 problem in 1 file (1 file checked)"
    (surveys_dir / "retro-4ls.toml").write_text("kind = 1\n")
    (surveys_dir / "other.toml").write_text("= nonsense\n")
    # A folder and a file in it: each file is checked once.
    assert main(["validate", str(surveys_dir), str(pulse)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3
    files = len(list(surveys_dir.glob("*.toml")))
    assert captured.err.strip() == f"3 problems in 3 files ({files} files checked)"


# -- what stays as it was -------------------------------------------------------------------------------------


def test_a_run_frozen_before_the_new_rules_still_loads() -> None:
    """Runs store their definition as it was when they opened; the rules added since apply to files only."""
    frozen = {
        "id": "s",
        "kind": "survey",
        "title": " ",
        "questions": [{"id": "a", "type": "nps", "text": "A", "labels": ["low", "high"]}],
    }
    run = Run.model_validate(
        {
            "id": "s-2026-01-01",
            "definition_id": "s",
            "kind": "survey",
            "title": "S",
            "opened_on": "2026-01-01",
            "opened_by": "ada",
            "anonymous": False,
            "members": 8,
            "definition": frozen,
        }
    )
    survey = run.survey()
    assert isinstance(survey, SurveyDefinition) and survey.questions[0].labels == ["low", "high"]
    assert parse_definition("x.toml", frozen)[0] is None


# -- anything at all ----------------------------------------------------------------------------------------

KNOWN_KEYS = [
    "id", "kind", "title", "description", "anonymous", "min_responses", "min_text_responses", "allow_edit",
    "questions", "columns", "fields", "model", "type", "text", "scale", "labels", "options", "na", "required",
    "show_if", "votes_per_person", "phases", "name", "domain", "members", "handle", "role", "objectives", "metric",
    "target", "window",
]  # fmt: skip
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=12))
leaves = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["survey", "retro", "feedback", "likert", "nps", "single", "text", "facilitator", "a >= 3"]),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=25
)


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """Inline TOML for a value; JSON's string escapes are TOML's (DEL and the like make it invalid, as wanted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(table: dict[str, Any], arrays: dict[str, list[dict[str, Any]]]) -> str:
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    for name, items in arrays.items():
        for item in items:
            lines.append(f"[[{toml_key(name)}]]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


documents = st.builds(
    toml_document,
    st.dictionaries(keys, values, max_size=8),
    st.dictionaries(
        st.sampled_from(["questions", "columns", "fields", "members", "objectives"]),
        st.lists(st.dictionaries(keys, values, max_size=6), max_size=4),
        max_size=2,
    ),
)
shipped_texts = [p.read_text(encoding="utf-8") for p in sorted(default_surveys_dir().glob("*.toml"))]


@st.composite
def mangled(draw: st.DrawFn) -> str:
    """A shipped file with a few cuts and insertions of TOML's punctuation, or of deep nesting."""
    text = draw(st.sampled_from(shipped_texts))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        piece = draw(
            st.one_of(
                st.text(alphabet="[]{}\"'=#.,-\n \\", max_size=6),
                st.integers(1, 3 * MAX_NESTING).map(lambda n: "[" * n),
                st.just(""),
            )
        )
        cut = draw(st.integers(0, 8))
        text = text[:at] + piece + text[at + cut :]
    return text


def check_problems(problems: list[Problem]) -> None:
    for problem in problems:
        line = str(problem)
        assert "\n" not in line and "\r" not in line
        assert problem.message and len(problem.message) <= MAX_MESSAGE + 1


def load_text(text: str) -> tuple[Any, list[Problem]]:
    """What loading a definition file holding ``text`` gives (read_toml, then parse_definition)."""
    try:
        data = parse_toml(text.encode("utf-8", "surrogatepass"))
    except TomlFileError as error:
        return None, [Problem("x.toml", "", str(error))]
    return parse_definition("x.toml", data)


@settings(max_examples=300)
@given(st.one_of(documents, mangled()))
def test_any_text_is_a_definition_or_one_line_problems(text: str) -> None:
    definition, problems = load_text(text)
    assert (definition is None) == bool(problems)
    check_problems(problems)
    community, community_problems = parse_community("community.toml", text.encode("utf-8", "surrogatepass"))
    assert (community is None) == bool(community_problems)
    check_problems(community_problems)


@settings(max_examples=200)
@given(
    st.binary(max_size=200)
    | st.builds(lambda n, k: ("x = " + "[{"[k] * n).encode(), st.integers(0, 4_000), st.integers(0, 1))
)
def test_parse_toml_raises_nothing_but_its_own_error(raw: bytes) -> None:
    try:
        data = parse_toml(raw)
    except TomlFileError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert isinstance(data, dict)


@settings(max_examples=100)
@given(st.integers(0, 3 * MAX_NESTING), st.sampled_from(["[", "{a = "]))
def test_the_nesting_limit_is_exact(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    text = f"x = {opener * depth}1{closer * depth}\n"
    if depth + 1 > MAX_NESTING:  # the top table is a level too
        with pytest.raises(TomlFileError, match="nested more than"):
            parse_toml(text.encode())
    else:
        assert isinstance(parse_toml(text.encode()), dict)


def test_a_byte_order_mark_is_no_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_bytes(b"\xef\xbb\xbf" + (SURVEY_HEAD + NPS).encode())
    community = tmp_path / "community.toml"
    community.write_bytes(b"\xef\xbb\xbf" + community_text().encode())
    assert load_definitions(tmp_path).problems == [] and load_community(community)[1] == []


def test_a_target_is_a_finite_number(tmp_path: Path) -> None:
    text = community_text(**{"target = 4.1": "target = nan", "baseline = 3.2": "baseline = inf"})
    problems = community_problems(tmp_path, text)
    assert sorted(p.split(": ", 1)[1] for p in problems) == [
        "takes a finite number, not inf",
        "takes a finite number, not nan",
    ]


def test_a_long_list_of_what_is_allowed_is_cut(tmp_path: Path) -> None:
    questions = "".join(f'[[questions]]\nid = "q{i}"\ntype = "nps"\ntext = "Q"\n' for i in range(40))
    text = SURVEY_HEAD + questions + '[[questions]]\nid = "last"\ntype = "nps"\ntext = "L"\nshow_if = "nosuch >= 1"\n'
    [problem] = problems_of(tmp_path, text)
    assert problem == (
        "questions[40].show_if: 'nosuch >= 1': 'nosuch' is not an earlier question; "
        "allowed: q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, … (40 in all)"
    )


def test_an_editors_lock_link_is_not_a_definition(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text(SURVEY_HEAD + NPS, encoding="utf-8")
    (tmp_path / ".#x.toml").symlink_to("ada@laptop.4242:1700000000")  # Emacs, while x.toml is edited
    loaded = load_definitions(tmp_path)
    assert list(loaded.definitions) == ["s"] and loaded.problems == []


@pytest.mark.parametrize("number", ["1" * 5_000, "0x" + "f" * 5_000], ids=["decimal", "hex"])
def test_a_number_too_long_to_read_is_one_problem(tmp_path: Path, number: str) -> None:
    problems = problems_of(tmp_path, SURVEY_HEAD + f"min_responses = {number}\n" + NPS)
    assert problems == ["holds a whole number larger than TOML allows (64 bits: up to 9,223,372,036,854,775,807)"]


def test_whole_numbers_up_to_64_bits_are_read(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, SURVEY_HEAD + f"min_responses = {2**63 - 1}\n" + NPS)
    assert problems == [f"min_responses: {2**63 - 1} is out of range: input should be less than or equal to 1000"]
