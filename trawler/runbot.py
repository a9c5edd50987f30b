"""Running one bot file from the command line: validation, sinks, pool, summary."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from engine import (
    Event,
    FanoutSink,
    Issue,
    Network,
    RowEmitted,
    RunFinished,
    Sink,
    StepFinished,
    Workflow,
    WorkflowInvalid,
    load_workflow,
    parse_json,
    run,
)
from engine.rows import Cells, dumps
from proxies import ProxyRotator
from trawler.output import RowFileSink, rows_preview_table
from trawler.progress import ProgressSink, summary_table
from trawler.settings import Settings
from trawler.trace import TraceSink

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def load_bot(
    path: Path,
    *,
    renderer: str | None = None,
    variables: dict[str, str] | None = None,
    trace: bool = False,
) -> Workflow:
    """Read and validate a bot file; command-line overrides are validated like the file."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise WorkflowInvalid([Issue(f"cannot read {path}: {exc.strerror or exc}")]) from None
    document = parse_json(text, str(path))
    if isinstance(document, dict):
        settings = dict(document.get("settings") or {})
        if renderer:
            settings["renderer"] = renderer
        if trace and settings.get("trace", "errors") in ("none", "errors"):
            settings["trace"] = "steps"  # a replay without screenshots helps nobody
        document = {**document, "settings": settings}
    return load_workflow(document, extra_variables=set(variables or {}))


@dataclass
class Collector:
    """Keeps the steps and the first rows for the summary."""

    steps: list[StepFinished] = field(default_factory=list)
    head: list[dict[str, Any]] = field(default_factory=list)

    async def emit(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self.steps.append(event)
        elif isinstance(event, RowEmitted) and len(self.head) < 10:
            self.head.append(event.data)


class StdoutRows:
    """Rows as JSON lines on standard output, when no --out file is given."""

    async def emit(self, event: Event) -> None:
        if isinstance(event, RowEmitted):
            sys.stdout.write(dumps(event.data) + "\n")
            sys.stdout.flush()


def _rotator(settings: Settings) -> ProxyRotator | None:
    """The configured proxies' rotator; None when there are none (direct connections)."""
    return ProxyRotator.from_settings(settings.proxies) if settings.proxies.proxies else None


async def run_bot(
    workflow: Workflow,
    *,
    settings: Settings,
    console: Console,
    out: Path | None = None,
    trace_dir: Path | None = None,
    variables: dict[str, str] | None = None,
    headed: bool = False,
    rows_to_stdout: bool = True,
    cells: Cells | None = None,
) -> RunFinished:
    """Run a bot with a progress display; rows go to `out` (or stdout), a replay to `trace_dir`.

    `cells` says how CSV files (`out`, the replay's rows.csv) write lists and formulas.
    """
    rows_file = RowFileSink(out, cells) if out else None
    trace = TraceSink(trace_dir, cells=cells) if trace_dir else None
    progress = ProgressSink(console)
    collector = Collector()
    sinks: list[Sink] = [progress, collector]
    if rows_file:
        sinks.append(rows_file)
    elif rows_to_stdout:
        sinks.append(StdoutRows())
    if trace:
        sinks.append(trace)
    pool = settings.browser.pool(headless=not headed)
    # Ctrl-C or SIGTERM cancels the run: it stops at once and every sink still gets its rows
    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, cancel.set)
    try:
        async with pool:
            finished = await run(
                workflow,
                FanoutSink(*sinks),
                pool=pool,
                variables=variables,
                cancel=cancel,
                network=Network(settings.network_policy(), rotator=_rotator(settings)),
                models=settings.llm.models(),
            )
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
        await progress.close()
        if rows_file:
            await rows_file.close()
        if trace:
            await trace.close()
    console.print(summary_table(finished, collector.steps))
    if collector.head and (rows_file or not rows_to_stdout):
        console.print(rows_preview_table(collector.head))
    if rows_file:
        console.print(f"rows: {finished.rows} written to {rows_file.path}")
    if trace:
        console.print(f"replay: {trace.replay_path.resolve()}")
    return finished
