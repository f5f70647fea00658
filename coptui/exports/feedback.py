"""The feedback one member received in one round, as Markdown: their own and nothing else."""

from __future__ import annotations

from datetime import date

from coptui.core.feedback.inbox import _released
from coptui.core.feedback.model import FeedbackError, _member_name
from coptui.core.feedback.rounds import _load
from coptui.core.run import Run
from coptui.core.workspace import Workspace
from coptui.text import markdown_inline

# -- export ------------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    # A blockquote keeps a giver's line breaks; each line is escaped like any other user text.
    return "\n".join(f"> {markdown_inline(line)}" if line.strip() else ">" for line in text.splitlines())


def export_markdown(workspace: Workspace, run: Run, handle: str, today: date | None = None) -> str:
    """The feedback ``handle`` received in one round, as Markdown: their own and nothing else."""
    if workspace.community.member(handle) is None:
        raise FeedbackError(f"{handle!r} is not a member of {workspace.community.name}")
    current = _load(workspace.store, run.id)
    name = _member_name(workspace, handle)
    state = f"closed {current.run.closed_on}" if current.run.closed_on else "open"
    lines = [
        f"# Feedback for {markdown_inline(name)}",
        "",
        f"{markdown_inline(current.run.title)}, round {current.run.id} (opened {current.run.opened_on}, {state}; "
        f"{'anonymous' if current.run.anonymous else 'named'}).",
        "",
    ]
    if handle not in current.pairing.members:
        return "\n".join([*lines, "You were not part of this round.", ""])
    pieces, held = _released(workspace, current, handle, today)
    if held is not None:
        return "\n".join([*lines, held.reason, ""])
    if not pieces:
        return "\n".join([*lines, "Nobody gave you feedback in this round.", ""])
    for number, piece in enumerate(pieces, start=1):
        heading = f"## Feedback {number}"
        if piece.giver:
            heading += f" from {markdown_inline(piece.giver)}" + (f", {piece.day}" if piece.day else "")
        lines += [heading, ""]
        for title, text in piece.fields:
            lines += [f"**{markdown_inline(title)}**", "", _quoted(text), ""]
        if piece.thanked:
            lines += ["_You thanked the giver._", ""]
    return "\n".join(lines)
