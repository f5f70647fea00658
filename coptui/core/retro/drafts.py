"""What a member was writing on the retro board and had not sent yet: kept in the store, so
that a dropped connection or a server stop loses none of it.

One record per member in the run's drafts file (``drafts/<run>.json``, core/drafts.py: never
beside the cards, so no name is kept next to a card's text; key: the handle): what it was written
for (``kind``: a new card, an edit of one's card, a theme's name, a new action; ``target``: the
column, card, theme, or the action's owner) and the text (and an action's due date as typed). It is read by its writer's board alone (never in a
:class:`~coptui.core.retro.model.RetroBoard`, so never on another terminal), written when the
writer pauses and when their session ends, and dropped when the text is sent or given up. A
change of phase drops those the new phase does not take (``commands._enter``, by
:data:`~coptui.core.retro.model.DRAFT_COMMANDS`): a card's text never outlives the writing, nor
links a revealed card to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from coptui.core import drafts
from coptui.core.retro.commands import _Retro
from coptui.core.retro.model import DRAFT_COMMANDS, MAX_ACTION_CHARS, MAX_CARD_CHARS, MAX_NAME_CHARS, RetroError
from coptui.core.run import DRAFTS

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace
    from coptui.store.store import Snapshot, Store

# The longest text of each kind (the limit of the command that sends it).
_LIMITS = {"card": MAX_CARD_CHARS, "edit": MAX_CARD_CHARS, "name": MAX_NAME_CHARS, "action": MAX_ACTION_CHARS}


@dataclass(frozen=True)
class ComposerDraft:
    kind: str  # "card" | "edit" | "name" | "action"
    target: str  # the column (card), the card (edit), the theme (name) or the owner (action)
    text: str
    due: str | None = None  # an action's due date, as typed


def keep_draft(workspace: Workspace, run_id: str, handle: str, draft: ComposerDraft) -> None:
    """Store ``handle``'s unsent text, in place of what was stored before."""
    if draft.kind not in DRAFT_COMMANDS:
        raise RetroError(f"{draft.kind!r} is not a kind of retro text")
    record = {"kind": draft.kind, "target": draft.target, "text": draft.text[: _LIMITS[draft.kind]]}
    if draft.due is not None:
        record["due"] = draft.due[:40]
    store = workspace.store
    with store.locked():
        with store.run_tx(run_id) as tx:
            _Retro(tx, run_id).require_phase(DRAFT_COMMANDS[draft.kind], what="write this text")
            tx.delete(DRAFTS, handle)  # a copy an older coptui kept in the run file
        drafts.put(store, run_id, handle, record)


def drop_draft(workspace: Workspace, run_id: str, handle: str, *, sent: str | None = None) -> None:
    """Forget ``handle``'s unsent text (given up); with ``sent``, only if that is its text
    (the draft of a card just sent, not the next card's, stored meanwhile)."""
    store = workspace.store
    with store.locked():
        record = drafts.draft(store, run_id, handle)
        if record is not None and (sent is None or record.get("text") == sent):
            drafts.drop(store, run_id, handle)


def draft_in(store: Store, run_id: str, handle: str, run: Snapshot | None = None) -> ComposerDraft | None:
    """``handle``'s unsent text, if any (and well formed); ``run``: the retro's file, if read."""
    record = drafts.draft(store, run_id, handle, run)
    if record is None:
        return None
    kind, target, text, due = record.get("kind"), record.get("target"), record.get("text"), record.get("due")
    if kind not in DRAFT_COMMANDS or not isinstance(target, str) or not isinstance(text, str):
        return None
    return ComposerDraft(kind, target, text, due if isinstance(due, str) else None)
