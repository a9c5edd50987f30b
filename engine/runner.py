"""Walks a bot's graph: order, variables, retries, on-error policy, limits, events."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import ChainMap
from collections.abc import Awaitable, Mapping
from contextlib import nullcontext, suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, unquote_plus, urldefrag

from playwright.async_api import Error as PlaywrightError

from browser_pool import BrowserPool, BrowserPoolError
from engine import stalls
from engine._credentials import basic_token
from engine._failures import describe as _describe
from engine._failures import infrastructure as _infrastructure
from engine.context import BranchResult, NodeContext, Scope, StepNotes
from engine.errors import (
    LimitReached,
    NavigationError,
    RunCancelled,
    StepError,
    StepFailed,
    VariableError,
)
from engine.events import (
    Highlight,
    LogEmitted,
    LogLevel,
    RowEmitted,
    RunFinished,
    RunStarted,
    RunStatus,
    Sink,
    StepFinished,
    StepStarted,
    StepStatus,
    TraceRecorded,
)
from engine.graph import Graph
from engine.llm import Llm, Models
from engine.network import Network, NotSent, Traffic
from engine.nodes import KINDS, NodeKind, NodeParams
from engine.page import BrowserPage, Page, ScreenshotArea
from engine.renderers import Renderers
from engine.template import BUILTINS, names, render_value, walk_strings
from engine.workflow import Variable, Workflow


class SkipBranch(Exception):
    """A node failed under the `skip` policy: the rest of its branch does not run."""


def _now() -> datetime:
    return datetime.now(UTC)


# Highlights are a nicety of the replay: a page that stalls them must not hold up the run.
HIGHLIGHT_TIMEOUT_S = 2.0

# Refusals logged one by one; past this a run counts them, so a page that keeps trying
# cannot flood the log.
REFUSALS_LOGGED = 20


class Run:
    """The state of one run; `run()` below is the way in."""

    def __init__(
        self,
        workflow: Workflow,
        sink: Sink,
        *,
        pool: BrowserPool | None,
        variables: Mapping[str, Any],
        cancel: asyncio.Event | None,
        headless: bool,
        network: Network,
        models: Models,
    ) -> None:
        self.workflow = workflow
        self.sink = sink
        self.cancel = cancel
        self.nodes = {node.id: node for node in workflow.nodes}
        loops = frozenset(n.id for n in workflow.nodes if KINDS[n.type].loop)
        self.graph = Graph.build(
            list(self.nodes), loops, [(e.source, e.target, e.source_handle) for e in workflow.edges]
        )
        self.variables: dict[str, Any] = {}
        self.secrets: list[str] = []
        self._overrides = dict(variables)
        self.step_no = self.rows = self.pages = self.loading = 0
        self.browser_failed = False
        self.trace: bytes | None = None
        self.pending: list[LogEmitted] = []
        self.active: dict[int, str] = {}
        """The steps running now, by number: node id."""
        self.last_step: tuple[int, str] | None = None
        self.refusals = 0
        self.opened: set[str] = set()
        """URLs a for_each opened this run (without their fragment)."""
        self.unique: set[str] = set()
        """The `unique_rows` values of the rows emitted so far."""
        self.duplicates = 0
        self.gathered: list[dict[str, Any]] = []
        """Every row extracts put in a collect_as list, in order: what a paginate's page found."""
        self.templated = {n.id: "{{" in n.data.model_dump_json() for n in workflow.nodes}
        """Nodes whose parameters hold a {{template}}: the others are not rendered per step."""
        self.builtins = {
            n.id: {ref.split(".")[0] for _, text in walk_strings(n.data) for ref in names(text)}
            & set(BUILTINS)
            for n in workflow.nodes
        }
        """The built-in values ({{current.url}}, {{now}}) each node's templates use."""
        self.traffic = Traffic(network, workflow.settings.proxy, on_not_sent=self.not_sent)
        self.llm = Llm(models, workflow.settings.timeouts.llm_ms / 1000)
        self.renderers = Renderers(
            workflow.settings,
            pool=pool,
            headless=headless,
            browser=self._starts_in_browser(),
            log=self._pool_log,
            traffic=self.traffic,
        )

    def _starts_in_browser(self) -> bool:
        renderer = self.workflow.settings.renderer
        if renderer == "auto":
            # a node in a frame too: a frame is only ever entered in the browser
            return any(KINDS[n.type].browser_only or n.data.frames() for n in self.workflow.nodes)
        return renderer == "browser"

    # -- variables, logs, limits ------------------------------------------------------------

    def _resolve_variables(self) -> None:
        for name, spec in self.workflow.variables.items():
            if name in self._overrides:
                value = self._overrides[name]
            elif isinstance(spec, Variable) and spec.env:
                value = os.environ.get(spec.env, spec.value)
                if value is None:
                    raise VariableError(
                        f"variable {name!r} reads environment variable {spec.env}, which is not set"
                    )
            else:
                value = spec.value if isinstance(spec, Variable) else spec
            if isinstance(spec, Variable) and spec.secret and value not in (None, ""):
                self.secrets.append(str(value))
            self.variables[name] = value
        for name, value in self._overrides.items():
            self.variables.setdefault(name, value)

    def _render_settings(self) -> None:
        """Give the renderers the settings with their {{variables}} rendered; the password of
        http_credentials, and the Basic header made of it, are redacted as secrets are."""
        settings = self.workflow.settings.rendered(self.variables)
        credentials = settings.http_credentials
        if credentials is not None and credentials.password:
            self.secrets += [credentials.password, basic_token(credentials)]
        self.renderers.settings = settings

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret not in text:  # a URL may carry it percent-encoded, in any of several ways
                text = next((d(text) for d in (unquote, unquote_plus) if secret in d(text)), text)
            text = text.replace(secret, "•••")
        return text

    def log(self, level: LogLevel, message: str, node_id: str | None, step: int | None) -> None:
        self.pending.append(LogEmitted(level, self.redact(message), _now(), node_id, step))

    def _pool_log(self, level: str, message: str) -> None:
        levels: dict[str, LogLevel] = {"debug": "debug", "warning": "warning", "error": "error"}
        self.log(levels.get(level, "info"), message, None, self.step_no or None)

    def not_sent(self, note: NotSent) -> None:
        """A request of this run was refused by the network policy, or failed; a refusal is
        logged on the newest running step, or between steps on the last one (the browser
        cannot say which page asked)."""
        if note.rule is None:
            return  # a failed load says so itself; a missing image of a dead host is noise
        self.refusals += 1
        newest = max(self.active, default=None)
        step, node_id = (newest, self.active[newest]) if newest else self.last_step or (None, None)
        if self.refusals <= REFUSALS_LOGGED:
            self.log("warning", f"request refused: {note.message}", node_id, step)
        elif self.refusals == REFUSALS_LOGGED + 1:
            self.log("warning", "more requests refused: counted, not logged", node_id, step)

    async def flush_logs(self) -> None:
        while self.pending:  # one by one: lines a cancelled flush did not reach stay queued
            await self.sink.emit(self.pending.pop(0))

    def check_page_limit(self) -> None:
        limit = self.workflow.settings.max_pages
        if limit is not None and self.pages + self.loading >= limit:
            raise LimitReached(f"max_pages {limit} reached")

    async def emit_rows(
        self, scope: Scope, rows: list[dict[str, Any]], node_id: str, step: int
    ) -> None:
        current: Scope | None = scope
        while current is not None:
            current.rows.extend(rows)
            current.listed = True
            if current.buffered:
                return  # the loop that owns this branch emits its rows in order
            current = current.parent
        await self.flush_logs()
        limit = self.workflow.settings.max_rows
        keys = self.workflow.settings.unique_rows
        for row in rows:
            if keys:
                key = json.dumps([row.get(k) for k in keys], default=str, sort_keys=True)
                if key in self.unique:
                    self.duplicates += 1
                    continue
                self.unique.add(key)
            self.rows += 1
            await self.sink.emit(RowEmitted(self.rows, row, node_id, step))
            if limit is not None and self.rows >= limit:
                raise LimitReached(f"max_rows {limit} reached")

    def first_visit(self, url: str) -> bool:
        """Whether a for_each of this run has not opened `url` yet; it now has."""
        page = urldefrag(url).url
        if page in self.opened:
            return False
        self.opened.add(page)
        return True

    def unvisit(self, url: str) -> None:
        """`url`, claimed by `first_visit`, did not load after all: a later for_each may."""
        self.opened.discard(urldefrag(url).url)

    def collect(self, name: str, rows: list[dict[str, Any]]) -> None:
        """Append to run-wide list `name` (an extract's collect_as), visible to every branch."""
        collected = self.variables.setdefault(name, [])
        if not isinstance(collected, list):
            raise StepError(f"field 'collect_as': variable {name!r} is not a list")
        collected.extend(rows)
        self.gathered.extend(rows)

    # -- pages --------------------------------------------------------------------------------

    async def switch_to_browser(self, scope: Scope) -> None:
        """Auto renderer: re-open the branch's page in the browser, for the rest of the run."""
        old = scope.page
        self.renderers.mode = "browser"
        new = await self.renderers.open_page()
        if old is not None and old.url.startswith("http"):
            await new.goto(
                old.url,
                wait_until="load",
                timeout_ms=self.workflow.settings.timeouts.navigation_ms,
            )
            self.pages += 1
        current: Scope | None = scope
        while current is not None and current.page is old:
            current.page = new
            current = current.parent

    # -- walking --------------------------------------------------------------------------

    async def walk(self, node_id: str, scope: Scope) -> None:
        """Run a node and what follows it, depth first in edge order; a stack of our own, not
        recursion, so that a long chain of nodes cannot exhaust Python's."""
        pending = [node_id]
        while pending:
            current = pending.pop()
            outcome = await self.execute(current, scope)
            # an edge back to a loop ends this pass of its body
            targets = [t for t in self.graph.targets(current, outcome) if t not in scope.stop]
            pending.extend(reversed(targets))

    def _timeout(self, params: NodeParams, kind: NodeKind) -> float | None:
        if params.timeout_ms:
            return params.timeout_ms / 1000
        if kind.loop or kind.self_limited:
            return None
        settings = self.workflow.settings
        t, reloads = settings.timeouts, settings.transient_retries
        # a load may go again after a transient failure, with its waits in between
        loads = max(t.navigation_ms, t.action_ms) * (1 + reloads) + ((1 << reloads) - 1) * 1000
        return (loads + t.selector_ms) * 2 / 1000

    async def _unless_cancelled(self, work: Awaitable[str | None]) -> str | None:
        """Run a node, stopping it as soon as cancellation is requested."""
        if self.cancel is None:
            return await work
        task = asyncio.ensure_future(work)
        waiter = asyncio.ensure_future(self.cancel.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not task.done():
                task.cancel()
                with suppress(BaseException):
                    await task
        if task.cancelled():
            raise RunCancelled("cancelled")
        return task.result()

    async def execute(self, node_id: str, scope: Scope) -> str | None:
        if self.cancel is not None and self.cancel.is_set():
            raise RunCancelled("cancelled")
        node = self.nodes[node_id]
        kind = KINDS[node.type]
        params: NodeParams = node.data
        self.step_no += 1
        step = self.step_no
        self.active[step] = node_id  # until _finish_step, which every way out goes through
        self.last_step = (step, node_id)
        await self.flush_logs()
        url = self.redact(scope.page.url) if scope.page else None
        notes = StepNotes()
        ctx = NodeContext(self, scope, node_id, node.type, step, notes)
        started, rows_before = time.monotonic(), self.rows
        try:
            await self.sink.emit(StepStarted(step, node_id, node.type, url, _now()))
            outcome, status, error = await self._attempts(ctx, kind, params, started, rows_before)
            await self._finish_step(ctx, status, started, rows_before, error)
        except (RunCancelled, asyncio.CancelledError):  # cancelled, or the run's time limit
            if not notes.ended:  # wherever it was stopped, the sink hears how the step ended
                stopped = self._finish_step(ctx, "skipped", started, rows_before, "stopped")
                with suppress(BaseException):
                    await asyncio.shield(stopped)
            raise
        if error is None:
            return outcome
        message = f"node {node_id!r} ({node.type}) failed: {error}"
        if params.on_error == "fail":
            raise StepFailed(message, node_id)
        ctx.log("warning", f"{message}; on_error={params.on_error}")
        if params.on_error == "skip":
            raise SkipBranch(message)
        return None

    async def _attempts(
        self,
        ctx: NodeContext,
        kind: NodeKind,
        params: NodeParams,
        started: float,
        rows_before: int,
    ) -> tuple[str | None, StepStatus, str | None]:
        """Run the node, again after a failure it may be retried past: (outcome, status, error).
        `ctx.notes.attempts` counts the attempts so far, for a stop in the middle of them."""
        notes = ctx.notes
        retries = 0 if kind.loop else params.retries
        timeout = self._timeout(params, kind)
        stalled_once = False
        while True:
            notes.attempts += 1
            attempt_started = stalls.now()
            try:
                rendered = (
                    self._render(
                        params, await self._values(ctx.node_id, ctx.scope), kind.raw_fields
                    )
                    if self.templated[ctx.node_id]
                    else params
                )
                async with asyncio.timeout(timeout) if timeout else nullcontext():
                    outcome = await self._unless_cancelled(kind.run(ctx, rendered))
                return outcome, "succeeded", None
            except StepFailed as exc:  # from a loop's body: the loop failed with it
                await self._finish_step(ctx, "failed", started, rows_before, str(exc))
                raise
            except (LimitReached, SkipBranch):
                await self._finish_step(ctx, "succeeded", started, rows_before, None)
                raise
            except (RunCancelled, asyncio.CancelledError):
                raise  # `execute` ends the step, however far it got
            except Exception as exc:
                error = self.redact(_describe(exc))
                # the failure that ends the step decides (one the step retried past does not)
                self.browser_failed = _infrastructure(exc)
                if isinstance(exc, TimeoutError) and timeout:
                    error = f"node timed out after {timeout:g} s"
                retryable = not isinstance(exc, StepError) or exc.retryable
                if retryable and notes.emitted:  # a retry would send its rows again
                    retryable = False
                    if notes.attempts <= retries:
                        ctx.log("warning", "not retried: its rows went out already")
                stalled = stalls.stalled(attempt_started)
                if retryable and not kind.loop and not stalled_once and stalled >= stalls.STALL:
                    # not the page's fault: the loop every run shares was held up meanwhile
                    stalled_once = True
                    notes.attempts -= 1
                    note = f"{error}, while the worker was stalled {stalled:.0f} s: once more"
                    ctx.log("warning", note)
                    continue
                if notes.attempts <= retries and retryable:
                    delay = params.retry_delay_ms / 1000 * 2 ** (notes.attempts - 1)
                    ctx.log(
                        "warning",
                        f"attempt {notes.attempts} failed: {error}; retrying in {delay:g} s",
                    )
                    await asyncio.sleep(delay)
                    continue
                return None, "failed", error

    async def _values(self, node_id: str, scope: Scope) -> Mapping[str, Any]:
        """What a node's templates read: the scope's variables, and the built-in values."""
        wanted = self.builtins[node_id]
        if not wanted:
            return scope.variables
        builtins: dict[str, Any] = {}
        if "now" in wanted:
            builtins["now"] = datetime.now(UTC).isoformat(timespec="seconds")
        if "current" in wanted:
            page = scope.page
            url, title = (self.redact(page.url), await page.title()) if page else ("", "")
            builtins["current"] = {"url": url, "title": title}
        return scope.variables.new_child(builtins)

    @staticmethod
    def _render(params: NodeParams, variables: Mapping[str, Any], raw: tuple[str, ...]) -> Any:
        if not raw:
            return render_value(params, variables)
        kept = {name: getattr(params, name) for name in raw}
        rendered = render_value(params.model_copy(update=dict.fromkeys(raw)), variables)
        return rendered.model_copy(update=kept)

    async def _finish_step(
        self,
        ctx: NodeContext,
        status: StepStatus,
        started: float,
        rows_before: int,
        error: str | None,
    ) -> None:
        self.active.pop(ctx.step, None)
        trace = self.workflow.settings.trace
        page = ctx.scope.page
        screenshot, html = ctx.notes.screenshot, None
        area = ctx.notes.screenshot_area
        wanted = trace in ("steps", "full") or (trace == "errors" and status == "failed")
        if wanted and page is not None:
            try:
                if screenshot is None and isinstance(page, BrowserPage):
                    screenshot, area = await page.page.screenshot(timeout=5000), "viewport"
                # an HTTP page has no screenshot, so its HTML is what the replay shows
                if trace == "full" or status == "failed" or page.renderer == "http":
                    html = self.redact(await page.content())
            except Exception as exc:
                ctx.log("debug", f"no snapshot: {_describe(exc)}")
        highlights: tuple[Highlight, ...] = ()
        if (
            screenshot is not None
            and isinstance(page, BrowserPage)
            and ctx.notes.selectors
            and not ctx.notes.framed
        ):
            highlights = await self._highlights(ctx, page, area)
        await self.flush_logs()
        ctx.notes.ended = True  # a sink holds an event once handed it, even if cancelled then
        await self.sink.emit(
            StepFinished(
                step=ctx.step,
                node_id=ctx.node_id,
                node_type=ctx.node_type,
                status=status,
                url=self.redact(page.url) if page else None,
                duration_ms=(time.monotonic() - started) * 1000,
                rows=self.rows - rows_before,
                attempts=ctx.notes.attempts,
                error=error,
                screenshot=screenshot,
                html=html,
                matches=tuple(ctx.notes.selectors),
                note=_said(ctx.notes.said),
                highlights=highlights,
                llm=ctx.notes.llm,
            )
        )

    async def _highlights(
        self, ctx: NodeContext, page: BrowserPage, area: ScreenshotArea
    ) -> tuple[Highlight, ...]:
        """Where the step's selectors match on its screenshot; never fails the step."""
        found: list[Highlight] = []
        try:
            async with asyncio.timeout(HIGHLIGHT_TIMEOUT_S):
                for selector in dict.fromkeys(ctx.notes.selectors):
                    try:
                        count, boxes = await page.boxes(ctx.locator_selector(selector), area)
                    except PlaywrightError as exc:  # e.g. a selector only the extractor reads
                        ctx.log("debug", f"no highlight for {selector!r}: {_describe(exc)}")
                        continue
                    found.append(Highlight(selector, count, boxes))
        except Exception as exc:
            ctx.log("debug", f"no highlights: {_describe(exc)}")
            return ()
        return tuple(found)

    async def run_branch(
        self,
        ctx: NodeContext,
        handle: str,
        *,
        url: str | None,
        record: Mapping[str, Any] | None,
        variables: Mapping[str, Any] | None,
        hold_rows: bool = False,
    ) -> BranchResult:
        parent = ctx.scope
        scope = Scope(
            page=parent.page if url is None else None,  # an item's page opens with its load
            variables=parent.variables.new_child(dict(variables or {})),
            parent=parent,
            record={**parent.record, **(record or {})},
            record_touched=bool(record),
            buffered=url is not None or hold_rows,
            stop=parent.stop | {ctx.node_id},
        )
        own: Page | None = None
        try:
            if url is not None:
                try:
                    opened = await self._open_item(ctx, scope, url)
                finally:
                    own = scope.page
                if not opened:
                    return BranchResult([], skipped=True, unopened=True)
            for target in self.graph.targets(ctx.node_id, handle):
                await self.walk(target, scope)
            if scope.record_touched and not scope.listed:
                await self.emit_rows(scope, [dict(scope.record)], ctx.node_id, ctx.step)
        except SkipBranch:
            return BranchResult(scope.rows, skipped=True)
        except BaseException:
            if hold_rows and scope.rows:  # what the branch found before it failed is kept
                await self.emit_rows(parent, scope.rows, ctx.node_id, ctx.step)
            raise
        finally:
            if own is not None:
                await own.close()
            if scope.page is not own and scope.page is not parent.page and scope.page:
                await scope.page.close()  # a pop-up the branch moved into
        return BranchResult(scope.rows)

    async def _open_item(self, ctx: NodeContext, scope: Scope, url: str) -> bool:
        """Load a for_each item's page, with the loop node's retries; False skips the item."""
        params: NodeParams = self.nodes[ctx.node_id].data
        item_ctx = NodeContext(self, scope, ctx.node_id, ctx.node_type, ctx.step, ctx.notes)
        for attempt in range(params.retries + 1):
            try:
                await item_ctx.goto(url)
                return True
            except NavigationError as exc:
                if attempt < params.retries and exc.retryable:
                    await asyncio.sleep(params.retry_delay_ms / 1000 * 2**attempt)
                    continue
                if params.on_error == "fail":
                    raise StepFailed(
                        f"node {ctx.node_id!r} ({ctx.node_type}): {exc}", ctx.node_id
                    ) from exc
                ctx.log("warning", f"skipped item: {exc}")
        return False

    # -- the run --------------------------------------------------------------------------

    async def execute_run(self) -> RunFinished:
        s = self.workflow.settings
        await self.sink.emit(RunStarted(self.workflow.name, s.renderer, _now()))
        started = time.monotonic()
        status: RunStatus = "succeeded"
        error: str | None = None
        top = Scope(page=None, variables=ChainMap({}, self.variables))
        stalls.hold()
        try:
            async with asyncio.timeout(s.timeouts.run_ms / 1000 if s.timeouts.run_ms else None):
                self._resolve_variables()
                self._render_settings()
                entry = self.graph.entries()[0]
                await self.walk(entry, top)
        except LimitReached as exc:
            self.log("info", f"stopped: {exc}", None, None)
        except SkipBranch as exc:
            self.log("warning", f"flow ended early: {exc}", None, None)
        except StepFailed as exc:
            status, error = "failed", str(exc)
        except RunCancelled:
            status, error = "cancelled", "cancelled on request"
        except TimeoutError:
            status, error = (
                "timed_out",
                f"the run exceeded its time limit of {s.timeouts.run_ms} ms",
            )
        except (StepError, BrowserPoolError) as exc:
            status, error = "failed", self.redact(str(exc))
            self.browser_failed = _infrastructure(exc)
        finally:
            stalls.release()
            await self._close(top)
        if self.refusals > REFUSALS_LOGGED:
            self.log("warning", f"{self.refusals} requests refused in all", None, None)
        if self.duplicates:
            keys = ", ".join(s.unique_rows)
            self.log(
                "info", f"{self.duplicates} rows dropped: same {keys} as an earlier row", None, None
            )
        finished = RunFinished(
            status=status,
            rows=self.rows,
            pages=self.pages,
            steps=self.step_no,
            duration_ms=(time.monotonic() - started) * 1000,
            at=_now(),
            error=error,
            retryable=status == "failed" and self.browser_failed,
            llm_tokens=self.llm.spent,
        )
        await self.flush_logs()
        if self.trace is not None:
            await self.sink.emit(TraceRecorded(self.trace, _now()))
        await self.sink.emit(finished)
        return finished

    async def _close(self, top: Scope) -> None:
        try:
            if top.record_touched and not top.listed:
                await self.emit_rows(top, [dict(top.record)], "", self.step_no)
        except LimitReached:
            pass
        finally:
            try:
                self.trace = await self.renderers.stop_trace(self.redact if self.secrets else None)
            finally:
                try:
                    await self.renderers.aclose()
                finally:
                    await self.llm.aclose()


async def run(
    workflow: Workflow,
    sink: Sink,
    *,
    pool: BrowserPool | None = None,
    variables: Mapping[str, Any] | None = None,
    cancel: asyncio.Event | None = None,
    headless: bool = True,
    network: Network | None = None,
    models: Models | None = None,
) -> RunFinished:
    """Run a validated bot; every event goes to `sink`. Opens (and closes) a pool if none given.

    `network` says what the run may reach; by default only the public internet, through an
    egress proxy the run starts for itself. `models` are the language models its llm_extract
    nodes may ask.
    """
    return await Run(
        workflow,
        sink,
        pool=pool,
        variables=variables or {},
        cancel=cancel,
        headless=headless,
        network=network or Network(),
        models=models or Models(),
    ).execute_run()


def _said(notes: list[str], shown: int = 3) -> str | None:
    """A step's notes in one line: the first few, then how many more (a for_each's items)."""
    if len(notes) <= shown + 1:
        return "; ".join(notes) or None
    return "; ".join(notes[:shown]) + f"; and {len(notes) - shown} more (see the log)"
