"""Demo feedback rounds: SBI pieces and kudos given, thanked and released through the core."""

from __future__ import annotations

import random
from datetime import date, timedelta

from coptui.core.feedback.giving import start_round, submit
from coptui.core.feedback.inbox import _released, thank
from coptui.core.feedback.pairing import Pairing
from coptui.core.feedback.rounds import _load
from coptui.core.run import Run
from coptui.core.workspace import Workspace

# -- demo history ------------------------------------------------------------------------------

# Whole SBI pieces (situation, behaviour, impact), praise and critique, so the demo reads true.
SBI_PIECES = [
    (
        "In the incident review of the checkout outage on Tuesday",
        "you summarised the three options on the whiteboard before anyone voted.",
        "We decided in ten minutes instead of the usual hour, and nobody left confused.",
    ),
    (
        "During the meetup on Terraform module versioning",
        "you asked the quieter people in the room for their view, by name.",
        "Two people who rarely speak shared ideas that changed our upgrade plan.",
    ),
    (
        "In the platform roadmap discussion",
        "you cut in twice before the speaker had finished their point.",
        "I lost my train of thought and never raised the risk I had noticed about the migration.",
    ),
    (
        "After the decision on the shared CI templates",
        "you wrote the decision down and posted it in the channel within the hour.",
        "People who missed the session knew what we had decided the same day.",
    ),
    (
        "At the start of the observability working session",
        "you went deep into exporter configuration while we were still agreeing on the problem.",
        "We ran out of time before we agreed on what to measure, and the topic moved to next month.",
    ),
    (
        "At office hours, when the Mobile team asked about build caches",
        "you shared your screen and walked through the failing pipeline step by step.",
        "I finally understood how our caching layers fit together, and fixed our build the next day.",
    ),
    (
        "When Hana joined the guild in the spring",
        "you offered to pair with her on her first Terraform change.",
        "She shipped it within a week and now helps others with theirs.",
    ),
    (
        "When I proposed moving the runners to spot instances",
        'you said "we tried that, it won\'t work" without saying what had happened.',
        "The idea was dropped, and I still don't know what went wrong last time.",
    ),
    (
        "In the retro about on-call load",
        "you brought the pager numbers for the last three months instead of impressions.",
        "The discussion stayed on facts, and we agreed on a rota change in one session.",
    ),
]
KUDOS = [
    "Thank you for reviewing my Helm chart on a Friday evening: it unblocked the whole release.",
    "Your write-up of the Kafka migration saved my team days. Thank you!",
    "Thanks for running office hours while Ada was away; it kept everyone going.",
    "The dashboard template you shared is now used by four teams. Great work.",
    "Thank you for your patience walking me through our Terraform state layout.",
    "Your talk on flaky tests was the best meetup of the year.",
]


def _sbi(rng: random.Random) -> dict[str, str]:
    situation, behaviour, impact = rng.choice(SBI_PIECES)
    return {"situation": situation, "behaviour": behaviour, "impact": impact}


def seed_demo_feedback(workspace: Workspace, rng: random.Random, today: date) -> int:
    """Feedback rounds for the demo: three SBI rotations (one open now) and a kudos round.

    Returns how many pieces were given. Completion grows over the year, and in the first
    round some members get fewer than three pieces, so the inbox shows a round held back.
    """
    if "peer-sbi" not in workspace.definitions.definitions or "kudos" not in workspace.definitions.definitions:
        return 0
    facilitator = workspace.community.facilitators[0].handle
    count = 0
    plans = [(140, 0.7, "peer-sbi"), (100, 0.8, "kudos"), (56, 0.95, "peer-sbi")]
    for days_ago, share, definition_id in plans:
        opened = today - timedelta(days=days_ago)
        closing = opened + timedelta(days=14)
        mode, per_member = ("free", 1) if definition_id == "kudos" else ("rotation", 3)
        run = start_round(
            workspace, definition_id, facilitator, mode, per_member, closing, seed=rng.randrange(2**32), today=opened
        )
        count += _seed_giving(workspace, run, rng, share, opened)
        workspace.runs.close_run(run.id, by=facilitator, today=closing)
        _seed_thanks(workspace, run, rng, closing + timedelta(days=1))
    opened = today - timedelta(days=6)
    run = start_round(
        workspace,
        "peer-sbi",
        facilitator,
        "rotation",
        3,
        today + timedelta(days=8),
        seed=rng.randrange(2**32),
        today=opened,
    )
    # The facilitator has not given yet, so the demo opens on feedback still owed.
    count += _seed_giving(workspace, run, rng, 0.45, today, skip=facilitator)
    return count


def _seed_giving(
    workspace: Workspace, run: Run, rng: random.Random, share: float, day: date, skip: str | None = None
) -> int:
    pairing = Pairing.from_settings(run.settings)
    count = 0
    for giver in pairing.members:
        if giver == skip:
            continue
        if pairing.mode == "free":
            recipients = rng.sample(pairing.recipients_for(giver), rng.choice([1, 1, 2]))
        else:
            recipients = list(pairing.recipients_for(giver))
        for recipient in recipients:
            if rng.random() >= share:
                continue
            fields = {"message": rng.choice(KUDOS)} if run.definition_id == "kudos" else _sbi(rng)
            submit(workspace, run.id, giver, recipient, fields, today=day)
            count += 1
    return count


def _seed_thanks(workspace: Workspace, run: Run, rng: random.Random, day: date) -> None:
    for handle in Pairing.from_settings(run.settings).members:
        current = _load(workspace.store, run.id)
        pieces, _ = _released(workspace, current, handle, day)
        for piece in pieces:
            if rng.random() < 0.5:
                thank(workspace, run.id, handle, piece.piece_id, today=day)
