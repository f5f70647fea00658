"""Demo retros: a year of them, played phase by phase through the core, as a facilitator would."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from coptui.core.retro.actions import add_action, set_action_status
from coptui.core.retro.board import board_for
from coptui.core.retro.commands import (
    add_card,
    advance,
    finish_retro,
    give_roti,
    merge_themes,
    name_theme,
    next_theme,
    vote,
)
from coptui.core.retro.model import ActionStatus, retro_definition

if TYPE_CHECKING:
    import random

    from coptui.core.workspace import Workspace

# -- demo history ---------------------------------------------------------------------------------

DEMO_CARDS: dict[str, list[list[str]]] = {
    # Each column lists topics; each topic is a few cards people write about the same thing.
    "start": [
        ["Pair on platform upgrades with product teams", "Invite product teams to pair on upgrades"],
        ["Publish a roadmap of the platform", "Share what the platform team plans for next quarter"],
        ["Run a newcomer onboarding session"],
    ],
    "stop": [
        ["Stop running meetups over time", "Meetups always overrun by 20 minutes"],
        ["Stop deciding things in DMs", "Decisions made in private chats get lost"],
    ],
    "continue": [
        ["Keep the office hours", "Office hours are the most useful part"],
        ["Lightning talks from members", "The 5-minute lightning talks"],
    ],
    "mad": [
        ["Flaky CI pipeline blocks releases", "CI fails randomly every other day"],
        ["Docs are out of date", "Runbooks do not match the real setup"],
    ],
    "sad": [
        ["Few people from mobile join", "Mobile engineers rarely show up"],
        ["The observability workshop was cancelled"],
    ],
    "glad": [
        ["The Terraform module library is a success", "Shared Terraform modules saved us weeks"],
        ["New members presenting already", "Hana's talk on tracing was great"],
    ],
    "liked": [
        ["Hands-on labs", "The Kubernetes lab session"],
        ["Friendly questions channel"],
    ],
    "learned": [
        ["How other teams do canary releases", "Canary release patterns from Checkout"],
        ["OpenTelemetry basics"],
    ],
    "lacked": [
        ["A clear agenda before meetups", "Agenda arrives too late"],
        ["Recordings for other time zones"],
    ],
    "longed": [
        ["A shared backlog of platform pain points", "One list of what hurts most"],
        ["A yearly in-person day"],
    ],
    "wind": [
        ["Management support for the guild", "Time allocated for guild work"],
        ["Growing library of templates"],
    ],
    "anchors": [
        ["Legacy Jenkins jobs", "Old Jenkins pipelines nobody owns"],
        ["Meetings clash with sprint planning"],
    ],
    "rocks": [
        ["Key people leaving", "Bus factor of one on the CI setup"],
        ["Cloud costs growing fast"],
    ],
    "island": [
        ["Self-service environments in minutes", "One-click preview environments"],
        ["Every team on the golden path"],
    ],
}
DEMO_ACTIONS = [
    "Send the meetup agenda two days before",
    "Record meetups and post the link in the channel",
    "Write a runbook for the CI pipeline",
    "Set up a buddy system for newcomers",
    "Start a shared backlog of platform pain points",
    "Move the meetup so it no longer clashes with planning",
    "Timebox meetups to 50 minutes",
    "Invite the mobile team lead to the next session",
    "Write up decisions in the wiki after each meetup",
    "Find a second owner for the CI setup",
]
DEMO_TEMPLATES = ["start-stop-continue", "mad-sad-glad", "4ls", "sailboat", "start-stop-continue", "4ls"]


def seed_demo_retros(workspace: Workspace, rng: random.Random, today: date) -> int:
    """Closed retros about every two months over the last year, played through every phase.

    Older actions were mostly done or dropped in the next retro's review; the latest retro's
    actions are still open, so owners see them at home. ROTI rises over the year.
    """
    facilitator = workspace.community.facilitators[0].handle
    handles = [m.handle for m in workspace.community.members]
    templates = [t for t in DEMO_TEMPLATES if workspace.definitions.get(t) is not None]
    if not templates:
        return 0
    count = 0
    for index in range(6):
        day = today - timedelta(days=61 * (6 - index) - 10)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        progress = index / 5
        at = datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=14)
        _play_demo_retro(workspace, rng, templates[index % len(templates)], day, at, facilitator, handles, progress)
        count += 1
    return count


def _play_demo_retro(
    workspace: Workspace,
    rng: random.Random,
    template: str,
    day: date,
    at: datetime,
    facilitator: str,
    handles: Sequence[str],
    progress: float,
) -> None:
    run = workspace.runs.open_run(template, by=facilitator, today=day)
    definition = retro_definition(run)
    people = rng.sample(list(handles), rng.randint(5, len(handles)))
    # Reviewing the open actions: about two in three done, one in five dropped, the rest still open.
    review = list(board_for(workspace, run.id, facilitator).review_actions)
    rng.shuffle(review)
    done = round(len(review) * (0.55 + 0.15 * progress))
    dropped = round(len(review) * 0.2) if len(review) >= 3 else 0
    for position, action in enumerate(review[: done + dropped]):
        status: ActionStatus = "done" if position < done else "dropped"
        set_action_status(workspace, action.id, facilitator, status, in_run=run.id, today=day)
    phase = advance(workspace, run.id, facilitator, now=at)
    assert phase == "write"
    for column in definition.columns:
        for topic in DEMO_CARDS.get(column.id, []):
            for writer, text in zip(rng.sample(people, min(len(topic), len(people))), topic):
                add_card(workspace, run.id, writer, column.id, text)
    advance(workspace, run.id, facilitator, to="group", now=at + timedelta(minutes=10))
    board = board_for(workspace, run.id, facilitator)
    by_text = {theme.cards[0].text: theme.id for theme in board.themes}
    for column in definition.columns:
        for topic in DEMO_CARDS.get(column.id, []):
            themes = [by_text[text] for text in topic if text in by_text]
            for other in themes[1:]:
                merge_themes(workspace, run.id, facilitator, other, themes[0])
            if len(themes) > 1:
                name_theme(workspace, run.id, facilitator, themes[0], topic[0])
    advance(workspace, run.id, facilitator, to="vote", now=at + timedelta(minutes=20))
    theme_ids = [t.id for t in board_for(workspace, run.id, facilitator).themes]
    appeal = [rng.random() ** 2 for _ in theme_ids]  # a few themes draw most of the votes
    for handle in people:
        for _ in range(definition.votes_per_person):
            vote(workspace, run.id, handle, rng.choices(theme_ids, weights=appeal)[0])
    advance(workspace, run.id, facilitator, to="discuss", now=at + timedelta(minutes=25))
    for step in range(2):
        next_theme(workspace, run.id, facilitator, now=at + timedelta(minutes=30 + 5 * step))
    advance(workspace, run.id, facilitator, to="actions", now=at + timedelta(minutes=45))
    for text in rng.sample(DEMO_ACTIONS, rng.randint(2, 3)):
        due = day + timedelta(days=rng.choice([14, 21, 30, 45]))
        add_action(workspace, run.id, facilitator, text, rng.choice(people), due, today=day)
    advance(workspace, run.id, facilitator, to="close", now=at + timedelta(minutes=55))
    for handle in people:
        score = max(1, min(5, round(rng.gauss(2.9 + 1.3 * progress, 0.8))))
        give_roti(workspace, run.id, handle, score)
    finish_retro(workspace, run.id, facilitator, today=day)
