"""`StoreSink`: an execution's events into the store in batches, and onto Redis pub/sub.

Rows, steps and logs wait in memory until a batch is full or `flush_interval` has passed,
then go in one transaction. A write the database refuses because it is unreachable stays
buffered and is tried again at the next flush, so a PostgreSQL restart during a run loses
nothing; rows are keyed `(execution_id, seq)`, so writing a batch twice stores it once.
Artifacts go to artifact storage before their record is buffered.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import store
from engine import (
    Event,
    LogEmitted,
    RowEmitted,
    StepFinished,
    StepStarted,
    TraceRecorded,
)
from worker._runtime import Runtime
from worker.dispatch import progress_channel

log = logging.getLogger(__name__)


def _step_record(
    execution_id: uuid.UUID, event: StepStarted | StepFinished, started_at: datetime | None
) -> dict[str, Any]:
    """A step row; every record has the same keys, as a batched upsert needs."""
    record: dict[str, Any] = {
        "execution_id": execution_id,
        "step": event.step,
        "node_id": event.node_id,
        "node_type": event.node_type,
        "url": event.url,
        "status": "running",
        "duration_ms": None,
        "rows": 0,
        "attempts": 1,
        "error": None,
        "note": None,
        "selectors": None,
        "llm": None,
        "started_at": started_at,
        "finished_at": None,
    }
    if isinstance(event, StepFinished):
        record.update(
            status=event.status,
            duration_ms=round(event.duration_ms),
            rows=event.rows,
            attempts=event.attempts,
            error=event.error,
            note=event.note,
            selectors=_selectors(event),
            llm=asdict(event.llm) if event.llm else None,
            finished_at=datetime.now(UTC),
        )
    return record


def _selectors(event: StepFinished) -> list[dict[str, Any]]:
    """The step's selectors with where they matched on its screenshot, for the replay."""
    found = {
        h.selector: {"selector": h.selector, "count": h.count, "boxes": h.boxes}
        for h in event.highlights
    }
    for selector in event.matches:
        found.setdefault(selector, {"selector": selector, "count": None, "boxes": []})
    return list(found.values())


def _summary(event: Event) -> dict[str, Any] | None:
    """What live viewers get: small, no row data, no artifact bytes.

    The run's end is published by the worker once the outcome is committed, not here.
    """
    match event:
        case StepStarted():
            return {
                "type": "step_started",
                "step": event.step,
                "node_id": event.node_id,
                "node_type": event.node_type,
                "url": event.url,
            }
        case StepFinished():
            return {
                "type": "step_finished",
                "step": event.step,
                "node_id": event.node_id,
                "status": event.status,
                "rows": event.rows,
                "error": event.error,
                "duration_ms": round(event.duration_ms),
            }
        case LogEmitted():
            return {
                "type": "log",
                "level": event.level,
                "message": event.message,
                "step": event.step,
            }
    return None


@dataclass
class _Batch:
    """What waits to be written, in one transaction."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    steps: dict[int, dict[str, Any]] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.rows or self.steps or self.logs or self.artifacts)

    def then(self, newer: _Batch) -> _Batch:
        """This batch followed by a newer one (a newer record of a step wins)."""
        return _Batch(
            self.rows + newer.rows,
            {**self.steps, **newer.steps},
            self.logs + newer.logs,
            self.artifacts + newer.artifacts,
        )


class StoreSink:
    """Writes one attempt of one execution; the caller flushes once more when the run ends.

    Loop items run concurrently and share the sink: a flush takes the batch out before it
    writes, so events arriving meanwhile wait for the next flush, and puts it back in front if
    the database is unreachable. Every write first checks that this attempt still owns the
    execution; once it does not, `lost` is set and nothing more is written.
    """

    def __init__(self, runtime: Runtime, held: store.Claim) -> None:
        self.rt = runtime
        self.held = held
        self.batch = _Batch()
        self.started: dict[int, datetime] = {}
        self.row_count = self.step_count = 0
        self.lost = False
        self.last_flush = time.monotonic()
        self.channel = progress_channel(held.execution_id)
        self._writing = asyncio.Lock()
        self._writes: set[asyncio.Task[bool]] = set()  # held while they run, shielded

    async def emit(self, event: Event) -> None:
        execution_id = self.held.execution_id
        match event:
            case RowEmitted():
                self.batch.rows.append(
                    {
                        "execution_id": execution_id,
                        "seq": event.seq,
                        "data": event.data,
                        "node_id": event.node_id,
                        "step": event.step,
                    }
                )
                self.row_count = max(self.row_count, event.seq)
            case StepStarted():
                self.started[event.step] = event.at
                self.step_count = max(self.step_count, event.step)
                self.batch.steps[event.step] = _step_record(execution_id, event, event.at)
            case StepFinished():
                self.batch.steps[event.step] = _step_record(
                    execution_id, event, self.started.pop(event.step, None)
                )
                await self._store_artifacts(event)
            case TraceRecorded():
                await self._store(None, "trace", "trace.zip", event.data, "application/zip")
            case LogEmitted():
                self.batch.logs.append(
                    {
                        "execution_id": execution_id,
                        "step": event.step,
                        "level": event.level,
                        "message": event.message,
                        "at": event.at,
                    }
                )
        summary = _summary(event)
        if summary is not None:
            await self.publish(summary)
        if len(self.batch.rows) >= self.rt.settings.row_batch or self._due():
            await self.flush()

    def _due(self) -> bool:
        return time.monotonic() - self.last_flush >= self.rt.settings.flush_interval.total_seconds()

    async def _store_artifacts(self, event: StepFinished) -> None:
        """Screenshot and HTML to storage, under this attempt's prefix."""
        if event.screenshot:
            name = f"{event.step:05d}-screenshot.png"
            await self._store(event.step, "screenshot", name, event.screenshot, "image/png")
        if event.html:
            name = f"{event.step:05d}-html.html"
            html = event.html.encode()
            await self._store(event.step, "html", name, html, "text/html; charset=utf-8")

    async def _store(
        self, step: int | None, kind: str, name: str, data: bytes, content_type: str
    ) -> None:
        """One artifact to storage, its record to the batch; a storage failure costs the
        artifact, not the run."""
        key = f"{artifact_prefix(self.held)}/{name}"
        try:
            await self.rt.artifacts.put(key, data, content_type)
        except Exception as exc:
            log.warning("execution %s: %s not stored: %s", self.held.execution_id, name, exc)
            return
        self.batch.artifacts.append(
            {
                "execution_id": self.held.execution_id,
                "step": step,
                "kind": kind,
                "size": len(data),
                "checksum": hashlib.sha256(data).hexdigest(),
                "storage_key": key,
                "content_type": content_type,
            }
        )

    async def publish(self, summary: dict[str, Any]) -> None:
        """Live progress is best effort: a Redis hiccup must not fail the run."""
        try:
            await self.rt.redis.publish(self.channel, json.dumps(summary, default=str))
        except Exception as exc:
            log.warning("progress of %s not published: %s", self.held.execution_id, exc)

    async def flush(self) -> bool:
        """Write what is buffered; False if the database was unreachable (it stays buffered).

        The write goes on when the caller is cancelled (a node stopped by a cancel request or
        the run's time limit, while its rows were being written): cancelled halfway, the batch
        it took out would be lost, and the run would count rows that were never stored.
        """
        write = asyncio.create_task(self._flush())
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        try:
            return await asyncio.shield(write)
        except asyncio.CancelledError:
            write.add_done_callback(self._unawaited)  # nobody hears its failure but the log
            raise

    def _unawaited(self, write: asyncio.Task[bool]) -> None:
        if not write.cancelled() and (exc := write.exception()) is not None:
            log.error(
                "execution %s: rows not stored: %s",
                self.held.execution_id,
                exc,
                exc_info=exc,
            )

    async def _flush(self) -> bool:
        async with self._writing:
            self.last_flush = time.monotonic()
            batch, self.batch = self.batch, _Batch()
            if not batch or self.lost:
                return True
            try:
                async with self.rt.db.transaction() as session:
                    if not await self._holds(session):
                        self.lost = True
                        return True
                    await store.save_rows(session, batch.rows)
                    await store.save_steps(session, list(batch.steps.values()))
                    await store.save_logs(session, batch.logs)
                    await store.save_artifacts(session, batch.artifacts)
            except store.UNAVAILABLE as exc:
                log.warning("execution %s: writes postponed: %s", self.held.execution_id, exc)
                self.batch = batch.then(self.batch)
                return False
        await self.publish({"type": "progress", "rows": self.row_count})
        return True

    async def _holds(self, session: store.Session) -> bool:
        """Whether this attempt still owns the execution, taking it back if the reaper queued
        it again while the process was stalled and nobody else claimed it (see `renew`)."""
        if await store.holds(session, self.held):
            return True
        settings = self.rt.settings
        taken = await store.renew(
            session, self.held, now=self.rt.clock(), lease=settings.lease, resume=True
        )
        return taken is not None


def artifact_prefix(held: store.Claim) -> str:
    """Where one attempt's artifacts go: a worker that lost its claim never overwrites the
    files of the attempt that took over."""
    return f"{held.execution_id}/{held.attempt}"
