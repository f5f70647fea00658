"""One member cannot freeze everyone: each session's input and loop time are bounded.

Every session of a server process shares one event loop, so whatever one session's app
does, every other session waits for. Three parts keep that bounded whatever screen the
member is on:

- :class:`TokenBucket`: so many units per second, with a burst;
- :class:`InputGate`: the events a session's terminal sends (keys, mouse, pastes) reach its
  app at most ``rate`` per second and at most :data:`PER_TURN` per turn of the loop; what
  waits is capped (``backlog``) and the rest is dropped, with one notice to the member;
  mouse moves waiting in line are merged into the last one;
- :class:`LoopMeter`: the loop time spent running one session's callbacks (its app's
  tasks, timers and message handlers), measured by :func:`install_loop_meter`, which
  times each callback the loop runs and charges it to the meter of the session whose
  context it runs in. The session (:mod:`coptui.serve.session`) reads its meter every
  second: over its share it is slowed (its input gate lets a tenth through), and kept over
  for long it is ended with a message.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from textual import events
from textual.message import Message

# Events handed to the app in one turn of the loop at most; the rest wait for the next turn,
# so that other sessions' callbacks run in between.
PER_TURN = 16
# A paste is one event, but its text is work too: one unit more per this many characters.
PASTE_UNIT = 1024
# While a session is slowed its gate lets this fraction of its rate through.
SLOWED_FRACTION = 0.1


class TokenBucket:
    """``rate`` units per second, at most ``burst`` saved up; starts full."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("a token bucket needs a positive rate and burst")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def take(self, cost: float = 1.0) -> bool:
        """Take ``cost`` units if there are enough (a cost over the burst needs a full bucket)."""
        self._refill()
        needed = min(cost, self.burst)
        if self._tokens < needed:
            return False
        self._tokens -= cost  # may go below zero: a big paste is paid for by the time after it
        return True

    def wait_for(self, cost: float = 1.0) -> float:
        """Seconds until :meth:`take` of ``cost`` would succeed."""
        self._refill()
        needed = min(cost, self.burst)
        return max(0.0, (needed - self._tokens) / self.rate)


def event_cost(event: Message) -> float:
    """What an input event costs in the gate: one, and a paste more for its length."""
    if isinstance(event, events.Paste):
        return 1.0 + len(event.text) // PASTE_UNIT
    return 1.0


class InputGate:
    """Lets a session's input events through to its app at a bounded pace.

    ``deliver`` hands one event on (the driver's ``process_message``); ``on_dropped`` hears
    how many events were dropped when the line was full (called at most once a second, so a
    flood gives the member one notice, not thousands); ``on_short`` hears when fewer than
    :data:`PER_TURN` events wait (the driver parses its bytes only as the gate needs them).
    ``after_handled(callback)`` runs ``callback`` once the app has handled what it was given
    so far (the app's ``call_later``: its queue is first in, first out); with it, the gate
    hands on the next batch only then, so that no more than one batch ever waits in the
    app, and a session being ended has little left to get through.
    """

    def __init__(
        self,
        deliver: Callable[[Message], None],
        *,
        rate: float,
        burst: float,
        backlog: int,
        on_dropped: Callable[[int], None] = lambda count: None,
        on_short: Callable[[], None] = lambda: None,
        after_handled: Callable[[Callable[[], None]], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
        call_later: Callable[[float, Callable[[], None]], asyncio.TimerHandle] | None = None,
    ) -> None:
        self._deliver = deliver
        self._bucket = TokenBucket(rate, burst, clock)
        self._full_rate = rate
        self._backlog = max(1, backlog)
        self._on_dropped = on_dropped
        self._on_short = on_short
        self._after_handled = after_handled
        self._in_flight = False  # a batch was handed on and the app has not got through it yet
        self._clock = clock
        self._call_later = call_later
        self._queue: deque[Message] = deque()
        self._handle: asyncio.TimerHandle | None = None
        self._dropped = 0
        self._dropped_noticed_at: float | None = None
        self._closed = False
        self.slowed = False

    @property
    def waiting(self) -> int:
        """Events waiting for their turn."""
        return len(self._queue)

    @property
    def dropped(self) -> int:
        """Events dropped so far because the line was full."""
        return self._dropped

    def put(self, event: Message) -> None:
        """One event from the terminal; it reaches the app now or in its turn."""
        if self._closed:
            return
        if isinstance(event, events.MouseMove) and self._queue and isinstance(self._queue[-1], events.MouseMove):
            # Only where the pointer is now matters: a line of moves is worth its last one.
            self._queue[-1] = event
        elif len(self._queue) >= self._backlog:
            self._drop()
            return
        else:
            self._queue.append(event)
        if self._handle is None and not self._in_flight:
            # Never at once: the events of one read all wait for the pump's turn, which hands
            # on PER_TURN at most, however many reads came before it.
            self._schedule(0.0)

    def set_slowed(self, slowed: bool) -> None:
        """Slow the gate down to a fraction of its rate (the session is over its loop share), or back."""
        if slowed == self.slowed:
            return
        self.slowed = slowed
        self._bucket.rate = self._full_rate * (SLOWED_FRACTION if slowed else 1.0)

    def close(self) -> None:
        """Drop what waits and let nothing more through (the session is ending)."""
        self._closed = True
        self._queue.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def drop(self, count: int = 1) -> None:
        """Count ``count`` events (or bytes not yet parsed) as dropped, and tell the member."""
        self._dropped += count - 1
        self._drop()

    def _drop(self) -> None:
        self._dropped += 1
        now = self._clock()
        if self._dropped_noticed_at is None or now - self._dropped_noticed_at >= 1.0:
            self._dropped_noticed_at = now
            self._on_dropped(self._dropped)

    def _pump(self) -> None:
        self._handle = None
        released = 0
        wait = 0.0  # until the next event may go: 0 for the next turn, or until the bucket has a token
        while self._queue and not self._closed:
            cost = event_cost(self._queue[0])
            if released >= PER_TURN:
                break
            if not self._bucket.take(cost):
                wait = self._bucket.wait_for(cost)
                break
            released += 1
            self._deliver(self._queue.popleft())
        if self._closed:
            return
        if len(self._queue) < PER_TURN:
            self._on_short()  # the driver parses more of what waits unparsed
        if released and self._after_handled is not None:
            self._in_flight = self._after_handled(self._handled)
            if self._in_flight:
                return
        if self._queue and self._handle is None:
            self._schedule(wait)

    def _handled(self) -> None:
        self._in_flight = False
        if self._queue and self._handle is None and not self._closed:
            self._schedule(0.0)

    def _schedule(self, delay: float) -> None:
        call_later = self._call_later or asyncio.get_running_loop().call_later
        self._handle = call_later(delay, self._pump)


# -- loop time per session ---------------------------------------------------------------------


class LoopMeter:
    """Loop time charged to one session: the seconds its callbacks held the loop."""

    def __init__(self) -> None:
        self.busy = 0.0  # since the last take()
        self.total = 0.0

    def charge(self, seconds: float) -> None:
        self.busy += seconds
        self.total += seconds

    def take(self) -> float:
        """The loop time since the last call, and start counting again."""
        busy, self.busy = self.busy, 0.0
        return busy


# The meter of the session whose context a callback runs in. A session sets it in the fresh
# context its app runs in; every task, timer and callback the app makes copies that context.
CURRENT_METER: contextvars.ContextVar[LoopMeter | None] = contextvars.ContextVar("coptui_loop_meter", default=None)

_installed = False


def install_loop_meter() -> bool:
    """Time each callback the event loop runs and charge it to its session's meter.

    asyncio runs every callback (a task's step, a timer, a ``call_soon``) through
    ``asyncio.Handle._run`` in the context it was scheduled in; the wrapper reads
    :data:`CURRENT_METER` from that context (one lookup for a callback of no session) and
    adds the callback's duration to it. Process-wide and once; False if this Python's
    ``Handle`` has no ``_run`` (no meter then: sessions are never slowed or ended for
    their loop time, their input is still gated).
    """
    global _installed
    if _installed:
        return True
    handle_class: Any = asyncio.Handle
    run = getattr(handle_class, "_run", None)
    if run is None:
        return False
    perf_counter = time.perf_counter

    def metered_run(self: asyncio.Handle) -> None:
        context = getattr(self, "_context", None)  # CPython's Handle keeps its context there
        meter = context.get(CURRENT_METER) if context is not None else None
        if meter is None:
            run(self)
            return
        start = perf_counter()
        try:
            run(self)
        finally:
            meter.charge(perf_counter() - start)

    handle_class._run = metered_run
    _installed = True
    return True
