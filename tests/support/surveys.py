"""Survey definitions and helpers shared by the survey, results, privacy and export tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from coptui.core.run import Run
from coptui.core.workspace import Workspace

OPENED = date(2026, 11, 2)

EVERY_TYPE = """
id = "every-type"
kind = "survey"
title = "Every type"
description = "One question of each type."
anonymous = {anonymous}
min_responses = {min_responses}
min_text_responses = {min_text}
allow_edit = {allow_edit}

[[questions]]
id = "mood"
type = "likert"
text = "I enjoy the meetups."
na = "Not applicable"
required = true

[[questions]]
id = "value"
type = "rating"
scale = 4
labels = ["Low", "High"]
text = "How much value did you get?"

[[questions]]
id = "recommend"
type = "nps"
text = "Would you recommend us?"
required = "soft"

[[questions]]
id = "why"
type = "text"
text = "Why not higher?"
show_if = "recommend <= 6"

[[questions]]
id = "topics"
type = "multi"
text = "Which topics interest you?"
options = ["ci", "observability", "iac"]
na = "None of these"

[[questions]]
id = "format"
type = "single"
text = "Which format do you prefer?"
options = ["meetup", "office hours"]

[[questions]]
id = "again"
type = "yesno"
text = "Will you come again?"
required = true

[[questions]]
id = "notes"
type = "text"
text = "Anything else?"
"""

MEMBERS = ["ada", "bruno", "chen", "dana", "emeka", "farah", "gus", "hana"]


def write_every_type(
    surveys_dir: Path,
    *,
    anonymous: bool = False,
    min_responses: int = 3,
    min_text: int | None = None,
    allow_edit: bool = False,
    definition_id: str = "every-type",
) -> Path:
    text = EVERY_TYPE.format(
        anonymous=str(anonymous).lower(),
        min_responses=min_responses,
        min_text=min_text if min_text is not None else max(min_responses, 5),
        allow_edit=str(allow_edit).lower(),
    ).replace('id = "every-type"', f'id = "{definition_id}"')
    path = surveys_dir / f"{definition_id}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def full_answers(**overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "mood": 4,
        "value": 3,
        "recommend": 9,
        "topics": ["ci", "iac"],
        "format": "meetup",
        "again": True,
        "notes": "Good.",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def open_every_type(surveys_dir: Path, data_dir: Path, **options: Any) -> tuple[Workspace, Run]:
    write_every_type(surveys_dir, **options)
    workspace = Workspace.open(data_dir, surveys_dir)
    run = workspace.runs.open_run(options.get("definition_id", "every-type"), by="ada", today=OPENED)
    return workspace, run
