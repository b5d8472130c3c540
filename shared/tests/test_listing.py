"""The listings' pure rules: RFC 3339 times and the opaque cursor."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from shared.errors import ProblemError
from shared.listing import Position, rfc3339


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T00:00:00Z", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01t07:30:00.25z", datetime(2026, 12, 1, 7, 30, 0, 250_000, tzinfo=UTC)),
        (
            "2026-12-01T07:00:00+07:00",
            datetime(2026, 12, 1, 7, tzinfo=timezone(timedelta(hours=7))),
        ),
    ],
)
def test_rfc3339_times_with_their_offset_are_read(text: str, expected: datetime) -> None:
    assert rfc3339(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2026-12-01", "2026-12-01T00:00:00", "1699920000", "2026-02-30T00:00:00Z", "yesterday"],
)
def test_other_times_are_a_422_naming_the_parameter(text: str) -> None:
    with pytest.raises(ProblemError) as caught:
        rfc3339(text)
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["query.updated_since"]


def test_a_cursor_names_its_position_exactly() -> None:
    position = Position(
        updated_at=datetime(2026, 12, 3, 6, 1, 2, 345678, tzinfo=UTC), id=uuid.uuid4()
    )
    token = position.token()
    assert Position.parse(token) == position
    assert "=" not in token and "/" not in token and "+" not in token  # safe in a URL


@pytest.mark.parametrize("token", ["x", "bm90IGpzb24", "WzEsMl0", "WyIyMDI2LTEyLTAzIiwibm8ifQ"])
def test_a_cursor_not_ours_is_a_422(token: str) -> None:
    with pytest.raises(ProblemError) as caught:
        Position.parse(token)
    assert [e.field for e in caught.value.errors] == ["query.cursor"]
