"""The one gate to survey results: every screen, export, report and trend reads through here.

For a run of an anonymous survey:
- nothing of the answers (no chart, mean or per-question count) while the run is open;
- nothing of the answers when it closed with fewer than ``min_responses`` responses:
  only how many more were needed;
- free text only from ``min_text_responses`` responses on, in an order unrelated to
  submission (sorted by a hash of the text), without times or names.
Participation (responses / members) is always shown; who answered never is.
The thresholds come from the run, frozen when it opened, never from the current TOML.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from coptui.core.definitions import Question, SurveyDefinition
from coptui.core.run import PARTICIPANTS, RESPONSES, Run
from coptui.store.store import Snapshot, Store

FAVOURABLE_FROM = {3: 3, 4: 3, 5: 4, 6: 5, 7: 6}  # likert points counted as favourable (agree and above)


@dataclass(frozen=True)
class NpsBreakdown:
    promoters: int
    passives: int
    detractors: int

    @property
    def total(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        if not self.total:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.total


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    not_applicable: int = 0
    distribution: dict[Any, int] = field(default_factory=dict)  # scale point or option -> count, in order
    mean: float | None = None
    favourable: float | None = None
    nps: NpsBreakdown | None = None
    texts: list[str] = field(default_factory=list)
    texts_withheld: str | None = None
    authors: list[str] = field(default_factory=list)  # parallel to texts, named runs only


@dataclass
class RunResults:
    run: Run
    responses: int
    members: int
    released: bool
    withheld: str | None = None
    needed: int = 0
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def participation(self) -> float | None:
        return None if not self.members else min(1.0, self.responses / self.members)


def text_order(text: str) -> str:
    """A sort key unrelated to submission order, stable across runs of the program."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def favourable_from(question: Question) -> int:
    """The lowest point counted as favourable: the top ~40% of a rating, agree and above on a likert."""
    assert question.scale is not None
    if question.type == "likert":
        return FAVOURABLE_FROM[question.scale]
    return question.scale - max(1, round(question.scale * 0.4)) + 1


def run_results(store: Store, run: Run, snapshot: Snapshot | None = None) -> RunResults:
    """The results of one survey run as anyone may see them."""
    snapshot = snapshot or store.read_run(run.id)
    responses = snapshot.count(PARTICIPANTS)
    base = RunResults(run=run, responses=responses, members=run.members, released=True)
    if run.anonymous:
        if run.is_open:
            base.released = False
            base.withheld = (
                "This survey is anonymous: results appear when it is closed and has at least "
                f"{run.min_responses} responses. Only participation is shown until then."
            )
            return base
        if responses < run.min_responses:
            base.released = False
            base.needed = run.min_responses - responses
            base.withheld = (
                f"Not enough responses to show results without risking anyone's anonymity: "
                f"{responses} of the {run.min_responses} needed ({base.needed} more "
                f"{'was' if base.needed == 1 else 'were'} needed)."
            )
            return base
    survey = run.survey()
    records = list(snapshot.all(RESPONSES).values())
    base.questions = [_question_result(run, survey, q, records, responses) for q in survey.questions]
    return base


def _question_result(
    run: Run, survey: SurveyDefinition, question: Question, records: list[dict[str, Any]], responses: int
) -> QuestionResult:
    result = QuestionResult(question=question)
    values = []
    authored: list[tuple[str, str]] = []
    for record in records:
        answers = record.get("answers", {})
        if question.id in record.get("na", []):
            result.not_applicable += 1
        elif question.id in answers:
            values.append(answers[question.id])
            if question.type == "text":
                authored.append((answers[question.id], record.get("member", "")))
    result.answered = len(values)
    span = question.value_range
    if span is not None:
        counts = Counter(values)
        result.distribution = {point: counts.get(point, 0) for point in range(span[0], span[1] + 1)}
        if values:
            result.mean = sum(values) / len(values)
        if question.type == "nps":
            result.nps = NpsBreakdown(
                promoters=sum(1 for v in values if v >= 9),
                passives=sum(1 for v in values if 7 <= v <= 8),
                detractors=sum(1 for v in values if v <= 6),
            )
        elif values:
            threshold = favourable_from(question)
            result.favourable = sum(1 for v in values if v >= threshold) / len(values)
    elif question.type in ("single", "multi"):
        counts = Counter(v for value in values for v in (value if isinstance(value, list) else [value]))
        result.distribution = {option: counts.get(option, 0) for option in question.options or []}
    elif question.type == "yesno":
        counts = Counter(values)
        result.distribution = {"yes": counts.get(True, 0), "no": counts.get(False, 0)}
    elif question.type == "text":
        if run.anonymous and responses < run.min_text_responses:
            result.texts_withheld = (
                f"Written answers are shown from {run.min_text_responses} responses on; this run has {responses}."
            )
        else:
            authored.sort(key=lambda pair: text_order(pair[0]))
            result.texts = [text for text, _ in authored]
            if not run.anonymous:
                result.authors = [author for _, author in authored]
    return result


def summarize(results: RunResults) -> dict[str, Any]:
    """What the index keeps of a closed run for trends: counts only, never text, already gated."""
    summary: dict[str, Any] = {
        "responses": results.responses,
        "members": results.members,
        "released": results.released,
        "questions": {},
    }
    for item in results.questions:
        if item.question.type == "text":
            continue
        summary["questions"][item.question.id] = {
            "answered": item.answered,
            "na": item.not_applicable,
            "distribution": {str(k): v for k, v in item.distribution.items()},
        }
    return summary
