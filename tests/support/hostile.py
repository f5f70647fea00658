"""A community whose every piece of user text is hostile: for the tests that each path shows it
as data (never markup, an escape sequence, a reordering or a broken table).

One helper builds it all: member and community names, a survey's title, questions, options and
answers, a retro's cards, theme and action, a feedback piece and an objective's title, each
holding the same string of tricks.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from coptui.core.definitions import FeedbackDefinition, RetroDefinition
from coptui.core.feedback import start_round
from coptui.core.feedback.giving import submit
from coptui.core.retro import commands as retro
from coptui.core.retro.actions import add_action
from coptui.core.run import Run
from coptui.core.workspace import Workspace

# Bidi overrides and isolates, a CSI that clears the screen, OSC 8 (a hidden link) and OSC 52
# (writes the clipboard), an 8-bit CSI, Rich markup and a Rich link, Markdown that would break
# a table or nest a list, a formula, and a line break.
HOSTILE = (
    "=cmd|' /C calc'!A0 \u202eevil\u202c \u2066iso\u2069 \u200f\u200e\u061c "
    "\x1b[2J\x1b[31mred \x1b]8;;https://e.vil/\x07link\x1b]8;;\x07 \x1b]52;c;aGVsbG8=\x07 "
    "\x9b31m\x90dcs\x9c [bold red]loud[/] [link=https://e.vil/]click[/link] "
    "| pipe | *star* <b>tag</b>\nsecond line\u2028third"
)
# The same tricks, short enough for a theme name (120 characters).
SHORT = "\u202eevil\u202c \x1b[2J\x1b]52;c;aGk=\x07\x9b31m [bold red]x[/] [link=https://e.vil/]y[/link] | - z"
# What must never reach a terminal, a screen or an export.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
DAY = date(2026, 11, 2)
CLOSED = date(2026, 11, 20)


def toml_string(value: str) -> str:
    """A TOML basic string holding ``value`` (JSON's escapes are TOML's for the BMP)."""
    return json.dumps(value)


def hostile_name(tag: str) -> str:
    return f"{tag} {HOSTILE}"


def write_hostile_community(surveys_dir: Path) -> None:
    """The shipped community with hostile names, plus a survey of hostile text."""
    community = surveys_dir / "community.toml"
    text = community.read_text(encoding="utf-8")
    text = text.replace('name = "Platform Engineering Guild"', f"name = {toml_string(hostile_name('Guild'))}", 1)
    text = text.replace('name = "Chen Wei"', f"name = {toml_string(hostile_name('Chen'))}", 1)
    text = text.replace('name = "Ada Okafor"', f"name = {toml_string(hostile_name('Ada'))}", 1)
    text = text.replace(
        'title = "Members recommend the community"', f"title = {toml_string(hostile_name('Objective'))}", 1
    )
    community.write_text(text, encoding="utf-8")
    for name, old in [
        ("retro-4ls.toml", 'title = "4Ls: Liked, Learned, Lacked, Longed for"'),
        ("retro-4ls.toml", 'title = "Liked"'),
        ("feedback-kudos.toml", 'title = "Kudos"'),
    ]:
        path = surveys_dir / name
        tag = old.split('"')[1].split(":")[0]
        path.write_text(
            path.read_text(encoding="utf-8").replace(old, f"title = {toml_string(f'{tag} {SHORT}')}", 1),
            encoding="utf-8",
        )
    kudos = surveys_dir / "feedback-kudos.toml"
    kudos.write_text(
        kudos.read_text(encoding="utf-8")
        + f'\n[[fields]]\nid = "message"\ntitle = {toml_string(f"Field {SHORT}")}\nprompt = {toml_string(f"Prompt {SHORT}")}\n',
        encoding="utf-8",
    )
    options = [hostile_name("first"), hostile_name("second"), "-100", "=1+1"]
    (surveys_dir / "hostile.toml").write_text(
        "\n".join(
            [
                'id = "hostile"',
                'kind = "survey"',
                f"title = {toml_string(hostile_name('Survey'))}",
                f"description = {toml_string(hostile_name('About'))}",
                "anonymous = false",
                "",
                "[[questions]]",
                'id = "pick"',
                'type = "multi"',
                f"text = {toml_string(hostile_name('Pick'))}",
                f"options = [{', '.join(toml_string(option) for option in options)}]",
                "",
                "[[questions]]",
                'id = "recommend"',
                'type = "nps"',
                f"text = {toml_string(hostile_name('Recommend'))}",
                "",
                "[[questions]]",
                'id = "notes"',
                'type = "text"',
                f"text = {toml_string(hostile_name('Notes'))}",
                "",
            ]
        ),
        encoding="utf-8",
    )


def hostile_survey(workspace: Workspace, *, close: bool = True) -> Run:
    """A run of the hostile survey, answered by three members with hostile text, all detractors
    (an NPS of -100)."""
    run = workspace.runs.open_run("hostile", by="ada", today=DAY)
    question = workspace.runs.get(run.id).survey().question("pick")
    assert question is not None and question.options is not None
    for handle in ("ada", "bruno", "chen"):
        answers = {"pick": question.options[:2], "recommend": 0, "notes": hostile_name(handle)}
        workspace.runs.submit_response(run.id, handle, answers)
    if close:
        workspace.runs.close_run(run.id, by="ada", today=CLOSED)
    return run


def hostile_retro(workspace: Workspace) -> Run:
    """A retro with hostile cards, theme name and action, revealed and grouped."""
    definition = workspace.definitions.definitions["4ls"]
    run = workspace.runs.open_run(definition.id, by="ada", today=DAY)
    assert isinstance(definition, RetroDefinition)
    column = definition.columns[0].id
    retro.advance(workspace, run.id, "ada", to="write")
    retro.add_card(workspace, run.id, "chen", column, hostile_name("card"))
    retro.add_card(workspace, run.id, "dana", column, hostile_name("other card"))
    while retro.advance(workspace, run.id, "ada") != "group":
        pass
    from coptui.core.retro.board import board_for

    themes = [theme.id for theme in board_for(workspace, run.id, "ada").themes]
    retro.merge_themes(workspace, run.id, "ada", themes[1], themes[0])
    retro.name_theme(workspace, run.id, "ada", themes[0], f"theme {SHORT}")
    retro.advance(workspace, run.id, "ada", to="actions")
    add_action(workspace, run.id, "ada", hostile_name("action"), "chen", None, today=DAY)
    return run


def hostile_feedback(workspace: Workspace) -> Run:
    """A named feedback round in which Ada gives Chen a piece of hostile text."""
    form = workspace.definitions.definitions["kudos"]
    run = start_round(workspace, form.id, by="ada", pairing="all", today=DAY)
    assert isinstance(form, FeedbackDefinition) and form.fields
    fields = {field.id: hostile_name(field.id) for field in form.fields}
    submit(workspace, run.id, "ada", "chen", fields, today=DAY)
    return run
