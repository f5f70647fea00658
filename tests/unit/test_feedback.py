"""Feedback rounds, core rules: pairing, owing, drafts, submit, release, thanks, counts, export."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest

from coptui.core import feedback as fb
from coptui.core.feedback import FeedbackError
from coptui.core.workspace import Workspace
from coptui.demo.feedback import seed_demo_feedback
from coptui.exports.feedback import export_markdown as export_feedback_markdown
from coptui.store.tables import RUN_META_KEY, RUN_META_TABLE

DAY = date(2026, 11, 2)
MEMBERS = ["ada", "bruno", "chen", "dana", "emeka", "farah", "gus", "hana"]


def sbi(marker: str) -> dict[str, str]:
    return {"situation": f"sit-{marker}", "behaviour": f"beh-{marker}", "impact": f"imp-{marker}"}


def givers_of(workspace: Workspace, run_id: str, recipient: str) -> list[str]:
    pairing = fb.Pairing.from_settings(workspace.runs.get(run_id).settings)
    return [g for g in pairing.members if recipient in pairing.recipients_for(g)]


def give_all_to(workspace: Workspace, run_id: str, recipient: str, count: int | None = None) -> list[str]:
    givers = givers_of(workspace, run_id, recipient)[:count]
    for giver in givers:
        fb.submit(workspace, run_id, giver, recipient, sbi(f"{giver}-to-{recipient}"), today=DAY)
    return givers


# -- pairing and starting ------------------------------------------------------------------------


def test_pairing_modes_say_who_owes_what() -> None:
    everyone = fb.make_pairing("all", MEMBERS, seed=1)
    assert everyone.recipients_for("chen") == tuple(m for m in MEMBERS if m != "chen")
    assert everyone.owed_by("chen") == 7
    rotation = fb.make_pairing("rotation", MEMBERS, 3, seed=1)
    assert len(rotation.recipients_for("chen")) == 3 and "chen" not in rotation.recipients_for("chen")
    free = fb.make_pairing("free", MEMBERS, 2, seed=1)
    assert free.assignments is None
    assert free.owed_by("chen") == 2 and len(free.recipients_for("chen")) == 7
    assert free.owed_by("stranger") == 0 and free.recipients_for("stranger") == ()
    with pytest.raises(FeedbackError, match="not a pairing"):
        fb.make_pairing("random", MEMBERS)
    with pytest.raises(FeedbackError, match="1 to 7"):
        fb.make_pairing("rotation", MEMBERS, 8)


def test_pairing_survives_the_round_trip_through_settings() -> None:
    pairing = fb.make_pairing("rotation", MEMBERS, 3, seed=7)
    assert fb.Pairing.from_settings({"pairing": pairing.to_settings()}) == pairing


def test_start_round_freezes_the_pairing(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, DAY + timedelta(days=14), seed=11, today=DAY)
    assert run.kind == "feedback" and run.anonymous and run.min_responses == 3
    stored = workspace.runs.get(run.id)
    assert stored.settings["pairing"]["mode"] == "rotation"
    assert stored.settings["pairing"]["assignments"] == {g: list(t) for g, t in fb.rotation(MEMBERS, 3, 11).items()}
    assert stored.closes_on == DAY + timedelta(days=14)


def test_start_round_refusals(workspace: Workspace) -> None:
    with pytest.raises(FeedbackError, match="only a facilitator"):
        fb.start_round(workspace, "peer-sbi", "chen", "all")
    with pytest.raises(FeedbackError, match="not a feedback form"):
        fb.start_round(workspace, "cop-pulse", "ada", "all")
    with pytest.raises(FeedbackError, match="nobody's feedback could ever be shown"):
        fb.start_round(workspace, "peer-sbi", "ada", "rotation", 2)
    assert workspace.runs.list_runs() == []


# -- owing, drafts, submitting ------------------------------------------------------------------


def test_giver_round_shows_to_do_draft_and_given(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=3, today=DAY)
    first, second, third = fb.giver_round(workspace, run.id, "chen", DAY).recipients
    fb.save_draft(workspace, run.id, "chen", first.handle, {"situation": "half a thought"}, today=DAY)
    fb.submit(workspace, run.id, "chen", second.handle, sbi("x"), today=DAY)
    view = fb.giver_round(workspace, run.id, "chen", DAY)
    assert [r.status for r in view.recipients] == ["draft", "given", "to do"]
    assert (view.owed, view.given, view.remaining) == (3, 1, 2)
    assert [r.handle for r in view.to_do] == [first.handle, third.handle]
    assert view.accepting and view.is_participant and view.anonymous


def test_drafts_belong_to_one_giver_and_one_recipient(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "all", today=DAY)
    fb.save_draft(workspace, run.id, "chen", "dana", {"situation": "  draft text  "}, today=DAY)
    assert fb.load_draft(workspace, run.id, "chen", "dana") == {"situation": "  draft text  "}
    assert fb.load_draft(workspace, run.id, "emeka", "dana") is None
    assert fb.load_draft(workspace, run.id, "chen", "emeka") is None
    fb.submit(workspace, run.id, "chen", "dana", sbi("sent"), today=DAY)
    assert fb.load_draft(workspace, run.id, "chen", "dana") is None
    fb.save_draft(workspace, run.id, "chen", "emeka", {"impact": "never sent"}, today=DAY)
    fb.discard_draft(workspace, run.id, "chen", "emeka")
    assert fb.load_draft(workspace, run.id, "chen", "emeka") is None
    fb.save_draft(workspace, run.id, "chen", "farah", {"impact": "never sent"}, today=DAY)
    workspace.runs.close_run(run.id, by="ada", today=DAY)
    assert fb.load_draft(workspace, run.id, "chen", "farah") is None


def test_submit_refusals(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, DAY + timedelta(days=3), seed=5, today=DAY)
    pairing = fb.Pairing.from_settings(run.settings)
    assigned = pairing.recipients_for("chen")[0]
    other = next(m for m in MEMBERS if m not in pairing.recipients_for("chen") and m != "chen")
    with pytest.raises(FeedbackError, match="not to yourself"):
        fb.submit(workspace, run.id, "chen", "chen", sbi("me"), today=DAY)
    with pytest.raises(FeedbackError, match="does not give feedback to"):
        fb.submit(workspace, run.id, "chen", other, sbi("x"), today=DAY)
    with pytest.raises(FeedbackError, match="Impact is required"):
        fb.submit(workspace, run.id, "chen", assigned, {"situation": "s", "behaviour": "b", "impact": "  "}, today=DAY)
    with pytest.raises(FeedbackError, match="not a field"):
        fb.submit(workspace, run.id, "chen", assigned, {**sbi("x"), "mood": "?"}, today=DAY)
    with pytest.raises(FeedbackError, match="not a member"):
        fb.submit(workspace, run.id, "mallory", assigned, sbi("x"), today=DAY)
    fb.submit(workspace, run.id, "chen", assigned, sbi("x"), today=DAY)
    with pytest.raises(FeedbackError, match="already gave"):
        fb.submit(workspace, run.id, "chen", assigned, sbi("again"), today=DAY)
    late = DAY + timedelta(days=4)
    with pytest.raises(FeedbackError, match="takes no more feedback"):
        fb.submit(workspace, run.id, "chen", pairing.recipients_for("chen")[1], sbi("late"), today=late)
    assert workspace.store.read_run(run.id).count(fb.PIECES) == 1


def test_free_choice_lets_a_member_choose_and_counts_the_quota(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "kudos", "ada", "free", 1, today=DAY)
    fb.submit(workspace, run.id, "chen", "hana", {"message": "thanks for the pairing"}, today=DAY)
    fb.submit(workspace, run.id, "chen", "gus", {"message": "great talk"}, today=DAY)
    view = fb.giver_round(workspace, run.id, "chen", DAY)
    assert (view.owed, view.given, view.remaining) == (1, 2, 0)
    # An extra kudos is welcome but completion counts only what was asked.
    stats = fb.round_stats(workspace.store, run.id)
    assert (stats["owed"], stats["given"]) == (8, 1)


def test_anonymous_piece_stores_nothing_about_its_giver(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "all", today=DAY)
    fb.submit(workspace, run.id, "chen", "dana", sbi("secret"), today=DAY)
    raw = json.loads(workspace.store.run_path(run.id).read_bytes())
    ((piece_id, piece),) = raw[fb.PIECES].items()
    assert set(piece) == {"to", "fields", "thanked"}
    assert "chen" not in json.dumps(piece)
    assert len(piece_id) == 32 and piece_id not in json.dumps(raw[fb.GIVEN])
    assert raw[fb.GIVEN] == {"chen": {"to": ["dana"]}}
    assert DAY.isoformat() not in json.dumps(raw[fb.PIECES])


def test_named_piece_carries_giver_and_day(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "kudos", "ada", "free", 1, today=DAY)
    fb.submit(workspace, run.id, "chen", "dana", {"message": "thanks"}, today=DAY)
    (piece,) = workspace.store.read_run(run.id).all(fb.PIECES).values()
    assert piece == {
        "to": "dana",
        "fields": {"message": "thanks"},
        "thanked": False,
        "from": "chen",
        "day": "2026-11-02",
    }


# -- release --------------------------------------------------------------------------------------


def test_anonymous_feedback_waits_for_the_close_and_the_threshold(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=9, today=DAY)
    give_all_to(workspace, run.id, "dana")
    give_all_to(workspace, run.id, "emeka", count=2)
    dana_open = fb.inbox(workspace, "dana", DAY)
    assert dana_open.received == ()
    assert "after the round closes" in dana_open.held[0].reason
    # While open, nothing tells the recipient how many have arrived.
    assert dana_open.held[0].reason == fb.inbox(workspace, "farah", DAY).held[0].reason
    workspace.runs.close_run(run.id, by="ada", today=DAY)
    dana = fb.inbox(workspace, "dana", DAY)
    assert len(dana.received) == 3 and dana.held == ()
    assert all(piece.giver is None and piece.day is None for piece in dana.received)
    assert {dict(p.fields)["Situation"] for p in dana.received} == {
        f"sit-{g}-to-dana" for g in givers_of(workspace, run.id, "dana")
    }
    order = [fb.release_order(run.id, p.piece_id) for p in dana.received]
    assert order == sorted(order)
    emeka = fb.inbox(workspace, "emeka", DAY)
    assert emeka.received == () and "Fewer than 3 people" in emeka.held[0].reason


def test_a_passed_closing_date_releases_like_a_close(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, DAY + timedelta(days=2), seed=9, today=DAY)
    give_all_to(workspace, run.id, "dana")
    assert fb.inbox(workspace, "dana", DAY + timedelta(days=2)).received == ()
    assert len(fb.inbox(workspace, "dana", DAY + timedelta(days=3)).received) == 3


def test_named_feedback_shows_at_once_with_the_giver(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "kudos", "ada", "free", 1, today=DAY)
    fb.submit(workspace, run.id, "chen", "dana", {"message": "you rock"}, today=DAY)
    (piece,) = fb.inbox(workspace, "dana", DAY).received
    assert piece.giver == "Chen Wei" and piece.day == DAY and piece.fields == (("Kudos", "you rock"),)


def test_an_inbox_holds_only_its_owner_s_feedback(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "all", today=DAY)
    for recipient in ("dana", "emeka"):
        for giver in [m for m in MEMBERS if m != recipient][:4]:
            fb.submit(workspace, run.id, giver, recipient, sbi(f"for-{recipient}"), today=DAY)
    workspace.runs.close_run(run.id, by="ada", today=DAY)
    for handle in MEMBERS:
        texts = repr(fb.inbox(workspace, handle, DAY))
        for recipient in ("dana", "emeka"):
            assert (f"for-{recipient}" in texts) == (handle == recipient)


def test_inbox_lists_what_is_still_owed_in_open_rounds(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=2, today=DAY)
    first = fb.giver_round(workspace, run.id, "chen", DAY).recipients[0].handle
    fb.submit(workspace, run.id, "chen", first, sbi("x"), today=DAY)
    (owed,) = fb.inbox(workspace, "chen", DAY).owed
    assert (owed.run_id, owed.owed, owed.given, owed.remaining) == (run.id, 3, 1, 2)
    workspace.runs.close_run(run.id, by="ada", today=DAY)
    assert fb.inbox(workspace, "chen", DAY).owed == ()


# -- thanks ---------------------------------------------------------------------------------------


def test_thanks_in_an_anonymous_round_reach_the_givers_without_naming_them(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=4, today=DAY)
    givers = give_all_to(workspace, run.id, "dana")
    workspace.runs.close_run(run.id, by="ada", today=DAY)
    piece = fb.inbox(workspace, "dana", DAY).received[0]
    with pytest.raises(FeedbackError, match="no feedback of yours"):
        fb.thank(workspace, run.id, "emeka", piece.piece_id, today=DAY)
    fb.thank(workspace, run.id, "dana", piece.piece_id, today=DAY)
    fb.thank(workspace, run.id, "dana", piece.piece_id, today=DAY)  # twice is once
    assert [p.thanked for p in fb.inbox(workspace, "dana", DAY).received].count(True) == 1
    for giver in givers:
        (note,) = fb.inbox(workspace, giver, DAY).thanks
        assert note.text == "Dana Kowalski said thank you for the feedback received in this round."
    stored = workspace.store.read_run(run.id).get(fb.PIECES, piece.piece_id)
    assert stored is not None and set(stored) == {"to", "fields", "thanked"}


def test_thanks_in_a_named_round_reach_the_one_giver(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "kudos", "ada", "free", 1, today=DAY)
    fb.submit(workspace, run.id, "chen", "dana", {"message": "a"}, today=DAY)
    fb.submit(workspace, run.id, "emeka", "dana", {"message": "b"}, today=DAY)
    from_chen = next(p for p in fb.inbox(workspace, "dana", DAY).received if p.giver == "Chen Wei")
    fb.thank(workspace, run.id, "dana", from_chen.piece_id, today=DAY)
    assert [n.text for n in fb.inbox(workspace, "chen", DAY).thanks] == ["Dana Kowalski thanked you for your feedback."]
    assert fb.inbox(workspace, "emeka", DAY).thanks == ()


def test_held_back_feedback_cannot_be_thanked(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "all", today=DAY)
    fb.submit(workspace, run.id, "chen", "dana", sbi("x"), today=DAY)
    (piece_id,) = workspace.store.read_run(run.id).all(fb.PIECES)
    with pytest.raises(FeedbackError, match="no feedback of yours"):
        fb.thank(workspace, run.id, "dana", piece_id, today=DAY)


# -- counts ---------------------------------------------------------------------------------------


def test_facilitator_counts_are_counts_only(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=8, today=DAY)
    pairing = fb.Pairing.from_settings(run.settings)
    for recipient in pairing.recipients_for("chen"):
        fb.submit(workspace, run.id, "chen", recipient, sbi("counted"), today=DAY)
    fb.submit(workspace, run.id, "dana", pairing.recipients_for("dana")[0], sbi("counted"), today=DAY)
    with pytest.raises(FeedbackError, match="only a facilitator"):
        fb.round_counts(workspace, run.id, "chen")
    counts = fb.round_counts(workspace, run.id, "bruno")
    by_handle = {row.handle: (row.owed, row.given) for row in counts.members}
    assert by_handle["chen"] == (3, 3) and by_handle["dana"] == (3, 1) and by_handle["gus"] == (3, 0)
    assert (counts.owed, counts.given, counts.rate) == (24, 4, 4 / 24)
    assert "counted" not in repr(counts)
    assert fb.round_stats(workspace.store, run.id) == {
        "owed": 24,
        "given": 4,
        "members": 8,
        "state": "open",
        "completion": 4 / 24,
    }


def test_round_stats_refuse_a_run_that_is_not_feedback(workspace: Workspace) -> None:
    survey = workspace.runs.open_run("cop-pulse", by="ada")
    with pytest.raises(FeedbackError, match="not a feedback round"):
        fb.round_stats(workspace.store, survey.id)


# -- export ---------------------------------------------------------------------------------------


def test_export_is_the_recipient_s_own_feedback(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "all", today=DAY)
    for giver in ("chen", "emeka", "farah"):
        fb.submit(workspace, run.id, giver, "dana", sbi(f"to-dana-{giver}"), today=DAY)
        fb.submit(workspace, run.id, giver, "gus", sbi(f"to-gus-{giver}"), today=DAY)
    fb.submit(
        workspace,
        run.id,
        "hana",
        "dana",
        {"situation": "line one\nline two", "behaviour": "# not a heading \x1b[31m", "impact": "i"},
        today=DAY,
    )
    open_export = export_feedback_markdown(workspace, run, "dana", DAY)
    assert "to-dana" not in open_export and "after the round closes" in open_export
    run = workspace.runs.close_run(run.id, by="ada", today=DAY)
    text = export_feedback_markdown(workspace, run, "dana", DAY)
    assert text.startswith("# Feedback for Dana Kowalski")
    assert text.count("## Feedback") == 4
    assert all(f"to-dana-{g}" in text for g in ("chen", "emeka", "farah"))
    assert "to-gus" not in text and "chen" not in text.lower().replace("to-dana-chen", "")
    assert "> line one\n> line two" in text and "> \\# not a heading \\[31m" in text and "\x1b" not in text
    assert "to-dana" not in export_feedback_markdown(workspace, run, "gus", DAY)
    assert "not part of this round" not in export_feedback_markdown(workspace, run, "ada", DAY)
    with pytest.raises(FeedbackError, match="not a member"):
        export_feedback_markdown(workspace, run, "mallory", DAY)


# -- demo -----------------------------------------------------------------------------------------


def test_demo_feedback_is_deterministic_and_tells_a_story(tmp_path, surveys_dir) -> None:
    today = date(2026, 11, 25)
    stats = []
    for name in ("one", "two"):
        workspace = Workspace.open(tmp_path / name, surveys_dir)
        pieces = seed_demo_feedback(workspace, random.Random(2026), today)
        rounds = workspace.runs.list_runs(kind="feedback")
        stats.append([(r.id, r.state, fb.round_stats(workspace.store, r.id)["given"]) for r in rounds] + [pieces])
    assert stats[0] == stats[1]
    rounds = workspace.runs.list_runs(kind="feedback")
    assert [r.state for r in rounds] == ["closed", "closed", "closed", "open"]
    assert {r.definition_id for r in rounds} == {"peer-sbi", "kudos"}
    ada = fb.inbox(workspace, "ada", today)
    assert ada.received and ada.owed and ada.owed[0].given == 0
    raw = workspace.store.read_run(rounds[0].id).all(fb.PIECES)
    assert all("from" not in piece for piece in raw.values())
    record = workspace.store.read_run(rounds[0].id).get(RUN_META_TABLE, RUN_META_KEY)
    assert record is not None and record["anonymous"] is True
