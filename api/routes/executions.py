"""Executions: read one with its steps, download its rows, cancel it."""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from starlette.concurrency import run_in_threadpool

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import not_found
from api.schemas import ExecutionDetail, ExecutionOut, LogOut, Page, StepOut
from engine.rows import LIST_SEPARATOR, Cells, formula_like, line_safe

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

router = APIRouter(prefix="/executions", tags=["executions"])

Format = Literal["json", "ndjson", "csv", "xlsx"]
Formulas = Literal["neutralise", "keep"]
MEDIA = {
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def owned_execution(
    db: store.Session, user: store.User, execution_id: uuid.UUID
) -> store.Execution:
    """The user's execution; 404 for one that is missing or another user's."""
    execution = await store.own_execution(db, user.id, execution_id)
    if execution is None:
        raise not_found("execution")
    return execution


@router.get("")
async def list_executions(
    user: CurrentUser,
    db: SessionDep,
    bot_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[store.ExecutionStatus | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="Created at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Created before.")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ExecutionOut]:
    """The user's executions, newest first, filtered by bot, status and creation date."""
    found, total = await store.list_executions(
        db,
        user.id,
        bot_id=bot_id,
        status=status,
        since=since,
        until=until,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return Page[ExecutionOut](
        items=[ExecutionOut.model_validate(e) for e in found],
        total=total,
        page=page,
        per_page=per_page,
    )


@router.get("/{execution_id}/logs")
async def execution_logs(
    execution_id: uuid.UUID,
    user: CurrentUser,
    db: SessionDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="The last log id already read.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[LogOut]:
    """Log lines in order; pass the last id as `after` for the next page."""
    execution = await owned_execution(db, user, execution_id)
    logs = await store.logs_of(db, execution.id, after=after, limit=limit)
    return [LogOut.model_validate(line) for line in logs]


@router.get("/{execution_id}")
async def get_execution(
    execution_id: uuid.UUID, user: CurrentUser, db: SessionDep
) -> ExecutionDetail:
    """Status, counters and every step."""
    execution = await owned_execution(db, user, execution_id)
    steps = await store.steps_of(db, execution.id)
    return ExecutionDetail.model_validate(
        {
            **ExecutionOut.model_validate(execution).model_dump(),
            "steps": [StepOut.model_validate(step) for step in steps],
        }
    )


@router.post("/{execution_id}/cancel", status_code=202)
async def cancel_execution(
    execution_id: uuid.UUID, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> ExecutionOut:
    """A queued run is cancelled at once; a running one stops within a few seconds."""
    execution = await owned_execution(db, user, execution_id)
    await store.request_cancel(db, execution.id, now=ctx.now())
    await db.commit()
    await db.refresh(execution)
    return ExecutionOut.model_validate(execution)


async def _columns(session: store.Session, execution_id: uuid.UUID) -> list[str]:
    """Every key of every row, in order of first appearance (one pass over the rows)."""
    columns: dict[str, None] = {}
    async for row in store.stream_rows(session, execution_id):
        columns.update(dict.fromkeys(row))
    return list(columns)


def _sheet_cell(sheet: WriteOnlyWorksheet, cells: Cells, value: Any) -> Any:
    """A value for the sheet: text that looks like a formula is a text cell (marked with
    Excel's quote prefix, so editing it keeps it text), unless formulas are kept."""
    found = cells.sheet(value)
    if not isinstance(found, str):
        return found
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", found)  # control characters XLSX cannot hold
    if cells.keep_formulas or not formula_like(text):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


async def _xlsx(db: store.Database, execution_id: uuid.UUID, cells: Cells) -> AsyncIterator[bytes]:
    """A workbook written row by row to a temporary file (openpyxl's write-only mode), then
    sent in chunks: memory stays flat however many rows there are."""
    with tempfile.TemporaryFile() as spool:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("rows")
        async with db.session() as session:
            columns = await _columns(session, execution_id)
            sheet.append([_sheet_cell(sheet, cells, column) for column in columns])
            async for row in store.stream_rows(session, execution_id):
                sheet.append([_sheet_cell(sheet, cells, row.get(column)) for column in columns])
        await run_in_threadpool(workbook.save, spool)
        spool.seek(0)
        while chunk := await run_in_threadpool(spool.read, 64_000):
            yield chunk


async def _stream(
    db: store.Database, execution_id: uuid.UUID, fmt: Format, cells: Cells
) -> AsyncIterator[str]:
    """The rows, a batch from the database at a time; CSV reads them twice (columns first)."""
    async with db.session() as session:
        if fmt == "ndjson":
            async for batch in store.stream_row_json(session, execution_id):
                yield line_safe("\n".join(batch)) + "\n"
        elif fmt == "json":
            separator = "["
            async for batch in store.stream_row_json(session, execution_id):
                yield separator + line_safe(",".join(batch))
                separator = ","
            yield "[]\n" if separator == "[" else "]\n"
        else:
            columns = await _columns(session, execution_id)
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([cells.text(column) for column in columns])
            async for row in store.stream_rows(session, execution_id):
                writer.writerow([cells.text(row.get(column)) for column in columns])
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()


@router.get(
    "/{execution_id}/result",
    response_class=StreamingResponse,
    responses={200: {"content": {media: {} for media in MEDIA.values()}}},
)
async def execution_result(
    execution_id: uuid.UUID,
    user: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
    format: Annotated[Format, Query(description="json, ndjson, csv or xlsx.")] = "json",
    formulas: Annotated[
        Formulas,
        Query(
            description="csv, xlsx: `neutralise` puts a single quote before text a spreadsheet "
            "would run as a formula (starting with = + - @, a tab or a carriage return) and "
            "writes it to xlsx as text; `keep` writes it as it was scraped."
        ),
    ] = "neutralise",
    list_separator: Annotated[
        str,
        Query(
            min_length=1,
            max_length=10,
            description="csv, xlsx: what joins the items of a list in one cell (lists of "
            "objects are JSON).",
        ),
    ] = LIST_SEPARATOR,
) -> StreamingResponse:
    """The rows found so far (all of them once finished), streamed in order."""
    execution = await owned_execution(db, user, execution_id)
    cells = Cells(keep_formulas=formulas == "keep", list_separator=list_separator)
    return await result_download(db, ctx.db, execution.id, format, cells)


async def result_download(
    session: store.Session,
    db: store.Database,
    execution_id: uuid.UUID,
    format: Format,
    cells: Cells | None = None,
) -> StreamingResponse:
    """The execution's rows as a file download (its owner already checked). The request's
    `session` goes back to the pool first: the stream reads with a session of its own."""
    await session.close()
    cells = cells or Cells()
    name = f"execution-{execution_id}.{format}"
    body = (
        _xlsx(db, execution_id, cells)
        if format == "xlsx"
        else _stream(db, execution_id, format, cells)
    )
    return StreamingResponse(
        body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
