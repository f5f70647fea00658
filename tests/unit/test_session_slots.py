"""Session limits counted with slot locks: per key, in total, freed on release or process end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from coptui.serve.admission import SessionSlots, SlotTicket


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
