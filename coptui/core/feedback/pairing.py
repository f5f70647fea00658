"""Who gives feedback to whom: everyone to everyone, a seeded rotation, or free choice."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coptui.core.feedback.model import PAIRING_MODES, FeedbackError, PairingMode

# -- pairing -----------------------------------------------------------------------------------


def rotation(handles: Iterable[str], per_member: int, seed: int) -> dict[str, list[str]]:
    """Pair each member with ``per_member`` others: nobody with themselves, everyone giving and
    receiving exactly ``per_member`` pieces. The same handles and seed give the same pairing.

    Members are shuffled into a circle and everyone gives to the people at the same set of
    distinct offsets around it (a circulant design): offsets 1..n-1 never point at oneself,
    distinct offsets never repeat a recipient, and each member is reached once per offset.
    """
    circle = sorted(set(handles))
    size = len(circle)
    if size < 2:
        raise FeedbackError("a rotation needs at least 2 members")
    if not 1 <= per_member <= size - 1:
        raise FeedbackError(
            f"each member can give to 1 to {size - 1} others in a community of {size}, not {per_member}"
        )
    rng = random.Random(seed)
    rng.shuffle(circle)
    offsets = sorted(rng.sample(range(1, size), per_member))
    return {giver: [circle[(index + offset) % size] for offset in offsets] for index, giver in enumerate(circle)}


def everyone(handles: Iterable[str]) -> dict[str, list[str]]:
    members = sorted(set(handles))
    return {giver: [m for m in members if m != giver] for giver in members}


@dataclass(frozen=True)
class Pairing:
    """Who gives feedback to whom in one round (frozen into the run when it starts)."""

    mode: PairingMode
    members: tuple[str, ...]
    per_member: int
    seed: int | None = None
    assignments: Mapping[str, tuple[str, ...]] | None = None  # None in free choice

    def recipients_for(self, giver: str) -> tuple[str, ...]:
        """Whom a member may give to: their assigned recipients, or anyone else in free choice."""
        if giver not in self.members:
            return ()
        if self.assignments is None:
            return tuple(m for m in self.members if m != giver)
        return tuple(self.assignments.get(giver, ()))

    def owed_by(self, giver: str) -> int:
        """How many pieces a member is asked to give."""
        if giver not in self.members:
            return 0
        if self.assignments is None:
            return min(self.per_member, len(self.members) - 1)
        return len(self.assignments.get(giver, ()))

    def to_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "mode": self.mode,
            "members": list(self.members),
            "per_member": self.per_member,
            "seed": self.seed,
        }
        if self.assignments is not None:
            settings["assignments"] = {giver: list(to) for giver, to in self.assignments.items()}
        return settings

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Pairing:
        data = settings.get("pairing")
        if not isinstance(data, Mapping):
            raise FeedbackError("this feedback round has no pairing; it was not started with coptui's feedback rounds")
        assignments = data.get("assignments")
        return cls(
            mode=data["mode"],
            members=tuple(data["members"]),
            per_member=int(data["per_member"]),
            seed=data.get("seed"),
            assignments=None if assignments is None else {g: tuple(to) for g, to in assignments.items()},
        )


def make_pairing(mode: str, handles: Iterable[str], per_member: int | None = None, seed: int | None = None) -> Pairing:
    members = tuple(sorted(set(handles)))
    if mode not in PAIRING_MODES:
        raise FeedbackError(f"{mode!r} is not a pairing; allowed: {', '.join(PAIRING_MODES)}")
    if len(members) < 2:
        raise FeedbackError("a feedback round needs at least 2 members")
    seed = secrets.randbelow(2**32) if seed is None else seed
    if mode == "all":
        return Pairing("all", members, len(members) - 1, seed, {g: tuple(to) for g, to in everyone(members).items()})
    if mode == "rotation":
        count = 3 if per_member is None else per_member
        pairs = rotation(members, count, seed)
        return Pairing("rotation", members, count, seed, {g: tuple(to) for g, to in pairs.items()})
    count = 1 if per_member is None else per_member
    if not 1 <= count <= len(members) - 1:
        raise FeedbackError(f"each member can be asked for 1 to {len(members) - 1} pieces, not {count}")
    return Pairing("free", members, count, seed, None)
