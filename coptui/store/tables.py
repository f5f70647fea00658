"""The file format: every table name and the shape of the records in it.

A file is one JSON object: a header under :data:`META_KEY` and one object per table,
mapping a record's key to the record. These declarations are what ``docs/storage.md``
describes in prose; the code that writes each table is named beside it, and
``tests/unit/test_store.py::test_records_written_by_coptui_have_the_shapes_of_tables_py``
checks a demo folder's files against them.

(No ``from __future__ import annotations`` here: TypedDict reads ``NotRequired`` only from
evaluated annotations.)

Keys are strings chosen by the writer: a handle, a run id, or a random uuid4 (hex) where
the key must say nothing about who wrote the record or when.
"""

from typing import Any, Literal, NotRequired, TypedDict

SCHEMA_VERSION = 1
META_KEY = "_meta"


class FileMeta(TypedDict):
    schema: int


# -- every file --------------------------------------------------------------------------------

# A run file's own record (store.write_run_record): the single key RUN_META_KEY of RUN_META_TABLE.
RUN_META_TABLE = "meta"
RUN_META_KEY = "run"


class RunRecord(TypedDict):
    """``Run.model_dump(mode="json")`` (core/runs.py): dates as ISO strings.

    coptui always writes every field; those the ``Run`` model gives a default are
    ``NotRequired`` here, so that the shape check (shapes.py) refuses no record the model reads.
    """

    id: str
    definition_id: str
    kind: Literal["survey", "retro", "feedback"]
    title: str
    state: NotRequired[Literal["open", "closed"]]
    opened_on: str
    opened_by: str
    closes_on: NotRequired[str | None]
    closed_on: NotRequired[str | None]
    anonymous: NotRequired[bool]
    min_responses: NotRequired[int]
    min_text_responses: NotRequired[int]
    members: int  # community size when the run opened
    definition: dict[str, Any]  # the definition frozen when the run opened
    settings: NotRequired[dict[str, Any]]  # feedback rounds: {"pairing": ...} (core/feedback/pairing.py)


# -- index.json --------------------------------------------------------------------------------

RUNS_TABLE = "runs"  # run id -> a copy of the run's RunRecord
PENDING_TABLE = "pending"  # run id -> {}: its record is being written (store.write_run_record)
SUMMARIES = "summaries"  # run id -> Summary of a closed survey (core/results.py summarize)


class PendingMark(TypedDict):
    """Empty: the key (a run id) is the whole news."""


class QuestionSummary(TypedDict):
    answered: int
    na: int
    distribution: dict[str, int]  # answer value (as a string) -> how many gave it


class Summary(TypedDict):
    responses: int
    members: int
    released: bool
    questions: dict[str, QuestionSummary]  # question id -> counts; text questions left out


# -- runs/<run>.json of a survey (core/runs.py) ---------------------------------------------------

RESPONSES = "responses"  # random uuid4 -> a response
PARTICIPANTS = "participants"  # handle -> who answered; shares no key with the responses
# handle -> SurveyDraft (RetroDraft in a retro); in a feedback round "giver>recipient" ->
# FeedbackDraft. Kept in drafts/<run>.json (core/drafts.py); an older coptui kept them in the
# run file itself.
DRAFTS = "drafts"


class AnonymousResponse(TypedDict):
    answers: dict[str, Any]  # question id -> value
    na: list[str]  # question ids answered "not applicable"
    date: str  # the run's opening date, nothing finer


class NamedResponse(TypedDict):
    answers: dict[str, Any]
    na: list[str]
    member: str
    submitted_at: str  # ISO time, to the second


class AnonymousParticipant(TypedDict):
    answered: bool


class NamedParticipant(TypedDict):
    answered: bool
    response: str  # the key of the member's NamedResponse (replaced when they edit it)
    submitted_at: str


class SurveyDraft(TypedDict):
    answers: dict[str, Any]
    na: list[str]
    position: int  # the question the member was on


# -- runs/<run>.json of a retro (core/retro/) -----------------------------------------------------

RETRO_STATE = "retro_state"  # the single key RETRO_STATE_KEY
RETRO_STATE_KEY = "state"
RETRO_PENDING = "retro_pending"  # random uuid4 -> PendingCard, until the reveal
RETRO_CARDS = "retro_cards"  # random uuid4 (new at the reveal) -> Card
RETRO_THEMES = "retro_themes"  # random uuid4 -> Theme
RETRO_VOTES = "retro_votes"  # handle -> Ballot
RETRO_ROTI = "retro_roti"  # random uuid4 -> RotiScore
RETRO_ROTI_GIVEN = "retro_roti_given"  # handle -> RotiGiven; shares no key with the scores


class RetroState(TypedDict):
    phase: str
    timer: str | None  # ISO time the current phase's timer runs out
    discuss_order: list[str]  # theme keys, most voted first
    discuss_index: int


class PendingCard(TypedDict):
    author: str
    column: str
    text: str
    seq: int  # the author's own order of writing


class Card(TypedDict):
    column: str
    text: str
    theme: str
    author: NotRequired[str]  # left out on an anonymous template


class Theme(TypedDict):
    column: str
    name: str  # "" until someone names it


class Ballot(TypedDict):
    themes: dict[str, int]  # theme key -> votes


class RotiScore(TypedDict):
    score: int


class RotiGiven(TypedDict):
    given: bool


# -- runs/<run>.json of a feedback round (core/feedback/) ------------------------------------------

FEEDBACK = "feedback"  # random uuid4 -> AnonymousFeedbackPiece | NamedFeedbackPiece
GIVEN = "given"  # giver's handle -> Given; shares no key with the pieces


class AnonymousFeedbackPiece(TypedDict):
    """Nothing about its giver, not even a day."""

    to: str
    fields: dict[str, str]  # field id -> text
    thanked: bool


# A named round's piece adds its giver and day; "from" is a keyword, hence the functional form.
NamedFeedbackPiece = TypedDict(
    "NamedFeedbackPiece", {"to": str, "fields": dict[str, str], "thanked": bool, "from": str, "day": str}
)


class Given(TypedDict):
    to: list[str]  # recipients' handles, sorted


class FeedbackDraft(TypedDict):
    fields: dict[str, str]


class RetroDraft(TypedDict):
    """Text a member is writing on a retro board and has not sent (core/retro/drafts.py)."""

    kind: str  # "card" | "edit" | "name" | "action"
    target: str  # the column, card or theme it is for; an action's owner
    text: str
    due: NotRequired[str]  # an action's due date as typed


# -- actions.json (core/retro/actions.py) ---------------------------------------------------------

ACTIONS = "actions"  # random uuid4 -> Action


class Action(TypedDict):
    text: str
    owner: str
    due: str | None
    status: str  # "open" | "done" | "dropped"
    source_run: str
    source_title: str
    created_on: str
    created_by: str
    updated_on: str | None
    updated_in: str | None  # the retro in which the status last changed


# -- whole files ----------------------------------------------------------------------------------


class IndexFile(TypedDict, total=False):
    _meta: FileMeta
    runs: dict[str, RunRecord]
    pending: dict[str, PendingMark]
    summaries: dict[str, Summary]


class DraftsFile(TypedDict, total=False):
    _meta: FileMeta
    drafts: dict[str, SurveyDraft | FeedbackDraft]


class ActionsFile(TypedDict, total=False):
    _meta: FileMeta
    actions: dict[str, Action]


class RunFile(TypedDict, total=False):
    _meta: FileMeta
    meta: dict[str, RunRecord]
    responses: dict[str, AnonymousResponse | NamedResponse]
    participants: dict[str, AnonymousParticipant | NamedParticipant]
    drafts: dict[str, SurveyDraft | FeedbackDraft | RetroDraft]
    retro_state: dict[str, RetroState]
    retro_pending: dict[str, PendingCard]
    retro_cards: dict[str, Card]
    retro_themes: dict[str, Theme]
    retro_votes: dict[str, Ballot]
    retro_roti: dict[str, RotiScore]
    retro_roti_given: dict[str, RotiGiven]
    feedback: dict[str, AnonymousFeedbackPiece | NamedFeedbackPiece]
    given: dict[str, Given]
