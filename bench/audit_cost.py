"""What the audit trail costs: job-seeker upserts and reads per second, audit on vs off.

Starts its own PostgreSQL (under ``.local/bench-audit``, a free port) and runs the job-market
app in process twice, on two fresh migrated databases, audit on and off, with the outbox
relay off (no Kafka: the outbox rows are still written, only not published) and the audit
sealer running. Writes ``--writes`` new job seekers to each with ``--concurrency`` clients,
then reads each back by id, alternating between the two in slices of ``--slice``.

    uv run python bench/audit_cost.py [--writes 2000] [--concurrency 8] [--slice 100]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import httpx
from job_market.main import create_app
from shared.audit.chain import seal_all, verify
from shared.auth import TokenIssuer, ensure_keypair
from shared.db import create_engine
from shared.identifiers import nik_for
from shared.migrate import upgrade
from shared.settings import Settings
from sinergi_local.platform import ROOT
from sinergi_local.postgres import PostgresServer
from sinergi_local.testing import free_port

URL = "/api/v1/job-market/job-seekers"


def body(serial: int) -> dict[str, object]:
    birth = date(1996, 4, 12)
    return {
        "external_id": f"BENCH-{uuid.uuid4().hex}",
        "nik": nik_for(district="32.16.04", birth_date=birth, sex="M", serial=serial % 9999 + 1),
        "full_name": "Bench Mark",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "education_level": "SMA",
        "region_code": "32.16",
        "registered_at": "2026-08-03",
    }


async def timed(
    ops: range,
    concurrency: int,
    op: Callable[[int], Awaitable[None]],
    latencies: list[float],
    cpu_spent: list[float],
) -> float:
    """Seconds to run ``op`` for each of ``ops`` on ``concurrency`` workers (and CPU seconds)."""
    queue = iter(ops)

    async def worker() -> None:
        for i in queue:
            began = time.perf_counter()
            await op(i)
            latencies.append(time.perf_counter() - began)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu_spent.append(time.process_time() - cpu)
    return time.perf_counter() - start


@asynccontextmanager
async def service(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://job-market") as http:
            yield http


async def run(args: argparse.Namespace) -> None:
    state = ROOT / ".local" / "bench-audit"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    private, public = state / "jwt-private.pem", state / "jwt-public.pem"
    ensure_keypair(private, public)
    server = PostgresServer(
        data_dir=state / "pg",
        port=free_port(),
        log_path=state / "pg.log",
        password=secrets.token_urlsafe(16),
    )
    server.start()
    try:
        issuer = TokenIssuer(
            private_key_pem=private.read_bytes(), issuer="sinergi-gateway", audience="sinergi"
        )
        token = issuer.issue(
            client_id="disnaker-3216",
            scopes=["job-market:read", "job-market:write"],
            regions=["32.16"],
            ttl=3600,
        )
        headers = {"Authorization": f"Bearer {token}"}

        async def settings(audit: bool) -> Settings:
            name = f"bench_{uuid.uuid4().hex[:8]}"
            await asyncio.to_thread(server.create_database, name)
            url = server.url_for(name)
            await asyncio.to_thread(upgrade, "job_market", url)
            return Settings(
                environment="test",
                database_url=url,
                jwt_private_key_path=Path(private),
                jwt_public_key_path=Path(public),
                relay_enabled=False,
                audit_enabled=audit,
            )

        on_settings, off_settings = await settings(True), await settings(False)
        async with service(off_settings) as off, service(on_settings) as on:
            clients = {False: off, True: on}
            ids: dict[bool, list[str]] = {False: [""] * args.writes, True: [""] * args.writes}

            def writer(audit: bool) -> Callable[[int], Awaitable[None]]:
                async def write(i: int) -> None:
                    response = await clients[audit].post(URL, json=body(i), headers=headers)
                    assert response.status_code == 201, response.text
                    ids[audit][i] = response.json()["id"]

                return write

            def reader(audit: bool) -> Callable[[int], Awaitable[None]]:
                async def read(i: int) -> None:
                    response = await clients[audit].get(f"{URL}/{ids[audit][i]}", headers=headers)
                    assert response.status_code == 200, response.text

                return read

            for audit in (False, True):  # warm up pools and prepared statements
                await timed(range(50), args.concurrency, writer(audit), [], [])
            spent = {(kind, audit): 0.0 for kind in ("write", "read") for audit in (False, True)}
            latencies: dict[tuple[str, bool], list[float]] = {key: [] for key in spent}
            cpu: dict[tuple[str, bool], list[float]] = {key: [] for key in spent}
            # Short alternating slices: the machine's other load drifts over minutes, and
            # both configurations see the same drift.
            for kind, make in (("write", writer), ("read", reader)):
                for n, low in enumerate(range(0, args.writes, args.slice)):
                    ops = range(low, min(low + args.slice, args.writes))
                    for audit in (False, True) if n % 2 == 0 else (True, False):
                        spent[kind, audit] += await timed(
                            ops,
                            args.concurrency,
                            make(audit),
                            latencies[kind, audit],
                            cpu[kind, audit],
                        )
        engine = create_engine(on_settings.database_url, pool_size=1)
        await seal_all(engine)
        async with engine.connect() as conn:
            verdict = await verify(conn)
            audit_rows = verdict.sealed
        await engine.dispose()
        for kind in ("write", "read"):
            off_rate = args.writes / spent[kind, False]
            on_rate = args.writes / spent[kind, True]
            off_p50 = statistics.median(latencies[kind, False]) * 1000
            on_p50 = statistics.median(latencies[kind, True]) * 1000
            print(  # noqa: T201 - a benchmark prints its figures
                f"{kind}s/s: audit off {off_rate:7.1f}, on {on_rate:7.1f}"
                f" -> on/off {on_rate / off_rate:.3f} (cost {100 * (1 - on_rate / off_rate):.1f}%);"
                f" p50 ms off {off_p50:.1f}, on {on_p50:.1f} (+{100 * (on_p50 / off_p50 - 1):.1f}%)"
            )
            off_cpu = sum(cpu[kind, False]) / args.writes * 1000
            on_cpu = sum(cpu[kind, True]) / args.writes * 1000
            print(  # noqa: T201
                f"  Python CPU ms per {kind} (client and app): off {off_cpu:.2f}, on {on_cpu:.2f}"
                f" (+{100 * (on_cpu / off_cpu - 1):.1f}%)"
            )
        print(f"audit rows sealed: {audit_rows}, chain intact: {verdict.intact}")  # noqa: T201
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--slice", type=int, default=100, help="operations per alternation")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
