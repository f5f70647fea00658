"""core.retro.drafts: a member's unsent retro text, kept while the phase takes it."""

from __future__ import annotations

import pytest

from coptui.core import retro
from coptui.core.retro import ComposerDraft, RetroError
from coptui.core.run import DRAFTS
from coptui.core.workspace import Workspace


def _stored(workspace: Workspace, run_id: str, handle: str) -> ComposerDraft | None:
    return retro.draft_in(workspace.store, run_id, handle)


def test_drafts_live_as_long_as_their_phase_takes_them(workspace: Workspace) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    retro.keep_draft(workspace, run_id, "chen", ComposerDraft("card", "start", "a card"))
    assert _stored(workspace, run_id, "chen") == ComposerDraft("card", "start", "a card")
    assert retro.board_for(workspace, run_id, "dana").my_cards == ()  # nobody else's board holds it
    with pytest.raises(RetroError):  # the write phase takes no action
        retro.keep_draft(workspace, run_id, "chen", ComposerDraft("action", "chen", "later", "+14"))
    retro.next_phase(workspace, run_id, "ada")  # the reveal: a card's text goes with the writing
    assert _stored(workspace, run_id, "chen") is None

    retro.advance(workspace, run_id, "ada", to="discuss")
    retro.keep_draft(workspace, run_id, "chen", ComposerDraft("action", "dana", "Book the room", "+7"))
    retro.next_phase(workspace, run_id, "ada")  # actions: still taken there
    assert _stored(workspace, run_id, "chen") == ComposerDraft("action", "dana", "Book the room", "+7")
    retro.next_phase(workspace, run_id, "ada")  # close: no longer
    assert _stored(workspace, run_id, "chen") is None


def test_a_sent_card_drops_only_its_own_draft(workspace: Workspace) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    retro.keep_draft(workspace, run_id, "chen", ComposerDraft("card", "start", "the next card"))
    retro.drop_draft(workspace, run_id, "chen", sent="the card just sent")
    assert _stored(workspace, run_id, "chen") is not None
    retro.drop_draft(workspace, run_id, "chen", sent="the next card")
    assert _stored(workspace, run_id, "chen") is None


def test_a_malformed_draft_reads_as_none(workspace: Workspace) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    with workspace.store.run_tx(run_id) as tx:
        tx.put(DRAFTS, "chen", {"kind": "spell", "target": "x", "text": "y"})
        tx.put(DRAFTS, "dana", {"kind": "card", "target": 3, "text": "y"})
    assert _stored(workspace, run_id, "chen") is None and _stored(workspace, run_id, "dana") is None
