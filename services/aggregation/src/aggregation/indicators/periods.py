"""Monthly periods (ISO ``YYYY-MM``) and how a request names them.

A request names months one by one (``2026-01``), as a comma-separated list, as repeated
parameters, or as an inclusive range (``2026-01..2026-06``); all forms may be mixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MIN_YEAR = 1900
MAX_YEAR = 2100
# A request is answered with one value per indicator, region and period; the cap keeps one
# request's work bounded (20 years of months is more than any dashboard shows).
MAX_PERIODS = 240
RANGE_SEPARATOR = ".."

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


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


def expand_range(text: str) -> list[Period]:
    """The months of an inclusive range ``YYYY-MM..YYYY-MM``."""
    first_text, _, last_text = text.partition(RANGE_SEPARATOR)
    first, last = Period.parse(first_text), Period.parse(last_text)
    if first > last:
        raise ValueError(f"{text!r}: the range starts after it ends")
    months = [first]
    while months[-1] < last:
        months.append(months[-1].next())
        if len(months) > MAX_PERIODS:
            break
    return months


def parse_periods(items: Iterable[str]) -> list[Period]:
    """Distinct months named by ``items`` (months or ranges), in the order first named."""
    found: dict[Period, None] = {}
    for item in items:
        months = expand_range(item) if RANGE_SEPARATOR in item else [Period.parse(item)]
        found.update(dict.fromkeys(months))
        if len(found) > MAX_PERIODS:
            raise ValueError(f"at most {MAX_PERIODS} periods per request")
    if not found:
        raise ValueError("name at least one month: YYYY-MM, a list, or YYYY-MM..YYYY-MM")
    return list(found)
