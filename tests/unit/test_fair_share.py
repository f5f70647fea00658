"""The token bucket, the input gate and the loop meter of `coptui serve` (coptui/serve/fair_share.py)."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable

import pytest
from textual import events
from textual.message import Message

from coptui.serve.fair_share import (
    CURRENT_METER,
    PER_TURN,
    SLOWED_FRACTION,
    InputGate,
    LoopMeter,
    TokenBucket,
    install_loop_meter,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Timers:
    """call_later for the gate, run by hand: (delay, callback) in the order asked."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, Callable[[], None]]] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        self.pending.append((delay, callback))
        return asyncio.get_event_loop_policy().get_event_loop().call_later(3600, lambda: None)

    def run_next(self) -> float:
        delay, callback = self.pending.pop(0)
        callback()
        return delay


def key(char: str) -> events.Key:
    return events.Key(char, char)


def test_a_bucket_gives_its_burst_then_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    assert bucket.wait_for() == pytest.approx(0.1)
    clock.now += 0.25
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    clock.now += 100
    assert bucket.tokens == 5  # saved up to the burst only


def test_a_cost_over_the_burst_waits_for_a_full_bucket_and_is_paid_after() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    assert bucket.take(20)  # a big paste goes through at once...
    assert not bucket.take()
    assert bucket.wait_for() == pytest.approx(1.6)  # ...and is paid for by the time after it


def test_a_bucket_needs_a_positive_rate_and_burst() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1)


@pytest.fixture
def gate_parts() -> tuple[Clock, Timers, list[Message], list[int]]:
    return Clock(), Timers(), [], []


def make_gate(parts: tuple[Clock, Timers, list[Message], list[int]], **options: float) -> InputGate:
    clock, timers, delivered, dropped = parts
    settings = {"rate": 10.0, "burst": 100.0, "backlog": 50} | options
    return InputGate(
        delivered.append,
        rate=settings["rate"],
        burst=settings["burst"],
        backlog=int(settings["backlog"]),
        on_dropped=dropped.append,
        clock=clock,
        call_later=timers.call_later,
    )


async def test_the_gate_hands_on_at_most_one_turn_at_a_time(gate_parts) -> None:
    _, timers, delivered, _ = gate_parts
    gate = make_gate(gate_parts)
    for index in range(PER_TURN + 5):
        gate.put(key(chr(65 + index % 26)))
    assert not delivered  # in the loop's next turn, not inside the read
    assert timers.run_next() == 0.0 and len(timers.pending) == 1
    assert len(delivered) == PER_TURN and gate.waiting == 5
    assert timers.run_next() == 0.0  # the rest in the turn after
    assert len(delivered) == PER_TURN + 5
    assert [e.key for e in delivered[:3]] == ["A", "B", "C"]  # in the order typed


async def test_the_gate_keeps_to_its_rate_and_drops_past_its_backlog_with_one_notice(gate_parts) -> None:
    clock, timers, delivered, dropped = gate_parts
    gate = make_gate(gate_parts, rate=10, burst=4, backlog=20)
    for _ in range(100):
        gate.put(key("x"))
    assert gate.waiting == 20 and gate.dropped == 80
    assert dropped == [1]  # one notice, not 80
    timers.run_next()
    assert len(delivered) == 4 and gate.waiting == 16  # the burst
    assert timers.pending[0][0] == pytest.approx(0.1)  # the next key when the bucket has one
    clock.now += 0.11
    timers.run_next()
    assert len(delivered) == 5
    clock.now += 1.0
    for _ in range(30):
        gate.put(key("y"))  # a second flood, a second later: one more notice, with the count so far
    assert len(dropped) == 2 and dropped[1] == 81


async def test_mouse_moves_waiting_in_line_are_merged(gate_parts) -> None:
    _, timers, _, _ = gate_parts
    gate = make_gate(gate_parts, burst=1)
    gate.put(key("a"))
    timers.run_next()  # "a" takes the one token: what follows waits
    for x in range(30):
        gate.put(events.MouseMove(None, x, 1, 0, 0, 0, False, False, False))
    assert gate.waiting == 1 and gate.dropped == 0


async def test_a_slowed_gate_lets_a_tenth_through_and_a_closed_one_nothing(gate_parts) -> None:
    clock, timers, delivered, _ = gate_parts
    gate = make_gate(gate_parts, rate=10, burst=1)
    gate.set_slowed(True)
    gate.put(key("a"))
    gate.put(key("b"))
    timers.run_next()
    assert timers.pending[0][0] == pytest.approx(1 / (10 * SLOWED_FRACTION))
    gate.set_slowed(False)
    gate.close()
    gate.put(key("c"))
    clock.now += 10
    while timers.pending:
        timers.run_next()
    assert [e.key for e in delivered] == ["a"] and gate.waiting == 0


async def test_the_meter_charges_a_sessions_callbacks_and_no_one_elses() -> None:
    assert install_loop_meter()
    meter = LoopMeter()
    other = LoopMeter()

    def busy() -> None:
        end = time.perf_counter() + 0.05
        while time.perf_counter() < end:
            pass

    async def session_work() -> None:
        busy()  # this task's own step
        await asyncio.sleep(0)
        asyncio.get_running_loop().call_soon(busy)  # a callback it schedules inherits its meter
        await asyncio.create_task(asyncio.sleep(0.01))

    loop = asyncio.get_running_loop()
    context = contextvars.Context()
    context.run(CURRENT_METER.set, meter)  # as a session does for its app
    await loop.create_task(session_work(), context=context)
    loop.call_soon(busy)  # no session's: charged to no meter
    await asyncio.sleep(0.02)
    assert meter.total >= 0.1
    assert meter.take() == meter.total and meter.busy == 0
    assert other.total == 0
