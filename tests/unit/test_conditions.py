"""The show_if grammar: parsing, evaluating, checking (validate), and what random text does to it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coptui.cli.main import main
from coptui.core.conditions import (
    KEYWORDS,
    Answered,
    BoolOp,
    Compare,
    ConditionError,
    In,
    Literal,
    Not,
    Ref,
    check_show_if,
    evaluate,
    is_shown,
    parse,
    render,
)
from coptui.core.definitions import Question

EARLIER = [
    Question(id="recommend", type="nps", text="Recommend?"),
    Question(id="mood", type="likert", text="Mood?"),
    Question(id="format", type="single", text="Format?", options=["meetup", "office hours"]),
    Question(id="topics", type="multi", text="Topics?", options=["ci", "iac"]),
    Question(id="again", type="yesno", text="Again?"),
    Question(id="notes", type="text", text="Notes?"),
]


# -- evaluation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        ("recommend <= 6", {"recommend": 6}, True),
        ("recommend <= 6", {"recommend": 7}, False),
        ("recommend <= 6", {}, False),
        ("6 >= recommend", {"recommend": 3}, True),
        ("recommend != 6", {}, False),
        ("format == 'office hours'", {"format": "office hours"}, True),
        ("format in ['meetup', 'x']", {"format": "meetup"}, True),
        ("format in ['x']", {"format": "meetup"}, False),
        ("topics == 'ci'", {"topics": ["ci", "iac"]}, True),
        ("topics != 'ci'", {"topics": ["iac"]}, True),
        ("topics in ['iac']", {"topics": ["ci", "iac"]}, True),
        ("again == 'yes'", {"again": True}, True),
        ("again == 'no'", {"again": True}, False),
        ("answered(notes)", {"notes": "hi"}, True),
        ("answered(notes)", {}, False),
        ("not answered(notes)", {}, True),
        ("recommend <= 6 or mood >= 4", {"recommend": 9, "mood": 5}, True),
        ("recommend <= 6 and mood >= 4", {"recommend": 9, "mood": 5}, False),
        # and binds tighter than or; not tighter than and
        ("mood == 1 or mood == 5 and recommend == 0", {"mood": 1, "recommend": 10}, True),
        ("not mood == 1 and recommend == 0", {"mood": 2, "recommend": 0}, True),
        ("(mood == 1 or mood == 5) and recommend == 0", {"mood": 1, "recommend": 10}, False),
        ("recommend == 'x'", {"recommend": 3}, False),  # a number never equals text
    ],
)
def test_evaluate(condition: str, answers: dict, expected: bool) -> None:
    assert evaluate(parse(condition), answers) is expected


def test_no_condition_is_always_shown() -> None:
    assert is_shown(None, {})


def test_strings_keep_non_ascii_and_unknown_escapes() -> None:
    assert parse('format == "café"') == Compare(Ref("format"), "==", Literal("café"))
    assert parse(r'format == "a\"b\\c\x"') == Compare(Ref("format"), "==", Literal('a"b\\c\\x'))


def test_ids_may_start_with_a_digit() -> None:
    assert parse("2fa == 'yes'") == Compare(Ref("2fa"), "==", Literal("yes"))
    assert parse("x <= -1.5") == Compare(Ref("x"), "<=", Literal(-1.5))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("recommend <=", "ended"),
        ("recommend <= 6)", "unexpected ')' at column 15"),
        ("recommend $ 6", "unexpected character '$' at column 11"),
        ("answered(6)", "needs a question id"),
        ("format in [mood]", "holds numbers or strings"),
        ("(" * 60 + "mood" + ")" * 60, "nested more than"),
        ("not " * 60 + "mood", "nested more than"),
        ("mood == 'open", "unexpected character"),
    ],
)
def test_syntax_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")):
        parse(text)


# -- checking, as `coptui validate` does ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("nope == 1", "'nope' is not an earlier question"),
        ("later == 1", "'later' comes after this question"),
        ("self == 1", "'self' is this question itself"),
        ("format == 'online'", "'online' is not an option of format; allowed: meetup, office hours"),
        ("topics in ['ci', 'k8s']", "'k8s' is not an option of topics"),
        ("recommend <= 'six'", "recommend is a nps question (a number), compared with text 'six'"),
        ("notes == 3", "notes is a text question (text), compared with the number 3"),
        ("again == 'maybe'", 'compare it with "yes" or "no"'),
        ("format < 'meetup'", "< orders numbers, but format is a single question"),
        ("1 == 1", "needs a question id on one side"),
        ("mood", "is a value, not a condition"),
        ("mood <=", "ended"),
    ],
)
def test_check_show_if_problems(condition: str, message: str) -> None:
    problems = check_show_if(condition, EARLIER, ["self", "later"])
    assert problems, condition
    assert any(message in problem for problem in problems), problems


@pytest.mark.parametrize(
    "condition",
    [
        "recommend <= 6",
        "format == 'meetup' or again == 'no'",
        "topics in ['ci']",
        "answered(notes) and mood > 2",
        "notes == 'x'",
    ],
)
def test_check_show_if_accepts_good_conditions(condition: str) -> None:
    assert check_show_if(condition, EARLIER, ["self"]) == []


def test_validate_reports_each_show_if_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        """
id = "bad"
kind = "survey"
title = "Bad conditions"

[[questions]]
id = "first"
type = "single"
text = "First?"
options = ["a", "b"]
show_if = "second == 'x'"

[[questions]]
id = "second"
type = "nps"
text = "Second?"
show_if = "first == 'c' or first == 3 or ghost > 1"
""",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "questions[0].show_if" in out and "'second' comes after this question" in out
    assert "questions[1].show_if" in out and "'ghost' is not an earlier question" in out


def test_validate_reports_option_and_type_mismatches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        """
id = "bad"
kind = "survey"
title = "Bad conditions"

[[questions]]
id = "first"
type = "single"
text = "First?"
options = ["a", "b"]

[[questions]]
id = "second"
type = "nps"
text = "Second?"
show_if = "first == 'c' or first == 3"

[[questions]]
id = "third"
type = "text"
text = "Third?"
show_if = "second >= 'high'"
""",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "'c' is not an option of first" in out
    assert "compared with the number 3" in out
    assert "compared with text 'high'" in out


# -- properties -------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_only_ever_raises_condition_error(text: str) -> None:
    try:
        tree = parse(text)
    except ConditionError:
        return
    # Whatever parses can be checked and evaluated without any other exception.
    check_show_if(text, EARLIER)
    evaluate(tree, {"recommend": 5, "format": "meetup", "topics": ["ci"], "again": False})


_ALPHABET = (
    "recommend mood format topics again notes and or not in answered ( ) [ ] , == != <= >= < > ' \" 1 6 -2 2.5 x"
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET.split(" ")), max_size=14).map(" ".join))
def test_token_soup_only_ever_raises_condition_error(text: str) -> None:
    with contextlib.suppress(ConditionError):
        parse(text)
    check_show_if(text, EARLIER)


names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True).filter(lambda name: name not in KEYWORDS)
literals = st.one_of(
    st.integers(min_value=-1000, max_value=1000).map(lambda n: Literal(float(n))),
    st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False).map(lambda d: Literal(float(d))),
    st.text(max_size=8).map(Literal),
)
values = st.one_of(names.map(Ref), literals)
atoms = st.one_of(
    st.builds(Compare, values, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), values),
    st.builds(In, values, st.lists(literals, max_size=3).map(tuple)),
    names.map(Answered),
)
trees = st.recursive(
    atoms,
    lambda children: st.one_of(
        children.map(Not),
        st.builds(BoolOp, st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_render_then_parse_gives_the_same_tree(tree) -> None:
    assert parse(render(tree)) == tree


@settings(max_examples=200, deadline=None)
@given(trees)
def test_rendered_text_is_stable(tree) -> None:
    text = render(tree)
    assert render(parse(text)) == text
