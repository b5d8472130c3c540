"""The console's pages: sign-in, overview, indicator explorer, completeness, imports, event feed.

Every page is rendered on the server from the platform's API, called as the signed-in person
(``gateway.console.api``): tables need no JavaScript; charts are drawn by Apache ECharts (served
from the project's npm install, never a CDN) from the page's own data. Forms carry the
session's CSRF token; the session cookie is HttpOnly and SameSite=Strict. Failed sign-ins are
throttled per username and per address with the token endpoint's limits.
"""

from __future__ import annotations

import calendar
import json
import secrets
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from limits.errors import StorageError
from shared.db import SessionDep
from shared.regions import PILOT_REGIONS, registry
from shared.services import DOMAIN_SERVICES, by_domain

from gateway.console.accounts import (
    ConsoleSession,
    authenticate_user,
    close_session,
    find_session,
    open_session,
)
from gateway.console.api import ApiRefused, PersonApi, person_token
from gateway.console.i18n import LANGUAGES, Language, words
from gateway.throttling import LoginThrottle, Throttled

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
ASSETS = HERE / "assets"
VENDOR = HERE.parents[2] / "console" / "node_modules"
VENDOR_FILES = {"echarts.min.js": VENDOR / "echarts" / "dist" / "echarts.min.js"}

SESSION_COOKIE = "sinergi_session"
LOGIN_CSRF_COOKIE = "sinergi_login_csrf"
LANGUAGE_COOKIE = "sinergi_lang"
SESSION_HOURS = 8
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",  # ECharts positions its tooltips by style attribute
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
KEY_INDICATORS = (
    "job_seekers_registered",
    "placements",
    "vacancies_posted",
    "training_completions",
    "workers_laid_off",
    "workplace_accidents",
)

router = APIRouter(include_in_schema=False)


class NotSignedIn(Exception):
    """A page asked for without a live session: answered with the sign-in page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


async def signed_in(request: Request, session: SessionDep) -> ConsoleSession:
    """Dependency: the request's live session, else a redirect to the sign-in page."""
    found = await find_session(session, token=request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise NotSignedIn(request.url.path)
    return found


Signed = Annotated[ConsoleSession, Depends(signed_in)]


def install(app: FastAPI) -> None:
    """Mount the console on the gateway app."""
    app.include_router(router)

    async def to_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NotSignedIn)
        return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)

    app.add_exception_handler(NotSignedIn, to_sign_in)


def _language(request: Request) -> Language:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return "en" if chosen == "en" else "id"


def _page(
    request: Request,
    template: str,
    *,
    console: ConsoleSession | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    language = _language(request)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "t": words(language),
            "lang": language,
            "console": console,
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )
    return response


def _check_csrf(console: ConsoleSession, sent: str) -> bool:
    return secrets.compare_digest(console.csrf_token.encode(), sent.encode())


def _safe_next(target: str | None) -> str:
    """A local path to return to after signing in (never another site)."""
    if target and target.startswith("/dashboard") and "//" not in target and "\\" not in target:
        return target
    return "/dashboard"


# ------------------------------------------------------------------------------ sign-in


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002
    token = secrets.token_urlsafe(32)
    response = _page(request, "login.html", console=None, csrf=token, next=_safe_next(next))
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=512)] = "/dashboard",  # noqa: A002
) -> Response:
    t = words(_language(request))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf.encode()):
        return await _login_again(request, t["expired_form"], next=next, status_code=403)
    throttle: LoginThrottle | None = request.app.state.login_throttle
    address = request.client.host if request.client else None
    account = None
    try:
        if throttle is None:
            account = await authenticate_user(session, username=username, password=password)
        else:
            async with throttle.attempt(
                client_id=username, address=address, kind="console-user"
            ) as attempt:
                account = await authenticate_user(session, username=username, password=password)
                if account is None:
                    attempt.failed()
    except Throttled as throttled:
        message = t["throttled"].format(seconds=throttled.retry_after)
        response = await _login_again(request, message, next=next, status_code=429)
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    except StorageError:
        account = await authenticate_user(session, username=username, password=password)
    if account is None:
        return await _login_again(request, t["bad_login"], next=next, status_code=401)
    token, _ = await open_session(session, account=account, lifetime=timedelta(hours=SESSION_HOURS))
    signed = RedirectResponse(_safe_next(next), status_code=303)
    _set_cookie(request, signed, SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600)
    signed.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return signed


async def _login_again(
    request: Request,
    message: str,
    *,
    next: str,
    status_code: int,  # noqa: A002
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = _page(
        request,
        "login.html",
        console=None,
        csrf=token,
        next=_safe_next(next),
        error=message,
        status_code=status_code,
    )
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/logout")
async def logout(
    request: Request,
    session: SessionDep,
    console: Signed,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if not _check_csrf(console, csrf):
        return Response("CSRF token missing or wrong", status_code=403)
    await close_session(session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/dashboard/language/{language}")
async def choose_language(request: Request, language: str, back: str = "/dashboard") -> Response:
    response = RedirectResponse(_safe_next(back), status_code=303)
    if language in LANGUAGES:
        _set_cookie(request, response, LANGUAGE_COOKIE, language, max_age=365 * 86400)
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


@router.get("/dashboard/assets/{name}")
async def asset(name: str) -> Response:
    """The console's own CSS and JavaScript, and ECharts from the npm install."""
    path = VENDOR_FILES.get(name) or (ASSETS / name if name in _OWN_ASSETS else None)
    if path is None or not path.is_file():
        return Response(status_code=404)
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})


_OWN_ASSETS = frozenset(p.name for p in ASSETS.iterdir() if p.is_file())


# ------------------------------------------------------------------------------ pages


def _months_back(count: int, *, before: date | None = None) -> list[str]:
    """The ``count`` calendar months ending with the month before ``before`` (today)."""
    day = (before or date.today()).replace(day=1)
    months = []
    for _ in range(count):
        day = (day - timedelta(days=1)).replace(day=1)
        months.append(f"{day.year}-{day.month:02d}")
    return months[::-1]


def _home_area(console: ConsoleSession) -> str:
    account = console.account
    return "ID" if account.national else account.regions[0]


async def _catalogue(api: PersonApi) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await api.get_json("/api/v1/indicators")
    return found


@router.get("/dashboard")
async def overview(request: Request, console: Signed) -> HTMLResponse:
    api = PersonApi(request, console.account)
    area = _home_area(console)
    months = _months_back(13)
    year_ago = f"{int(months[-1][:4]) - 1}{months[-1][4:]}"
    names = {i["code"]: i for i in await _catalogue(api)}
    values = await api.get_json(
        "/api/v1/indicators/values",
        indicator=",".join(KEY_INDICATORS),
        region=area,
        period=",".join([year_ago, *months]),
    )
    by_key = {(v["indicator"], v["period"]): v["value"] for v in values["values"]}
    rows = [
        {
            "code": code,
            "name": names.get(code, {}).get("name_id" if _language(request) == "id" else "name_en"),
            "now": by_key.get((code, months[-1])),
            "before": by_key.get((code, months[-2])),
            "year_ago": by_key.get((code, year_ago)),
            "trend": [by_key.get((code, m)) for m in months[1:]],
        }
        for code in KEY_INDICATORS
    ]
    return _page(
        request,
        "overview.html",
        console=console,
        area=area,
        area_name=_area_name(values, area),
        month=months[-1],
        previous=months[-2],
        year_ago=year_ago,
        rows=rows,
        chart=json.dumps({"months": months[1:], "rows": rows}),
    )


def _area_name(values: dict[str, Any], area: str) -> str:
    for value in values.get("values", []):
        if value["region_code"] == area:
            return str(value.get("region_name") or area)
    return area


@router.get("/dashboard/indicators")
async def indicators(
    request: Request,
    console: Signed,
    indicator: Annotated[list[str] | None, Query(max_length=8)] = None,
    area: Annotated[str | None, Query(max_length=8)] = None,
    start: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$")] = None,
    end: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$")] = None,
    by: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    """One or more indicators of an area over a range of months (and across the areas one
    level down in the last month), optionally broken down by a dimension they share."""
    api = PersonApi(request, console.account)
    catalogue = await _catalogue(api)
    codes = {i["code"]: i for i in catalogue}
    chosen = [codes[c] for c in dict.fromkeys(indicator or ()) if c in codes] or [catalogue[0]]
    area = area or _home_area(console)
    months = _months_back(12)
    start, end = start or months[0], end or months[-1]
    if end < start:
        start, end = end, start
    span = _month_range(start, end)
    shared = set.intersection(*(set(i.get("dimensions", [])) for i in chosen))
    breakdown = by if by in shared else None
    query = {
        "indicator": ",".join(i["code"] for i in chosen),
        "region": area,
        "period": ",".join(span),
    }
    if breakdown:
        query["by"] = breakdown
    error = None
    over_time: list[dict[str, Any]] = []
    across: list[dict[str, Any]] = []
    children = _children(area)
    try:
        over_time = (await api.get_json("/api/v1/indicators/values", **query))["values"]
        if children is not None:
            across = (
                await api.get_json(
                    "/api/v1/indicators/values",
                    indicator=chosen[0]["code"],
                    region=children,
                    period=end,
                )
            )["values"]
    except ApiRefused as refused:
        error = refused.detail
    return _page(
        request,
        "indicators.html",
        console=console,
        catalogue=catalogue,
        chosen=chosen,
        chosen_codes=[i["code"] for i in chosen],
        dimensions=sorted(shared),
        area=area,
        start=start,
        end=end,
        by=breakdown,
        over_time=over_time,
        across=across,
        export=urlencode(query),
        error=error,
        chart=json.dumps(
            {
                "over_time": over_time,
                "across": across,
                "by": breakdown,
                "unit": ", ".join(sorted({i["unit"] for i in chosen})),
            }
        ),
    )


def _children(area: str) -> str | None:
    """The areas one level down: every province of the nation, every regency of a province."""
    if area == "ID":
        return "*"
    if "." not in area:
        return f"{area}.*"
    return None


def _month_range(start: str, end: str) -> list[str]:
    year, month = int(start[:4]), int(start[5:])
    found: list[str] = []
    while f"{year}-{month:02d}" <= end and len(found) < 120:
        found.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


@router.get("/dashboard/indicators/export")
async def export(
    request: Request,
    console: Signed,
    indicator: Annotated[str, Query(max_length=600)],
    region: Annotated[str, Query(max_length=8)],
    period: Annotated[str, Query(max_length=1024)],
    file_format: Annotated[str, Query(alias="format", pattern="^(csv|xlsx|sdmx-csv)$")] = "csv",
    by: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    api = PersonApi(request, console.account)
    params = {"indicator": indicator, "region": region, "period": period, "format": file_format}
    if by:
        params["by"] = by
    answer = await api.call("GET", "/api/v1/indicators/values", params=params)
    extension = {"csv": "csv", "xlsx": "xlsx", "sdmx-csv": "sdmx.csv"}[file_format]
    name = indicator.split(",")[0] if "," not in indicator else "indicators"
    return Response(
        answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type"),
        headers={"Content-Disposition": f'attachment; filename="{name}.{extension}"'},
    )


# ------------------------------------------------------------------------------ completeness


@router.get("/dashboard/completeness")
async def completeness(
    request: Request, console: Signed, message: str | None = None
) -> HTMLResponse:
    api = PersonApi(request, console.account)
    months = _months_back(12)
    regions = _completeness_regions(console)
    values = (
        await api.get_json(
            "/api/v1/indicators/values",
            indicator="reporting_rate,reporting_rate_on_time",
            region=",".join(code for code, _ in regions),
            period=",".join(months),
            by="domain",
        )
    )["values"]
    rates = {
        (v["indicator"], v["region_code"], v["period"], v["dimensions"]["domain"]): v["value"]
        for v in values
    }
    grids = []
    for service in DOMAIN_SERVICES:
        closed = await _closures(api, service.domain or "", console)
        rows = []
        for code, name in regions:
            cells = []
            for month in months:
                rate = rates.get(("reporting_rate", code, month, service.name))
                timely = rates.get(("reporting_rate_on_time", code, month, service.name))
                if timely:
                    state = "on_time"
                elif (code, month) in closed:
                    state = "late"
                elif rate:
                    state = "reported"
                else:
                    state = "not_reported"
                cells.append({"month": month, "state": state})
            rows.append({"code": code, "name": name, "cells": cells})
        grids.append({"domain": service.domain, "title": service.title, "rows": rows})
    writable = [s.domain for s in DOMAIN_SERVICES if s.scope("write") in console.account.scopes]
    return _page(
        request,
        "completeness.html",
        console=console,
        months=months,
        grids=grids,
        writable=writable,
        own_regions=[] if console.account.national else list(console.account.regions),
        message=message,
    )


def _completeness_regions(console: ConsoleSession) -> list[tuple[str, str]]:
    """The participating regencies a person watches: their own, or every pilot region."""
    known = registry()
    codes = (
        [r.code for r in PILOT_REGIONS]
        if console.account.national
        else [c for c in console.account.regions if c in known.regencies]
    )
    return [(code, known.name_of(code)) for code in codes]


async def _closures(api: PersonApi, domain: str, console: ConsoleSession) -> set[tuple[str, str]]:
    """(regency, month) pairs the domain's regions closed (on time or not)."""
    try:
        listed = await api.get_json(f"/api/v1/{domain}/reporting-periods")
    except ApiRefused:
        return set()
    return {
        (item["region_code"], item["period"]) for item in listed["items"] if item["completed_at"]
    }


@router.post("/dashboard/completeness/close")
async def close_period(
    request: Request,
    console: Signed,
    domain: Annotated[str, Form(max_length=32)],
    period: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    region: Annotated[str, Form(max_length=8)],
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if not _check_csrf(console, csrf):
        return Response("CSRF token missing or wrong", status_code=403)
    try:
        by_domain(domain)
    except KeyError:
        return Response("unknown domain", status_code=422)
    api = PersonApi(request, console.account)
    answer = await api.call(
        "POST",
        f"/api/v1/{domain}/reporting-periods/{period}/complete",
        json={"region_code": region},
    )
    t = words(_language(request))
    message = (
        t["closed"].format(period=period, domain=domain)
        if answer.is_success
        else ApiRefused(answer).detail
    )
    return RedirectResponse(
        f"/dashboard/completeness?{urlencode({'message': message})}", status_code=303
    )


# ------------------------------------------------------------------------------ imports


async def _collections(request: Request, console: ConsoleSession) -> list[dict[str, str]]:
    """Every collection the person may import into (from the merged OpenAPI document)."""
    document = await request.app.state.openapi.document()
    found = []
    for path, operations in sorted(document.get("paths", {}).items()):
        if not path.endswith("/imports") or "post" not in operations:
            continue
        collection = path.removesuffix("/imports")
        domain = collection.split("/")[3]
        if f"{domain}:write" in console.account.scopes:
            found.append({"path": collection, "domain": domain, "name": collection.split("/")[4]})
    return found


@router.get("/dashboard/imports")
async def imports_page(request: Request, console: Signed) -> HTMLResponse:
    return _page(
        request,
        "imports.html",
        console=console,
        collections=await _collections(request, console),
    )


@router.post("/dashboard/imports")
async def upload(
    request: Request,
    console: Signed,
    collection: Annotated[str, Form(max_length=128)],
    file: UploadFile,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if not _check_csrf(console, csrf):
        return Response("CSRF token missing or wrong", status_code=403)
    allowed = {c["path"]: c for c in await _collections(request, console)}
    if collection not in allowed:
        return Response("unknown collection", status_code=422)
    name = (file.filename or "").lower()
    media = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if name.endswith(".xlsx")
        else "text/csv"
    )
    api = PersonApi(request, console.account)
    answer = await api.call(
        "POST",
        f"{collection}/imports",
        content=await file.read(),
        headers={"Content-Type": media, "Prefer": "wait=5"},
    )
    if answer.status_code >= 400:
        return _page(
            request,
            "imports.html",
            console=console,
            collections=list(allowed.values()),
            error=ApiRefused(answer).detail,
            status_code=answer.status_code,
        )
    job = answer.json()
    domain = allowed[collection]["domain"]
    return RedirectResponse(
        f"/dashboard/imports/{domain}/{job['id']}?{urlencode({'collection': collection})}",
        status_code=303,
    )


@router.get("/dashboard/imports/{domain}/{job_id:uuid}")
async def import_job(
    request: Request,
    console: Signed,
    domain: str,
    job_id: uuid.UUID,
    collection: Annotated[str, Query(max_length=128)] = "",
) -> HTMLResponse:
    api = PersonApi(request, console.account)
    try:
        job = await api.get_json(f"/api/v1/{domain}/imports/{job_id}")
    except (ApiRefused, ValueError) as refused:
        detail = refused.detail if isinstance(refused, ApiRefused) else str(refused)
        return _page(request, "job.html", console=console, job=None, error=detail, status_code=404)
    progress = job["progress"]
    share = 100 * progress["processed"] / progress["total"] if progress["total"] else 0
    return _page(
        request,
        "job.html",
        console=console,
        job=job,
        domain=domain,
        share=round(share),
        running=job["status"] in ("queued", "running"),
        collection=collection,
    )


@router.get("/dashboard/imports/{domain}/{job_id:uuid}/conflicts.csv")
async def import_conflicts(
    request: Request, console: Signed, domain: str, job_id: uuid.UUID
) -> Response:
    api = PersonApi(request, console.account)
    answer = await api.call(
        "GET", f"/api/v1/{domain}/imports/{job_id}/conflicts", headers={"Accept": "text/csv"}
    )
    return Response(
        answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type"),
        headers={"Content-Disposition": f'attachment; filename="conflicts-{job_id}.csv"'},
    )


@router.get("/dashboard/imports/template")
async def import_template(
    request: Request,
    console: Signed,
    collection: Annotated[str, Query(max_length=128)],
    file_format: Annotated[str, Query(alias="format", pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    if collection not in {c["path"] for c in await _collections(request, console)}:
        return Response(status_code=404)
    api = PersonApi(request, console.account)
    answer = await api.call("GET", f"{collection}/imports/template", params={"format": file_format})
    return Response(
        answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type"),
        headers={
            "Content-Disposition": answer.headers.get(
                "content-disposition", f'attachment; filename="template.{file_format}"'
            )
        },
    )


# ------------------------------------------------------------------------------ event feed


@router.get("/dashboard/feed")
async def feed(request: Request, console: Signed) -> HTMLResponse:
    domains = [s.domain for s in DOMAIN_SERVICES if s.scope("subscribe") in console.account.scopes]
    return _page(
        request,
        "feed.html",
        console=console,
        domains=domains,
        # The page's script reads the streams with this short-lived token of the person's own
        # scopes and regions; when it expires, the page is loaded again for a new one.
        stream_token=person_token(request, console.account, ttl=900),
    )


_BULAN = ("", "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def month_name(period: str, language: Language) -> str:
    """``2026-03`` as ``Mar 2026`` (or ``Mar 2026`` in Indonesian abbreviations)."""
    year, month = period.split("-")
    names = calendar.month_abbr if language == "en" else _BULAN
    return f"{names[int(month)]} {year}"


TEMPLATES.env.filters["month"] = lambda period, language="id": month_name(period, language)
