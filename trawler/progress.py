"""Progress of a run on the terminal: a live status line, and a summary table at the end.

On a terminal the status line redraws in place; elsewhere (CI logs, pipes) each finished step is
one plain line. Warnings and errors are printed in both cases. Scraped text (URLs, messages) is
always printed literally, never parsed as rich markup.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from engine import (
    Event,
    LogEmitted,
    LogLevel,
    RowEmitted,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)

LEVELS: dict[LogLevel, int] = {"debug": 10, "info": 20, "warning": 30, "error": 40}
LEVEL_STYLES: dict[LogLevel, str] = {
    "debug": "dim",
    "info": "cyan",
    "warning": "yellow",
    "error": "bold red",
}
STATUS_STYLES = {
    "succeeded": "green",
    "failed": "bold red",
    "skipped": "dim",
    "cancelled": "yellow",
    "timed_out": "red",
}


def format_duration(ms: float) -> str:
    """Render a duration for people: `412 ms`, `3.2 s`, `2 m 05 s`, `1 h 02 m`."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} m {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} m"


class ProgressSink:
    """Shows pages, rows, elapsed time, the current node and URL while a run goes."""

    def __init__(self, console: Console, *, log_level: LogLevel = "warning") -> None:
        self.console = console
        self.log_level = log_level
        self.live = console.is_terminal and not console.is_dumb_terminal
        self.name = ""
        self.urls: set[str] = set()
        self.rows = 0
        self.step: StepStarted | None = None
        self._started: float | None = None
        self._display: Live | None = None
        self._spinner = Spinner("dots", style="cyan")
        self._closed = False

    @property
    def pages(self) -> int:
        """Distinct URLs seen so far."""
        return len(self.urls)

    async def emit(self, event: Event) -> None:
        if self._closed:
            return
        if self._started is None:
            self._start()
        if isinstance(event, RunStarted):
            self.name = event.name
            if not self.live:
                self._print(Text.assemble("run ", (event.name, "bold"), f" ({event.renderer})"))
        elif isinstance(event, StepStarted):
            self.step = event
            self._see(event.url)
        elif isinstance(event, StepFinished):
            self._see(event.url)
            if not self.live:
                self._print(_step_line(event))
        elif isinstance(event, RowEmitted):
            self.rows += 1
        elif isinstance(event, LogEmitted):
            if LEVELS[event.level] >= LEVELS[self.log_level]:
                self._print(_log_line(event))
        elif isinstance(event, RunFinished):
            await self.close()

    async def close(self) -> None:
        """Stop the live display; calling it again is a no-op."""
        self._closed = True
        if self._display is not None:
            self._display.stop()
            self._display = None

    def _start(self) -> None:
        self._started = time.monotonic()
        if self.live:
            self._display = Live(
                get_renderable=self._render,
                console=self.console,
                refresh_per_second=8,
                transient=True,
            )
            self._display.start()

    def _see(self, url: str | None) -> None:
        if url:
            self.urls.add(url)

    def _print(self, line: Text) -> None:
        self.console.print(line, highlight=False, soft_wrap=not self.live)

    def _render(self) -> RenderableType:
        elapsed = time.monotonic() - (self._started or time.monotonic())
        status = Text.assemble(
            (self.name or "run", "bold"),
            "  ·  ",
            (f"{self.pages}", "bold"),
            " pages  ·  ",
            (f"{self.rows}", "bold"),
            " rows  ·  ",
            format_duration(elapsed * 1000),
        )
        if self.step is not None:
            status.append("  ·  ")
            status.append(f"step {self.step.step} ")
            status.append(self.step.node_id, style="magenta")
            status.append(f" ({self.step.node_type})", style="dim")
        line = Table.grid(padding=(0, 1))
        line.add_column(no_wrap=True)
        line.add_column(no_wrap=True, overflow="ellipsis")
        line.add_row(self._spinner, status)
        if self.step is None or not self.step.url:
            return line
        url = Text(f"  {self.step.url}", style="dim", no_wrap=True, overflow="ellipsis")
        return Group(line, url)


def _step_line(event: StepFinished) -> Text:
    mark = {"succeeded": "ok", "failed": "FAILED", "skipped": "skipped"}[event.status]
    line = Text.assemble(
        f"step {event.step} ",
        (mark, STATUS_STYLES[event.status]),
        " ",
        (event.node_id, "magenta"),
        (f" ({event.node_type})", "dim"),
        f" {format_duration(event.duration_ms)}",
    )
    if event.rows:
        line.append(f" +{event.rows} rows")
    if event.attempts > 1:
        line.append(f" after {event.attempts} attempts")
    if event.llm and event.llm.calls:
        used = event.llm
        line.append(
            f" · {used.model}: {used.calls} call(s), {used.tokens_in}+{used.tokens_out} tokens",
            style="cyan",
        )
    if event.url:
        line.append(f" {event.url}", style="dim")
    if event.note:
        line.append(f" · {event.note}", style="yellow")
    if event.error:
        line.append(f": {event.error}", style="red")
    return line


def _log_line(event: LogEmitted) -> Text:
    line = Text.assemble((event.level, LEVEL_STYLES[event.level]))
    if event.node_id:
        line.append(f" [{event.node_id}]", style="magenta")
    line.append(f": {event.message}")
    return line


def summary_table(finished: RunFinished, steps: Sequence[StepFinished]) -> Table:
    """Summarise a run: status, totals, duration and every failed step with its error."""
    failed = [step for step in steps if step.status == "failed"]
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row("status", Text(finished.status, style=STATUS_STYLES.get(finished.status, "")))
    if finished.error:
        table.add_row("error", Text(finished.error, style="red"))
    table.add_row("rows", str(finished.rows))
    table.add_row("pages", str(finished.pages))
    if finished.llm_tokens:
        table.add_row("llm tokens", str(finished.llm_tokens))
    steps_text = Text(str(finished.steps))
    if failed:
        steps_text.append(f" ({len(failed)} failed)", style="red")
    table.add_row("steps", steps_text)
    table.add_row("duration", format_duration(finished.duration_ms))
    for step in failed:
        detail = Text.assemble(
            (step.node_id, "magenta"),
            (f" ({step.node_type})", "dim"),
            ": ",
            (step.error or "failed", "red"),
        )
        table.add_row(Text(f"step {step.step}", style="red"), detail)
    return table
