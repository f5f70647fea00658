"""The definition loader: valid files load, every problem is one clear line, siblings survive."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coptui.core.community_schema import check_objectives, load_community
from coptui.core.definitions import (
    DefinitionSet,
    FeedbackDefinition,
    RetroDefinition,
    SurveyDefinition,
    default_surveys_dir,
    load_definitions,
    parse_definition,
)

SURVEY_HEAD = 'id = "s"\nkind = "survey"\ntitle = "S"\n'


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    write(tmp_path, "x.toml", text)
    return [f"{p.path}: {p.message}" for p in load_definitions(tmp_path).problems]


def test_shipped_definitions_all_load() -> None:
    loaded = load_definitions(default_surveys_dir())
    assert loaded.problems == []
    kinds = {d.id: d.kind for d in loaded.definitions.values()}
    assert kinds == {
        "cop-pulse": "survey",
        "health-check": "survey",
        "start-stop-continue": "retro",
        "4ls": "retro",
        "mad-sad-glad": "retro",
        "sailboat": "retro",
        "peer-sbi": "feedback",
        "kudos": "feedback",
    }
    pulse = loaded.get("cop-pulse")
    assert isinstance(pulse, SurveyDefinition)
    assert {q.type for q in pulse.questions} >= {"likert", "rating", "nps", "text", "single"}
    sbi = loaded.get("peer-sbi")
    assert isinstance(sbi, FeedbackDefinition)
    assert [f.id for f in sbi.fields or []] == ["situation", "behaviour", "impact"]


def test_shipped_community_and_objectives_are_valid() -> None:
    community, problems = load_community(default_surveys_dir() / "community.toml")
    assert problems == [] and community is not None
    assert len(community.members) == 8
    assert {o.metric for o in community.objectives} == {
        "participation",
        "mean",
        "nps",
        "action_completion",
        "roti",
        "feedback_completion",
    }
    assert check_objectives("community.toml", community, load_definitions(default_surveys_dir())) == []


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, SURVEY_HEAD + '[[questions]]\nid = "a"\ntype likert\n')
    assert len(problems) == 1
    assert "TOML syntax error" in problems[0] and "line 6" in problems[0]


def test_unknown_kind_lists_the_allowed_ones(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, 'id = "s"\nkind = "poll"\ntitle = "S"\n')
    assert problems == ["kind: 'poll' is not allowed; allowed: survey, retro, feedback"]


def test_unknown_question_type_names_the_field(tmp_path: Path) -> None:
    text = (
        SURVEY_HEAD
        + '[[questions]]\nid = "a"\ntype = "likert"\ntext = "A"\n[[questions]]\nid = "b"\ntype = "slider"\ntext = "B"\n'
    )
    problems = problems_of(tmp_path, text)
    assert problems == [
        "questions[1].type: 'slider' is not a question type; allowed: likert, rating, nps, single, multi, text, yesno"
    ]


def test_scale_out_of_range(tmp_path: Path) -> None:
    text = (
        SURVEY_HEAD
        + '[[questions]]\nid = "a"\ntype = "likert"\ntext = "A"\n[[questions]]\nid = "b"\ntype = "likert"\ntext = "B"\n[[questions]]\nid = "c"\ntype = "likert"\nscale = 12\ntext = "C"\n'
    )
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("questions[2].scale: scale 12 is out of range") and "allowed: 3 to 7" in problems[0]


def test_missing_required_fields(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, 'id = "s"\nkind = "survey"\n[[questions]]\nid = "a"\ntype = "nps"\n')
    assert "title: is required but missing" in problems
    assert "questions[0].text: is required but missing" in problems


def test_duplicate_question_ids(tmp_path: Path) -> None:
    text = (
        SURVEY_HEAD
        + '[[questions]]\nid = "a"\ntype = "nps"\ntext = "A"\n[[questions]]\nid = "a"\ntype = "text"\ntext = "B"\n'
    )
    problems = problems_of(tmp_path, text)
    assert problems == ["questions[1].id: 'a' is a duplicate; every question id must be unique"]


def test_duplicate_definition_ids_across_files(tmp_path: Path) -> None:
    body = '[[questions]]\nid = "a"\ntype = "nps"\ntext = "A"\n'
    write(tmp_path, "a.toml", SURVEY_HEAD + body)
    write(tmp_path, "b.toml", SURVEY_HEAD + body)
    loaded = load_definitions(tmp_path)
    assert list(loaded.definitions) == ["s"]
    assert [(Path(p.file).name, p.path) for p in loaded.problems] == [("b.toml", "id")]
    assert "a.toml already uses it" in loaded.problems[0].message


def test_options_rules(tmp_path: Path) -> None:
    text = SURVEY_HEAD + '[[questions]]\nid = "a"\ntype = "single"\ntext = "A"\noptions = ["x"]\n'
    assert problems_of(tmp_path, text) == [
        "questions[0].options: a single question needs options = [...] with at least 2 entries"
    ]


def test_anonymous_threshold_floor(tmp_path: Path) -> None:
    text = SURVEY_HEAD + 'anonymous = true\nmin_responses = 2\n[[questions]]\nid = "a"\ntype = "nps"\ntext = "A"\n'
    problems = problems_of(tmp_path, text)
    assert problems == ["min_responses: min_responses 2 is too low for an anonymous survey; allowed: 3 or more"]


def test_text_threshold_never_below_min_responses(tmp_path: Path) -> None:
    text = (
        SURVEY_HEAD + 'min_responses = 6\nmin_text_responses = 4\n[[questions]]\nid = "a"\ntype = "text"\ntext = "A"\n'
    )
    assert "min_text_responses 4 is below min_responses 6" in problems_of(tmp_path, text)[0]


def test_defaults_are_applied() -> None:
    survey, problems = parse_definition(
        "x.toml",
        {
            "id": "s",
            "kind": "survey",
            "title": "S",
            "anonymous": True,
            "min_responses": 7,
            "questions": [{"id": "a", "type": "likert", "text": "A"}],
        },
    )
    assert problems == [] and isinstance(survey, SurveyDefinition)
    assert survey.min_text_responses == 7  # never below min_responses
    assert survey.questions[0].scale == 5
    assert survey.questions[0].point_labels[0] == "Strongly disagree"


def test_unknown_field_is_reported_with_its_path(tmp_path: Path) -> None:
    text = SURVEY_HEAD + '[[questions]]\nid = "a"\ntype = "nps"\ntext = "A"\nrequird = true\n'
    assert problems_of(tmp_path, text) == ["questions[0].requird: is not a known field (check its spelling)"]


def test_retro_template_rules(tmp_path: Path) -> None:
    base = 'id = "r"\nkind = "retro"\ntitle = "R"\n[[columns]]\nid = "a"\ntitle = "A"\n'
    assert problems_of(tmp_path, base) == []
    loaded = load_definitions(tmp_path)
    assert isinstance(loaded.get("r"), RetroDefinition)
    problems = problems_of(
        tmp_path,
        'id = "r"\nkind = "retro"\ntitle = "R"\nvotes_per_person = 0\nphases = ["vote", "write", "close"]\n[[columns]]\nid = "a"\ntitle = "A"\n',
    )
    assert any(p.startswith("votes_per_person:") and "0" in p for p in problems)


def test_a_broken_file_does_not_stop_its_siblings(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", SURVEY_HEAD + '[[questions]]\nid = "a"\ntype = "nps"\ntext = "A"\n')
    write(tmp_path, "bad.toml", "this is = = not toml")
    write(tmp_path, "community.toml", "not a definition at all = [")
    loaded = load_definitions(tmp_path)
    assert list(loaded.definitions) == ["s"]
    assert [Path(p.file).name for p in loaded.problems] == ["bad.toml"]


def test_objective_pointing_nowhere(tmp_path: Path) -> None:
    community_text = (default_surveys_dir() / "community.toml").read_text(encoding="utf-8")
    community_text = community_text.replace('question = "value"', 'question = "valu"').replace(
        'survey = "cop-pulse"\nquestion = "recommend"', 'survey = "pulse"\nquestion = "recommend"'
    )
    write(tmp_path, "community.toml", community_text)
    community, problems = load_community(tmp_path / "community.toml")
    assert problems == [] and community is not None
    found = check_objectives("community.toml", community, load_definitions(default_surveys_dir()))
    messages = [f"{p.path}: {p.message}" for p in found]
    assert any(m.startswith("objectives[1].question: 'valu' is not a question of cop-pulse") for m in messages)
    assert any(m.startswith("objectives[2].survey: 'pulse' is not a known survey") for m in messages)


def test_objective_metric_must_fit_the_question_type(tmp_path: Path) -> None:
    community_text = (default_surveys_dir() / "community.toml").read_text(encoding="utf-8")
    write(tmp_path, "community.toml", community_text.replace('question = "recommend"', 'question = "attended"'))
    community, _ = load_community(tmp_path / "community.toml")
    assert community is not None
    found = check_objectives("community.toml", community, load_definitions(default_surveys_dir()))
    assert [p.message for p in found] == ["nps cannot be measured on a single question; allowed types: nps"]


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "kind", "title", "questions", "columns", "anonymous", "min_responses", "model"]),
        st.one_of(
            st.text(max_size=8),
            st.integers(-5, 50),
            st.booleans(),
            st.lists(
                st.dictionaries(
                    st.sampled_from(["id", "type", "text", "scale", "options", "na", "required", "show_if", "title"]),
                    st.one_of(
                        st.text(max_size=6),
                        st.integers(-2, 12),
                        st.booleans(),
                        st.lists(st.text(max_size=3), max_size=3),
                    ),
                    max_size=6,
                ),
                max_size=3,
            ),
        ),
    )
)
def test_parse_never_raises_on_any_input(data: dict) -> None:
    definition, problems = parse_definition("x.toml", data)
    assert (definition is None) == bool(problems)
    for problem in problems:
        assert problem.message and "\n" not in problem.path


def test_definition_set_of_kind() -> None:
    loaded: DefinitionSet = load_definitions(default_surveys_dir())
    assert {d.id for d in loaded.of_kind("feedback")} == {"peer-sbi", "kudos"}


@pytest.mark.parametrize("scale", [3, 7])
def test_likert_labels_follow_the_scale(scale: int) -> None:
    survey, _ = parse_definition(
        "x.toml",
        {
            "id": "s",
            "kind": "survey",
            "title": "S",
            "questions": [{"id": "a", "type": "likert", "text": "A", "scale": scale}],
        },
    )
    assert isinstance(survey, SurveyDefinition) and len(survey.questions[0].point_labels) == scale
