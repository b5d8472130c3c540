"""Months and how a request names them (pure logic)."""

from __future__ import annotations

from datetime import date

import pytest
from aggregation.indicators.periods import MAX_PERIODS, Period, parse_periods


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
    assert parse_periods(["2026-04..2026-04"]) == [Period(2026, 4)]


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("2026-13", "month must be 01 to 12"),
        ("2026-00", "month must be 01 to 12"),
        ("2026-3", "YYYY-MM"),
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
    with pytest.raises(ValueError, match="at least one month"):
        parse_periods([])


def test_a_request_cannot_ask_for_more_than_the_period_cap() -> None:
    assert len(parse_periods(["2001-01..2020-12"])) == MAX_PERIODS
    with pytest.raises(ValueError, match=f"at most {MAX_PERIODS}"):
        parse_periods(["2001-01..2021-01"])
    with pytest.raises(ValueError, match=f"at most {MAX_PERIODS}"):
        parse_periods(["1900-01..2100-12"])
