"""Which retro commands a board offers (coptui.core.retro_phases), against what the retro code takes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coptui.core import retro, retro_phases
from coptui.core.retro import RetroBoard
from coptui.core.workspace import Workspace


@pytest.fixture
def boards(workspace: Workspace) -> tuple[RetroBoard, RetroBoard]:
    """The facilitator's (ada) and a member's (chen) board of a new retro, in its first phase."""
    run = workspace.runs.open_run("start-stop-continue", by="ada")
    return retro.board_for(workspace, run.id, "ada"), retro.board_for(workspace, run.id, "chen")


def test_a_command_is_offered_only_in_its_phases(boards: tuple[RetroBoard, RetroBoard]) -> None:
    _, member = boards
    write = replace(member, phase="write")
    assert retro_phases.allowed(write, "add_card") and not retro_phases.allowed(write, "vote")
    vote = replace(member, phase="vote")
    assert retro_phases.allowed(vote, "vote") and not retro_phases.allowed(vote, "add_card")
    assert retro_phases.allowed(replace(member, phase="discuss"), "add_action")
    assert retro_phases.allowed(replace(member, phase="actions"), "add_action")


def test_facilitator_commands_are_the_facilitators_only(boards: tuple[RetroBoard, RetroBoard]) -> None:
    facilitator, member = boards
    for command in retro_phases.FACILITATOR_COMMANDS:
        assert not retro_phases.allowed(member, command)
    assert retro_phases.allowed(replace(facilitator, phase="write"), "reveal")
    assert retro_phases.allowed(replace(facilitator, phase="write"), "extend_timer")


def test_leaving_write_is_the_reveal_and_the_last_phase_has_no_next(boards: tuple[RetroBoard, RetroBoard]) -> None:
    facilitator, _ = boards
    assert not retro_phases.allowed(replace(facilitator, phase="write"), "next_phase")
    assert retro_phases.allowed(replace(facilitator, phase="group"), "next_phase")
    last = replace(facilitator, phase=facilitator.phases[-1])
    assert not retro_phases.allowed(last, "next_phase") and not retro_phases.allowed(last, "skip_phase")
    assert retro_phases.allowed(replace(facilitator, phase=facilitator.phases[0]), "skip_phase")


def test_roti_once_votes_spent_and_nothing_once_closed(boards: tuple[RetroBoard, RetroBoard]) -> None:
    _, member = boards
    close = replace(member, phase="close")
    assert retro_phases.allowed(close, "roti") and not retro_phases.allowed(replace(close, roti_given=True), "roti")
    vote = replace(member, phase="vote", votes_left=0)
    assert retro_phases.allowed(vote, "vote") and retro_phases.spent(vote, "vote")
    assert not retro_phases.spent(replace(vote, votes_left=1), "vote")
    closed = replace(member, is_open=False)
    assert not any(retro_phases.allowed(closed, command) for command in retro_phases.COMMANDS)


def test_text_is_taken_only_in_its_phase_of_an_open_retro(boards: tuple[RetroBoard, RetroBoard]) -> None:
    _, member = boards
    assert retro_phases.text_still_taken(replace(member, phase="write"), "card")
    assert retro_phases.text_still_taken(replace(member, phase="write"), "edit")
    assert not retro_phases.text_still_taken(replace(member, phase="reveal"), "card")
    assert retro_phases.text_still_taken(replace(member, phase="group"), "name")
    assert not retro_phases.text_still_taken(replace(member, phase="group", is_open=False), "name")


def test_the_rules_match_what_the_retro_code_takes(workspace: Workspace) -> None:
    # A card in the write phase is taken where the board offers it, and refused in the next phase.
    run = workspace.runs.open_run("start-stop-continue", by="ada")
    while retro.board_for(workspace, run.id, "chen").phase != "write":
        retro.next_phase(workspace, run.id, "ada")
    board = retro.board_for(workspace, run.id, "chen")
    assert retro_phases.allowed(board, "add_card")
    retro.add_card(workspace, run.id, "chen", board.columns[0].id, "a card")
    retro.next_phase(workspace, run.id, "ada")
    board = retro.board_for(workspace, run.id, "chen")
    assert not retro_phases.allowed(board, "add_card")
    with pytest.raises(retro.RetroError):
        retro.add_card(workspace, run.id, "chen", board.columns[0].id, "too late")
