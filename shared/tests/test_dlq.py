"""Sorting a consumer's errors into lasting (dead-letter after the bounded tries) and passing
(wait and retry, never dead-letter), and describing them without the event's values."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, TopicAuthorizationFailedError
from pydantic import BaseModel, ValidationError
from shared.dlq import describe, dlq_topic, is_passing, origin_topic
from shared.inbox import UnknownEventType
from sqlalchemy import exc as sa_exc


class _DriverError(Exception):
    """What asyncpg raises: a SQLSTATE and the names PostgreSQL reports."""

    def __init__(self, message: str, **names: str) -> None:
        super().__init__(message)
        self.constraint_name = names.get("constraint")
        self.table_name = names.get("table")
        self.column_name = names.get("column")


class _AdaptedError(Exception):
    """What SQLAlchemy's asyncpg adapter puts in ``orig``: the SQLSTATE, caused by the driver's."""

    def __init__(self, sqlstate: str | None, driver: Exception | None = None) -> None:
        super().__init__("adapted")
        self.sqlstate = sqlstate
        self.__cause__ = driver


def database_error(
    kind: type[sa_exc.DBAPIError], sqlstate: str | None, message: str = "boom", **names: str
) -> sa_exc.DBAPIError:
    """A database error as SQLAlchemy raises it from asyncpg."""
    driver = _DriverError(message, **names)
    return kind(
        "INSERT INTO projection VALUES ($1)", {"x": "secret"}, _AdaptedError(sqlstate, driver)
    )


class Seeker(BaseModel):
    person_ref: str
    birth_year: int


def validation_error() -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        Seeker.model_validate({"person_ref": 12345678, "birth_year": "nineteen-ninety"})
    return raised.value


LASTING: list[tuple[str, BaseException]] = [
    ("data the model refuses", validation_error()),
    ("a handler's ValueError", ValueError("unknown regency code '99.99'")),
    ("a missing key", KeyError("region_code")),
    ("a TypeError", TypeError("unsupported operand")),
    ("an unexpected class", RuntimeError("a handler bug")),
    ("a type without its handler", UnknownEventType("no handler for type x.v9")),
    ("a unique violation", database_error(sa_exc.IntegrityError, "23505")),
    ("a not-null violation", database_error(sa_exc.IntegrityError, "23502")),
    ("a value the column cannot hold", database_error(sa_exc.DataError, "22P02")),
    ("a NUL byte", database_error(sa_exc.DataError, "22021")),
    ("a syntax error", database_error(sa_exc.ProgrammingError, "42601")),
]
PASSING: list[tuple[str, BaseException]] = [
    ("database unreachable", sa_exc.OperationalError("connect", {}, ConnectionRefusedError())),
    ("connection closed", sa_exc.InterfaceError("select", {}, Exception("connection is closed"))),
    ("connection exception", database_error(sa_exc.DBAPIError, "08006")),
    ("serialization failure", database_error(sa_exc.DBAPIError, "40001")),
    ("deadlock", database_error(sa_exc.DBAPIError, "40P01")),
    ("too many connections", database_error(sa_exc.DBAPIError, "53300")),
    ("lock not available", database_error(sa_exc.DBAPIError, "55P03")),
    ("server shutting down", database_error(sa_exc.DBAPIError, "57P01")),
    ("server starting up", database_error(sa_exc.DBAPIError, "57P03")),
    ("statement timeout", database_error(sa_exc.DBAPIError, "57014")),
    ("migration not run yet", database_error(sa_exc.ProgrammingError, "42P01")),
    ("column not migrated yet", database_error(sa_exc.ProgrammingError, "42703")),
    ("no privilege yet", database_error(sa_exc.ProgrammingError, "42501")),
    ("pool exhausted", sa_exc.TimeoutError("QueuePool limit")),
    ("a reset connection", ConnectionResetError()),
    ("a timeout", TimeoutError()),
    ("Kafka unreachable", KafkaConnectionError()),
    ("a dead letter not acknowledged", KafkaTimeoutError()),
    ("a dead-letter topic not granted", TopicAuthorizationFailedError()),
]


@pytest.mark.parametrize(("case", "error"), LASTING, ids=[case for case, _ in LASTING])
def test_errors_of_the_event_itself_are_lasting(case: str, error: BaseException) -> None:
    assert not is_passing(error), case


@pytest.mark.parametrize(("case", "error"), PASSING, ids=[case for case, _ in PASSING])
def test_errors_of_the_surroundings_are_passing(case: str, error: BaseException) -> None:
    assert is_passing(error), case


def test_an_invalidated_connection_is_passing_whatever_the_error() -> None:
    error = database_error(sa_exc.DBAPIError, None)
    assert not is_passing(error)
    error.connection_invalidated = True
    assert is_passing(error)


def test_an_error_caused_by_a_passing_one_is_passing() -> None:
    try:
        try:
            raise ConnectionRefusedError
        except OSError as cause:
            raise ValueError("could not read the reference data") from cause
    except ValueError as error:
        assert is_passing(error)


def test_a_validation_error_is_described_by_field_and_kind_never_by_value() -> None:
    described = describe(validation_error())
    assert described.startswith("ValidationError: ")
    assert "person_ref: string_type" in described and "birth_year: int_parsing" in described
    assert "12345678" not in described and "nineteen" not in described


def test_a_database_error_is_described_by_sqlstate_and_names_without_sql_or_values() -> None:
    error = database_error(
        sa_exc.IntegrityError,
        "23505",
        'duplicate key value violates unique constraint "seekers_pkey"\n'
        "DETAIL:  Key (person_ref)=(ab12cd34) already exists.",
        constraint="seekers_pkey",
        table="seekers",
    )
    assert describe(error) == (
        "IntegrityError: _DriverError, SQLSTATE 23505, constraint seekers_pkey, table seekers"
    )


def test_any_other_message_has_the_event_values_masked() -> None:
    data: dict[str, Any] = {
        "person_ref": "ab12cd34ef56",
        "region_code": "99.99",
        "birth_year": 1999,
        "sex": "F",
        "disability": False,
        "victims": [{"person_ref": "ffee0011"}],
    }
    error = ValueError(
        "unknown regency code '99.99' of ab12cd34ef56 born 1999, victim ffee0011 (False, F)"
    )
    assert describe(error, data=data) == (
        "ValueError: unknown regency code '***' of *** born ***, victim *** (False, F)"
    )
    assert describe(KeyError("region_code"), data=data) == "KeyError: 'region_code'"


def test_a_description_is_bounded() -> None:
    assert len(describe(RuntimeError("x" * 10_000))) == 2000


def test_the_dead_letter_topic_is_named_after_its_topic() -> None:
    assert dlq_topic("sinergi.job-market.v1") == "sinergi.job-market.v1.dlq"
    assert origin_topic("sinergi.job-market.v1.dlq") == "sinergi.job-market.v1"
    assert origin_topic("sinergi.job-market.v1") == "sinergi.job-market.v1"
