"""`coptui export`: the text of any run's export, each kind under its own rules.

Surveys go through the results gate (:mod:`coptui.exports.survey`); a retro shows only revealed
cards (:mod:`coptui.exports.retro`); a member exports only the feedback they received
(:mod:`coptui.exports.feedback`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coptui.core.results import run_results
from coptui.core.run import Run, RunError
from coptui.exports import feedback, retro, survey

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace

SURVEY_FORMATS = {"md": survey.results_markdown, "csv": survey.results_csv, "json": survey.results_json}


class ExportError(RunError):
    """An export that cannot be made; the message says why."""


def export_run(workspace: Workspace, run: Run, fmt: str, handle: str | None) -> str:
    """The text of an export: gated survey results, a retro, or one member's feedback."""
    if run.kind == "survey":
        return SURVEY_FORMATS[fmt](run_results(workspace.store, run))
    if fmt != "md":
        raise ExportError(f"{run.id} is a {run.kind} run; it exports as Markdown only (use --format md)")
    if run.kind == "retro":
        return retro.export_markdown(workspace, run)
    if handle is None:
        raise ExportError("a feedback round exports the feedback you received: say who you are with --as HANDLE")
    return feedback.export_markdown(workspace, run, handle)
