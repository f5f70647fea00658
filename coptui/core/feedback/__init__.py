"""Peer feedback rounds: pairing, what members owe, drafts, giving, thanks, release, counts.

A round is a run of a feedback definition. Its file holds:

- ``meta/run``: the run record; ``settings["pairing"]`` is the pairing frozen when it started;
- ``feedback``: one record per piece, keyed by a random uuid4: the recipient, the fields,
  whether it was thanked; in a named round also the giver and the day. In an anonymous
  round a piece holds nothing about its giver, not even a time;
- ``given``: one record per giver, keyed by handle: the recipients they gave to. That is
  what completion counts and "whom do I still owe" need, and it shares no key with the pieces;
- ``drafts``: key ``giver>recipient``, unsent text. Deleted on submit (same write) and on close.

Every read a screen makes goes through a per-member view (:func:`giver_round`,
:func:`inbox`, :func:`round_counts`) that holds only what that member may see, so a
screen cannot show someone else's feedback by mistake.

The package: :mod:`.model` (tables, modes, errors), :mod:`.pairing` (who gives to whom),
:mod:`.rounds` (a round read from its file), :mod:`.giving` (what a giver owes, drafts, submit),
:mod:`.inbox` (what a recipient may read, thanks), :mod:`.counts` (progress). The names below are
its public API.
"""

from coptui.core.feedback.counts import MemberCount, RoundCounts, round_counts, round_stats
from coptui.core.feedback.giving import (
    GiverRound,
    Recipient,
    discard_draft,
    giver_round,
    load_draft,
    save_draft,
    start_round,
    submit,
)
from coptui.core.feedback.inbox import (
    HeldRound,
    Inbox,
    OwedRound,
    ReceivedPiece,
    ThanksNote,
    inbox,
    release_order,
    thank,
)
from coptui.core.feedback.model import (
    GIVEN,
    MAX_FIELD_LENGTH,
    PAIRING_LABELS,
    PAIRING_MODES,
    PIECES,
    FeedbackError,
    PairingMode,
    RecipientStatus,
    accepting,
)
from coptui.core.feedback.pairing import Pairing, everyone, make_pairing, rotation

__all__ = [
    "GIVEN",
    "MAX_FIELD_LENGTH",
    "PAIRING_LABELS",
    "PAIRING_MODES",
    "PIECES",
    "FeedbackError",
    "GiverRound",
    "HeldRound",
    "Inbox",
    "MemberCount",
    "OwedRound",
    "Pairing",
    "PairingMode",
    "ReceivedPiece",
    "Recipient",
    "RecipientStatus",
    "RoundCounts",
    "ThanksNote",
    "accepting",
    "discard_draft",
    "everyone",
    "giver_round",
    "inbox",
    "load_draft",
    "make_pairing",
    "release_order",
    "rotation",
    "round_counts",
    "round_stats",
    "save_draft",
    "start_round",
    "submit",
    "thank",
]
