"""The trace folder of `trawler run --trace DIR`: every event, artifact and a replay page.

Layout of `DIR`::

    events.jsonl            every event, one JSON object a line; artifacts as relative paths
    rows.jsonl              every row, as it arrived
    rows.csv                every row as CSV (written when the run finishes), the replay's
                            "Download CSV"; lists joined, formulas neutralised (engine.rows.Cells)
    screenshots/step-0001.png
    html/step-0001.html     the step's HTML snapshot, scripts disabled
    trace.zip               Playwright trace of the browser (trace level "full" only); open it
                            with `playwright show-trace trace.zip`
    run.json                summary and steps (written when the run finishes); each step's
                            `highlights` place its selectors' matches on its screenshot as
                            fractions of the image: [{"selector", "count", "boxes": [[l,t,w,h]]}]
    replay.html             self-contained viewer: screenshots embedded, opens from disk

Everything but `run.json`, `rows.csv` and `replay.html` is written as events arrive, so a run
that crashes leaves its trace up to the crash; `close()` then writes those three with the
status `incomplete`.
"""

from __future__ import annotations

import base64
import html
import json
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, fields
from pathlib import Path
from typing import IO, Any

from api.viewer import SNAPSHOT_CSP, render_replay
from engine import (
    Event,
    Highlight,
    LogEmitted,
    RowEmitted,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TraceRecorded,
)
from engine.rows import Cells, dumps, jsonable
from trawler.output import write_csv

RUN_FORMAT_VERSION = 1
# run.json feeds the self-contained viewer; every row beyond this stays in rows.jsonl only.
EMBED_ROWS = 1000
PLAYWRIGHT_TRACE = "trace.zip"
ROWS_CSV = "rows.csv"
OWN_FILES = (
    "events.jsonl",
    "rows.jsonl",
    ROWS_CSV,
    "run.json",
    "replay.html",
    PLAYWRIGHT_TRACE,
)
_DOCTYPE = re.compile(r"\A\ufeff?\s*<!doctype[^>]*>", re.IGNORECASE)
_BASE_TAG = re.compile(r"<base[\s>]", re.IGNORECASE)
_META_TAG = re.compile(r"""<meta\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_HTTP_EQUIV = re.compile(r"(?<=[\s/])http-equiv(?=\s*=)", re.IGNORECASE)


def disarm_snapshot(snapshot: str, url: str | None) -> str:
    """Make `snapshot` safe to open from disk: a CSP at the top lets nothing run or load, and
    the page's own `<meta http-equiv>` (a refresh, a cookie) is renamed to do nothing, since a
    CSP in a meta tag cannot sandbox. A `<base>` keeps relative links pointing at the site."""
    head = f'<meta http-equiv="Content-Security-Policy" content="{SNAPSHOT_CSP}">'
    if url and url.startswith(("http://", "https://")) and not _BASE_TAG.search(snapshot):
        head = f'<base href="{html.escape(url, quote=True)}">' + head
    body = _META_TAG.sub(lambda tag: _HTTP_EQUIV.sub("data-http-equiv", tag[0]), snapshot)
    doctype = _DOCTYPE.match(body)
    cut = doctype.end() if doctype else 0
    return body[:cut] + head + body[cut:]


class TraceSink:
    """Writes a replay folder for one run into `directory`, replacing a previous run's files."""

    def __init__(
        self, directory: Path, *, embed_rows: int = EMBED_ROWS, cells: Cells | None = None
    ) -> None:
        self.directory = directory
        self.embed_rows = embed_rows
        self.cells = cells or Cells()
        self.started: RunStarted | None = None
        self.finished: RunFinished | None = None
        self.steps: dict[int, dict[str, Any]] = {}
        self.logs: list[dict[str, Any]] = []
        self.rows: list[dict[str, Any]] = []
        self.row_count = 0
        self.playwright_trace: str | None = None
        self._urls: set[str] = set()
        self._clock: float | None = None
        self._events: IO[str] | None = None
        self._rows_file: IO[str] | None = None
        self._closed = False

    @property
    def replay_path(self) -> Path:
        """The viewer page, complete once the run finished or the sink was closed."""
        return self.directory / "replay.html"

    @property
    def run_path(self) -> Path:
        return self.directory / "run.json"

    async def emit(self, event: Event) -> None:
        if self._closed:
            msg = f"{type(event).__name__} arrived after the trace in {self.directory} was closed"
            raise RuntimeError(msg)
        if self._events is None:
            self._open()
        shot = page = None
        if isinstance(event, RunStarted):
            self.started = event
        elif isinstance(event, StepStarted):
            self._started_step(event)
        elif isinstance(event, StepFinished):
            shot, page = self._save_artifacts(event)
            self._finished_step(event, shot, page)
        elif isinstance(event, RowEmitted):
            self._row(event)
        elif isinstance(event, LogEmitted):
            self._log(event)
        elif isinstance(event, TraceRecorded):
            (self.directory / PLAYWRIGHT_TRACE).write_bytes(event.data)
            self.playwright_trace = PLAYWRIGHT_TRACE
        elif isinstance(event, RunFinished):
            self.finished = event
        self._write_line(self._events, _event_record(event, shot, page))
        if isinstance(event, RunFinished):
            await self.close()

    async def close(self) -> None:
        """Write `run.json` and `replay.html` and release the files; again is a no-op."""
        if self._closed:
            return
        self._closed = True
        if self._events is None:
            self._open()
        for stream in (self._events, self._rows_file):
            if stream is not None:
                stream.close()
        write_csv(self.directory / ROWS_CSV, self._written_rows, self.cells)
        run = self.run_document()
        self.run_path.write_text(dumps(run, indent=2) + "\n", encoding="utf-8")
        self.replay_path.write_text(render_replay(run, embed=self._embed), encoding="utf-8")

    def run_document(self) -> dict[str, Any]:
        """The content of `run.json`: summary, steps with their logs, the first rows."""
        started, finished = self.started, self.finished
        elapsed = (time.monotonic() - self._clock) * 1000 if self._clock is not None else 0.0
        return {
            "version": RUN_FORMAT_VERSION,
            "name": started.name if started else None,
            "renderer": started.renderer if started else None,
            "status": finished.status if finished else "incomplete",
            "error": finished.error if finished else None,
            "started_at": jsonable(started.at) if started else None,
            "finished_at": jsonable(finished.at) if finished else None,
            "totals": {
                "rows": finished.rows if finished else self.row_count,
                "pages": finished.pages if finished else len(self._urls),
                "steps": finished.steps if finished else len(self.steps),
                "failed_steps": sum(s["status"] == "failed" for s in self.steps.values()),
                "duration_ms": finished.duration_ms if finished else round(elapsed, 1),
            },
            "steps": [self.steps[number] for number in sorted(self.steps)],
            "logs": self.logs,
            "rows": self.rows,
            "rows_embedded": len(self.rows),
            "rows_csv": ROWS_CSV if self.row_count else None,
            "playwright_trace": self.playwright_trace,
        }

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in OWN_FILES:
            (self.directory / name).unlink(missing_ok=True)
        for folder, pattern in (("screenshots", "step-*.png"), ("html", "step-*.html")):
            for stale in (self.directory / folder).glob(pattern):
                stale.unlink()
        self._clock = time.monotonic()
        self._events = (self.directory / "events.jsonl").open("w", encoding="utf-8")
        self._rows_file = (self.directory / "rows.jsonl").open("w", encoding="utf-8")

    def _write_line(self, stream: IO[str] | None, record: Any) -> None:
        assert stream is not None, "the trace files are opened by the first event"
        stream.write(dumps(record) + "\n")
        stream.flush()

    def _step(self, number: int, node_id: str, node_type: str) -> dict[str, Any]:
        if number not in self.steps:
            self.steps[number] = {
                "step": number,
                "node_id": node_id,
                "node_type": node_type,
                "url": None,
                "status": "unfinished",
                "started_at": None,
                "duration_ms": None,
                "rows": 0,
                "attempts": 0,
                "error": None,
                "note": None,
                "llm": None,
                "screenshot": None,
                "html": None,
                "matches": [],
                "highlights": [],
                "logs": [],
            }
        return self.steps[number]

    def _started_step(self, event: StepStarted) -> None:
        step = self._step(event.step, event.node_id, event.node_type)
        step["url"] = event.url
        step["started_at"] = jsonable(event.at)
        if event.url:
            self._urls.add(event.url)

    def _finished_step(self, event: StepFinished, shot: str | None, page: str | None) -> None:
        step = self._step(event.step, event.node_id, event.node_type)
        step.update(
            url=event.url or step["url"],
            status=event.status,
            duration_ms=event.duration_ms,
            rows=event.rows,
            attempts=event.attempts,
            error=event.error,
            note=event.note,
            llm=asdict(event.llm) if event.llm else None,
            screenshot=shot,
            html=page,
            matches=list(event.matches),
            highlights=[_highlight(h) for h in event.highlights],
        )
        if event.url:
            self._urls.add(event.url)

    def _save_artifacts(self, event: StepFinished) -> tuple[str | None, str | None]:
        shot = page = None
        if event.screenshot is not None:
            shot = f"screenshots/step-{event.step:04d}.png"
            self._artifact(shot).write_bytes(event.screenshot)
        if event.html is not None:
            page = f"html/step-{event.step:04d}.html"
            self._artifact(page).write_text(disarm_snapshot(event.html, event.url), "utf-8")
        return shot, page

    def _artifact(self, relative: str) -> Path:
        path = self.directory / relative
        path.parent.mkdir(exist_ok=True)
        return path

    def _row(self, event: RowEmitted) -> None:
        self.row_count += 1
        self._write_line(self._rows_file, event.data)
        if len(self.rows) < self.embed_rows:
            record = {"seq": event.seq, "step": event.step, "node_id": event.node_id}
            self.rows.append(record | {"data": jsonable(event.data)})

    def _written_rows(self) -> Iterator[dict[str, Any]]:
        with (self.directory / "rows.jsonl").open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)

    def _log(self, event: LogEmitted) -> None:
        line = {"level": event.level, "message": event.message, "at": jsonable(event.at)}
        if event.step is not None and event.step in self.steps:
            self.steps[event.step]["logs"].append(line)
        else:
            self.logs.append(line | {"node_id": event.node_id, "step": event.step})

    def _embed(self, relative: str) -> str | None:
        path = self.directory / relative
        if not relative.startswith("screenshots/") or not path.is_file():
            return None
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _highlight(highlight: Highlight) -> dict[str, Any]:
    boxes = [list(box) for box in highlight.boxes]
    return {"selector": highlight.selector, "count": highlight.count, "boxes": boxes}


def _event_record(event: Event, shot: str | None, page: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"event": type(event).__name__}
    record.update((f.name, getattr(event, f.name)) for f in fields(event))
    if isinstance(event, StepFinished):
        record.update(
            screenshot=shot, html=page, highlights=[_highlight(h) for h in event.highlights]
        )
    elif isinstance(event, TraceRecorded):
        record.update(data=PLAYWRIGHT_TRACE)
    return record
