"""Which retro commands a member may give in each phase, and which only the facilitator may.

The retro code refuses a command out of its phase (coptui.core.retro) by the same table,
``COMMAND_PHASES``; here it is applied to a member's board ahead of time, so that a screen
offers only what will be taken. Commands are named as the retro screen's actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coptui.core.retro.model import COMMAND_PHASES

if TYPE_CHECKING:
    from coptui.core.retro import RetroBoard

FACILITATOR_COMMANDS = frozenset({"reveal", "next_phase", "skip_phase", "extend_timer", "next_theme", "finish"})
COMMANDS = frozenset(COMMAND_PHASES) | FACILITATOR_COMMANDS

# The phase in which each kind of text is written: a card (new or edited), a theme's name.
TEXT_PHASES: dict[str, str] = {"card": "write", "edit": "write", "name": "group"}


def allowed(board: RetroBoard, command: str) -> bool:
    """Whether the member whose board this is may give ``command`` (one of COMMANDS) now."""
    if not board.is_open:
        return False
    if command in FACILITATOR_COMMANDS and not board.is_facilitator:
        return False
    phases = COMMAND_PHASES.get(command)
    if phases is not None and board.phase not in phases:
        return False
    if command == "next_phase":
        # Leaving the write phase reveals every card: that is the reveal command there.
        return board.next_phase is not None and board.phase != "write"
    if command == "skip_phase":
        return board.phase_index + 2 < len(board.phases)
    if command == "roti":
        return not board.roti_given
    return True


def spent(board: RetroBoard, command: str) -> bool:
    """Whether ``command`` is of the phase but the member has nothing left to give (out of votes)."""
    return command == "vote" and board.votes_left == 0


def text_still_taken(board: RetroBoard, kind: str) -> bool:
    """Whether a text of ``kind`` (card, edit, name) being written can still be sent."""
    return board.is_open and board.phase == TEXT_PHASES[kind]
