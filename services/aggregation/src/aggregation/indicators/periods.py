"""Reporting periods and how a request names them: months (``2026-03``), quarters
(``2026-Q1``) and years (``2026``).

The cube is kept by month (``Period``); a quarter or a year is a ``Span`` of months: a flow sums
its months, a stock takes its last month, a ratio is formed from its summed parts. A request
names periods one by one, as a comma-separated list, as repeated parameters, or as an
inclusive range of one kind (``2026-01..2026-06``, ``2025-Q3..2026-Q2``, ``2020..2026``); all
forms may be mixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MIN_YEAR = 1900
MAX_YEAR = 2100
# A request is answered with one value per indicator, region and period; the cap on the months
# the periods cover keeps one request's work bounded (20 years is more than any dashboard shows).
MAX_PERIODS = 240
RANGE_SEPARATOR = ".."

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q(\d)$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """One calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-MM`` or raise ValueError saying what is wrong."""
        match = _MONTH.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a month in the form YYYY-MM")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r}: the month must be 01 to 12")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"{text!r}: the year must be {MIN_YEAR} to {MAX_YEAR}")
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Period:
        """The month ``day`` falls in."""
        return cls(day.year, day.month)

    @property
    def start(self) -> date:
        """First day of the month."""
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """First day of the next month (exclusive end)."""
        return self.next().start

    def next(self) -> Period:
        """The following month."""
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class Span:
    """A reporting period: a month, a quarter or a year, and the months it covers."""

    label: str
    months: tuple[Period, ...]

    @property
    def last(self) -> Period:
        """The period's last month (a stock's value is the one at its end)."""
        return self.months[-1]

    @classmethod
    def parse(cls, text: str) -> Span:
        """Parse ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``, or raise ValueError saying what is wrong."""
        text = text.strip()
        if quarter := _QUARTER.match(text):
            year, number = int(quarter.group(1)), int(quarter.group(2))
            if not 1 <= number <= 4:
                raise ValueError(f"{text!r}: the quarter must be Q1 to Q4")
            _check_year(text, year)
            first = 3 * (number - 1) + 1
            return cls(
                f"{year:04d}-Q{number}", tuple(Period(year, m) for m in range(first, first + 3))
            )
        if year_match := _YEAR.match(text):
            year = int(year_match.group(1))
            _check_year(text, year)
            return cls(f"{year:04d}", tuple(Period(year, m) for m in range(1, 13)))
        if not _MONTH.match(text):
            raise ValueError(
                f"{text!r} is not a period: a month YYYY-MM, a quarter YYYY-Qn or a year YYYY"
            )
        month = Period.parse(text)
        return cls(str(month), (month,))

    @property
    def kind(self) -> str:
        """``month``, ``quarter`` or ``year``."""
        return {1: "month", 3: "quarter", 12: "year"}[len(self.months)]

    def next(self) -> Span:
        """The following period of the same kind."""
        following = self.months[-1].next()
        if self.kind == "month":
            return Span(str(following), (following,))
        if self.kind == "quarter":
            return Span.parse(f"{following.year:04d}-Q{(following.month - 1) // 3 + 1}")
        return Span.parse(f"{following.year:04d}")

    def __str__(self) -> str:
        return self.label


def _check_year(text: str, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{text!r}: the year must be {MIN_YEAR} to {MAX_YEAR}")


def expand_range(text: str) -> list[Span]:
    """The periods of an inclusive range of one kind (``2026-01..2026-06``, ``2025-Q3..2026-Q2``,
    ``2020..2026``)."""
    first_text, _, last_text = text.partition(RANGE_SEPARATOR)
    first, last = Span.parse(first_text), Span.parse(last_text)
    if first.kind != last.kind:
        raise ValueError(f"{text!r}: a range starts and ends with periods of one kind")
    if first.months[0] > last.months[0]:
        raise ValueError(f"{text!r}: the range starts after it ends")
    spans = [first]
    while spans[-1].months[0] < last.months[0]:
        spans.append(spans[-1].next())
        if len(spans) > MAX_PERIODS:
            break
    return spans


def parse_periods(items: Iterable[str]) -> list[Span]:
    """Distinct periods named by ``items`` (periods or ranges), in the order first named."""
    found: dict[Span, None] = {}
    for item in items:
        spans = expand_range(item) if RANGE_SEPARATOR in item else [Span.parse(item)]
        found.update(dict.fromkeys(spans))
        if sum(len(span.months) for span in found) > MAX_PERIODS:
            raise ValueError(f"at most {MAX_PERIODS} months per request (a year counts 12)")
    if not found:
        raise ValueError(
            "name at least one period: YYYY-MM, YYYY-Qn or YYYY, a list, or a range such as "
            "YYYY-MM..YYYY-MM"
        )
    return list(found)
