"""Admission: connects per second from one address, and session limits counted with slot locks
(per key, in total, freed on release or process end)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from coptui.serve.admission import ConnectRate, SessionSlots, SlotTicket


def test_limits_per_key_and_in_total(tmp_path: Path) -> None:
    slots = SessionSlots(tmp_path)
    first, second = slots.claim("alice", total=3, per_key=2), slots.claim("alice", total=3, per_key=2)
    assert isinstance(first, SlotTicket) and isinstance(second, SlotTicket)
    assert slots.claim("alice", total=3, per_key=2) == ("limit-key", 2)
    bob = slots.claim("bob", total=3, per_key=2)
    assert isinstance(bob, SlotTicket)
    assert slots.claim("carol", total=3, per_key=2) == ("limit-total", 3)
    first.release()
    assert isinstance(slots.claim("alice", total=3, per_key=2), SlotTicket)  # a released slot is free again


def test_a_slot_held_by_another_process_counts_and_is_freed_when_it_ends(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from coptui.serve.admission import SessionSlots;"
         f"t = SessionSlots(Path({str(tmp_path)!r})).claim('alice', 10, 1); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert SessionSlots(tmp_path).claim("alice", total=10, per_key=1) == ("limit-key", 1)
    finally:
        holder.kill()
        holder.wait(10)
    assert isinstance(SessionSlots(tmp_path).claim("alice", total=10, per_key=1), SlotTicket)


def test_connects_from_one_address_are_limited_per_second_and_others_are_not_held_up() -> None:
    now = [100.0]
    rate = ConnectRate(3, clock=lambda: now[0])
    assert [rate.allow("peer a") for _ in range(4)] == [True, True, True, False]
    assert rate.allow("peer b"), "another address has its own count"
    now[0] += 0.5
    assert not rate.allow("peer a"), "still within the same second"
    now[0] += 0.6
    assert rate.allow("peer a"), "a second after the first connects, they no longer count"


def test_quiet_addresses_are_forgotten() -> None:
    now = [0.0]
    rate = ConnectRate(1, clock=lambda: now[0])
    for number in range(ConnectRate.FORGET_AFTER):
        rate.allow(f"address {number}")
    now[0] += 2
    assert rate.allow("one more")  # past the bound: the quiet addresses go
    assert len(rate._recent) == 1
