"""An execution as the replay viewer reads it: the `run.json` shape of a trace folder, built
from the store, with the artifacts as URLs of the viewer's own routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import store

VIEWER = "/viewer"
"""Where the viewer's pages live (the web app owns the rest of the site)."""

# What one page shows; the full rows are a CSV download, the full log a paged endpoint.
ROWS_SHOWN = 200
LOGS_SHOWN = 2000


def artifact_url(execution_id: uuid.UUID, artifact_id: uuid.UUID) -> str:
    return f"{VIEWER}/executions/{execution_id}/artifacts/{artifact_id}"


def links(execution: store.Execution) -> dict[str, str | None]:
    """Where the served page fetches the run again, follows it and downloads its rows."""
    base = f"{VIEWER}/executions/{execution.id}"
    return {
        "run": f"{base}/run.json",
        "events": f"{base}/events",
        "csv": f"{base}/rows.csv",
        "executions": f"{VIEWER}/executions",
        "bot": f"{VIEWER}/bots/{execution.bot_id}",
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


Files = dict[tuple[int | None, store.ArtifactKind], str]


def _step(row: store.ExecutionStep, files: Files) -> dict[str, Any]:
    selectors = row.selectors or []
    return {
        "step": row.step,
        "node_id": row.node_id,
        "node_type": row.node_type,
        "url": row.url,
        "status": row.status,
        "started_at": _iso(row.started_at),
        "duration_ms": row.duration_ms,
        "rows": row.rows,
        "attempts": row.attempts,
        "error": row.error,
        "note": row.note,
        "llm": row.llm,
        "screenshot": files.get((row.step, store.ArtifactKind.SCREENSHOT)),
        "html": files.get((row.step, store.ArtifactKind.HTML)),
        "matches": [found["selector"] for found in selectors],
        "highlights": selectors,
        "logs": [],
    }


async def run_document(
    db: store.Session, execution: store.Execution, bot_name: str
) -> dict[str, Any]:
    """The execution with its steps, logs, first rows and artifact links."""
    files: Files = {
        (artifact.step, artifact.kind): artifact_url(execution.id, artifact.id)
        for artifact in await store.artifacts_of(db, execution.id)
    }
    steps = {row.step: _step(row, files) for row in await store.steps_of(db, execution.id)}
    run_logs: list[dict[str, Any]] = []
    for line in await store.logs_of(db, execution.id, after=0, limit=LOGS_SHOWN):
        record = {"level": line.level, "message": line.message, "at": _iso(line.at)}
        if line.step in steps:
            steps[line.step]["logs"].append(record)
        else:
            run_logs.append(record | {"step": line.step, "node_id": None})
    rows = [
        {"seq": row.seq, "step": row.step, "node_id": row.node_id, "data": row.data}
        for row in await store.first_rows(db, execution.id, limit=ROWS_SHOWN)
    ]
    started, finished = execution.started_at, execution.finished_at
    duration = (finished - started).total_seconds() * 1000 if started and finished else None
    return {
        "version": 1,
        "id": str(execution.id),
        "name": bot_name,
        "status": execution.status,
        "trigger": execution.trigger,
        "error": execution.error,
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "totals": {
            "rows": max(execution.rows, len(rows)),
            "pages": execution.pages,
            "steps": len(steps),
            "failed_steps": sum(step["status"] == "failed" for step in steps.values()),
            "duration_ms": duration,
        },
        "steps": [steps[number] for number in sorted(steps)],
        "logs": run_logs,
        "rows": rows,
        "rows_embedded": len(rows),
        "playwright_trace": files.get((None, store.ArtifactKind.TRACE)),
    }
