"""The retro state machine: phases, privacy of unrevealed cards, votes, anonymity, actions, export."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coptui.core import retro
from coptui.core.retro import RetroError
from coptui.core.workspace import Workspace
from coptui.exports.retro import export_markdown as export_retro_markdown
from coptui.store.store import Store

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def open_retro(workspace: Workspace, template: str = "start-stop-continue", today: date = TODAY) -> str:
    return workspace.runs.open_run(template, by="ada", today=today).id


def to_phase(workspace: Workspace, run_id: str, phase: str) -> None:
    retro.advance(workspace, run_id, "ada", to=phase, now=NOW)


def run_file(workspace: Workspace, run_id: str) -> bytes:
    return workspace.store.run_path(run_id).read_bytes()


def test_a_new_retro_starts_in_review_and_the_facilitator_drives_the_phases(workspace: Workspace) -> None:
    run_id = open_retro(workspace)
    board = retro.board_for(workspace, run_id, "chen")
    assert board.phase == "review"
    assert board.phases == ("review", "write", "reveal", "group", "vote", "discuss", "actions", "close")
    with pytest.raises(RetroError, match="only a facilitator"):
        retro.next_phase(workspace, run_id, "chen", now=NOW)
    assert retro.next_phase(workspace, run_id, "bruno", now=NOW) == "write"
    board = retro.board_for(workspace, run_id, "chen")
    assert board.timer_deadline == NOW + timedelta(minutes=7)  # the template's write_minutes
    assert board.remaining_seconds(NOW + timedelta(minutes=2)) == 300
    assert retro.skip_phase(workspace, run_id, "ada", now=NOW) == "group"  # reveal skipped
    with pytest.raises(RetroError, match="already past"):
        retro.advance(workspace, run_id, "ada", to="write", now=NOW)
    to_phase(workspace, run_id, "close")
    with pytest.raises(RetroError, match="last phase"):
        retro.next_phase(workspace, run_id, "ada", now=NOW)


def test_each_action_is_allowed_only_in_its_phase(workspace: Workspace) -> None:
    run_id = open_retro(workspace)
    with pytest.raises(RetroError, match="only in the write phase"):
        retro.add_card(workspace, run_id, "chen", "start", "too early")
    to_phase(workspace, run_id, "write")
    with pytest.raises(RetroError, match="not a column"):
        retro.add_card(workspace, run_id, "chen", "nope", "x")
    with pytest.raises(RetroError, match="needs some text"):
        retro.add_card(workspace, run_id, "chen", "start", "   ")
    with pytest.raises(RetroError, match="not a member"):
        retro.add_card(workspace, run_id, "mallory", "start", "hello")
    card = retro.add_card(workspace, run_id, "chen", "start", "Pair more")
    with pytest.raises(RetroError, match="not one of your"):
        retro.edit_card(workspace, run_id, "dana", card, "taken over")
    with pytest.raises(RetroError, match="only in the vote phase"):
        retro.vote(workspace, run_id, "chen", "anything")
    with pytest.raises(RetroError, match="only in the close phase"):
        retro.give_roti(workspace, run_id, "chen", 4)
    with pytest.raises(RetroError, match="discuss and actions"):
        retro.add_action(workspace, run_id, "ada", "Do it", "chen", None, today=TODAY)
    with pytest.raises(RetroError, match="close phase"):
        retro.finish_retro(workspace, run_id, "ada", today=TODAY)


def test_unrevealed_cards_of_others_are_never_in_a_members_view(workspace: Workspace) -> None:
    run_id = open_retro(workspace)
    to_phase(workspace, run_id, "write")
    mine = retro.add_card(workspace, run_id, "chen", "stop", "chen-secret: meetups overrun")
    retro.add_card(workspace, run_id, "dana", "start", "dana-secret: a roadmap")
    retro.edit_card(workspace, run_id, "chen", mine, "chen-secret: meetups always overrun")

    for viewer, own, other in (("chen", "chen-secret", "dana-secret"), ("dana", "dana-secret", "chen-secret")):
        board = retro.board_for(workspace, run_id, viewer)
        assert [c.text for c in board.my_cards if c.text.startswith(own)]
        assert other not in repr(board)
        assert board.hidden_cards == 1
        assert board.themes == ()
    # The facilitator has no special sight of hidden cards either.
    facilitator = retro.board_for(workspace, run_id, "ada")
    assert "secret" not in repr(facilitator) and facilitator.hidden_cards == 2

    retro.delete_card(workspace, run_id, "dana", retro.board_for(workspace, run_id, "dana").my_cards[0].id)
    assert retro.board_for(workspace, run_id, "chen").hidden_cards == 0

    to_phase(workspace, run_id, "reveal")
    board = retro.board_for(workspace, run_id, "dana")
    assert [c.text for t in board.themes for c in t.cards] == ["chen-secret: meetups always overrun"]
    card = board.themes[0].cards[0]
    assert card.author == "Chen Wei" and not card.mine
    assert retro.board_for(workspace, run_id, "chen").themes[0].cards[0].mine
    assert board.my_cards == () and board.hidden_cards == 0


def test_anonymous_cards_keep_no_author_once_revealed(workspace: Workspace) -> None:
    run_id = open_retro(workspace, "mad-sad-glad")
    to_phase(workspace, run_id, "write")
    pending = retro.add_card(workspace, run_id, "chen", "mad", "Flaky CI")
    retro.add_card(workspace, run_id, "dana", "glad", "Great talks")
    assert retro.board_for(workspace, run_id, "chen").my_cards[0].text == "Flaky CI"  # own cards while writing
    to_phase(workspace, run_id, "group")
    stored = run_file(workspace, run_id)
    for handle in ("chen", "dana"):
        assert handle.encode() not in stored
    assert pending.encode() not in stored  # the revealed card got a new id: no link to the pending one
    board = retro.board_for(workspace, run_id, "chen")
    assert {c.author for t in board.themes for c in t.cards} == {None}
    assert not any(c.mine for t in board.themes for c in t.cards)


def test_roti_is_stored_with_no_handle_and_given_once(workspace: Workspace) -> None:
    run_id = open_retro(workspace)
    to_phase(workspace, run_id, "close")
    retro.give_roti(workspace, run_id, "chen", 4)
    retro.give_roti(workspace, run_id, "dana", 2)
    with pytest.raises(RetroError, match="already given"):
        retro.give_roti(workspace, run_id, "chen", 5)
    with pytest.raises(RetroError, match="1 to 5"):
        retro.give_roti(workspace, run_id, "emeka", 6)
    tables = workspace.store.read_run(run_id)
    scores = tables.all(retro.ROTI)
    assert sorted(r["score"] for r in scores.values()) == [2, 4]
    assert all(set(record) == {"score"} for record in scores.values())
    given = tables.all(retro.ROTI_GIVEN)
    assert set(given) == {"chen", "dana"}
    assert not set(scores) & set(given) and all(set(record) == {"given"} for record in given.values())
    board = retro.board_for(workspace, run_id, "chen")
    assert board.roti_given and board.roti_count == 2 and board.roti_scores == ()  # shown once closed
    retro.give_roti(workspace, run_id, "emeka", 5)
    retro.finish_retro(workspace, run_id, "ada", today=TODAY)
    assert retro.board_for(workspace, run_id, "emeka").roti_scores == (2, 4, 5)
    assert retro.retro_stats(workspace.store, run_id)["roti"] == [2, 4, 5]


def _revealed_retro(workspace: Workspace, texts: dict[str, str], template: str = "start-stop-continue") -> str:
    run_id = open_retro(workspace, template)
    to_phase(workspace, run_id, "write")
    for text, column in texts.items():
        retro.add_card(workspace, run_id, "chen", column, text)
    to_phase(workspace, run_id, "group")
    return run_id


def _theme_of(workspace: Workspace, run_id: str, text: str) -> str:
    board = retro.board_for(workspace, run_id, "ada")
    return next(t.id for t in board.themes if any(c.text == text for c in t.cards))


def test_grouping_merges_names_and_ungroups_themes(workspace: Workspace) -> None:
    run_id = _revealed_retro(
        workspace, {"CI is flaky": "stop", "Builds fail at random": "stop", "Office hours": "continue"}
    )
    assert len(retro.board_for(workspace, run_id, "dana").themes) == 3  # each card starts alone
    flaky, builds = _theme_of(workspace, run_id, "CI is flaky"), _theme_of(workspace, run_id, "Builds fail at random")
    retro.merge_themes(workspace, run_id, "dana", builds, flaky)
    retro.name_theme(workspace, run_id, "emeka", flaky, "Unreliable [bold]CI[/]")
    board = retro.board_for(workspace, run_id, "chen")
    theme = board.theme(flaky)
    assert theme is not None and theme.title == "Unreliable [bold]CI[/]" and len(theme.cards) == 2
    assert board.theme(builds) is None and len(board.themes) == 2
    with pytest.raises(RetroError, match="no longer exists"):
        retro.merge_themes(workspace, run_id, "dana", builds, flaky)
    assert retro.ungroup_theme(workspace, run_id, "dana", flaky) == 1
    board = retro.board_for(workspace, run_id, "chen")
    assert len(board.themes) == 3 and board.theme(flaky).name == "Unreliable [bold]CI[/]"  # type: ignore[union-attr]


def test_votes_are_limited_and_hidden_until_the_vote_ends(workspace: Workspace) -> None:
    run_id = _revealed_retro(workspace, {"A": "start", "B": "stop", "C": "continue"})
    to_phase(workspace, run_id, "vote")
    a, b = _theme_of(workspace, run_id, "A"), _theme_of(workspace, run_id, "B")
    assert retro.vote(workspace, run_id, "chen", a) == 2
    assert retro.vote(workspace, run_id, "chen", a) == 1
    assert retro.vote(workspace, run_id, "chen", b) == 0
    with pytest.raises(RetroError, match="all your 3 votes"):
        retro.vote(workspace, run_id, "chen", b)
    assert retro.unvote(workspace, run_id, "chen", a) == 1
    with pytest.raises(RetroError, match="no vote on that theme"):
        retro.unvote(workspace, run_id, "dana", a)
    retro.vote(workspace, run_id, "dana", b)

    chen = retro.board_for(workspace, run_id, "chen")
    assert chen.votes_left == 1 and chen.voters == 2 and not chen.votes_visible
    assert {t.id: (t.votes, t.my_votes) for t in chen.themes}[a] == (None, 1)
    assert all(t.votes is None for t in retro.board_for(workspace, run_id, "ada").themes)

    to_phase(workspace, run_id, "discuss")
    board = retro.board_for(workspace, run_id, "emeka")
    assert board.votes_visible
    assert [(t.cards[0].text, t.votes) for t in board.themes] == [("B", 2), ("A", 1), ("C", 0)]
    assert board.discuss_theme == b and board.timer_deadline == NOW + timedelta(minutes=5)
    later = NOW + timedelta(minutes=3)
    assert retro.next_theme(workspace, run_id, "ada", now=later) == a
    assert retro.board_for(workspace, run_id, "emeka").timer_deadline == later + timedelta(minutes=5)
    # Extending adds to the deadline, or to now when the countdown has already run out.
    assert retro.extend_timer(workspace, run_id, "ada", minutes=2, now=later) == later + timedelta(minutes=7)
    assert retro.extend_timer(workspace, run_id, "ada", now=later + timedelta(hours=1)) == later + timedelta(
        hours=1, minutes=1
    )
    with pytest.raises(RetroError, match="only a facilitator"):
        retro.extend_timer(workspace, run_id, "chen", now=later)


def test_actions_live_on_into_the_next_retros_review_and_home(workspace: Workspace) -> None:
    first = open_retro(workspace, today=TODAY - timedelta(days=60))
    to_phase(workspace, first, "actions")
    early = TODAY - timedelta(days=60)
    agenda = retro.add_action(
        workspace, first, "ada", "Send the agenda early", "chen", early + timedelta(days=14), today=early
    )
    record = retro.add_action(workspace, first, "chen", "Record meetups", "dana", None, today=early)
    retro.add_action(workspace, first, "ada", "Drop-in hours", "chen", retro.parse_due("+30", early), today=early)
    with pytest.raises(RetroError, match="in the past"):
        retro.add_action(workspace, first, "ada", "Too late", "chen", early - timedelta(days=1), today=early)
    with pytest.raises(RetroError, match=r"owner from community\.toml"):
        retro.add_action(workspace, first, "ada", "Nobody", "mallory", None, today=early)
    to_phase(workspace, first, "close")
    retro.finish_retro(workspace, first, "ada", today=early)
    assert retro.list_actions(workspace.store, source_run=first)[0].id == agenda  # soonest due first

    assert [a.text for a in retro.open_actions_for(workspace, "chen")] == ["Send the agenda early", "Drop-in hours"]
    second = open_retro(workspace)
    review = retro.board_for(workspace, second, "emeka").review_actions
    assert {a.text for a in review} == {"Send the agenda early", "Record meetups", "Drop-in hours"}
    with pytest.raises(RetroError, match="owner or a facilitator"):
        retro.set_action_status(workspace, agenda, "emeka", "done", in_run=second)
    retro.set_action_status(workspace, agenda, "chen", "done", in_run=second, today=TODAY)
    retro.set_action_status(workspace, record, "bruno", "dropped", in_run=second, today=TODAY)
    review = retro.board_for(workspace, second, "emeka").review_actions
    assert {(a.text, a.status) for a in review} == {
        ("Send the agenda early", "done"),  # still listed in the retro where it was reviewed
        ("Record meetups", "dropped"),
        ("Drop-in hours", "open"),
    }
    assert [a.text for a in retro.open_actions_for(workspace.store, "chen")] == ["Drop-in hours"]
    assert retro.retro_stats(workspace.store, first) == {
        "actions_total": 3,
        "actions_done": 1,
        "actions_dropped": 1,
        "actions_open": 1,
        "roti": [],
        "roti_count": 0,
    }
    third = open_retro(workspace, today=TODAY + timedelta(days=60))
    assert [a.text for a in retro.board_for(workspace, third, "ada").review_actions] == ["Drop-in hours"]


def test_a_closed_retro_cannot_change(workspace: Workspace) -> None:
    run_id = open_retro(workspace)
    to_phase(workspace, run_id, "close")
    retro.finish_retro(workspace, run_id, "ada", today=TODAY)
    with pytest.raises(RetroError, match="closed"):
        retro.give_roti(workspace, run_id, "chen", 3)
    with pytest.raises(RetroError, match="closed"):
        retro.extend_timer(workspace, run_id, "ada", now=NOW)
    board = retro.board_for(workspace.store, run_id, "chen")  # a bare store works too, showing handles
    assert not board.is_open and board.timer_deadline is None and board.members == ()


def test_parse_due_reads_dates_and_offsets() -> None:
    assert retro.parse_due("", TODAY) is None
    assert retro.parse_due("2026-12-24", TODAY) == date(2026, 12, 24)
    assert retro.parse_due("+7", TODAY) == TODAY + timedelta(days=7)
    with pytest.raises(RetroError, match="not a date"):
        retro.parse_due("next week", TODAY)


def test_export_markdown_has_themes_votes_actions_and_roti_but_no_hidden_card(workspace: Workspace) -> None:
    run_id = open_retro(workspace)
    to_phase(workspace, run_id, "write")
    retro.add_card(workspace, run_id, "chen", "start", "Pair | on *upgrades*")
    retro.add_card(workspace, run_id, "dana", "start", "Pair with product teams")
    retro.add_card(workspace, run_id, "emeka", "stop", "Long meetups")
    hidden = export_retro_markdown(workspace, run_id)
    assert "Pair" not in hidden and "in the write phase" in hidden
    to_phase(workspace, run_id, "group")
    pair = _theme_of(workspace, run_id, "Pair with product teams")
    retro.merge_themes(workspace, run_id, "ada", _theme_of(workspace, run_id, "Pair | on *upgrades*"), pair)
    retro.name_theme(workspace, run_id, "ada", pair, "Pairing")
    to_phase(workspace, run_id, "vote")
    retro.vote(workspace, run_id, "chen", pair)
    retro.vote(workspace, run_id, "dana", pair)
    to_phase(workspace, run_id, "actions")
    retro.add_action(workspace, run_id, "ada", "Pairing rota", "chen", date(2026, 12, 9), today=TODAY)
    to_phase(workspace, run_id, "close")
    for handle, score in (("chen", 4), ("dana", 5), ("emeka", 3)):
        retro.give_roti(workspace, run_id, handle, score)
    retro.finish_retro(workspace, run_id, "ada", today=TODAY)

    text = export_retro_markdown(workspace, run_id)
    assert text.startswith("# Start / Stop / Continue\n")
    assert "- **Pairing** (2 votes)" in text
    assert "  - Pair \\| on \\*upgrades\\* — Chen Wei" in text  # user text cannot format or break a table
    assert "- Long meetups — Emeka Eze (0 votes)" in text
    assert "| Pairing rota | Chen Wei | 2026-12-09 | open |" in text
    assert "Mean 4.0 from 3 answers" in text and "- 5: 1" in text


def test_demo_history_holds_closed_retros_with_actions_in_every_state(demo_workspace: Workspace) -> None:
    retros = demo_workspace.runs.list_runs(kind="retro")
    assert len(retros) == 6 and all(not r.is_open for r in retros)
    assert len({r.definition_id for r in retros}) >= 3
    stats = [retro.retro_stats(demo_workspace.store, r.id) for r in retros]
    assert all(s["roti"] and s["actions_total"] for s in stats)
    statuses = {a.status for a in retro.list_actions(demo_workspace)}
    assert statuses == {"open", "done", "dropped"}
    assert stats[-1]["actions_open"] == stats[-1]["actions_total"]  # the latest retro's actions are not reviewed yet
    board = retro.board_for(demo_workspace, retros[-1].id, "chen")
    assert board.themes and board.votes_visible and any(len(t.cards) > 1 and t.name for t in board.themes)


def test_board_for_a_bare_store_reads_the_same_cards(workspace: Workspace) -> None:
    run_id = _revealed_retro(workspace, {"Only card": "start"})
    store = Store(workspace.data_dir)
    board = retro.board_for(store, run_id, "dana")
    assert [c.author for t in board.themes for c in t.cards] == ["chen"]


def test_concurrent_votes_never_pass_the_limit(workspace: Workspace) -> None:
    from concurrent.futures import ThreadPoolExecutor

    run_id = _revealed_retro(workspace, {"A": "start", "B": "stop"})
    to_phase(workspace, run_id, "vote")
    theme = _theme_of(workspace, run_id, "A")

    def try_vote(_: int) -> bool:
        try:
            retro.vote(workspace, run_id, "chen", theme)
            return True
        except RetroError:
            return False

    with ThreadPoolExecutor(max_workers=6) as pool:
        accepted = sum(pool.map(try_vote, range(12)))
    assert accepted == 3
    assert workspace.store.read_run(run_id).get(retro.VOTES, "chen") == {"themes": {theme: 3}}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[*settings().suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(
    cards=st.lists(
        st.tuples(st.sampled_from(["chen", "dana", "emeka"]), st.sampled_from(["start", "stop", "continue"])),
        min_size=1,
        max_size=8,
    )
)
def test_no_view_holds_another_members_unrevealed_card(workspace: Workspace, cards: list[tuple[str, str]]) -> None:
    run_id = open_retro(workspace)
    to_phase(workspace, run_id, "write")
    for number, (author, column) in enumerate(cards):
        retro.add_card(workspace, run_id, author, column, f"secret-{author}-{number}")
    for viewer in ("ada", "chen", "dana", "emeka", "farah"):
        board = retro.board_for(workspace, run_id, viewer)
        seen = repr(board)
        for number, (author, _) in enumerate(cards):
            assert (f"secret-{author}-{number}'" in seen) == (author == viewer)
        assert board.hidden_cards == sum(1 for author, _ in cards if author != viewer)


def test_control_characters_never_reach_the_store_or_the_export(workspace: Workspace) -> None:
    run_id = open_retro(workspace)
    to_phase(workspace, run_id, "write")
    retro.add_card(workspace, run_id, "chen", "start", "red \x1b[31malert\x07 and \x9b2J clear")
    to_phase(workspace, run_id, "reveal")
    stored = run_file(workspace, run_id)
    assert b"\\u001b" not in stored and b"\\u0007" not in stored and b"\\u009b" not in stored
    [theme] = retro.board_for(workspace, run_id, "dana").themes
    assert theme.cards[0].text == "red [31malert and 2J clear"
    assert "\x1b" not in export_retro_markdown(workspace, run_id)


@pytest.mark.parametrize("given", [1, 2])
def test_a_rotis_mean_and_spread_wait_for_three_answers(workspace: Workspace, given: int) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    to_phase(workspace, run_id, "close")
    for handle, score in [("chen", 5), ("dana", 4)][:given]:
        retro.give_roti(workspace, run_id, handle, score)
    retro.finish_retro(workspace, run_id, "ada", today=TODAY)
    # Anywhere the ROTI is read: the board, the figures the trends read, the export.
    board = retro.board_for(workspace, run_id, "chen")
    assert board.roti_count == given and board.roti_scores == ()
    stats = retro.retro_stats(workspace.store, run_id)
    assert stats["roti"] == [] and stats["roti_count"] == given
    text = export_retro_markdown(workspace, run_id)
    assert "Mean" not in text and "- 5:" not in text and "- 4:" not in text
    assert f"{given} answer" in text and "shown from 3" in text


def test_a_rotis_mean_is_shown_from_three_answers(workspace: Workspace) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    to_phase(workspace, run_id, "close")
    for handle, score in (("chen", 5), ("dana", 4), ("emeka", 4)):
        retro.give_roti(workspace, run_id, handle, score)
    retro.finish_retro(workspace, run_id, "ada", today=TODAY)
    assert retro.board_for(workspace, run_id, "chen").roti_scores == (4, 4, 5)
    assert retro.retro_stats(workspace.store, run_id)["roti"] == [4, 4, 5]
