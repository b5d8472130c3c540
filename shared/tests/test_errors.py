"""Error answers: every failure is an RFC 9457 problem, and an answered one keeps the connection.

Starlette hands exceptions without a specific handler to its last-resort middleware, which
answers and then re-raises: the server closes the connection, and a client (the gateway)
reusing it sees the exchange break off. Database errors and undecodable bodies are answered
by their own handlers instead, so nothing propagates past the application.
"""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy.exc as sa_exc
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from shared.errors import PROBLEM_JSON, install_problem_handlers


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("value too long for type character varying(64): 3216...")
        self.sqlstate = sqlstate


class _Body(BaseModel):
    name: str


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/fails/{sqlstate}")
    async def fails(sqlstate: str) -> None:
        raise sa_exc.DBAPIError("INSERT ...", {"nik": "3216054101900007"}, _PgError(sqlstate))

    @app.get("/closed")
    async def closed() -> None:
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    @app.post("/echo")
    async def echo(body: _Body) -> dict[str, str]:
        return {"name": body.name}

    records = APIRouter(prefix="/records")

    @records.get("")
    async def listing() -> list[str]:
        return []

    @records.post("")
    async def create() -> None:
        return None

    @records.get("/{record_id:uuid}")
    async def read(record_id: str) -> None:
        return None

    app.include_router(records)
    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    # raise_app_exceptions: an exception that escaped the handlers fails the test.
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=True)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.mark.parametrize(
    ("sqlstate", "status"), [("22001", 422), ("22021", 422), ("23505", 409), ("57014", 503)]
)
async def test_database_errors_are_answered_without_escaping_the_app(
    client: httpx.AsyncClient, sqlstate: str, status: int
) -> None:
    response = await client.get(f"/fails/{sqlstate}")
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "3216" not in response.text  # neither the message nor the parameters


async def test_an_unreachable_database_is_a_503_with_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/closed")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


async def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/echo", content=b'{"name": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/validation")
    assert [e["field"] for e in problem["errors"]] == ["body"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/records", "GET, POST"),
        ("DELETE", "/records", "GET, POST"),
        ("POST", "/records/7d0c2a5e-3c1b-4e0f-9a57-2f5d3c9b1a10", "GET"),
    ],
)
async def test_a_wrong_method_is_a_405_problem_that_lists_the_allowed_ones(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["allow"] == allow


async def test_a_malformed_record_id_is_not_found_rather_than_a_validation_error(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/records/not-a-uuid")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
