"""A year of realistic history for the demo community, so every screen has something true to show.

The story the data tells: the Platform Engineering Guild started the year with lukewarm
scores and patchy attendance; after a spring retro it changed its meetup format, and
value, NPS and participation climb through the autumn. One summer pulse got too few
answers to show (the anonymity threshold at work). The latest pulse is open now.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from coptui.core.run import NA
from coptui.core.runs import Runs
from coptui.core.workspace import Workspace
from coptui.demo.feedback import seed_demo_feedback
from coptui.demo.retros import seed_demo_retros
from coptui.errors import CoptuiError

SEED = 2026
MONTHS = 12

IMPROVE_TEXTS = [
    "More hands-on sessions, fewer slide decks.",
    "Record the meetups for people in other time zones.",
    "A shared backlog of platform pain points would help.",
    "Invite product teams to demo how they use the platform.",
    "Keep the office hours, they are the most useful part.",
    "Shorter meetups, with a clear agenda sent beforehand.",
    "Pair newcomers with a buddy for their first month.",
    "Write up decisions so that people who missed a session can catch up.",
]
WHY_TEXTS = [
    "Sessions often run over and I lose the afternoon.",
    "Too much of it is about tools my team does not use.",
    "Hard to join when the meetups clash with our planning.",
    "I would recommend it if the topics were announced earlier.",
]


class DemoError(CoptuiError):
    """The demo history cannot be written here; the message says why."""


def _months_back(today: date, count: int) -> list[date]:
    """The first working day of each of the last ``count`` months, oldest first."""
    days = []
    year, month = today.year, today.month
    for _ in range(count):
        day = date(year, month, 1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        days.append(day)
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(days))


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _pulse_answers(rng: random.Random, progress: float) -> dict:
    """One member's pulse; ``progress`` runs from 0 (a year ago) to 1 (now)."""
    mood = rng.gauss(0, 0.7)
    answers: dict = {
        "domain": _clamp(3.4 + 1.0 * progress + mood, 1, 5),
        "community": _clamp(3.0 + 1.3 * progress + mood, 1, 5),
        "practice": _clamp(2.8 + 1.2 * progress + mood, 1, 5) if rng.random() > 0.08 else NA,
        "value": _clamp(3.0 + 1.4 * progress + mood, 1, 5),
        "recommend": _clamp(6.2 + 3.0 * progress + 1.6 * mood, 0, 10),
        "attended": rng.choice(
            ["meetup", "office hours", "both", "both", "none"]
            if progress > 0.5
            else ["meetup", "none", "none", "office hours", "both"]
        ),
    }
    if answers["recommend"] <= 6 and rng.random() < 0.7:
        answers["recommend_why"] = rng.choice(WHY_TEXTS)
    if rng.random() < 0.45:
        answers["improve"] = rng.choice(IMPROVE_TEXTS)
    return answers


def _health_answers(rng: random.Random, progress: float) -> dict:
    answers: dict = {}
    for indicator, start in (("mission", 2.0), ("learning", 2.1), ("fun", 2.2), ("support", 1.5), ("delivering", 1.6)):
        answers[indicator] = _clamp(start + 0.8 * progress + rng.gauss(0, 0.45), 1, 3)
        answers[f"{indicator}_trend"] = rng.choices(
            ["better", "same", "worse"], weights=[2 + 3 * progress, 3, 2 - progress]
        )[0]
    return answers


def _stamp(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(9 + rng.randrange(8), rng.randrange(60)), tzinfo=UTC)


def seed_surveys(workspace: Workspace, rng: random.Random, today: date) -> int:
    """Monthly pulses (the last one still open) and a quarterly health check."""
    runs = Runs(workspace.store, workspace.definitions, workspace.community)
    facilitator = workspace.community.facilitators[0].handle
    handles = [m.handle for m in workspace.community.members]
    months = _months_back(today, MONTHS)
    count = 0
    for index, opened in enumerate(months):
        progress = index / (len(months) - 1)
        is_current = index == len(months) - 1
        run = runs.open_run("cop-pulse", by=facilitator, today=opened)
        share = 0.6 + 0.35 * progress + rng.uniform(-0.05, 0.05)
        if index == 6:
            share = 0.5  # the summer pulse: four answers, one short of the threshold
        answering = rng.sample(handles, _clamp(share * len(handles), 1, len(handles)))
        if is_current:
            answering = [h for h in answering if h != facilitator][:4]
        for handle in answering:
            runs.submit_response(run.id, handle, _pulse_answers(rng, progress))
            count += 1
        if not is_current:
            runs.close_run(run.id, by=facilitator, today=opened + timedelta(days=14))
        if index % 3 == 2 and not is_current:
            check = runs.open_run("health-check", by=facilitator, today=opened + timedelta(days=7))
            for handle in rng.sample(handles, _clamp((0.55 + 0.35 * progress) * len(handles), 3, len(handles))):
                runs.submit_response(
                    check.id, handle, _health_answers(rng, progress), now=_stamp(opened + timedelta(days=8), rng)
                )
                count += 1
            runs.close_run(check.id, by=facilitator, today=opened + timedelta(days=12))
    return count


def seed_demo(data_dir: Path, surveys_dir: Path, *, today: date | None = None) -> str:
    """Fill an empty data folder with a year of history; returns a one-line summary."""
    today = today or date.today()
    data_dir = Path(data_dir)
    if (data_dir / "runs").is_dir() and any((data_dir / "runs").glob("*.json")):
        raise DemoError(f"{data_dir} already holds runs; seed-demo only fills an empty data folder")
    workspace = Workspace.open(data_dir, surveys_dir)
    rng = random.Random(SEED)
    responses = seed_surveys(workspace, rng, today)
    seed_demo_retros(workspace, rng, today)  # after the surveys, so their random draws stay the same
    seed_demo_feedback(workspace, rng, today)
    run_count = len(workspace.store.run_records())
    return f"Seeded {data_dir}: {run_count} runs, {responses} survey responses, over {MONTHS} months up to {today}."
