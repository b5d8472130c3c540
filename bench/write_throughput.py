"""Single writes of new job seekers per second through the gateway, against a bare FastAPI app.

Starts its own PostgreSQL, Kafka and platform (under ``.local/bench-throughput``, free ports)
and sends ``--writes`` new job seekers, one ``POST /api/v1/job-market/job-seekers`` each, from
``--concurrency`` kept-alive connections, one worker each: the whole platform path, gateway
(token, quota, proxy) -> job-market service (validation, rules, encrypted upsert, audit,
outbox) -> commit. The platform runs with its API quota raised
to ``SINERGI_RATE_LIMIT_API=1000000/minute`` (the default, 12000/minute per client, would cap
the run at 200 writes/s); the quota is still counted, one SQL statement per request, as in
production.

The comparator, started by this script on the same PostgreSQL server in the same run, is the
least a web service can do for the same request: a bare FastAPI app served by uvicorn (in a
subprocess, like the platform's processes) that validates the body with the platform's own
``JobSeekerCreate`` model, checks the NIK against birth date, sex and the region table
(``shared.identifiers.check_nik``), and makes one durable upsert (``INSERT ... ON CONFLICT
(source_client, external_id) DO UPDATE``, ``synchronous_commit`` as the server's default: on)
into a bare table through an asyncpg pool of ``--concurrency`` connections. No token, no
encryption, no audit, no outbox.

Both sides get the same bodies (distinct NIKs and external ids) in alternating slices of
``--slice`` writes (default 500), so both see the same drift of the machine's other load.
Before each bare slice that follows a platform slice the script waits (untimed) until the
platform's ``job_seekers_registered`` indicator has counted every platform write so far, so
the platform's event pipeline (relay, Kafka, aggregation) does not run during bare slices.
Prints writes/s and latency of both and, last, ``ratio = platform / bare`` (goal >= 0.25).

The load generator is by default a minimal HTTP/1.1 client on asyncio streams that parses
answers with httptools (0.2 ms of CPU per request here). ``--client httpx`` uses one
``httpx.AsyncClient`` per side, its pool as large as the concurrency, instead: it spends about
2 ms of CPU per request, so on a small machine it, not the bare app, sets the bare rate (one
full core at ~570 writes/s against ~1000 with the raw client, the bare app alone on 2 cores).

    uv run --frozen python bench/write_throughput.py [--writes 3000] [--concurrency 16]
        [--slice 500] [--client raw|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httptools
import httpx
import uvicorn
from bench_platform import BARE_JOB_SEEKERS, Token, percentile, running_platform, serving
from fastapi import FastAPI, HTTPException, Response
from job_market.job_seekers.models import JobSeekerCreate
from shared.identifiers import NikMismatch, check_nik, nik_for
from shared.regions import registry
from sinergi_local.testing import free_port

PLATFORM_URL = "/api/v1/job-market/job-seekers"
BARE_URL = "/job-seekers"
REGION, DISTRICT = "32.16", "32.16.04"
REGISTERED_AT = date(2026, 11, 2)
PERIOD = REGISTERED_AT.strftime("%Y-%m")
RATE_LIMIT = "1000000/minute"
BARE_CLIENT = "disnaker-3216"
DSN_VARIABLE = "BENCH_BARE_DSN"
POOL_VARIABLE = "BENCH_BARE_POOL"

FIELDS = (
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "education_level",
    "region_code",
    "registered_at",
    "ak1_number",
    "education_major",
    "graduation_year",
    "skills",
    "desired_occupation_code",
    "disability",
    "village_code",
    "status",
)
_columns = ", ".join(FIELDS)
_values = ", ".join(f"${i}" for i in range(4, 4 + len(FIELDS)))
_updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in FIELDS)
UPSERT = f"""
INSERT INTO job_seekers (id, source_client, external_id, {_columns})
VALUES ($1, $2, $3, {_values})
ON CONFLICT (source_client, external_id) DO UPDATE
SET {_updates}, revision = job_seekers.revision + 1, updated_at = now()
RETURNING id, revision, (xmax = 0) AS created
"""  # noqa: S608 (column names are constants)


# --------------------------------------------------------------------------- the comparator
def bare_app(dsn: str, pool_size: int) -> FastAPI:
    """The comparator: the same validation, then one upsert on an asyncpg pool."""
    regions = registry()
    pools: dict[str, asyncpg.Pool] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def init(connection: asyncpg.Connection) -> None:
            await connection.set_type_codec(
                "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )

        pools["db"] = await asyncpg.create_pool(
            dsn, min_size=pool_size, max_size=pool_size, init=init
        )
        try:
            yield
        finally:
            await pools["db"].close()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(BARE_URL, status_code=201)
    async def put_job_seeker(data: JobSeekerCreate, response: Response) -> dict[str, Any]:
        region = regions.normalise_regency(data.region_code)
        if region is None:
            raise HTTPException(422, "unknown regency")
        try:
            nik = check_nik(data.nik, birth_date=data.birth_date, sex=data.sex, regions=regions)
        except NikMismatch as exc:
            raise HTTPException(422, f"{exc.field}: {exc}") from None
        values = data.model_dump(exclude={"external_id", "nik"})
        values.update(nik=nik, region_code=region)
        row = await pools["db"].fetchrow(
            UPSERT,
            uuid.uuid4(),
            BARE_CLIENT,
            data.external_id,
            *(values[name] for name in FIELDS),
        )
        assert row is not None
        if not row["created"]:
            response.status_code = 200
        return {"id": row["id"], "external_id": data.external_id, "revision": row["revision"]}

    return app


def serve_bare(port: int) -> None:
    """Run the comparator (the subprocess started by :func:`bare_server`)."""
    app = bare_app(os.environ[DSN_VARIABLE], int(os.environ[POOL_VARIABLE]))
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


@contextlib.contextmanager
def bare_server(dsn: str, pool_size: int, log_path: Path) -> Iterator[str]:
    """Start the comparator in a subprocess on a free port; its base URL."""
    asyncio.run(_create_bare_table(dsn))
    port = free_port()
    env = {**os.environ, DSN_VARIABLE: dsn, POOL_VARIABLE: str(pool_size)}
    command = [sys.executable, __file__, "--serve-bare", str(port)]
    with serving("the bare app", command, env=env, port=port, log_path=log_path) as url:
        yield url


async def _create_bare_table(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(BARE_JOB_SEEKERS)
    finally:
        await connection.close()


# --------------------------------------------------------------------------- the load
def body(i: int) -> bytes:
    """Job seeker ``i``: a new external id and a distinct valid NIK (birth date, serial)."""
    birth = date(1970, 1, 1) + timedelta(days=i // 9999)
    return json.dumps(
        {
            "external_id": f"TPUT-{i:07d}-{uuid.uuid4().hex[:8]}",
            "nik": nik_for(district=DISTRICT, birth_date=birth, sex="M", serial=i % 9999 + 1),
            "full_name": "Bench Mark",
            "birth_date": birth.isoformat(),
            "sex": "M",
            "education_level": "SMA",
            "region_code": REGION,
            "registered_at": REGISTERED_AT.isoformat(),
        }
    ).encode()


class Connection:
    """One kept-alive HTTP/1.1 connection: a request's bytes out, its status and body back.

    The load generator's own CPU must not be what limits the bare app (see the module's
    docstring): this parses with the C parser uvicorn uses (httptools), nothing more.
    """

    def __init__(self, url: str) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, parsed.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, content: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        return await self.request("POST", path, content, headers)

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        return await self.request("GET", path, b"", headers)

    async def request(
        self, method: str, path: str, content: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if method != "GET":
            lines.append(f"Content-Length: {len(content)}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        answer = _Answer()
        parser = httptools.HttpResponseParser(answer)
        self.writer.write(request)
        while not answer.complete:
            data = await self.reader.read(65536)
            if not data:
                await self.close()
                raise ConnectionError("the server closed the connection")
            parser.feed_data(data)
        if not parser.should_keep_alive():
            await self.close()
        return int(parser.get_status_code()), b"".join(answer.body)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class _Answer:
    """httptools' callbacks: the body and the end of one response."""

    def __init__(self) -> None:
        self.body: list[bytes] = []
        self.complete = False

    def on_body(self, data: bytes) -> None:
        self.body.append(data)

    def on_message_complete(self) -> None:
        self.complete = True


Post = Callable[[str, bytes, dict[str, str]], Awaitable[tuple[int, bytes]]]
"""POST (path, body, headers) on one connection: the status and the body."""


@contextlib.asynccontextmanager
async def senders(kind: str, url: str, concurrency: int) -> AsyncIterator[list[Post]]:
    """One ``Post`` per concurrent worker: raw connections, or one pooled ``httpx`` client."""
    if kind == "httpx":
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

            async def post(path: str, content: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
                response = await http.post(path, content=content, headers=headers)
                return response.status_code, response.content

            yield [post] * concurrency
        return
    connections = [Connection(url) for _ in range(concurrency)]
    try:
        yield [connection.post for connection in connections]
    finally:
        for connection in connections:
            await connection.close()


async def timed(
    posts: list[Post],
    path: str,
    bodies: list[bytes],
    headers: dict[str, str],
    latencies: list[float],
) -> float:
    """Seconds to POST every body, one worker per sender; each answer must be a 201."""
    headers = {**headers, "Content-Type": "application/json"}
    queue = iter(bodies)

    async def worker(post: Post) -> None:
        for content in queue:
            began = time.perf_counter()
            code, answer = await post(path, content, headers)
            latencies.append(time.perf_counter() - began)
            if code != 201:
                raise RuntimeError(f"{path}: {code} {answer[:500]!r}")

    start = time.perf_counter()
    await asyncio.gather(*(worker(post) for post in posts))
    return time.perf_counter() - start


async def indicator(http: httpx.AsyncClient, token: Token) -> float:
    response = await http.get(
        "/api/v1/indicators/values",
        params={"indicator": "job_seekers_registered", "region": REGION, "period": PERIOD},
        headers=await token.headers(),
    )
    response.raise_for_status()
    # null until the region has reported anything for the month ("not reported").
    return float(response.json()["values"][0]["value"] or 0)


async def caught_up(http: httpx.AsyncClient, token: Token, count: int, timeout: float) -> bool:
    """Wait until the indicator counts ``count`` job seekers (False after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while await indicator(http, token) < count:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def run(
    args: argparse.Namespace, gateway_url: str, bare_url: str, credentials: dict[str, str]
) -> None:
    warmup = 50
    bodies = [body(i) for i in range(warmup + args.writes)]
    async with (
        httpx.AsyncClient(base_url=gateway_url, timeout=60) as control,
        senders(args.client, gateway_url, args.concurrency) as platform,
        senders(args.client, bare_url, args.concurrency) as bare,
    ):
        token = Token(control, credentials)
        posts = {"platform": platform, "bare": bare}
        paths = {"platform": PLATFORM_URL, "bare": BARE_URL}

        async def auth(side: str) -> dict[str, str]:
            return await token.headers() if side == "platform" else {}

        before = await indicator(control, token)
        for side in ("platform", "bare"):  # warm up pools, prepared statements, caches
            await timed(posts[side], paths[side], bodies[:warmup], await auth(side), [])
        written = warmup
        spent = {"platform": 0.0, "bare": 0.0}
        latencies: dict[str, list[float]] = {"platform": [], "bare": []}
        waited, stalled, previous = 0.0, False, "platform"
        for n, low in enumerate(range(warmup, warmup + args.writes, args.slice)):
            chunk = bodies[low : min(low + args.slice, warmup + args.writes)]
            for side in ("bare", "platform") if n % 2 == 0 else ("platform", "bare"):
                if side == "bare" and previous == "platform":
                    began = time.perf_counter()
                    stalled |= not await caught_up(control, token, int(before) + written, 120)
                    waited += time.perf_counter() - began
                spent[side] += await timed(
                    posts[side], paths[side], chunk, await auth(side), latencies[side]
                )
                previous = side
            written += len(chunk)
        began = time.perf_counter()
        complete = await caught_up(control, token, int(before) + written, 300)
        waited += time.perf_counter() - began

    rates = {side: args.writes / spent[side] for side in spent}
    print()
    names = {"platform": "platform (gateway -> job-market)", "bare": "bare FastAPI + asyncpg"}
    for side in ("platform", "bare"):
        p50, p99 = percentile(latencies[side], 0.5), percentile(latencies[side], 0.99)
        print(
            f"{names[side]:<33} {args.writes} writes in {spent[side]:7.2f} s"
            f" = {rates[side]:8.1f} writes/s   p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms"
        )
    print(
        f"concurrency {args.concurrency} ({args.client} client), slices of {args.slice},"
        f" warm-up {warmup} each"
    )
    print(
        f"untimed waits for the indicator to count the platform's writes: {waited:.1f} s"
        + ("" if complete and not stalled else " (the indicator did NOT catch up in time!)")
    )
    print("goal: ratio >= 0.25")
    print(f"ratio = platform / bare = {rates['platform'] / rates['bare']:.4g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--slice", type=int, default=500)
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator: kept-alive raw HTTP/1.1 connections (default) or httpx",
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return

    started = time.monotonic()
    try:
        with running_platform(
            "bench-throughput", settings={"SINERGI_RATE_LIMIT_API": RATE_LIMIT}
        ) as up:
            up.postgres.create_database("bench_bare")
            dsn = up.postgres.url_for("bench_bare")
            log = up.platform.config.state_dir / "logs" / "bare.log"
            with bare_server(dsn, args.concurrency, log) as bare_url:
                asyncio.run(run(args, up.gateway_url, bare_url, up.credentials(REGION)))
    finally:
        print(f"(whole run: {time.monotonic() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
