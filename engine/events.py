"""The engine's one output channel: events handed to a `Sink`.

The runner emits, in order: `RunStarted`, then for each step `StepStarted` … `StepFinished`
with any `RowEmitted` and `LogEmitted` in between, then `TraceRecorded` when the bot's trace
level is "full" and the run used the browser, and last `RunFinished`. Rows are emitted the
moment they are found (a paginate that stops on repeated pages holds one page's rows until the
page is done; a for_each emits in the order of its items), so a sink that stores them keeps
everything collected before a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

StepStatus = Literal["succeeded", "failed", "skipped"]
RunStatus = Literal["succeeded", "failed", "cancelled", "timed_out"]
LogLevel = Literal["debug", "info", "warning", "error"]
Box = tuple[float, float, float, float]
"""(left, top, width, height) as fractions (0..1) of a screenshot's width and height."""


@dataclass(frozen=True, slots=True)
class RunStarted:
    """A run began."""

    name: str
    renderer: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StepStarted:
    """A node began executing; `step` numbers steps from 1 in the order they started."""

    step: int
    node_id: str
    node_type: str
    url: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Highlight:
    """Where one of a step's selectors matched on the step's screenshot.

    `count` is every element matched at the end of the step; `boxes` are those visible in the
    screenshot (at most 50), clipped to it. An element-mode screenshot gets no boxes.
    """

    selector: str
    count: int
    boxes: tuple[Box, ...] = ()


@dataclass(slots=True)
class LlmUsage:
    """A step's model calls: added up while the step runs."""

    model: str = ""
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class StepFinished:
    """A node finished; artifacts are attached according to the bot's trace level."""

    step: int
    node_id: str
    node_type: str
    status: StepStatus
    url: str | None
    duration_ms: float
    rows: int = 0
    attempts: int = 1
    error: str | None = None
    screenshot: bytes | None = field(default=None, repr=False)
    html: str | None = field(default=None, repr=False)
    matches: tuple[str, ...] = ()
    """Selectors the step matched against, so a viewer can highlight them."""
    highlights: tuple[Highlight, ...] = ()
    """Where those selectors matched on `screenshot` (browser pages with a screenshot only)."""
    llm: LlmUsage | None = None
    """The step's model calls: model, calls, tokens in and out, latency."""
    note: str | None = None
    """What else to know about the step: why a loop stopped, a switch of renderer, a page
    loaded again after a transient failure."""


@dataclass(frozen=True, slots=True)
class RowEmitted:
    """One result row; `seq` numbers rows from 1 in the order they were found."""

    seq: int
    data: dict[str, Any]
    node_id: str
    step: int


@dataclass(frozen=True, slots=True)
class LogEmitted:
    """A log line, attached to a step when one was running."""

    level: LogLevel
    message: str
    at: datetime
    node_id: str | None = None
    step: int | None = None


@dataclass(frozen=True, slots=True)
class TraceRecorded:
    """The Playwright trace of the run's browser context, a zip (trace level "full" only)."""

    data: bytes = field(repr=False)
    at: datetime


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The run ended; `rows` and `pages` are the totals, `error` says why it did not succeed.

    `retryable` marks a failure caused by the browser (it crashed or was killed), not by the
    bot: running the bot again may well succeed.
    """

    status: RunStatus
    rows: int
    pages: int
    steps: int
    duration_ms: float
    at: datetime
    error: str | None = None
    retryable: bool = False
    llm_tokens: int = 0
    """Tokens the run's model calls spent, in and out."""


Event = (
    RunStarted | StepStarted | StepFinished | RowEmitted | LogEmitted | TraceRecorded | RunFinished
)


class Sink(Protocol):
    """Receives every event of a run; whoever owns the sink decides where rows go."""

    async def emit(self, event: Event) -> None: ...


class ListSink:
    """Keeps every event in memory (tests and small runs)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def emit(self, event: Event) -> None:
        self.events.append(event)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [e.data for e in self.events if isinstance(e, RowEmitted)]

    @property
    def logs(self) -> list[LogEmitted]:
        return [e for e in self.events if isinstance(e, LogEmitted)]

    @property
    def steps(self) -> list[StepFinished]:
        return [e for e in self.events if isinstance(e, StepFinished)]

    @property
    def finished(self) -> RunFinished:
        return next(e for e in self.events if isinstance(e, RunFinished))


class FanoutSink:
    """Hands each event to several sinks in order."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks = sinks

    async def emit(self, event: Event) -> None:
        for sink in self.sinks:
            await sink.emit(event)
