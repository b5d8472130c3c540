"""Two of each process on the local platform, as two pods of each would run, one of each
SIGKILLed midway (docs/OPERATIONS.md, "Scaling"):

- writes through two gateways, each in front of its own job-market replica, while a second
  aggregation consumer shares the group: the second gateway, job-market and aggregation are
  killed under load, a writer whose answer was lost sends again through the survivor (an
  upsert by ``external_id``), and every record is counted exactly once;
- an import whose service replica is killed is finished by the other one, each row once;
- failed sign-ins are counted across gateways (the throttle's window is shared);
- an event stream read on one gateway resumes on the other, after the first is killed, with
  exactly the events it had not delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from shared.identifiers import nik_for
from sinergi_local.platform import Platform
from sinergi_local.testing import EventStream, free_port

Tokens = Callable[[str], Awaitable[dict[str, str]]]
ValueOf = Callable[..., Awaitable[float | None]]
Eventually = Callable[..., Awaitable[Any]]

# Kota Binjai, months no other test writes.
REGION, DISTRICT, CLIENT = "12.75", "12.75.01", "disnaker-1275"
JOB_SEEKERS = "/api/v1/job-market/job-seekers"
IMPORTS = f"{JOB_SEEKERS}/imports"
HEADER = "external_id,nik,full_name,birth_date,sex,education_level,region_code,registered_at\n"
STREAM = "/api/v1/streams/job-market"
REGISTERED = "id.go.kemnaker.sinergi.job_market.job_seeker.registered.v1"
WRITES = 150
WRITERS = 6
IMPORT_ROWS = 8_000


def seeker(serial: int, registered_at: date, prefix: str) -> dict[str, Any]:
    birth = date(1985, 1, 1) + timedelta(days=serial % 3000)
    return {
        "external_id": f"{prefix}-{serial}",
        "nik": nik_for(district=DISTRICT, birth_date=birth, sex="F", serial=serial % 9000 + 1),
        "full_name": f"Pekerja Binjai {serial}",
        "birth_date": birth.isoformat(),
        "sex": "F",
        "education_level": "SMK",
        "region_code": REGION,
        "registered_at": registered_at.isoformat(),
    }


@contextlib.contextmanager
def replicas(platform: Platform, *specs: tuple[str, dict[str, str]]) -> Iterator[list[str]]:
    """Second instances of processes (stopped at the end, unless killed before)."""
    started: list[str] = []
    try:
        for of, settings in specs:
            started.append(platform.start_replica(of, port=free_port(), settings=settings))
        yield started
    finally:
        for name in started:
            platform.stop_process(name)


def url_of(name: str) -> str:
    return f"http://127.0.0.1:{name.rsplit('@', 1)[1]}"


@contextlib.asynccontextmanager
async def client_of(name: str, **options: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url_of(name), timeout=30, **options) as client:
        yield client


@pytest.mark.timeout(600)
async def test_two_of_each_process_with_one_of_each_killed_count_every_record_once(
    platform: Platform, gateway: httpx.AsyncClient, auth: Tokens, value_of: ValueOf,
    eventually: Eventually,
) -> None:  # fmt: skip
    cell = ("job_seekers_registered", REGION, "2018-05")
    before = await value_of(*cell) or 0
    headers = await auth(CLIENT)
    with replicas(platform, ("job_market", {}), ("aggregation", {})) as (job_market, aggregation):
        upstream = {"SINERGI_JOB_MARKET_URL": url_of(job_market)}
        with replicas(platform, ("gateway", upstream)) as (second,):
            async with client_of(second) as doomed:
                accepted = 0
                through_second = 0
                killed = asyncio.Event()

                async def write(serial: int) -> None:
                    nonlocal accepted, through_second
                    body = seeker(serial, date(2018, 5, 1 + serial % 28), "REPLICA")
                    # Odd records through the second gateway (and job-market) while it lives.
                    first_try = doomed if serial % 2 and not killed.is_set() else gateway
                    try:
                        answer = await first_try.post(JOB_SEEKERS, json=body, headers=headers)
                        if answer.status_code >= 500:
                            raise httpx.RemoteProtocolError(answer.text)
                        through_second += first_try is doomed
                    except httpx.TransportError:
                        # The answer was lost with the process: the record may or may not
                        # have been written. Sending it again through the survivor is safe.
                        answer = await gateway.post(JOB_SEEKERS, json=body, headers=headers)
                    assert answer.status_code in {200, 201}, answer.text
                    accepted += 1

                async def writer(first: int) -> None:
                    for serial in range(first, WRITES, WRITERS):
                        await write(serial)

                async def killer() -> None:
                    # Midway, once the second path has served a write (its first answers
                    # can take a while on a busy machine: cold pools and caches).
                    while (accepted < WRITES // 3 or not through_second) and accepted < WRITES:
                        await asyncio.sleep(0.01)
                    for name in (second, job_market, aggregation):
                        await asyncio.to_thread(platform.kill, name)
                    killed.set()

                await asyncio.gather(killer(), *(writer(n) for n in range(WRITERS)))
        assert killed.is_set() and accepted == WRITES and through_second > 0
        expected = before + WRITES
        # The surviving consumer takes the killed one's partitions over and replays what it
        # had not committed; the inbox turns the replays away.
        assert await eventually(lambda: value_of(*cell), expected, timeout=180) == expected


@pytest.mark.timeout(900)
async def test_an_import_left_by_a_killed_replica_is_finished_by_the_other(
    platform: Platform, gateway: httpx.AsyncClient, auth: Tokens, value_of: ValueOf,
    eventually: Eventually,
) -> None:  # fmt: skip
    cell = ("job_seekers_registered", REGION, "2018-06")
    before = await value_of(*cell) or 0
    rows = [HEADER]
    for n in range(IMPORT_ROWS):
        record = seeker(100_000 + n, date(2018, 6, 1 + n % 28), "REPLICA-IMPORT")
        rows.append(
            ",".join(
                [
                    record["external_id"],
                    record["nik"],
                    record["full_name"],
                    f"{date.fromisoformat(record['birth_date']):%d/%m/%Y}",
                    "F",
                    "SMK",
                    REGION,
                    record["registered_at"],
                ]
            )
            + "\n"
        )
    headers = await auth(CLIENT)
    with replicas(platform, ("job_market", {})) as (job_market,):
        upstream = {"SINERGI_JOB_MARKET_URL": url_of(job_market)}
        with replicas(platform, ("gateway", upstream)) as (second,):
            async with client_of(second) as doomed:
                answer = await doomed.post(
                    IMPORTS,
                    content="".join(rows).encode(),
                    headers=headers | {"Content-Type": "text/csv"},
                    timeout=httpx.Timeout(30, read=300),
                )
                assert answer.status_code == 202, answer.text
                job_url = answer.headers["location"]

                async def processed() -> int:
                    job = (await doomed.get(job_url, headers=headers)).json()
                    return int(job["progress"]["processed"])

                loop = asyncio.get_running_loop()
                deadline = loop.time() + 300
                while await processed() < 1_000 and loop.time() < deadline:
                    await asyncio.sleep(0.1)
                assert 0 < await processed() < IMPORT_ROWS
            platform.kill(job_market)  # the replica stays dead: the other one finishes the job
            platform.kill(second)

    async def status() -> str:
        answer = await gateway.get(job_url, headers=await auth(CLIENT))
        return str(answer.json()["status"])

    assert await eventually(status, "done", timeout=600) == "done"
    job = (await gateway.get(job_url, headers=await auth(CLIENT))).json()
    assert job["summary"]["created"] == IMPORT_ROWS and job["summary"]["rejected"] == 0
    expected = before + IMPORT_ROWS
    assert await eventually(lambda: value_of(*cell), expected, timeout=600) == expected


@pytest.fixture(scope="module")
def second_gateway(platform: Platform) -> Iterator[str]:
    with replicas(platform, ("gateway", {})) as (name,):
        yield name


async def test_failed_sign_ins_are_counted_across_gateways(
    second_gateway: str, platform: Platform
) -> None:
    """20 wrong secrets from one address, half through each gateway, fill the address's
    window: the next attempt is refused by either gateway. Counted per gateway, neither
    would have refused before its own 20th."""
    transport = {"transport": httpx.AsyncHTTPTransport(local_address="127.0.0.151")}
    other = {"transport": httpx.AsyncHTTPTransport(local_address="127.0.0.151")}
    async with (
        httpx.AsyncClient(base_url=platform.config.gateway_url, timeout=30, **transport) as one,
        client_of(second_gateway, **other) as two,
    ):

        def guess(n: int) -> dict[str, str]:
            return {
                "grant_type": "client_credentials",
                "client_id": f"replica-guess-{n:04d}",
                "client_secret": "wrong-secret-wrong-secret",
            }

        for n in range(20):
            answer = await (one if n % 2 else two).post("/oauth/token", data=guess(n))
            assert answer.status_code == 401, answer.text
        for client in (one, two):
            refused = await client.post("/oauth/token", data=guess(99))
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["retry-after"]) > 0


async def test_an_event_stream_resumes_on_the_other_gateway_when_one_is_killed(
    second_gateway: str,
    platform: Platform,
    gateway: httpx.AsyncClient,
    auth: Tokens,
) -> None:
    ministry, binjai = await auth("kemnaker-pusdatin"), await auth(CLIENT)
    params = {"types": REGISTERED, "region": REGION}

    async def register(serial: int) -> str:
        body = seeker(serial, date(2018, 7, 2), "REPLICA-SSE")
        answer = await gateway.post(JOB_SEEKERS, json=body, headers=binjai)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    async with client_of(second_gateway) as doomed:
        request = doomed.build_request("GET", STREAM, params=params, headers=ministry)
        response = await doomed.send(request, stream=True)
        assert response.status_code == 200
        events = EventStream(response)
        first = [await register(200_000 + n) for n in range(3)]
        seen = await events.until(set(first))
        resume_at = seen[-1].id
        assert resume_at is not None
        platform.kill(second_gateway)  # mid-stream: the client's connection breaks
        later = [await register(200_010 + n) for n in range(2)]
        with pytest.raises((httpx.TransportError, EOFError)):
            await events.until(set(later), timeout=30)
        await response.aclose()

    headers = ministry | {"Last-Event-ID": resume_at}
    request = gateway.build_request("GET", STREAM, params=params, headers=headers)
    response = await gateway.send(request, stream=True)
    try:
        assert response.status_code == 200
        resumed = await EventStream(response).until(set(later))
    finally:
        await response.aclose()
    # Exactly the events after the resume point, none delivered twice.
    assert sorted(e.data["subject"] for e in resumed) == sorted(later)
