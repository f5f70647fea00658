"""The rotation pairing: nobody paired with themselves, every member gives and receives the same load."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coptui.core.feedback import FeedbackError, make_pairing, rotation


@st.composite
def communities(draw: st.DrawFn) -> tuple[list[str], int, int]:
    handles = draw(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True), min_size=2, max_size=40, unique=True))
    per_member = draw(st.integers(min_value=1, max_value=len(handles) - 1))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return handles, per_member, seed


@settings(max_examples=200, deadline=None)
@given(communities())
def test_rotation_never_pairs_a_member_with_themselves_and_balances_the_load(case) -> None:
    handles, per_member, seed = case
    pairs = rotation(handles, per_member, seed)
    assert set(pairs) == set(handles)
    received: Counter[str] = Counter()
    for giver, recipients in pairs.items():
        assert giver not in recipients
        assert len(recipients) == per_member
        assert len(set(recipients)) == per_member
        assert set(recipients) <= set(handles)
        received.update(recipients)
    assert all(received[h] == per_member for h in handles)


@settings(max_examples=100, deadline=None)
@given(communities())
def test_rotation_is_deterministic_given_a_seed_whatever_the_input_order(case) -> None:
    handles, per_member, seed = case
    assert rotation(handles, per_member, seed) == rotation(list(reversed(handles)), per_member, seed)


def test_different_seeds_give_different_rotations() -> None:
    handles = [f"m{i}" for i in range(8)]
    assert len({tuple(sorted((g, tuple(t)) for g, t in rotation(handles, 3, seed).items())) for seed in range(20)}) > 10


@pytest.mark.parametrize("per_member", [0, 5, -1])
def test_rotation_refuses_impossible_loads(per_member: int) -> None:
    with pytest.raises(FeedbackError):
        rotation(["a", "b", "c", "d", "e"], per_member, 1)


def test_a_lone_member_cannot_be_rotated() -> None:
    with pytest.raises(FeedbackError, match="at least 2"):
        make_pairing("rotation", ["solo"], 1, seed=1)
