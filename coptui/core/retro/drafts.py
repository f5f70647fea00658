"""What a member was writing on the retro board and had not sent yet: kept in the store, so
that a dropped connection or a server stop loses none of it.

One record per member in the run's ``drafts`` table (key: the handle): what the composer was
open for (``kind``: a new card, an edit of one's card, a theme's name; ``target``: the column,
card or theme) and the text. It is read by its writer's board alone (never in a
:class:`~coptui.core.retro.model.RetroBoard`, so never on another terminal), written when the
writer pauses and when their session ends, and dropped when the text is sent or the composer
closed. The retro's every change of phase drops all of them (``commands._enter``): each kind of
text is taken in one phase only, so that a card's text never outlives the writing, nor links a
revealed card to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from coptui.core.retro.commands import _Retro
from coptui.core.retro.model import MAX_CARD_CHARS, MAX_NAME_CHARS, RetroError
from coptui.core.run import DRAFTS

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace
    from coptui.store.store import Snapshot

# Each kind of text: its length limit, and the command that sends it (its phase, in COMMAND_PHASES).
_KINDS = {
    "card": (MAX_CARD_CHARS, "add_card"),
    "edit": (MAX_CARD_CHARS, "edit_card"),
    "name": (MAX_NAME_CHARS, "name_theme"),
}


@dataclass(frozen=True)
class ComposerDraft:
    kind: str  # "card" | "edit" | "name"
    target: str  # the column (card), the card (edit) or the theme (name)
    text: str


def keep_draft(workspace: Workspace, run_id: str, handle: str, draft: ComposerDraft) -> None:
    """Store ``handle``'s unsent text, in place of what was stored before."""
    if draft.kind not in _KINDS:
        raise RetroError(f"{draft.kind!r} is not a kind of retro text")
    limit, command = _KINDS[draft.kind]
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase(command, what="write this text")
        tx.put(DRAFTS, handle, {"kind": draft.kind, "target": draft.target, "text": draft.text[:limit]})


def drop_draft(workspace: Workspace, run_id: str, handle: str, *, sent: str | None = None) -> None:
    """Forget ``handle``'s unsent text (given up); with ``sent``, only if that is its text
    (the draft of a card just sent, not the next card's, stored meanwhile)."""
    with workspace.store.run_tx(run_id) as tx:
        record = tx.get(DRAFTS, handle)
        if record is not None and (sent is None or record.get("text") == sent):
            tx.delete(DRAFTS, handle)


def draft_in(snapshot: Snapshot, handle: str) -> ComposerDraft | None:
    """``handle``'s unsent text in a retro's file as read, if any (and well formed)."""
    record = snapshot.get(DRAFTS, handle)
    if record is None:
        return None
    kind, target, text = record.get("kind"), record.get("target"), record.get("text")
    if kind not in _KINDS or not isinstance(target, str) or not isinstance(text, str):
        return None
    return ComposerDraft(kind, target, text)
