"""The web console in a real browser (Debian's Chromium driven by Playwright), on the real
platform: an officer signs in, reads the pages, sees charts drawn from the right numbers,
exports what the API exports, uploads a spreadsheet with bad rows and reads why they were
refused, closes a month, watches a new record arrive in the feed, and is refused another
region's business; no request leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from shared.identifiers import nik_for

OFFICER, ANALYST = "petugas-3216", "analis-pusdatin"
BEKASI = "disnaker-3216"
Api = Callable[..., Awaitable[Any]]
SignIn = Callable[[str], Awaitable[Any]]


def last_months(count: int) -> list[str]:
    day = date.today().replace(day=1)
    months = []
    for _ in range(count):
        day = (day - timedelta(days=1)).replace(day=1)
        months.append(f"{day.year}-{day.month:02d}")
    return months[::-1]


def job_seeker(serial: int, registered_at: str) -> dict[str, Any]:
    birth = date(2000, 5, 17)
    return {
        "external_id": f"CONSOLE-{uuid.uuid4().hex[:10]}",
        "nik": nik_for(district="32.16.01", birth_date=birth, sex="M", serial=serial),
        "full_name": "Bayu Saputra",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "education_level": "SMK",
        "region_code": "32.16",
        "registered_at": registered_at,
    }


async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    """Wait until ``probe()`` holds (the aggregation applies events asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await probe():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.25)


@pytest.fixture(scope="module")
async def seeded(api: Api) -> list[str]:
    """Job seekers registered in Bekasi in each of the last three months."""
    months = last_months(3)
    for index, month in enumerate(months):
        for serial in range(3 * index + 1, 3 * index + 1 + index + 1):
            answer = await api(BEKASI, "POST", "/api/v1/job-market/job-seekers",
                               json=job_seeker(4000 + serial, f"{month}-05"))  # fmt: skip
            assert answer.status_code == 201, answer.text

    async def counted() -> bool:
        asked = {"indicator": "job_seekers_registered", "region": "32.16", "period": months[-1]}
        answer = await api(BEKASI, "GET", "/api/v1/indicators/values", params=asked)
        return bool(answer.json()["values"][0]["value"])

    await until(counted)
    return months


async def test_pages_render_their_tables_and_charts(
    sign_in: SignIn, seeded: list[str], api: Api
) -> None:
    visit = await sign_in(OFFICER)
    page = visit.page
    await visit.open("/dashboard", name="overview")
    assert await page.locator("#overview tbody tr").count() == 6
    await page.wait_for_selector(".spark[data-points] canvas")
    assert await page.locator(".spark").first.get_attribute("data-points") == "12"

    await visit.open(
        "/dashboard/indicators?indicator=job_seekers_registered&area=32.16", name="indicators"
    )
    await page.wait_for_selector("#chart-time[data-points] canvas")
    # Twelve months in the chart and the table beneath it.
    assert await page.get_attribute("#chart-time", "data-points") == "12"
    assert await page.locator("#values tbody tr").count() == 12
    cells = {
        (await row.locator("td").nth(1).inner_text()): await row.locator("td").nth(2).inner_text()
        for row in await page.locator("#values tbody tr").all()
    }
    # The table is the API's answer for the same question (other tests write to Bekasi too).
    asked = {"indicator": "job_seekers_registered", "region": "32.16", "period": ",".join(cells)}
    answer = (await api(BEKASI, "GET", "/api/v1/indicators/values", params=asked)).json()
    assert cells == {
        v["period"]: "–" if v["value"] is None else str(v["value"]) for v in answer["values"]
    }
    assert all(int(cells[m]) >= n for m, n in zip(seeded, (1, 2, 3), strict=True))

    # Two indicators at once: a line each, 24 points, 24 rows.
    await visit.open(
        "/dashboard/indicators?indicator=job_seekers_registered&indicator=placements&area=32.16"
    )
    await page.wait_for_selector("#chart-time[data-points] canvas")
    assert await page.get_attribute("#chart-time", "data-points") == "24"
    assert await page.locator("#values tbody tr").count() == 24

    # Nation to provinces: a bar per province, each a link down to its regencies.
    await visit.open("/dashboard/indicators?indicator=job_seekers_registered&area=ID")
    await page.wait_for_selector("#chart-areas[data-points] canvas")
    provinces = await page.locator("#areas tbody tr").count()
    assert provinces == 38 and await page.get_attribute("#chart-areas", "data-points") == "38"
    await page.click("#areas a:text('JAWA BARAT')")
    await page.wait_for_url("**area=32**")
    assert await page.locator("#areas tbody tr").count() == 27  # West Java's regencies

    await visit.open("/dashboard/completeness", name="completeness")
    assert await page.locator("table.heatmap").count() == 5  # one per domain
    assert await page.locator("table.heatmap[data-domain=job-market] tbody tr").count() == 1
    await visit.open("/dashboard/imports", name="imports")
    await visit.open("/dashboard/feed", name="feed")
    assert visit.hosts() == {"127.0.0.1"}, f"requests left the machine: {visit.hosts()}"


async def test_the_csv_export_is_what_the_api_exports(
    sign_in: SignIn, seeded: list[str], api: Api
) -> None:
    visit = await sign_in(OFFICER)
    await visit.open("/dashboard/indicators?indicator=job_seekers_registered&area=32.16")
    async with visit.page.expect_download() as waiting:
        await visit.page.click("#export-csv")
    download = await waiting.value
    exported = (await download.path()).read_text()
    direct = await api(BEKASI, "GET", "/api/v1/indicators/values", params={
        "indicator": "job_seekers_registered", "region": "32.16",
        "period": ",".join(last_months(12)), "format": "csv"})  # fmt: skip
    parse = lambda text: list(csv.DictReader(io.StringIO(text)))  # noqa: E731
    assert parse(exported) == parse(direct.text) and len(parse(exported)) == 12


async def test_an_upload_with_bad_rows_shows_each_refused_row_and_why(sign_in: SignIn) -> None:
    visit = await sign_in(OFFICER)
    page = visit.page
    good = job_seeker(4101, last_months(1)[0] + "-07")
    bad = job_seeker(4102, last_months(1)[0] + "-07") | {"nik": "3216019999999999"}
    other = job_seeker(4103, last_months(1)[0] + "-07") | {"region_code": "32.73"}
    columns = list(good)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    for row in (good, bad, other):
        writer.writerow(row)
    await visit.open("/dashboard/imports")
    await page.select_option("#collection", "/api/v1/job-market/job-seekers")
    await page.set_input_files(
        "#file",
        files=[
            {"name": "pencaker.csv", "mimeType": "text/csv", "buffer": text.getvalue().encode()}
        ],  # fmt: skip
    )
    await page.click("form[enctype] button[type=submit]")
    await page.wait_for_url("**/dashboard/imports/job-market/**")

    async def finished() -> bool:
        await page.reload()
        status = page.locator("#job-status")
        assert await status.count(), await page.content()
        return await status.inner_text() in ("done", "failed")

    await until(finished, timeout=30)
    await visit.open(page.url.removeprefix(visit.base), name="import-job")
    rows = await page.locator("#conflicts tbody tr").all()
    refused = {
        (await r.locator("td").nth(0).inner_text(), await r.locator("td").nth(1).inner_text())
        for r in rows
    }
    # Data rows 2 and 3 of the file (1-based, after the header): the NIK, another region.
    assert {row for row, _ in refused} == {"2", "3"}
    assert ("2", "nik") in refused and ("3", "region_code") in refused
    assert good["nik"] not in await page.content()


async def test_an_officer_closes_a_month_and_the_heatmap_shows_it(sign_in: SignIn) -> None:
    visit = await sign_in(OFFICER)
    page = visit.page
    month = last_months(1)[0]
    await visit.open("/dashboard/completeness")
    await page.select_option("#close-domain", "training")
    await page.select_option("#close-period", month)
    await page.click("form[action='/dashboard/completeness/close'] button")
    await page.wait_for_selector(".notice")
    cell = f"table.heatmap[data-domain=training] tbody tr td:nth-child({13})"

    async def shown() -> bool:
        await page.reload()
        return await page.get_attribute(cell, "data-state") in ("on_time", "late")

    await until(shown)


async def test_a_month_closed_after_its_deadline_shows_late(sign_in: SignIn) -> None:
    visit = await sign_in(OFFICER)
    page = visit.page
    month = last_months(6)[0]  # long past its deadline
    await visit.open("/dashboard/completeness")
    await page.select_option("#close-domain", "training")
    await page.select_option("#close-period", month)
    await page.click("form[action='/dashboard/completeness/close'] button")
    await page.wait_for_selector(".notice")
    # A row is the region's name, then 12 months oldest first: six months back is cell 8.
    cell = "table.heatmap[data-domain=training] tbody tr td:nth-child(8)"

    async def shown() -> bool:
        await page.reload()
        return await page.get_attribute(cell, "data-state") == "late"

    await until(shown)


async def test_a_new_record_appears_in_the_feed(sign_in: SignIn, api: Api) -> None:
    visit = await sign_in(OFFICER)
    await visit.open("/dashboard/feed")
    # Every stream of the officer's domains is open (they start at the newest event).
    await visit.page.wait_for_selector("#feed[data-open='5']", timeout=30_000)
    body = job_seeker(4201, last_months(1)[0] + "-09")
    written = await api(BEKASI, "POST", "/api/v1/job-market/job-seekers", json=body)
    record = written.json()["id"]
    await visit.page.wait_for_selector(f"#feed tr[data-subject='{record}']", timeout=30_000)
    assert body["nik"] not in await visit.page.content()


async def test_another_regions_business_is_refused(sign_in: SignIn) -> None:
    visit = await sign_in(OFFICER)
    page = visit.page
    await visit.open("/dashboard/completeness")
    csrf = await page.get_attribute("input[name=csrf]", "value")
    # A crafted form for Bandung's month: the service refuses it, the page says so.
    answer = await page.request.post(
        visit.base + "/dashboard/completeness/close",
        form={
            "domain": "job-market",
            "period": last_months(1)[0],
            "region": "32.73",
            "csrf": csrf or "",
        },  # fmt: skip
    )
    assert answer.ok and "32.73" in await answer.text()
    assert "/dashboard/completeness" in answer.url
    # Without the session's CSRF token nothing is done at all.
    forged = await page.request.post(
        visit.base + "/dashboard/completeness/close",
        form={"domain": "job-market", "period": last_months(1)[0], "region": "32.16"},
    )
    assert forged.status == 403
    # Another person's import job is not found.
    missing = await page.request.get(visit.base + f"/dashboard/imports/job-market/{uuid.uuid4()}")
    assert missing.status == 404


async def test_an_analyst_sees_every_pilot_region(sign_in: SignIn) -> None:
    visit = await sign_in(ANALYST)
    await visit.open("/dashboard/completeness")
    assert await visit.page.locator("table.heatmap[data-domain=training] tbody tr").count() == 8
    # Analysts write nothing: no form to close a month.
    assert await visit.page.locator("#close-domain").count() == 0


async def test_pages_work_without_javascript_and_in_english(
    browser: Any, platform: Any, demo_users: dict[str, Any], seeded: list[str]
) -> None:
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        base = platform.config.gateway_url
        await page.goto(base + "/login")
        await page.fill("#username", OFFICER)
        await page.fill("#password", demo_users[OFFICER]["password"])
        await page.click("button[type=submit]")
        await page.wait_for_url(base + "/dashboard")
        await page.goto(base + "/dashboard/indicators?indicator=job_seekers_registered&area=32.16")
        # The table is the server's: twelve months, the seeded counts, no script needed.
        assert await page.locator("#values tbody tr").count() == 12
        assert await page.locator("h1").inner_text() == "Indikator"
        await page.click("a.lang")
        assert await page.locator("h1").inner_text() == "Indicators"
        assert await page.locator("html").get_attribute("lang") == "en"
    finally:
        await context.close()


AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = (
    "/dashboard",
    "/dashboard/indicators?indicator=job_seekers_registered&area=32",
    "/dashboard/completeness",
    "/dashboard/imports",
    "/dashboard/feed",
)


async def test_every_page_passes_axe_without_serious_violations(
    browser: Any, platform: Any, demo_users: dict[str, Any], seeded: list[str]
) -> None:
    # axe-core is injected into the page, which the pages' own policy forbids: this context
    # alone lifts it (the other tests run under the policy).
    context = await browser.new_context(bypass_csp=True)
    try:
        page = await context.new_page()
        base = platform.config.gateway_url
        await page.goto(base + "/login")
        found = await _serious_violations(page)
        await page.fill("#username", OFFICER)
        await page.fill("#password", demo_users[OFFICER]["password"])
        await page.click("button[type=submit]")
        await page.wait_for_url(base + "/dashboard")
        for path in PAGES:
            await page.goto(base + path, wait_until="load")
            found += await _serious_violations(page)
        assert not found, "\n".join(found)
    finally:
        await context.close()


async def _serious_violations(page: Any) -> list[str]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
