"""End-to-end records per second of a CSV import of job seekers, against a raw COPY.

Starts its own PostgreSQL, Kafka and platform (under ``.local/bench-bulk``, free ports; the
platform's default limits: a file of up to 200 MiB and 1,000,000 records, which the largest
``--records`` fits), writes a CSV of ``--records`` valid new job seekers of Kabupaten Bekasi
(distinct NIKs agreeing with birth date and sex, registered over January to November 2026)
to a temporary file, row by row, then measures, from the first byte of the upload to the
last record counted by the indicator:

1. ``POST /api/v1/job-market/job-seekers/imports?atomic=record`` with the file as a
   ``text/csv`` body (streamed from disk) through the gateway; the answer (once the service
   has staged the file) is ``202`` with the job's ``Location``;
2. ``GET`` that location until the job's status is ``done`` (every record validated, checked
   and upserted with its audit and outbox rows, as by a single ``POST``);
3. ``GET /api/v1/indicators/values?indicator=job_seekers_registered&region=32.16&period=
   2026-01..2026-11`` until the sum has grown by every record (relay, Kafka, aggregation).

It also reports the peak RSS (``VmHWM`` of ``/proc/<pid>/status``, reset through
``clear_refs`` just before the upload) and the CPU seconds of the gateway, the job-market
service and the aggregation service during the import.

The comparator, in the same run on the same PostgreSQL server (before the import): the same
file read and parsed (``csv``, dates converted) and loaded with one asyncpg
``copy_records_to_table`` into a bare table (the job seeker's columns, a primary key and the
``UNIQUE (source_client, external_id)`` index), committed. No validation, no encryption, no
audit, no events. Prints both rates and, last, ``ratio = platform / raw`` (goal >= 0.10).

    uv run --frozen python bench/bulk_ingest.py [--records 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from bench_platform import BARE_JOB_SEEKERS, Token, running_platform
from shared.identifiers import Sex, nik_for

UPLOAD_URL = "/api/v1/job-market/job-seekers/imports"
REGION, DISTRICT, CLIENT = "32.16", "32.16.04", "disnaker-3216"
MONTHS = 11
PERIODS = f"2026-01..2026-{MONTHS:02d}"
MAX_RECORDS = 1_000_000
MAX_FILE_BYTES = 200 * 1024 * 1024
WATCHED = ("gateway", "job_market", "aggregation")
EDUCATION = ("SD", "SMP", "SMA", "SMK", "D3", "S1")
COLUMNS = (
    "external_id",
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "education_level",
    "region_code",
    "registered_at",
)


def write_csv(path: Path, records: int) -> None:
    """``records`` valid new job seekers, written row by row (never held in memory)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for i in range(records):
            # At most 9999 serials per district, birth date and sex: a new birth date after.
            birth = date(1970, 1, 1) + timedelta(days=i // 9999)
            sex: Sex = "F" if i % 2 else "M"
            writer.writerow(
                (
                    f"BULK-{i:07d}",
                    nik_for(district=DISTRICT, birth_date=birth, sex=sex, serial=i % 9999 + 1),
                    f"Pencari Kerja {i}",
                    birth.isoformat(),
                    sex,
                    EDUCATION[i % len(EDUCATION)],
                    REGION,
                    date(2026, 1 + i % MONTHS, 1 + i % 28).isoformat(),
                )
            )


# --------------------------------------------------------------------------- the comparator
async def raw_copy(dsn: str, path: Path) -> tuple[int, float]:
    """Rows loaded and seconds taken: read, parse and COPY the file into a bare table."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(BARE_JOB_SEEKERS)

        async def rows() -> AsyncIterator[tuple[Any, ...]]:
            with path.open(newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
                next(reader)
                for external_id, nik, name, birth, sex, level, region, registered in reader:
                    yield (
                        CLIENT,
                        external_id,
                        nik,
                        name,
                        date.fromisoformat(birth),
                        sex,
                        level,
                        region,
                        date.fromisoformat(registered),
                    )

        start = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table(
                "job_seekers", records=rows(), columns=["source_client", *COLUMNS]
            )
        spent = time.perf_counter() - start
        loaded = await connection.fetchval("SELECT count(*) FROM job_seekers")
        return int(loaded), spent
    finally:
        await connection.close()


# --------------------------------------------------------------------------- the platform
class Processes:
    """Memory and CPU of the platform's processes, from ``/proc``."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.cpu_at_start = {name: self.cpu(pid) for name, pid in pids.items()}
        self.rss_at_start = {name: self.status(pid, "VmRSS") for name, pid in pids.items()}
        self.reset = True
        for pid in pids.values():
            try:  # "5": reset the peak RSS (VmHWM) to the current RSS
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                self.reset = False

    @staticmethod
    def status(pid: int, field: str) -> int:
        """A ``kB`` field of ``/proc/<pid>/status``, in kB."""
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise KeyError(field)

    @staticmethod
    def cpu(pid: int) -> float:
        """User + system CPU seconds of the process so far."""
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def report(self) -> list[str]:
        lines = []
        for name, pid in self.pids.items():
            peak = self.status(pid, "VmHWM") / 1024
            start = self.rss_at_start[name] / 1024
            cpu = self.cpu(pid) - self.cpu_at_start[name]
            lines.append(
                f"  {name:<12} pid {pid:<7} peak RSS {peak:7.1f} MiB"
                f" (RSS {start:6.1f} MiB before the upload), CPU {cpu:7.1f} s"
            )
        if not self.reset:
            lines.append("  (VmHWM could not be reset: peaks are since the process started)")
        return lines


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            yield chunk


async def indicator_sum(http: httpx.AsyncClient, token: Token) -> float:
    response = await http.get(
        "/api/v1/indicators/values",
        params={"indicator": "job_seekers_registered", "region": REGION, "period": PERIODS},
        headers=await token.headers(),
    )
    response.raise_for_status()
    return sum(float(v["value"] or 0) for v in response.json()["values"])


def phase(label: str, seconds: float, note: str) -> str:
    """One line of the platform's timeline (seconds since the upload's first byte)."""
    return f"{label:<31} {seconds:8.1f} s  ({note})"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def platform_import(
    gateway_url: str,
    credentials: dict[str, str],
    path: Path,
    records: int,
    processes: dict[str, int],
    stall_seconds: float,
) -> tuple[float | None, list[str]]:
    """Seconds from the upload's first byte to the indicator counting every record (None if
    it never did) and the lines of the report."""
    lines: list[str] = []
    timeout = httpx.Timeout(None, connect=10)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=timeout) as http:
        token = Token(http, credentials)
        before = await indicator_sum(http, token)
        watched = Processes(processes)
        size = path.stat().st_size
        headers = {
            **await token.headers(),
            "Content-Type": "text/csv",
            "Content-Length": str(size),
        }
        start = time.perf_counter()
        response = await http.post(
            UPLOAD_URL, params={"atomic": "record"}, content=file_chunks(path), headers=headers
        )
        uploaded = time.perf_counter() - start
        if response.status_code not in (200, 202):
            lines.append(f"upload refused: {response.status_code} {response.text[:1000]}")
            return None, lines
        location = response.headers["location"]
        lines.append(phase("upload + staging (answered)", uploaded, f"{size / 1e6:.1f} MB"))

        job: dict[str, Any] = response.json()
        progress, moved, said = -1, time.monotonic(), time.monotonic()
        while job["status"] not in ("done", "failed", "cancelled"):
            await asyncio.sleep(0.5)
            answer = await http.get(location, headers=await token.headers())
            if answer.status_code != 200:
                lines.append(f"job poll: {answer.status_code} {answer.text[:1000]}")
                return None, lines
            job = answer.json()
            if job["progress"]["processed"] != progress:
                progress, moved = job["progress"]["processed"], time.monotonic()
            elif time.monotonic() - moved > stall_seconds:
                lines.append(f"job stalled at {progress} records for {stall_seconds:.0f} s")
                lines.append(f"job: {json.dumps({**job, 'conflicts': job['conflicts'][:3]})}")
                return None, lines
            if time.monotonic() - said > 15:
                said = time.monotonic()
                rate = progress / (time.perf_counter() - start)
                say(f"  job {job['status']}: {progress}/{records} ({rate:.0f} records/s so far)")
        finished = time.perf_counter() - start
        summary = job["summary"]
        lines.append(phase(f"job {job['status']}", finished, json.dumps(summary)))
        if job.get("error"):
            lines.append(f"job error: {job['error']}")
        if job["status"] != "done" or summary["created"] != records:
            lines.append(
                f"the job did not create every record; first conflicts: {job['conflicts'][:3]}"
            )
            return None, lines

        value, moved, said = before, time.monotonic(), time.monotonic()
        while value < before + records:
            await asyncio.sleep(0.2)
            current = await indicator_sum(http, token)
            if current != value:
                value, moved = current, time.monotonic()
            elif time.monotonic() - moved > stall_seconds:
                lines.append(
                    f"indicator stalled at {value - before:.0f} of {records} new records"
                    f" for {stall_seconds:.0f} s"
                )
                return None, lines
            if time.monotonic() - said > 15:
                said = time.monotonic()
                say(f"  indicator: {value - before:.0f}/{records}")
        total = time.perf_counter() - start
        lines.append(
            phase("indicator counted every record", total, f"job + {total - finished:.1f} s")
        )
        lines.append("platform processes during the import:")
        lines.extend(watched.report())
        return total, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=MAX_RECORDS)
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=300.0,
        help="give up when the job's progress or the indicator does not move for this long",
    )
    args = parser.parse_args()
    if not 0 < args.records <= MAX_RECORDS:
        parser.error(f"--records must be between 1 and {MAX_RECORDS:,} (an import's limit)")

    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-bulk-") as scratch:
            path = Path(scratch) / "job-seekers.csv"
            began = time.perf_counter()
            write_csv(path, args.records)
            size = path.stat().st_size
            spent = time.perf_counter() - began
            say(f"CSV of {args.records} records, {size / 1e6:.1f} MB, written in {spent:.1f} s")
            if size > MAX_FILE_BYTES:
                raise SystemExit(f"the CSV is {size} bytes, over the import limit {MAX_FILE_BYTES}")
            with running_platform("bench-bulk") as up:
                up.postgres.create_database("bench_raw")
                say("raw COPY ...")
                loaded, raw_seconds = asyncio.run(raw_copy(up.postgres.url_for("bench_raw"), path))
                if loaded != args.records:
                    raise RuntimeError(f"the raw COPY loaded {loaded} of {args.records} rows")
                say("platform import ...")
                pids = {name: up.platform.processes[name].pid for name in WATCHED}
                ours, lines = asyncio.run(
                    platform_import(
                        up.gateway_url,
                        up.credentials(REGION),
                        path,
                        args.records,
                        pids,
                        args.stall_seconds,
                    )
                )
    finally:
        say(f"(whole run: {time.monotonic() - started:.0f} s)")

    print()
    print(f"{args.records} job seekers, one CSV file")
    for line in lines:
        print(line)
    raw_rate = args.records / raw_seconds
    print(
        f"raw asyncpg COPY (read + parse + COPY): {raw_seconds:8.2f} s = {raw_rate:10.0f} records/s"
    )
    if ours is None:
        print("platform: did NOT complete (see above)")
        print("ratio = platform / raw = n/a")
        raise SystemExit(1)
    rate = args.records / ours
    print(f"platform end to end (upload -> indicator): {ours:8.1f} s = {rate:10.1f} records/s")
    print("goal: ratio >= 0.10")
    print(f"ratio = platform / raw = {rate / raw_rate:.4g}")


if __name__ == "__main__":
    main()
