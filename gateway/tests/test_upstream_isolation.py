"""One client's upstream failure never becomes another client's 502.

A service that fails a request may close the kept-alive connection the gateway will send the
next request on (uvicorn does so after an application error). The gateway sends a request
that broke that way, before any answer, on a reused connection, once more on a fresh one.
Tested against real servers on loopback ports: a uvicorn app that crashes, and a small
HTTP/1.1 server that drops a kept-alive connection exactly when the next request arrives.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from shared.auth import TokenIssuer
from sinergi_local.testing import free_port

ROUNDS = 100


@pytest.fixture(scope="module")
def bearer_of(jwt_keys: tuple[Path, Path]) -> Callable[[str], dict[str, str]]:
    """``bearer_of(client_id)``: an Authorization header of a token of that client."""
    issuer = TokenIssuer(
        private_key_pem=jwt_keys[0].read_bytes(), issuer="sinergi-gateway", audience="sinergi"
    )

    def headers(client_id: str) -> dict[str, str]:
        token = issuer.issue(
            client_id=client_id, scopes=["job-market:write"], regions=["32.16"], ttl=600
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


def crashing_service() -> FastAPI:
    """A job-market service whose ``/crash`` fails with an unhandled error."""
    app = FastAPI()

    @app.get("/api/v1/job-market/crash")
    async def crash() -> None:
        raise RuntimeError("a bug in the service")

    @app.post("/api/v1/job-market/job-seekers")
    async def write(body: dict[str, Any]) -> dict[str, Any]:
        return {"change": "created", **body}

    return app


async def test_a_crash_for_one_client_is_no_502_for_the_next_client(
    gateway_app_for: Any, client_at: Any, make_settings: Any, serve: Any, bearer_of: Any
) -> None:
    served = serve(crashing_service())
    client_a, client_b = bearer_of("disnaker-32-16"), bearer_of("disnaker-32-73")
    async with (
        gateway_app_for(make_settings(upstreams={"job_market": served.url})) as app,
        client_at(app) as gateway,
    ):
        crashes, writes = [], []
        for n in range(ROUNDS):
            crashes.append(await gateway.get("/api/v1/job-market/crash", headers=client_a))
            writes.append(
                await gateway.post(
                    "/api/v1/job-market/job-seekers", json={"external_id": n}, headers=client_b
                )
            )
    assert {r.status_code for r in crashes} == {500}
    assert [r.status_code for r in writes] == [200] * ROUNDS
    assert [r.json()["external_id"] for r in writes] == list(range(ROUNDS))


@dataclass(frozen=True)
class Seen:
    connection: int
    path: str
    body: bytes


class DroppingUpstream:
    """A keep-alive HTTP/1.1 server on a loopback port, recording each request with the
    connection it came on. After answering ``.../crash`` (500) it keeps the connection open
    and drops it, unanswered, when the next request arrives on it; ``.../drop`` is always
    dropped unanswered; anything else is answered 200."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[Seen] = []
        self._connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> DroppingUpstream:
        self._thread.start()
        assert self._ready.wait(10), "the upstream did not start"
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        connection = self._connections
        doomed = False
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                path = head[0].split(" ")[1]
                length = next(
                    (
                        int(h.split(":", 1)[1])
                        for h in head
                        if h.lower().startswith("content-length")
                    ),
                    0,
                )
                self.seen.append(Seen(connection, path, await reader.readexactly(length)))
                if doomed or path.endswith("/drop"):
                    return
                status = "500 Internal Server Error" if path.endswith("/crash") else "200 OK"
                body = json.dumps({"path": path}).encode()
                writer.write(
                    f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                doomed = path.endswith("/crash")
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    def requests_for(self, path: str) -> list[Seen]:
        """The requests that arrived for ``path``, in order."""
        return [seen for seen in self.seen if seen.path == path]


@pytest.fixture
def dropping() -> Iterator[DroppingUpstream]:
    server = DroppingUpstream().start()
    yield server
    server.stop()


def _retries(app: FastAPI) -> float:
    value = app.state.metrics.registry.get_sample_value(
        "sinergi_gateway_upstream_retries_total", {"upstream": "job_market"}
    )
    return float(value or 0)


async def test_a_request_on_a_dropped_connection_is_sent_again_on_a_fresh_one(
    gateway_app_for: Any,
    client_at: Any,
    make_settings: Any,
    dropping: DroppingUpstream,
    bearer_of: Any,
) -> None:
    async with (
        gateway_app_for(make_settings(upstreams={"job_market": dropping.url})) as app,
        client_at(app) as gateway,
    ):
        failed = await gateway.get("/api/v1/job-market/crash", headers=bearer_of("client-a"))
        written = await gateway.post(
            "/api/v1/job-market/job-seekers",
            json={"external_id": "JS-1"},
            headers=bearer_of("client-b"),
        )
        retries = _retries(app)

    assert failed.status_code == 500
    assert written.status_code == 200, written.text
    (crash,) = dropping.requests_for("/api/v1/job-market/crash")
    dropped, sent_again = dropping.requests_for("/api/v1/job-market/job-seekers")
    # First on the connection the crash left behind, then on a new one, body unchanged.
    assert dropped.connection == crash.connection
    assert sent_again.connection != crash.connection
    assert dropped.body == sent_again.body == b'{"external_id":"JS-1"}'
    assert retries == 1


async def test_a_request_that_breaks_its_own_fresh_connection_is_not_repeated(
    gateway_app_for: Any,
    client_at: Any,
    make_settings: Any,
    dropping: DroppingUpstream,
    bearer_of: Any,
) -> None:
    async with (
        gateway_app_for(make_settings(upstreams={"job_market": dropping.url})) as app,
        client_at(app) as gateway,
    ):
        # No connection is pooled yet: this request opens its own.
        first = await gateway.get("/api/v1/job-market/drop", headers=bearer_of("client-a"))
        fresh_retries = _retries(app)
        # Now one is pooled; a request breaking on it is sent again once, not more.
        assert (
            await gateway.get("/api/v1/job-market/ok", headers=bearer_of("c"))
        ).status_code == 200
        second = await gateway.get("/api/v1/job-market/drop", headers=bearer_of("client-a"))
        reused_retries = _retries(app)

    for response in (first, second):
        assert response.status_code == 502
        assert response.json()["type"].endswith("/bad-gateway")
    assert len(dropping.requests_for("/api/v1/job-market/drop")) == 1 + 2
    assert (fresh_retries, reused_retries) == (0, 1)
