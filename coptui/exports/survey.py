"""A survey's results as Markdown, CSV or JSON, under the same rules as the screens.

They come from :func:`coptui.core.results.run_results` only, so an export can never show what
the results screen withholds (an open anonymous run, too few responses, written answers under
their own threshold).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from coptui.core.results import QuestionResult, RunResults
from coptui.text import json_safe, markdown_inline, strip_controls

EXPORT_VERSION = 1
# Cells starting with these are run as formulas by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# -- survey results as data ---------------------------------------------------------------------


def question_data(item: QuestionResult) -> dict[str, Any]:
    question = item.question
    data: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "text": question.text,
        "answered": item.answered,
        "not_applicable": item.not_applicable,
    }
    if question.type == "text":
        data["texts"] = list(item.texts)
        if item.authors:
            data["authors"] = list(item.authors)
        if item.texts_withheld:
            data["texts_withheld"] = item.texts_withheld
        return data
    data["distribution"] = {str(key): count for key, count in item.distribution.items()}
    if item.mean is not None:
        data["mean"] = round(item.mean, 3)
    if item.favourable is not None:
        data["favourable"] = round(item.favourable, 3)
    if item.nps is not None:
        data["nps"] = {
            "score": None if item.nps.score is None else round(item.nps.score, 1),
            "promoters": item.nps.promoters,
            "passives": item.nps.passives,
            "detractors": item.nps.detractors,
        }
    return data


def results_data(results: RunResults) -> dict[str, Any]:
    """The released results of a survey run as plain data (what JSON and CSV are written from)."""
    run = results.run
    data: dict[str, Any] = {
        "export_version": EXPORT_VERSION,
        "run": {
            "id": run.id,
            "definition": run.definition_id,
            "title": run.title,
            "state": run.state,
            "opened_on": run.opened_on.isoformat(),
            "closed_on": run.closed_on.isoformat() if run.closed_on else None,
            "anonymous": run.anonymous,
            "min_responses": run.min_responses if run.anonymous else None,
            "min_text_responses": run.min_text_responses if run.anonymous else None,
        },
        "participation": {
            "responses": results.responses,
            "members": results.members,
            "rate": None if results.participation is None else round(results.participation, 3),
        },
        "released": results.released,
        "withheld": results.withheld,
        "questions": [question_data(item) for item in results.questions],
    }
    return data


def results_json(results: RunResults) -> str:
    """The results as JSON. Unlike the Markdown and CSV, the text is exactly what was typed
    (JSON is read by programs, which should get the data itself); every control and bidi
    character is written as its \\u escape, so the file is still safe to show."""
    return json_safe(json.dumps(results_data(results), indent=2, ensure_ascii=False)) + "\n"


def _cell(value: Any) -> str:
    """One CSV cell: a number as a number, text cleaned and never read as a formula."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # An NPS of -100 is -100 to a reader, whatever arithmetic made it.
        return str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A number starting with "-" is no formula: only text is defused, so numbers stay numbers.
        return str(value)
    text = strip_controls(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def results_csv(results: RunResults) -> str:
    """One row per figure: question, type, measure, key, value (text answers one per row)."""
    data = results_data(results)
    rows: list[list[Any]] = [["question", "type", "measure", "key", "value"]]
    share = data["participation"]
    rows += [["", "", "responses", "", share["responses"]], ["", "", "members", "", share["members"]]]
    rows.append(["", "", "participation", "", share["rate"]])
    if data["withheld"]:
        rows.append(["", "", "withheld", "", data["withheld"]])
    for question in data["questions"]:
        qid, qtype = question["id"], question["type"]
        rows += [[qid, qtype, "text", "", question["text"]], [qid, qtype, "answered", "", question["answered"]]]
        rows.append([qid, qtype, "not_applicable", "", question["not_applicable"]])
        for measure in ("mean", "favourable"):
            if measure in question:
                rows.append([qid, qtype, measure, "", question[measure]])
        for key, count in question.get("distribution", {}).items():
            rows.append([qid, qtype, "count", key, count])
        for key, value in question.get("nps", {}).items():
            rows.append([qid, qtype, "nps", key, value])
        authors = question.get("authors", [])
        for index, text in enumerate(question.get("texts", [])):
            rows.append([qid, qtype, "answer", authors[index] if authors else index + 1, text])
        if "texts_withheld" in question:
            rows.append([qid, qtype, "withheld", "", question["texts_withheld"]])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def results_markdown(results: RunResults) -> str:
    run = results.run
    lines = [f"# {markdown_inline(run.title)}", ""]
    state = f"closed on {run.closed_on.isoformat()}" if run.closed_on else "open"
    privacy = (
        f"anonymous (results from {run.min_responses} responses, written answers from {run.min_text_responses})"
        if run.anonymous
        else "named"
    )
    lines += [f"- Run: `{run.id}`", f"- Opened {run.opened_on.isoformat()}, {state}; {privacy}"]
    rate = f" ({results.participation:.0%})" if results.participation is not None else ""
    lines += [f"- Participation: {results.responses} of {results.members} members{rate}", ""]
    if results.withheld:
        lines += [f"> {markdown_inline(results.withheld)}", ""]
    for number, item in enumerate(results.questions, start=1):
        lines += _question_markdown(number, item)
    return "\n".join(lines).rstrip() + "\n"


def _question_markdown(number: int, item: QuestionResult) -> list[str]:
    question = item.question
    lines = [f"## {number}. {markdown_inline(question.text)}", ""]
    facts = [f"{item.answered} answered", f"{item.not_applicable} not applicable or not asked"]
    if item.mean is not None:
        facts.append(f"mean {item.mean:.2f}")
    if item.favourable is not None:
        facts.append(f"{item.favourable:.0%} favourable")
    lines += ["; ".join(facts), ""]
    if item.nps is not None and item.nps.score is not None:
        nps = item.nps
        lines += [
            f"NPS {nps.score:+.0f}: {nps.promoters} promoters, {nps.passives} passives, {nps.detractors} detractors",
            "",
        ]
    if question.type == "text":
        if item.texts_withheld:
            lines += [f"_{markdown_inline(item.texts_withheld)}_", ""]
        else:
            for index, text in enumerate(item.texts):
                author = f" — {markdown_inline(item.authors[index])}" if item.authors else ""
                lines.append(f"- {markdown_inline(text)}{author}")
            if not item.texts:
                lines.append("No written answers.")
            lines.append("")
        return lines
    labels = _labels(item)
    lines += ["| answer | count |", "| --- | ---: |"]
    for key, count in item.distribution.items():
        lines.append(f"| {markdown_inline(labels.get(key, str(key)))} | {count} |")
    lines.append("")
    return lines


def _labels(item: QuestionResult) -> dict[Any, str]:
    question = item.question
    span = question.value_range
    if span is None or question.type == "nps":
        return {}
    return {
        point: label if label.startswith(str(point)) else f"{point} {label}"
        for point, label in zip(range(span[0], span[1] + 1), question.point_labels)
    }
