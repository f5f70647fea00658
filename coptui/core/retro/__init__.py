"""The retro state machine: phases, private writing, reveal, themes, votes, timers, actions, ROTI.

Everything lives in the run's file (one atomic write per change, under the store's lock):

    retro_state         one record "state": phase, timer deadline, discussion order
    retro_pending       cards written but not revealed: author, column, text
    retro_cards         revealed cards: column, text, theme (and author unless anonymous)
    retro_themes        groups of revealed cards: column, name
    retro_votes         per member (handle): votes per theme; hidden until the vote ends
    retro_roti          anonymous ROTI scores under random keys: no handle, no time
    retro_roti_given    who gave a ROTI (handle -> true), with no key shared with the scores
    drafts              per member (handle): text being written and not sent yet (:mod:`.drafts`)

When the write phase ends, every pending card is copied to ``retro_cards`` under a new
random id (for an anonymous template without its author) and the pending table is
emptied, so nothing stored after the reveal links an anonymous card to its writer.

Actions live past their retro in ``actions.json`` (status open / done / dropped) and come
back in the review phase of the next retro and on their owner's home screen.

Screens render only from :func:`board_for` (in :mod:`.board`), the view of one member: others' unrevealed
cards are never in it, so their text never reaches another terminal.

The package: :mod:`.model` (tables, phases, views), :mod:`.board` (reading: what one member may
see), :mod:`.commands` (changing a retro), :mod:`.drafts` (what a member had not sent yet),
:mod:`.actions` (actions that outlive their retro).
The names below are its public API.
"""

from coptui.core.retro.actions import add_action, list_actions, open_actions_for, parse_due, set_action_status
from coptui.core.retro.board import RetroFiles, board_for, board_from, read_retro, retro_stats
from coptui.core.retro.commands import (
    add_card,
    advance,
    delete_card,
    edit_card,
    extend_timer,
    finish_retro,
    give_roti,
    merge_themes,
    name_theme,
    next_phase,
    next_theme,
    skip_phase,
    ungroup_theme,
    unvote,
    vote,
)
from coptui.core.retro.drafts import ComposerDraft, draft_in, drop_draft, keep_draft
from coptui.core.retro.model import (
    ACTION_STATUSES,
    ACTIONS,
    CARDS,
    MAX_ACTION_CHARS,
    MAX_CARD_CHARS,
    MAX_NAME_CHARS,
    MIN_TALLY,
    PENDING,
    PHASE_HINTS,
    PHASE_TITLES,
    ROTI,
    ROTI_GIVEN,
    STATE,
    STATE_KEY,
    THEMES,
    VOTES,
    ActionStatus,
    ActionView,
    CardView,
    ColumnView,
    RetroBoard,
    RetroError,
    ThemeView,
    held_back_tally,
    retro_definition,
    shown_scores,
)

__all__ = [
    "ACTIONS",
    "ACTION_STATUSES",
    "CARDS",
    "MAX_ACTION_CHARS",
    "MAX_CARD_CHARS",
    "MAX_NAME_CHARS",
    "MIN_TALLY",
    "PENDING",
    "PHASE_HINTS",
    "PHASE_TITLES",
    "ROTI",
    "ROTI_GIVEN",
    "STATE",
    "STATE_KEY",
    "THEMES",
    "VOTES",
    "ActionStatus",
    "ActionView",
    "CardView",
    "ColumnView",
    "ComposerDraft",
    "RetroBoard",
    "RetroError",
    "RetroFiles",
    "ThemeView",
    "add_action",
    "add_card",
    "advance",
    "board_for",
    "board_from",
    "delete_card",
    "draft_in",
    "drop_draft",
    "edit_card",
    "extend_timer",
    "finish_retro",
    "give_roti",
    "held_back_tally",
    "keep_draft",
    "list_actions",
    "merge_themes",
    "name_theme",
    "next_phase",
    "next_theme",
    "open_actions_for",
    "parse_due",
    "read_retro",
    "retro_definition",
    "retro_stats",
    "set_action_status",
    "shown_scores",
    "skip_phase",
    "ungroup_theme",
    "unvote",
    "vote",
]
