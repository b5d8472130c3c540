"""No personal data in logs, ever (issue 6, item 4); logs are structured JSON lines.

Runs last (the conftest moves it there): by then the session has driven every bad-input
class (``bad_input``, also requested here so the module alone still drives them), normal
writes of every entity (``dossier``), forged tokens and guessed secrets. Every log file the
platform writes (``platform.logs_dir``: one per process) and PostgreSQL's and Kafka's logs,
and the events Kafka keeps on disk, are then searched for every NIK and name the session
sent, any run of 16 digits, masked NIKs, bearer tokens, JWTs and client secrets.

Each process's log is JSON lines with ``time``, ``level`` and ``service``, and a request's
lines carry its ``request_id`` (the gateway's line about a refused token request is found
by the id the test sent).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from shared.services import SERVICES

BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{20,}")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*")
PROCESSES = ("gateway", *(service.name for service in SERVICES))


def _findings(text: str, sent: Any, sec: Any) -> list[str]:
    found = sec.leaks(text, niks=sorted(sent.niks), names=sorted(sent.names))
    found += [f"bearer token {m[:24]}..." for m in BEARER.findall(text)]
    found += [f"JWT {m[:24]}..." for m in JWT.findall(text)]
    found += [f"a token the session used ({t[:16]}...)" for t in sent.tokens if t[-43:] in text]
    found += [f"client secret {s[:4]}..." for s in sent.secrets if s in text]
    return found


def _event_files(platform: Any) -> list[Path]:
    data_dir = getattr(platform.kafka, "data_dir", None)
    if not isinstance(data_dir, Path):
        return []
    return [p for p in data_dir.rglob("*.log") if p.parent.name.startswith("sinergi.")]


async def test_no_log_and_no_stored_event_holds_personal_data_or_credentials(
    bad_input: Any,
    dossier: Any,
    logs_of: Any,
    platform: Any,
    sent: Any,
    sec: Any,
) -> None:
    for actor in ("sec-3216", "sec-3273"):
        await dossier(actor)
    assert sent.niks and sent.names and sent.secrets and bad_input.counts
    files = list(logs_of())
    assert {f"{p}.log" for p in PROCESSES} <= {f.name for f in files}, [f.name for f in files]
    findings = {}
    for path in [*files, *_event_files(platform)]:
        text = path.read_bytes().decode("utf-8", errors="replace")
        found = _findings(text, sent, sec)
        if found:
            findings[path.name] = sorted(set(found))[:10]
    assert not findings, "\n".join(f"{name}: {found}" for name, found in findings.items())


async def test_process_logs_are_json_lines_with_time_level_service_and_request_id(
    gateway: httpx.AsyncClient, platform: Any, eventually: Any
) -> None:
    request_id = f"sec-log-{uuid.uuid4()}"
    refused = await gateway.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sec-3325-log-probe",
            "client_secret": "wrong-secret-wrong-secret",
        },
        headers={"X-Request-ID": request_id},
    )
    assert refused.status_code == 401
    problems: dict[str, list[str]] = {}
    for process in PROCESSES:
        path = platform.logs_dir / f"{process}.log"
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                problems.setdefault(path.name, []).append(f"{number}: not JSON: {line[:100]!r}")
                continue
            keys = ("time", "level", "service")
            missing = [k for k in keys if not isinstance(entry, dict) or not entry.get(k)]
            if missing:
                problems.setdefault(path.name, []).append(
                    f"{number}: lacks {missing}: {line[:100]!r}"
                )
    assert not problems, "\n".join(
        f"{name}: {len(found)} bad lines, e.g. " + "; ".join(found[:3])
        for name, found in problems.items()
    )

    def gateway_lines_with_the_id() -> list[dict[str, Any]]:
        lines = (platform.logs_dir / "gateway.log").read_text(errors="replace").splitlines()
        entries = []
        for line in lines:
            if request_id in line:
                entry = json.loads(line)
                if entry.get("request_id") == request_id:
                    entries.append(entry)
        return entries

    async def logged() -> bool:
        return bool(gateway_lines_with_the_id())

    assert await eventually(logged, True, timeout=10), (
        "no gateway log line carries the request id of the refused token request"
    )
