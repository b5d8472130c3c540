"""What personal-data protection costs on the write path: encryption at rest + the audit trail.

Runs the job-market app in process twice on its own PostgreSQL (under ``.local/bench-write``):
"protected" (NIK and name AES-GCM encrypted, every write and read audited, the sealer running)
and "bare" (the same code with a pass-through cipher and ``audit_enabled=False``). The outbox
relay is off (no Kafka; outbox rows are still written). Each configuration writes ``--writes``
new job seekers through the HTTP API with ``--concurrency`` clients, then reads each back, in
alternating slices so both see the same drift of the machine's other load. Prints both rates
and the ratio; the target is a cost of at most 15%.

    uv run --frozen python bench/write_path.py [--writes 2000] [--concurrency 8] [--slice 100]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import httpx
from job_market.main import create_app
from shared.auth import TokenIssuer, ensure_keypair
from shared.crypto import Keyring, use_keyring
from shared.identifiers import nik_for
from shared.migrate import upgrade
from shared.settings import Settings
from sinergi_local.platform import ROOT
from sinergi_local.postgres import PostgresServer
from sinergi_local.testing import free_port

URL = "/api/v1/job-market/job-seekers"


class PassThrough(Keyring):
    """The bare configuration's cipher: stores values as they are."""

    def encrypt(self, plaintext: str, *, purpose: str) -> str:
        return plaintext

    def decrypt(self, stored: str, *, purpose: str) -> str:
        return stored


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


async def timed(ops: range, concurrency: int, op: Callable[[int], Awaitable[None]]) -> float:
    """Seconds to run ``op`` for each of ``ops`` on ``concurrency`` workers."""
    queue = iter(ops)

    async def worker() -> None:
        for i in queue:
            await op(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


@asynccontextmanager
async def service(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://job-market") as http:
            yield http


async def run(args: argparse.Namespace) -> None:
    state = ROOT / ".local" / "bench-write"
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

        async def settings(protected: bool) -> Settings:
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
                audit_enabled=protected,
            )

        protected_settings = await settings(True)
        real = Keyring.parse(protected_settings.data_keys)
        bare_cipher = PassThrough(real.keys)
        async with (
            service(await settings(False)) as bare,
            service(protected_settings) as protected,
        ):
            clients = {False: bare, True: protected}
            ids: dict[bool, list[str]] = {False: [""] * args.writes, True: [""] * args.writes}

            def use(protect: bool) -> None:
                # One process, one key ring: each slice runs alone, with its configuration's.
                use_keyring(real if protect else bare_cipher)

            def writer(protect: bool) -> Callable[[int], Awaitable[None]]:
                async def write(i: int) -> None:
                    response = await clients[protect].post(URL, json=body(i), headers=headers)
                    assert response.status_code == 201, response.text
                    ids[protect][i] = response.json()["id"]

                return write

            def reader(protect: bool) -> Callable[[int], Awaitable[None]]:
                async def read(i: int) -> None:
                    response = await clients[protect].get(
                        f"{URL}/{ids[protect][i]}", headers=headers
                    )
                    assert response.status_code == 200, response.text

                return read

            for protect in (False, True):  # warm up pools and prepared statements
                use(protect)
                await timed(range(50), args.concurrency, writer(protect))
            spent = {(kind, p): 0.0 for kind in ("write", "read") for p in (False, True)}
            for kind, make in (("write", writer), ("read", reader)):
                for n, low in enumerate(range(0, args.writes, args.slice)):
                    ops = range(low, min(low + args.slice, args.writes))
                    for protect in (False, True) if n % 2 == 0 else (True, False):
                        use(protect)
                        spent[kind, protect] += await timed(ops, args.concurrency, make(protect))
        for kind in ("write", "read"):
            bare_rate = args.writes / spent[kind, False]
            protected_rate = args.writes / spent[kind, True]
            ratio = protected_rate / bare_rate
            print(
                f"{kind}s/s: bare {bare_rate:7.1f}, encrypted+audited {protected_rate:7.1f}"
                f" -> ratio {ratio:.3f} (cost {100 * (1 - ratio):.1f}%, target <= 15%)"
            )
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--slice", type=int, default=100)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
