"""``make run``: start the whole platform on its embedded defaults and keep it running.

PostgreSQL and Kafka data, downloads, secrets and logs live in ``.local/``; a second run reuses
them. SIGINT or SIGTERM stops every process this started, well within 15 seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from sinergi_local.demo import load_demo
from sinergi_local.platform import ROOT, Platform, PlatformConfig, start_infrastructure

log = logging.getLogger("sinergi")


class Shutdown(Exception):
    """Raised in the main thread when SIGINT or SIGTERM arrives."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Shutdown(signal.Signals(signum).name)


def _banner(platform: Platform) -> str:
    url = platform.config.gateway_url
    clients = platform.config.state_dir / "demo-clients.json"
    return f"""
Sinergi is running.
  Gateway:       {url}   (OpenAPI: {url}/docs)
  Demo clients:  {clients.relative_to(ROOT) if clients.is_relative_to(ROOT) else clients}
  Web console:   {url}/dashboard   (demo logins: .local/demo-users.json)
  Logs:          {platform.logs_dir}

Get a token for Kabupaten Bekasi's client (the README walks through the rest):
  SECRET=$(jq -r '.clients[] | select(.client_id=="disnaker-3216") | .client_secret' \\
           .local/demo-clients.json)
  curl -s -X POST {url}/oauth/token -d grant_type=client_credentials \\
       -d client_id=disnaker-3216 -d client_secret=$SECRET

Sign in to the web console as Kabupaten Bekasi's officer (or any user of the file):
  jq -r '.users[] | select(.username=="petugas-3216") | .password' .local/demo-users.json

The ministry's read-only Kafka credentials: jq .kafka .local/demo-clients.json
  uv run --frozen python -m sinergi_local.tail sinergi.job-market.v1

Press Ctrl-C to stop.
"""


def _logins(users_file: Path) -> str:
    """The demo people's sign-ins for the web console (a local demo's, in the clear)."""
    users = json.loads(users_file.read_text())["users"]
    lines = [f"  {u['username']:<18} {u['password']:<18} {u['role']}" for u in users]
    return "Web console demo logins (username, password, role):\n" + "\n".join(lines) + "\n"


def _load_demo_once(platform: Platform, clients_file: Path) -> None:
    """Load the demo year on the first start (``SINERGI_DEMO=0`` skips it).

    The marker is written only after a complete load; an interrupted load is simply replayed
    next time (every write is an upsert by external_id).
    """
    marker = platform.config.state_dir / "demo-loaded"
    if os.environ.get("SINERGI_DEMO", "1") == "0" or marker.exists():
        return
    log.info("loading a year of demo data through the gateway (SINERGI_DEMO=0 skips this)")
    summary = asyncio.run(load_demo(platform.config.gateway_url, clients_file, progress=log.info))
    marker.write_text(f"{summary.total} records, {summary.window}\n")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("httpx", "alembic", "aiokafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    state_dir = ROOT / ".local"
    config = PlatformConfig(
        state_dir=state_dir, gateway_port=int(os.environ.get("SINERGI_GATEWAY_PORT", "8000"))
    )
    postgres = kafka = platform = None
    try:
        log.info("starting PostgreSQL and Kafka (first run downloads the Kafka jars)")
        postgres, kafka = start_infrastructure(
            state_dir,
            pg_port=int(os.environ.get("SINERGI_PG_PORT", "55432")),
            kafka_port=int(os.environ.get("SINERGI_KAFKA_PORT", "59092")),
        )
        platform = Platform(config, postgres=postgres, kafka=kafka)
        log.info("migrating databases and starting services")
        platform.start()
        clients_file = platform.register_demo_clients()
        users_file = platform.register_demo_users()
        _load_demo_once(platform, clients_file)
        print(_banner(platform), flush=True)  # noqa: T201 - the operator's instructions
        print(_logins(users_file), flush=True)  # noqa: T201
        while True:
            for name, process in list(platform.processes.items()):
                if process.poll() is not None:
                    log.error("%s exited with %s; see its log", name, process.returncode)
                    platform.processes.pop(name)
            time.sleep(1)
    except Shutdown as why:
        log.info("%s received: stopping", why)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        started = time.monotonic()
        if platform is not None:
            platform.stop()
        # Kafka and PostgreSQL stop side by side to stay inside the 15 s budget.
        stoppers = [
            threading.Thread(target=server.stop, kwargs={"timeout": 5.0})
            for server in (kafka, postgres)
            if server is not None
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        log.info("stopped in %.1fs", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
