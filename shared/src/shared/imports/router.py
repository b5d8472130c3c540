"""HTTP routes of import jobs, built for every entity a service declares.

- ``POST {collection}/imports`` takes a JSON array, NDJSON, CSV or XLSX file as the body or as
  the ``file`` part of a ``multipart/form-data`` form, and answers ``202`` with the queued job
  and its ``Location``; with ``Prefer: wait=<seconds>`` (RFC 7240) the finished job when it
  finishes in time.
- ``GET {collection}/imports/template?format=csv|xlsx``: the header row, an example row and
  the documentation of each column.
- ``GET /api/v1/{domain}/imports/{id}``: the job; ``DELETE`` cancels it;
  ``GET .../{id}/conflicts``: every conflict, as JSON or (``Accept: text/csv``) CSV.

Jobs are the client's own: another client's job is a 404, as a job that does not exist.
"""

# No "from __future__ import annotations": the endpoints are built inside a function and their
# annotations name its local dependency (the domain's write scope), which FastAPI must see.

import asyncio
import csv
import io
import re
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import IO, Annotated, Any, BinaryIO, Literal, cast

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from shared import context
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity
from shared.errors import PROBLEM_JSON, PROBLEM_RESPONSES, Problem, ProblemError, field_error
from shared.imports.files import MEDIA_TYPES, FileFormat, Layout, format_of, read_records, template
from shared.imports.jobs import (
    FINISHED,
    Atomic,
    Conflict,
    ImportJob,
    Mode,
    Options,
    create_job,
    find_job,
    iter_conflicts,
    request_cancel,
)
from shared.imports.table import ImportTables

MAX_FILE_BYTES = 200 * 1024 * 1024
"""The largest file an import takes (the gateway's limit on import paths is the same)."""
MAX_WAIT_SECONDS = 60
SPOOL_BYTES = 8 * 1024 * 1024
"""Uploads beyond this are spooled to a temporary file, never held in memory."""

_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+)", re.IGNORECASE)

_FILE_MEDIA = {
    media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()
}
_UPLOAD_BODY = {
    "required": True,
    "description": "The records: a JSON array, NDJSON, CSV or XLSX; or a form with a `file` part",
    "content": {
        **_FILE_MEDIA,
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
                "additionalProperties": False,
            },
            # The file part says its format (or its file name does: .csv, .xlsx, ...).
            "encoding": {"file": {"contentType": ", ".join(MEDIA_TYPES.values())}},
        },
    },
}
_FILE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for code, text in (
        (413, "The file is larger than 200 MB or holds more than 1,000,000 records"),
        (415, "Not a JSON, NDJSON, CSV or XLSX file"),
    )
}


def imports_router(
    *, domain: str, entities: Sequence[Entity[Any]], tables: ImportTables
) -> APIRouter:
    """The import routes of ``domain``'s entities."""
    writer = RequireScope(f"{domain}:write")
    Writer = Annotated[Principal, Depends(writer)]
    router = APIRouter(tags=[f"{domain}: imports"], responses=PROBLEM_RESPONSES)
    jobs_path = f"/api/v1/{domain}/imports"

    def add_entity_routes(entity: Entity[Any]) -> None:
        layout = Layout.of(entity.model)
        required = tuple(entity.model.model_json_schema().get("required", ()))

        async def upload(
            request: Request,
            principal: Writer,
            session: SessionDep,
            dry_run: Annotated[
                bool, Query(description="Check and count only: nothing is written")
            ] = False,
            atomic: Annotated[
                Atomic,
                Query(
                    description="all: any conflict and nothing is written; "
                    "record: each valid record is written, each bad one reported"
                ),
            ] = "record",
            mode: Annotated[
                Mode,
                Query(
                    description="upsert the records, or withdraw the client's records they "
                    "name by their key (external_id; a company's nib)"
                ),
            ] = "upsert",
        ) -> Response:
            options = Options(dry_run=dry_run, atomic=atomic, mode=mode)
            with await _uploaded(request) as (stream, fmt):
                # To withdraw, a record needs only its key (other columns are ignored).
                needed = (entity.key,) if mode == "withdraw" else required
                records = read_records(cast(BinaryIO, stream), fmt, layout, required=needed)
                job_id = await create_job(
                    session,
                    tables,
                    entity=entity.name,
                    key=entity.key,
                    principal=principal,
                    request_id=context.request_id(),
                    options=options,
                    records=records,
                )
                await session.commit()
            worker = getattr(request.app.state, "import_worker", None)
            if worker is not None:
                worker.wake()
            job = await _waited(request, session, tables, job_id, principal.client_id)
            code = status.HTTP_200_OK if job.status in FINISHED else status.HTTP_202_ACCEPTED
            return Response(
                job.model_dump_json(),
                status_code=code,
                media_type="application/json",
                headers={"Location": f"{jobs_path}/{job_id}"},
            )

        router.add_api_route(
            f"{entity.path}/imports",
            upload,
            methods=["POST"],
            status_code=status.HTTP_202_ACCEPTED,
            response_model=ImportJob,
            responses={
                200: {"model": ImportJob, "description": "Finished within Prefer: wait"},
                **_FILE_PROBLEMS,
            },
            summary=f"Import a file of {entity.collection.replace('-', ' ')}",
            openapi_extra={"requestBody": _UPLOAD_BODY},
        )

        async def template_file(
            _: Writer,
            file_format: Annotated[
                Literal["csv", "xlsx"], Query(alias="format", description="csv or xlsx")
            ] = "csv",
        ) -> Response:
            fmt = FileFormat(file_format)
            content = template(layout, fmt, example=entity.example)
            name = f"{entity.collection}-template.{fmt.value}"
            return Response(
                content,
                media_type=MEDIA_TYPES[fmt],
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

        router.add_api_route(
            f"{entity.path}/imports/template",
            template_file,
            methods=["GET"],
            response_class=Response,
            responses={
                200: {
                    "description": "The template file",
                    "content": {
                        MEDIA_TYPES[FileFormat.CSV]: {},
                        MEDIA_TYPES[FileFormat.XLSX]: {},
                    },
                }
            },
            summary=f"The import template of {entity.collection.replace('-', ' ')}",
        )

    for entity in entities:
        add_entity_routes(entity)

    @router.get(f"{jobs_path}/{{job_id:uuid}}", response_model=ImportJob, summary="An import job")
    async def get_job(job_id: uuid.UUID, principal: Writer, session: SessionDep) -> ImportJob:
        return await _job(session, tables, job_id, principal.client_id)

    @router.delete(
        f"{jobs_path}/{{job_id:uuid}}",
        response_model=ImportJob,
        summary="Cancel an import job (records already written stay written)",
    )
    async def cancel_job(job_id: uuid.UUID, principal: Writer, session: SessionDep) -> ImportJob:
        if not await request_cancel(session, tables, job_id=job_id, client_id=principal.client_id):
            raise _no_job(job_id)
        await session.commit()
        return await _job(session, tables, job_id, principal.client_id)

    @router.get(
        f"{jobs_path}/{{job_id:uuid}}/conflicts",
        response_model=list[Conflict],
        responses={200: {"content": {"text/csv": {}}, "description": "Every conflict"}},
        summary="Every conflict of an import job (JSON, or CSV with Accept: text/csv)",
    )
    async def get_conflicts(
        job_id: uuid.UUID, principal: Writer, session: SessionDep, request: Request
    ) -> Response:
        await _job(session, tables, job_id, principal.client_id)
        as_csv = "text/csv" in request.headers.get("accept", "")
        # Streamed after the endpoint returns: read with a session of the stream's own.
        rows = _all_conflicts(request, tables, job_id)
        if as_csv:
            return StreamingResponse(_csv_lines(rows), media_type="text/csv; charset=utf-8")
        return StreamingResponse(_json_array(rows), media_type="application/json")

    return router


async def _job(
    session: SessionDep, tables: ImportTables, job_id: uuid.UUID, client_id: str
) -> ImportJob:
    job = await find_job(session, tables, job_id=job_id, client_id=client_id)
    if job is None:
        raise _no_job(job_id)
    return job


def _no_job(job_id: uuid.UUID) -> ProblemError:
    return ProblemError(404, f"this client has no import job {job_id}")


class _Upload:
    """The uploaded file (the ``file`` part of a form, or the body) as a seekable stream."""

    def __init__(self, stream: IO[bytes], fmt: FileFormat) -> None:
        self.stream, self.fmt = stream, fmt

    def __enter__(self) -> tuple[IO[bytes], FileFormat]:
        return self.stream, self.fmt

    def __exit__(self, *_: object) -> None:
        self.stream.close()


async def _uploaded(request: Request) -> _Upload:
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        return await _form_file(request)
    fmt = format_of(content_type or None)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by _Upload)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            spool.close()
            raise _too_large()
        spool.write(chunk)
    spool.seek(0)
    return _Upload(spool, fmt)


async def _form_file(request: Request) -> _Upload:
    try:
        form = await request.form(max_files=1, max_fields=0)
    except HTTPException as exc:
        # Fields beside the file, a second file, a broken form: the form's problem, as a 422.
        raise ProblemError(
            422,
            f"the form cannot be read ({exc.detail}): send one part, the file, named 'file'",
            kind="validation",
            errors=[field_error("file", "send the file as the form's only part, named 'file'")],
        ) from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ProblemError(
            422,
            "the form has no file part named 'file'",
            kind="validation",
            errors=[field_error("file", "the form needs a file part named 'file'")],
        )
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise _too_large()
    fmt = format_of(upload.content_type, upload.filename)
    upload.file.seek(0)
    return _Upload(upload.file, fmt)


def _too_large() -> ProblemError:
    return ProblemError(
        413,
        f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: "
        "split it into several imports",
        kind="too-large",
        title="Content too large",
    )


async def _waited(
    request: Request, session: SessionDep, tables: ImportTables, job_id: uuid.UUID, client_id: str
) -> ImportJob:
    """The job, once finished if the client asked to wait (``Prefer: wait=N``) and it did."""
    found = _PREFER_WAIT.search(request.headers.get("prefer", ""))
    deadline = time.monotonic() + min(int(found.group(1)), MAX_WAIT_SECONDS) if found else 0.0
    while True:
        job = await _job(session, tables, job_id, client_id)
        await session.commit()  # a fresh snapshot for the next look
        if job.status in FINISHED or time.monotonic() >= deadline:
            return job
        await asyncio.sleep(0.1)


async def _all_conflicts(
    request: Request, tables: ImportTables, job_id: uuid.UUID
) -> AsyncIterator[Conflict]:
    async with request.app.state.sessions() as session:
        async for conflict in iter_conflicts(session, tables, job_id=job_id):
            yield conflict


async def _json_array(rows: AsyncIterator[Conflict]) -> AsyncIterator[bytes]:
    yield b"["
    first = True
    async for row in rows:
        yield (b"" if first else b",") + row.model_dump_json().encode()
        first = False
    yield b"]"


async def _csv_lines(rows: AsyncIterator[Conflict]) -> AsyncIterator[bytes]:
    names = list(Conflict.model_fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    async for row in rows:
        writer.writerow(["" if v is None else v for v in row.model_dump().values()])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
