"""What the end-to-end benchmarks share: a whole platform of their own, a demo client's
token, percentiles.

``running_platform("bench-x")`` starts PostgreSQL, Kafka and every process under
``.local/bench-x`` on free ports (the Kafka jars from the shared download cache of
``make run``), registers the demo clients, and removes it all on exit.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from shared.services import SERVICES
from sinergi_local.kafka import KafkaBroker
from sinergi_local.platform import ROOT, Platform, PlatformConfig, start_infrastructure
from sinergi_local.postgres import PostgresServer
from sinergi_local.testing import free_ports

BARE_JOB_SEEKERS = """
CREATE TABLE IF NOT EXISTS job_seekers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source_client text NOT NULL,
    external_id text NOT NULL,
    revision integer NOT NULL DEFAULT 1,
    nik text NOT NULL,
    full_name text NOT NULL,
    birth_date date NOT NULL,
    sex varchar(1) NOT NULL,
    education_level varchar(16) NOT NULL,
    region_code text NOT NULL,
    registered_at date NOT NULL,
    ak1_number text,
    education_major text,
    graduation_year integer,
    skills jsonb NOT NULL DEFAULT '[]',
    desired_occupation_code text,
    disability boolean NOT NULL DEFAULT false,
    village_code text,
    status varchar(16) NOT NULL DEFAULT 'active',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_client, external_id)
)
"""
"""The comparators' bare job-seeker table: the platform's columns in clear, no audit, no
outbox (a bare upsert, or a raw COPY, writes into it)."""


@dataclass(frozen=True)
class RunningPlatform:
    """A started platform, its infrastructure and its demo clients."""

    platform: Platform
    postgres: PostgresServer
    kafka: KafkaBroker
    demo: Mapping[str, Any]

    @property
    def gateway_url(self) -> str:
        return str(self.platform.config.gateway_url)

    def credentials(self, region: str) -> dict[str, str]:
        """``client_id`` and ``client_secret`` of the demo client of ``region`` (``32.16``)."""
        client = next(c for c in self.demo["clients"] if c["regions"] == [region])
        return {k: client[k] for k in ("client_id", "client_secret")}


@contextmanager
def running_platform(
    name: str, *, settings: Mapping[str, str] | None = None
) -> Iterator[RunningPlatform]:
    """The whole platform under ``.local/<name>``, stopped and removed on exit."""
    state = ROOT / ".local" / name
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    (ROOT / ".local" / "cache").mkdir(exist_ok=True)
    (state / "cache").symlink_to(ROOT / ".local" / "cache")
    try:
        # Every port distinct: ports picked one by one may repeat or sit next to each other.
        pg_port, kafka_port, controller_port, gateway_port, *service_ports = free_ports(
            4 + len(SERVICES)
        )
        postgres, kafka = start_infrastructure(
            state, pg_port=pg_port, kafka_port=kafka_port, controller_port=controller_port
        )
        try:
            config = PlatformConfig(
                state_dir=state,
                gateway_port=gateway_port,
                service_ports={
                    spec.name: port for spec, port in zip(SERVICES, service_ports, strict=True)
                },
                settings=dict(settings or {}),
            )
            platform = Platform(config, postgres=postgres, kafka=kafka)
            try:
                platform.start()
                platform.register_demo_clients()
                demo = json.loads((state / "demo-clients.json").read_text())
                yield RunningPlatform(platform=platform, postgres=postgres, kafka=kafka, demo=demo)
            finally:
                platform.stop()
        finally:
            kafka.stop()
            postgres.stop()
    finally:
        shutil.rmtree(state, ignore_errors=True)


class Token:
    """A demo client's bearer token, fetched again before it expires."""

    def __init__(self, http: httpx.AsyncClient, credentials: dict[str, str]) -> None:
        self.http, self.credentials = http, credentials
        self.value, self.renew_at = "", 0.0

    async def headers(self) -> dict[str, str]:
        if time.monotonic() >= self.renew_at:
            response = await self.http.post(
                "/oauth/token", data={"grant_type": "client_credentials", **self.credentials}
            )
            response.raise_for_status()
            answer = response.json()
            self.value = answer["access_token"]
            self.renew_at = time.monotonic() + answer["expires_in"] / 2
        return {"Authorization": f"Bearer {self.value}"}


def percentile(samples: list[float], q: float) -> float:
    """The ``q`` quantile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def serving(
    name: str, command: Sequence[str], *, env: Mapping[str, str], port: int, log_path: Path
) -> Iterator[str]:
    """Run ``command`` (an HTTP server on ``port``) until it answers ``/health``; its base
    URL. The server is stopped on exit; its output goes to ``log_path``."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 (the benches' own servers)
            list(command), env=dict(env), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer; see {log_path}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
