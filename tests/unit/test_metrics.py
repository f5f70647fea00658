"""Metric arithmetic and objective status rules: hand-computed values, edges, and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coptui.core.metrics import (
    MetricPoint,
    Tally,
    action_completion_of,
    change_since_previous,
    favourable_of,
    feedback_completion_of,
    mean_of,
    meets,
    nps_of,
    objective_status,
    participation_of,
    pooled,
    roti_of,
    slope,
    turned_met,
)

START = date(2026, 1, 1)


def points(*values: float | None, scale: float = 1.0) -> list[MetricPoint]:
    """One point per run; a value v becomes the tally v*10/10 so pooling equals averaging."""
    result = []
    for index, value in enumerate(values):
        on = START + timedelta(days=30 * index)
        if value is None:
            result.append(MetricPoint(f"run-{index}", on, None, "4 of 5 responses needed (below min_responses)"))
        else:
            result.append(MetricPoint(f"run-{index}", on, Tally(value * 10, 10, scale)))
    return result


# -- per-run metrics, by hand ---------------------------------------------------------------------


def test_mean_from_distribution() -> None:
    # (1*1 + 3*2 + 5*3) / 6 = 22 / 6
    assert mean_of({"1": 1, "2": 0, "3": 2, "4": 0, "5": 3}).value == pytest.approx(22 / 6)


def test_mean_of_nobody_is_no_value() -> None:
    assert mean_of({"1": 0, "2": 0}).value is None
    assert mean_of({}).value is None


def test_mean_refuses_options() -> None:
    with pytest.raises(ValueError, match="not a scale point"):
        mean_of({"meetup": 3})


def test_favourable_share() -> None:
    # agree (4) and strongly agree (5) of a 5-point likert: 2 + 3 of 10
    assert favourable_of({"1": 1, "2": 2, "3": 2, "4": 2, "5": 3}, 4).value == pytest.approx(0.5)


def test_nps_by_hand() -> None:
    # 3 promoters, 2 passives, 5 detractors of 10: (3 - 5) / 10 = -20
    distribution = {"10": 2, "9": 1, "8": 1, "7": 1, "6": 3, "0": 2}
    assert nps_of(distribution).value == pytest.approx(-20.0)


def test_nps_boundaries_of_groups() -> None:
    assert nps_of({"9": 1}).value == 100.0
    assert nps_of({"8": 1}).value == 0.0
    assert nps_of({"7": 1}).value == 0.0
    assert nps_of({"6": 1}).value == -100.0


def test_participation_is_capped_and_needs_members() -> None:
    assert participation_of(6, 8).value == pytest.approx(0.75)
    assert participation_of(9, 8).value == 1.0  # someone left the community after answering
    assert participation_of(3, 0).value is None


def test_action_completion_counts_dropped_and_open_as_not_done() -> None:
    assert action_completion_of(done=3, total=5).value == pytest.approx(0.6)
    assert action_completion_of(done=0, total=0).value is None


def test_roti_mean() -> None:
    assert roti_of([5, 4, 3, 4]).value == pytest.approx(4.0)
    assert roti_of([]).value is None


def test_feedback_completion() -> None:
    assert feedback_completion_of(given=7, owed=10).value == pytest.approx(0.7)
    assert feedback_completion_of(given=12, owed=10).value == 1.0
    assert feedback_completion_of(given=0, owed=0).value is None


def test_pooling_weighs_runs_by_their_answers() -> None:
    # A run of 2 answers at mean 5 and one of 8 answers at mean 3: pooled mean 3.4, not 4.
    assert pooled([Tally(10, 2), Tally(24, 8)]).value == pytest.approx(3.4)


def test_pooling_refuses_mixed_scales() -> None:
    with pytest.raises(ValueError):
        pooled([Tally(1, 1), Tally(1, 1, 100.0)])


def test_pooling_nothing_is_no_value() -> None:
    assert pooled([]).value is None


# -- status rules at their edges -------------------------------------------------------------------


def test_exactly_on_target_is_met() -> None:
    assert objective_status(points(4.0, 4.0, 4.0), 4.0, "at_least", 3).status == "met"
    assert objective_status(points(4.0, 4.0, 4.0), 4.0, "at_most", 3).status == "met"


def test_float_noise_does_not_miss_the_target() -> None:
    # 0.1 * 3 pooled with tolerance: 0.30000000000000004 is on a 0.3 target.
    assert meets(0.1 + 0.2, 0.3, "at_most")
    assert meets(3.9999999999999996, 4.0, "at_least")


def test_met_when_window_and_last_run_reach_target() -> None:
    status = objective_status(points(3.0, 4.2, 4.4, 4.1), 4.0, "at_least", 3)
    assert status.status == "met"
    assert status.value == pytest.approx((4.2 + 4.4 + 4.1) / 3)
    assert status.last_value == pytest.approx(4.1)
    assert (status.runs, status.measured) == (3, 3)


def test_at_risk_when_last_run_alone_misses() -> None:
    status = objective_status(points(4.6, 4.6, 3.9), 4.0, "at_least", 3)
    assert status.value == pytest.approx(13.1 / 3)
    assert status.status == "at risk"


def test_at_risk_when_window_misses_but_trend_points_towards_target() -> None:
    assert objective_status(points(3.0, 3.4, 3.8), 4.0, "at_least", 3).status == "at risk"
    # For an at_most target, towards means down.
    assert objective_status(points(0.5, 0.4, 0.35), 0.3, "at_most", 3).status == "at risk"


def test_missed_when_trend_is_flat_or_away() -> None:
    assert objective_status(points(3.5, 3.5, 3.5), 4.0, "at_least", 3).status == "missed"
    assert objective_status(points(3.8, 3.4, 3.0), 4.0, "at_least", 3).status == "missed"
    assert objective_status(points(0.2, 0.4, 0.5), 0.3, "at_most", 3).status == "missed"


def test_one_run_below_target_is_missed_not_at_risk() -> None:
    # No trend can be drawn from a single run.
    assert objective_status(points(3.0), 4.0, "at_least", 3).status == "missed"


def test_empty_window_is_not_enough_data() -> None:
    status = objective_status([], 4.0, "at_least", 3)
    assert status.status == "not enough data"
    assert status.value is None and status.runs == 0


def test_withheld_runs_are_left_out_but_keep_their_place() -> None:
    # The window is the last 3 runs; the withheld one is left out, not replaced by an older run.
    status = objective_status(points(1.0, 4.2, None, 4.4), 4.0, "at_least", 3)
    assert status.status == "met"
    assert status.value == pytest.approx(4.3)
    assert (status.runs, status.measured) == (3, 2)
    assert [p.run_id for p in status.left_out] == ["run-2"]


def test_window_of_only_withheld_runs_is_not_enough_data() -> None:
    status = objective_status(points(4.5, None, None), 4.0, "at_least", 2)
    assert status.status == "not enough data"
    assert len(status.left_out) == 2


def test_trend_uses_run_positions_across_gaps() -> None:
    # x = 0 and 2 (the withheld run sits at 1): slope (3.8 - 3.0) / 2.
    status = objective_status(points(3.0, None, 3.8), 4.0, "at_least", 3)
    assert status.trend == pytest.approx(0.4)
    assert status.status == "at risk"


def test_turning_met_and_change_since_previous() -> None:
    series = points(3.0, 3.6, 4.6, 4.5)
    history = [objective_status(series[: end + 1], 4.0, "at_least", 2) for end in range(len(series))]
    assert [s.status for s in history] == ["missed", "at risk", "met", "met"]
    assert turned_met(history[2], history[1])
    assert not turned_met(history[3], history[2])
    assert change_since_previous(history[2], history[1]) == pytest.approx(4.1 - 3.3)


def test_first_run_meeting_target_turns_met() -> None:
    assert turned_met(objective_status(points(4.5), 4.0, "at_least", 3), None)


def test_change_needs_two_values() -> None:
    current = objective_status(points(4.0), 4.0, "at_least", 3)
    assert change_since_previous(current, None) is None
    assert change_since_previous(current, objective_status([], 4.0, "at_least", 3)) is None


def test_slope_needs_two_distinct_points() -> None:
    assert slope([]) is None
    assert slope([(0.0, 1.0)]) is None
    assert slope([(1.0, 1.0), (1.0, 2.0)]) is None
    assert slope([(0.0, 1.0), (1.0, 3.0)]) == pytest.approx(2.0)


# -- properties ------------------------------------------------------------------------------------

likert = st.dictionaries(st.sampled_from([str(p) for p in range(1, 6)]), st.integers(0, 50))
nps_answers = st.dictionaries(st.sampled_from([str(p) for p in range(11)]), st.integers(0, 50))
values = st.lists(st.one_of(st.none(), st.floats(0, 10, allow_nan=False)), max_size=12)


@given(likert)
def test_mean_stays_on_the_scale(distribution: dict[str, int]) -> None:
    value = mean_of(distribution).value
    if sum(distribution.values()) == 0:
        assert value is None
    else:
        assert value is not None and 1 - 1e-9 <= value <= 5 + 1e-9


@given(likert, st.integers(1, 5))
def test_favourable_is_a_share(distribution: dict[str, int], threshold: int) -> None:
    value = favourable_of(distribution, threshold).value
    assert value is None or 0 <= value <= 1


@given(nps_answers)
def test_nps_is_between_minus_and_plus_hundred(distribution: dict[str, int]) -> None:
    value = nps_of(distribution).value
    assert value is None or -100 <= value <= 100


@given(st.integers(-5, 50), st.integers(-5, 50))
def test_rates_are_shares(done: int, total: int) -> None:
    for tally in (
        participation_of(done, total),
        action_completion_of(done, total),
        feedback_completion_of(done, total),
    ):
        assert tally.value is None or 0 <= tally.value <= 1


@given(st.lists(st.integers(1, 5), max_size=30))
def test_roti_stays_between_one_and_five(votes: list[int]) -> None:
    value = roti_of(votes).value
    assert (value is None) == (not votes)
    assert value is None or 1 <= value <= 5


@given(values, st.floats(0, 10, allow_nan=False), st.sampled_from(["at_least", "at_most"]), st.integers(1, 6))
def test_status_is_consistent(series: list[float | None], target: float, direction: str, window: int) -> None:
    status = objective_status(points(*series), target, direction, window)  # type: ignore[arg-type]
    assert status.runs == min(window, len(series))
    in_window = series[-window:] if series else []
    measured = [v for v in in_window if v is not None]
    assert status.measured == len(measured)
    if not measured:
        assert status.status == "not enough data" and status.value is None
        return
    # The pooled value of equally weighted runs is their mean, inside their range.
    assert min(measured) - 1e-6 <= status.value <= max(measured) + 1e-6  # type: ignore[operator]
    if status.status == "met":
        assert meets(status.value, target, direction) and meets(status.last_value, target, direction)  # type: ignore[arg-type]
    if status.status == "missed":
        assert not meets(status.value, target, direction)  # type: ignore[arg-type]


@given(st.floats(0, 10, allow_nan=False), st.integers(1, 6), st.integers(1, 8))
def test_ties_with_the_target_are_met(value: float, window: int, runs: int) -> None:
    series = [value] * runs
    assert objective_status(points(*series), value, "at_least", window).status == "met"
    assert objective_status(points(*series), value, "at_most", window).status == "met"
