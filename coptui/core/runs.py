"""Run lifecycle: open, close, drafts, submit, participation, and the summaries trends read."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from coptui.core import drafts
from coptui.core.answers import validate_answers, validate_draft
from coptui.core.community import Community
from coptui.core.definitions import (
    AnyDefinition,
    DefinitionSet,
    FeedbackDefinition,
    RetroDefinition,
    SurveyDefinition,
)
from coptui.core.results import run_results, summarize
from coptui.core.run import (
    DRAFTS,
    NA,
    PARTICIPANTS,
    RESPONSES,
    SUMMARIES,
    MemberRunStatus,
    Run,
    RunError,
    RunState,
    load_run,
    now_utc,
)
from coptui.core.survey_rules import answers_editable
from coptui.store.store import Snapshot, Store, Tx
from coptui.store.tables import RUNS_TABLE


class Runs:
    """Opening, closing and answering runs, for screens, the CLI and the server alike."""

    def __init__(self, store: Store, definitions: DefinitionSet, community: Community) -> None:
        self.store = store
        self.definitions = definitions
        self.community = community

    # -- listing -------------------------------------------------------------------------

    def list_runs(
        self, *, kind: str | None = None, state: RunState | None = None, check_files: bool = False
    ) -> list[Run]:
        """The runs, oldest first, leaving out any whose file cannot be read (its problem is in
        ``store.problems``, which screens and the CLI show).

        The files of open runs are looked at (once per version of each: they are what a
        member reads next); those of closed runs only with ``check_files``, for a caller that
        reads them all anyway, so that a screen never parses the whole history to list it.
        """
        runs = [Run.model_validate(record) for record in self.store.run_records().values()]
        runs = [r for r in runs if (kind is None or r.kind == kind) and (state is None or r.state == state)]
        runs = [r for r in runs if not (check_files or r.is_open) or self.store.run_file_readable(r.id)]
        return sorted(runs, key=lambda r: (r.opened_on, r.id))

    def get(self, run_id: str) -> Run:
        try:
            snapshot = self.store.read_run(run_id) if self.store.run_exists(run_id) else None
        except ValueError:
            snapshot = None
        if snapshot is None:
            raise RunError(f"there is no run {run_id!r}; `coptui runs` lists them")
        return load_run(snapshot, run_id)

    def response_count(self, run_id: str) -> int:
        return self.store.read_run(run_id).count(PARTICIPANTS)

    def status_for(self, run: Run, handle: str, snapshot: Snapshot | None = None) -> MemberRunStatus:
        snapshot = snapshot or self.store.read_run(run.id)
        if snapshot.get(PARTICIPANTS, handle) is not None:
            return MemberRunStatus(run, "answered")
        if drafts.draft(self.store, run.id, handle, snapshot) is not None:
            return MemberRunStatus(run, "draft")
        return MemberRunStatus(run, "to do")

    # -- lifecycle ------------------------------------------------------------------------

    def _require_facilitator(self, handle: str, action: str) -> None:
        if not self.community.is_facilitator(handle):
            raise RunError(f"only a facilitator can {action}; {handle} is not one in community.toml")

    def new_run_id(self, definition_id: str, on: date) -> str:
        base = f"{definition_id}-{on.isoformat()}"
        # Every id in use, even that of a run left out of the listing (a missing or refused
        # file): restoring its file from a backup must not collide with a newer run.
        taken = set(self.store.run_ids_on_disk()) | set(self.store.read_index().all(RUNS_TABLE))
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def open_run(
        self,
        definition_id: str,
        *,
        by: str,
        closes_on: date | None = None,
        today: date | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Run:
        self._require_facilitator(by, "open a run")
        definition = self.definitions.get(definition_id)
        if definition is None:
            known = ", ".join(sorted(self.definitions.definitions)) or "none"
            raise RunError(f"there is no definition {definition_id!r}; known: {known}")
        today = today or date.today()
        if closes_on is not None and closes_on < today:
            raise RunError(f"the closing date {closes_on} is in the past")
        anonymous, min_responses, min_text = _privacy_of(definition)
        members = len(self.community.members)
        if anonymous and members < min_responses:
            raise RunError(
                f"{definition.id} is anonymous with min_responses = {min_responses}, but the community has only "
                f"{members} members, so nobody's answer could stay anonymous; add members to community.toml "
                "or make the survey non-anonymous"
            )
        frozen = definition.model_dump(mode="json")
        # The id is chosen and the run's file made under one hold of the lock: two opens at
        # once (two facilitators, two scripts) would otherwise both take the first free id,
        # and the second run would replace the first.
        with self.store.locked():
            run = Run(
                id=self.new_run_id(definition.id, today),
                definition_id=definition.id,
                kind=definition.kind,
                title=definition.title,
                opened_on=today,
                opened_by=by,
                closes_on=closes_on,
                anonymous=anonymous,
                min_responses=min_responses,
                min_text_responses=min_text,
                members=members,
                definition=frozen,
                settings=dict(settings or {}),
            )
            self.store.write_run_record(run.id, run.model_dump(mode="json"))
        return run

    def close_run(self, run_id: str, *, by: str, today: date | None = None) -> Run:
        self._require_facilitator(by, "close a run")
        with self.store.run_tx(run_id) as tx:
            run = load_run(tx, run_id)
            if not run.is_open:
                raise RunError(f"run {run_id} is already closed (on {run.closed_on})")
            run = run.model_copy(update={"state": "closed", "closed_on": today or date.today()})
            # Drafts of a closed run can never be submitted; keeping them would keep text for nothing.
            for handle in list(tx.all(DRAFTS)):
                tx.delete(DRAFTS, handle)  # kept in the run file by an older coptui
            self.store.write_run_record(run_id, run.model_dump(mode="json"), tx=tx)
        drafts.drop_all(self.store, run_id)
        if run.kind == "survey":
            self._write_summary(run)
        return run

    # -- summaries of closed runs (what trends read, so they never open every run file) ------

    def summary(self, run: Run, index: Snapshot | None = None) -> dict[str, Any] | None:
        """The gated counts of a closed survey run, from the index (rebuilt if a crash lost it).

        Pass ``index`` (one ``store.read_index()``) when asking for many runs: the index is
        read and parsed once instead of once per run.
        """
        if run.is_open or run.kind != "survey":
            return None
        summary = (index or self.store.read_index()).get(SUMMARIES, run.id)
        return summary if summary is not None else self._write_summary(run)

    def _write_summary(self, run: Run) -> dict[str, Any]:
        summary = summarize(run_results(self.store, run))
        if not self.store.is_refused(self.store.index_path):
            with self.store.index_tx() as tx:
                tx.put(SUMMARIES, run.id, summary)
        return summary

    def _open_run_for_answers(self, run_id: str, tx: Tx) -> Run:
        """The run, read inside the caller's transaction: a run closed a moment ago takes no answer."""
        run = load_run(tx, run_id)
        if not run.is_open:
            raise RunError(f"run {run_id} is closed (since {run.closed_on}); answers are no longer taken")
        if run.closes_on is not None and date.today() > run.closes_on:
            raise RunError(f"run {run_id} closed for answers on {run.closes_on}")
        return run

    def _require_member(self, handle: str) -> None:
        if self.community.member(handle) is None:
            raise RunError(f"{handle!r} is not a member of {self.community.name} (see community.toml)")

    # -- drafts ----------------------------------------------------------------------------

    def save_draft(self, run_id: str, handle: str, answers: Mapping[str, Any], position: int = 0) -> None:
        """Keep unsent answers (checked like answers, except for what only a whole response needs)."""
        self._require_member(handle)
        with self.store.locked():
            with self.store.run_tx(run_id) as tx:
                run = self._open_run_for_answers(run_id, tx)
                if tx.get(PARTICIPANTS, handle) is not None and not answers_editable(run):
                    raise RunError(f"you have already answered {run.title}")
                values, na = validate_draft(run.survey(), answers, position)
                tx.delete(DRAFTS, handle)  # kept in the run file by an older coptui: it moves out
            drafts.put(self.store, run_id, handle, {"answers": values, "na": na, "position": position})

    def load_draft(self, run_id: str, handle: str) -> tuple[dict[str, Any], int] | None:
        draft = drafts.draft(self.store, run_id, handle)
        if draft is None:
            return None
        answers: dict[str, Any] = dict(draft.get("answers", {}))
        for question_id in draft.get("na", []):
            answers[question_id] = NA
        return answers, int(draft.get("position", 0))

    def discard_draft(self, run_id: str, handle: str) -> None:
        with self.store.locked():
            with self.store.run_tx(run_id) as tx:
                tx.delete(DRAFTS, handle)  # kept in the run file by an older coptui
            drafts.drop(self.store, run_id, handle)

    # -- submitting ------------------------------------------------------------------------

    def submit_response(
        self, run_id: str, handle: str, answers: Mapping[str, Any], *, now: datetime | None = None
    ) -> str:
        """Validate and store one member's response; returns the response id."""
        self._require_member(handle)
        response_id = uuid.uuid4().hex
        # One hold of the lock for the response and the deletion of its draft: no other write
        # comes between them, and a failure between them is told as such.
        with self.store.locked():
            self._store_response(run_id, handle, answers, response_id, now)
            drafts.drop_after_sending(self.store, run_id, handle, f"your answer to {run_id}")
        return response_id

    def _store_response(
        self, run_id: str, handle: str, answers: Mapping[str, Any], response_id: str, now: datetime | None
    ) -> None:
        with self.store.run_tx(run_id) as tx:
            run = self._open_run_for_answers(run_id, tx)
            values, na = validate_answers(run.survey(), answers)
            previous = tx.get(PARTICIPANTS, handle)
            if previous is not None and not answers_editable(run):
                raise RunError(f"{handle} has already answered {run_id}; a member answers once")
            if run.anonymous:
                # No handle, no time finer than the run's date, a random id: nothing links it back.
                record: dict[str, Any] = {"answers": values, "na": na, "date": run.opened_on.isoformat()}
                tx.insert(PARTICIPANTS, handle, {"answered": True})
            else:
                stamp = (now or now_utc()).isoformat(timespec="seconds")
                if previous is not None:
                    tx.delete(RESPONSES, previous["response"])
                record = {"answers": values, "na": na, "member": handle, "submitted_at": stamp}
                tx.put(PARTICIPANTS, handle, {"answered": True, "response": response_id, "submitted_at": stamp})
            tx.insert(RESPONSES, response_id, record)
            tx.delete(DRAFTS, handle)  # kept in the run file by an older coptui

    def own_response(self, run_id: str, handle: str) -> dict[str, Any] | None:
        """A member's own stored answers (named runs only: anonymous ones cannot be traced)."""
        snapshot = self.store.read_run(run_id)
        participant = snapshot.get(PARTICIPANTS, handle)
        if not participant or "response" not in participant:
            return None
        record = snapshot.get(RESPONSES, participant["response"])
        if record is None:
            return None
        answers = dict(record["answers"])
        answers.update({q: NA for q in record.get("na", [])})
        return answers


def _privacy_of(definition: AnyDefinition) -> tuple[bool, int, int]:
    if isinstance(definition, SurveyDefinition):
        assert definition.min_text_responses is not None
        return definition.anonymous, definition.min_responses, definition.min_text_responses
    if isinstance(definition, FeedbackDefinition):
        return definition.anonymous, definition.min_responses, definition.min_responses
    assert isinstance(definition, RetroDefinition)
    return definition.anonymous_cards, 1, 1
