"""Pure metric arithmetic: scores, NPS, rates, windows and the status of an objective.

Every metric of a run is a :class:`Tally` (a numerator over a denominator), so that the
value over a window pools the underlying counts: the mean over three pulses is the mean
of all their answers, not the mean of three means (a run with 3 answers must not weigh
as much as one with 30). No I/O here: :mod:`coptui.core.trends` gathers the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

Direction = Literal["at_least", "at_most"]
Status = Literal["met", "at risk", "missed", "not enough data"]
# Float sums (a mean of 4.0 computed as 3.9999999999) must not decide between met and missed.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Tally:
    """One run's (or one window's) contribution to a metric: ``scale * numerator / denominator``."""

    numerator: float
    denominator: float
    scale: float = 1.0

    @property
    def value(self) -> float | None:
        if self.denominator <= 0:
            return None
        return self.scale * self.numerator / self.denominator


EMPTY = Tally(0, 0)


def _numeric_points(distribution: Mapping[str, int]) -> list[tuple[int, int]]:
    points = []
    for key, count in distribution.items():
        try:
            point = int(key)
        except (TypeError, ValueError):
            raise ValueError(
                f"{key!r} is not a scale point: this metric needs a likert, rating or NPS question"
            ) from None
        points.append((point, max(0, int(count))))
    return points


def mean_of(distribution: Mapping[str, int]) -> Tally:
    """The mean answer of a scale question, from ``{point: count}`` (points as strings or ints)."""
    points = _numeric_points(distribution)
    return Tally(sum(p * c for p, c in points), sum(c for _, c in points))


def favourable_of(distribution: Mapping[str, int], favourable_from: int) -> Tally:
    """The share of answers at or above ``favourable_from`` (agree and above, the top of a rating)."""
    points = _numeric_points(distribution)
    return Tally(sum(c for p, c in points if p >= favourable_from), sum(c for _, c in points))


def nps_of(distribution: Mapping[str, int]) -> Tally:
    """Net promoter score from 0-10 answers: % promoters (9-10) minus % detractors (0-6)."""
    points = _numeric_points(distribution)
    promoters = sum(c for p, c in points if p >= 9)
    detractors = sum(c for p, c in points if p <= 6)
    return Tally(promoters - detractors, sum(c for _, c in points), scale=100.0)


def participation_of(responses: int, members: int) -> Tally:
    """Responses over members; capped at 1 (someone who left still counted among the answers)."""
    members = max(0, members)
    return Tally(min(max(0, responses), members), members)


def action_completion_of(done: int, total: int) -> Tally:
    """Done actions over all actions of a retro (dropped and open ones count as not done)."""
    total = max(0, total)
    return Tally(min(max(0, done), total), total)


def roti_of(votes: Sequence[int]) -> Tally:
    """Return on time invested: the mean of 1-5 votes."""
    return Tally(sum(votes), len(votes))


def feedback_completion_of(given: int, owed: int) -> Tally:
    """Pieces of feedback given over pieces owed in a round."""
    owed = max(0, owed)
    return Tally(min(max(0, given), owed), owed)


def pooled(tallies: Sequence[Tally]) -> Tally:
    """The tally of several runs together (the window's value)."""
    if not tallies:
        return EMPTY
    scales = {t.scale for t in tallies}
    if len(scales) != 1:
        raise ValueError(f"cannot pool tallies of different scales: {sorted(scales)}")
    return Tally(sum(t.numerator for t in tallies), sum(t.denominator for t in tallies), scales.pop())


@dataclass(frozen=True)
class MetricPoint:
    """A metric in one run; ``tally`` is None when the run is left out (``left_out`` says why)."""

    run_id: str
    on: date
    tally: Tally | None
    left_out: str | None = None

    @property
    def value(self) -> float | None:
        return None if self.tally is None else self.tally.value

    @property
    def measured(self) -> bool:
        return self.value is not None


def meets(value: float, target: float, direction: Direction) -> bool:
    """Whether a value reaches the target; reaching it exactly counts as met."""
    if direction == "at_least":
        return value >= target - TOLERANCE
    return value <= target + TOLERANCE


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (x, y) points; None for fewer than two distinct x."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def towards(trend: float | None, direction: Direction) -> bool:
    """Whether a trend moves the value towards an ``at_least`` / ``at_most`` target (flat does not)."""
    if trend is None or abs(trend) <= TOLERANCE:
        return False
    return trend > 0 if direction == "at_least" else trend < 0


@dataclass(frozen=True)
class ObjectiveStatus:
    status: Status
    value: float | None  # over the window (pooled)
    last_value: float | None  # the latest measured run alone
    trend: float | None  # least-squares slope of per-run values across the window, per run
    runs: int  # runs in the window
    measured: int  # runs in the window with a value
    left_out: tuple[MetricPoint, ...] = ()  # runs in the window that were left out


def window_of(points: Sequence[MetricPoint], window: int) -> list[MetricPoint]:
    """The last ``window`` runs (measured or not: a withheld run still takes its place in time)."""
    return list(points[-window:]) if window > 0 else []


def objective_status(
    points: Sequence[MetricPoint], target: float, direction: Direction, window: int
) -> ObjectiveStatus:
    """The status of an objective after the last of ``points`` (oldest first).

    - not enough data: no run in the window has a value;
    - met: the window reaches the target and so does the latest measured run;
    - at risk: the window reaches the target but the latest run alone misses it, or the
      window misses it while the per-run trend across the window points towards it;
    - missed: the window misses the target and the trend is flat, away, or unknown.
    """
    runs = window_of(points, window)
    measured = [(index, p) for index, p in enumerate(runs) if p.measured]
    left_out = tuple(p for p in runs if not p.measured)
    if not measured:
        return ObjectiveStatus("not enough data", None, None, None, len(runs), 0, left_out)
    total = pooled([p.tally for _, p in measured if p.tally is not None])
    value = total.value
    last_value = measured[-1][1].value
    trend = slope([(float(index), float(p.value)) for index, p in measured if p.value is not None])
    assert value is not None and last_value is not None
    if meets(value, target, direction):
        status: Status = "met" if meets(last_value, target, direction) else "at risk"
    else:
        status = "at risk" if towards(trend, direction) else "missed"
    return ObjectiveStatus(status, value, last_value, trend, len(runs), len(measured), left_out)


def change_since_previous(current: ObjectiveStatus, previous: ObjectiveStatus | None) -> float | None:
    """How the window's value moved since the status of the previous run."""
    if previous is None or current.value is None or previous.value is None:
        return None
    return current.value - previous.value


def turned_met(current: ObjectiveStatus, previous: ObjectiveStatus | None) -> bool:
    """Met now and not after the previous run: the moment to celebrate."""
    return current.status == "met" and (previous is None or previous.status != "met")
