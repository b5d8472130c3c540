"""Months and how a request names them (pure logic)."""

from __future__ import annotations

from datetime import date

import pytest
from aggregation.indicators.periods import MAX_PERIODS, Period, Span, parse_periods


def test_a_month_spans_its_first_day_to_the_first_day_of_the_next() -> None:
    assert Period.parse("2026-02").start == date(2026, 2, 1)
    assert Period.parse("2026-02").end == date(2026, 3, 1)
    assert Period.parse("2025-12").end == date(2026, 1, 1)
    assert str(Period.parse("2026-07")) == "2026-07"


def test_single_months_lists_and_ranges_mix_and_keep_the_order_first_named() -> None:
    periods = parse_periods(["2026-05", "2025-11..2026-02", "2026-01"])
    assert [str(p) for p in periods] == ["2026-05", "2025-11", "2025-12", "2026-01", "2026-02"]


def test_a_range_is_inclusive_at_both_ends() -> None:
    periods = parse_periods(["2026-01..2026-06"])
    assert [str(p) for p in periods] == [f"2026-0{m}" for m in range(1, 7)]
    assert parse_periods(["2026-04..2026-04"]) == [Span("2026-04", (Period(2026, 4),))]


def test_quarters_and_years_cover_their_months_and_ranges_of_them_step_by_their_kind() -> None:
    quarter, year = parse_periods(["2026-q2", "2025"])
    assert str(quarter) == "2026-Q2"
    assert [str(m) for m in quarter.months] == ["2026-04", "2026-05", "2026-06"]
    assert quarter.last == Period(2026, 6)
    assert len(year.months) == 12 and year.last == Period(2025, 12)
    assert [str(p) for p in parse_periods(["2025-Q3..2026-Q2"])] == [
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
    ]
    assert [str(p) for p in parse_periods(["2024..2026"])] == ["2024", "2025", "2026"]


def test_a_range_mixing_kinds_or_a_fifth_quarter_is_refused() -> None:
    with pytest.raises(ValueError, match="one kind"):
        parse_periods(["2026-Q1..2026-06"])
    with pytest.raises(ValueError, match="Q1 to Q4"):
        parse_periods(["2026-Q5"])
    with pytest.raises(ValueError, match="at most"):
        parse_periods(["2000..2020"])


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("2026-13", "month must be 01 to 12"),
        ("2026-00", "month must be 01 to 12"),
        ("2026-3", "YYYY-MM"),
        ("26", "YYYY-MM"),
        ("March 2026", "YYYY-MM"),
        ("2026-03-01", "YYYY-MM"),
        ("1850-01", "year must be"),
        ("2026-06..2026-01", "starts after it ends"),
        ("2026-01..", "YYYY-MM"),
    ],
)
def test_malformed_periods_are_refused_with_the_reason(raw: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_periods([raw])


def test_no_period_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one period"):
        parse_periods([])


def test_a_request_cannot_ask_for_more_than_the_period_cap() -> None:
    assert len(parse_periods(["2001-01..2020-12"])) == MAX_PERIODS
    with pytest.raises(ValueError, match=f"at most {MAX_PERIODS}"):
        parse_periods(["2001-01..2021-01"])
    with pytest.raises(ValueError, match=f"at most {MAX_PERIODS}"):
        parse_periods(["1900-01..2100-12"])
