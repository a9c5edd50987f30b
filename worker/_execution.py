"""One delivery of `run_execution`: claim, run the engine into the store, settle the outcome.

The claim makes every delivery safe: a duplicate does nothing, a redelivery after a killed
worker takes over, and our attempt counter ends crash loops. Outcomes map one way each:

| what happened                        | the execution                                       |
| ------------------------------------ | --------------------------------------------------- |
| the run ended (any engine status)    | that status, counters and usage                     |
| the browser crashed, attempts remain | queued again, re-sent after a growing delay         |
| the worker is shutting down          | queued again at once, the attempt not counted       |
| our own code failed (not the bot)    | failed, with the internal error named               |
| the lease was lost to another worker | left alone: the other worker owns it                |
| the database stayed unreachable      | left running; the reaper takes it once the lease ends |
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from structlog.contextvars import bound_contextvars

import store
from engine import (
    Network,
    RunFinished,
    Workflow,
    WorkflowInvalid,
    asks_model,
    load_workflow,
    run,
)
from worker._config import WorkerSettings
from worker._metrics import execution_metrics
from worker._models import account_models
from worker._proxies import Rotators
from worker._runtime import Runtime
from worker._sink import StoreSink
from worker.dispatch import send

log = logging.getLogger(__name__)
T = TypeVar("T")


async def _patiently(rt: Runtime, write: Callable[[], Awaitable[T]]) -> T:
    """Retry a database operation while the database is unreachable, for up to one lease."""
    deadline = asyncio.get_running_loop().time() + rt.settings.lease.total_seconds()
    delay = 0.25
    while True:
        try:
            return await write()
        except store.UNAVAILABLE:
            if asyncio.get_running_loop().time() + delay > deadline:
                raise
            log.warning("database unreachable; retrying in %.2f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def _limited(workflow: Workflow, settings: WorkerSettings, trigger: store.Trigger) -> Workflow:
    """The bot within the worker's limits: its time limit unless the bot's is shorter; and a
    test run from the builder kept short (few pages, a screenshot of every step)."""
    test = trigger == store.Trigger.TEST
    own = workflow.settings
    limit = settings.test_time_limit if test else settings.time_limit
    cap = int(limit.total_seconds() * 1000)
    update: dict[str, Any] = {}
    if own.timeouts.run_ms is None or own.timeouts.run_ms > cap:
        update["timeouts"] = own.timeouts.model_copy(update={"run_ms": cap})
    if test:
        update["max_pages"] = min(own.max_pages or settings.test_max_pages, settings.test_max_pages)
        if own.trace in ("none", "errors"):
            update["trace"] = "steps"
    if not update:
        return workflow
    return workflow.model_copy(update={"settings": own.model_copy(update=update)})


class _Watch:
    """Renews the lease every heartbeat; turns a cancel request, a shutdown or a lost lease
    into the engine's cancel event.

    A process stalled past its lease (by anything holding the GIL or the event loop) finds the
    reaper queued its execution again: unless another worker claimed it meanwhile, the next
    heartbeat takes it back and the run goes on with its rows, rather than all of them being
    thrown away for a fresh attempt. Once the outcome is being stored, heartbeats only renew
    (`settling()`): a hand-back queues the execution on purpose.
    """

    def __init__(self, rt: Runtime, held: store.Claim) -> None:
        self.rt = rt
        self.held = held
        self.cancel = asyncio.Event()
        self.reason: str | None = None  # "cancelled", "shutdown" or "lost"
        self._resume = True
        self._beating = asyncio.Lock()

    def _stop(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.cancel.set()

    async def settling(self) -> None:
        """From now on, renew the lease but never take back a queued execution."""
        async with self._beating:  # a heartbeat under way finishes first
            self._resume = False

    async def run(self) -> None:
        interval = self.rt.settings.heartbeat.total_seconds()
        loop = asyncio.get_running_loop()
        since = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.rt.stopping.wait(), interval)
            if self.rt.stopping.is_set():
                self._stop("shutdown")
                return
            try:
                async with self._beating, self.rt.db.transaction() as session:
                    state = await store.renew(
                        session,
                        self.held,
                        now=self.rt.clock(),
                        lease=self.rt.settings.lease,
                        resume=self._resume,
                    )
            except store.UNAVAILABLE as exc:
                log.warning("execution %s: heartbeat missed: %s", self.held.execution_id, exc)
                since = loop.time()
                continue
            if state is None:
                self._stop("lost")
                return
            silent, since = loop.time() - since, loop.time()
            if silent > self.rt.settings.lease.total_seconds():
                await self._stalled(silent)
            if state:
                self._stop("cancelled")

    async def _stalled(self, silent: float) -> None:
        log.warning(
            "execution %s: no heartbeat for %.0f s (the worker process was stalled); "
            "its lease ran out and was taken back",
            self.held.execution_id,
            silent,
        )
        line = {
            "execution_id": self.held.execution_id,
            "step": None,
            "level": "warning",
            "message": f"the worker stalled for {silent:.0f} s, past its lease; the run went on "
            "where it was, with the rows already found",
            "at": self.rt.clock(),
        }
        with contextlib.suppress(*store.UNAVAILABLE):  # the note is a courtesy
            async with self.rt.db.transaction() as session:
                await store.save_logs(session, [line])


async def execute(rt: Runtime, execution_id: uuid.UUID, *, priority: bool = False) -> None:
    """Run one execution to a consistent end (see the table above). Records logged meanwhile,
    in the tasks it starts too, carry `execution_id` and, once claimed, `bot_id`."""
    with bound_contextvars(execution_id=str(execution_id)):
        # Sent again while this process runs it (the reaper queued it during a stall, or a
        # hand-back is under way): the run here decides first whether it goes on.
        await rt.done_here(execution_id)
        if rt.stopping.is_set():  # taken off the queue while shutting down: leave it to others
            await send(rt.broker, execution_id, priority=priority)
            return

        async def take() -> store.Claim | None:
            async with rt.db.transaction() as session:
                return await store.claim(
                    session, execution_id, now=rt.clock(), lease=rt.settings.lease
                )

        held = await _patiently(rt, take)
        if held is None:
            log.info("execution %s: already taken, finished or cancelled", execution_id)
            return
        done = rt.running[execution_id] = asyncio.Event()
        try:
            with bound_contextvars(bot_id=str(held.bot_id)):
                await _claimed(rt, held, priority)
        finally:
            del rt.running[execution_id]
            done.set()


async def _claimed(rt: Runtime, held: store.Claim, priority: bool) -> None:
    execution_id = held.execution_id
    if held.attempt > 1:  # the claim dropped the earlier attempts' records; now their files
        await _quietly(rt.artifacts.delete_prefix(str(execution_id)))
    if held.attempt > rt.settings.max_attempts:
        await _give_up(
            rt,
            held,
            f"gave up after {held.attempt - 1} attempts: the worker "
            "running it stopped each time (killed, out of memory, or lost)",
        )
        return
    try:
        workflow = _limited(load_workflow(held.workflow), rt.settings, held.trigger)
    except WorkflowInvalid as exc:
        await _give_up(rt, held, f"the bot version is invalid: {exc}")
        return
    if held.attempt > 1:
        await _note(rt, held, f"attempt {held.attempt} of {rt.settings.max_attempts}")

    try:
        own = await _patiently(rt, _own_proxies(rt, held.user_id))
    except store.SecretUnreadable as exc:
        await _give_up(rt, held, f"the account's proxies cannot be read: {exc}")
        return
    rotator = rt.rotators.choose(held.user_id, own)
    models = rt.models
    if asks_model(held.workflow):
        try:
            models = await _patiently(rt, account_models(rt, held.user_id))
        except store.SecretUnreadable as exc:
            await _give_up(rt, held, f"the account's model endpoints cannot be read: {exc}")
            return

    sink = StoreSink(rt, held)
    watch = _Watch(rt, held)
    watcher = asyncio.create_task(watch.run())  # heart-beats until the outcome is stored
    metrics = execution_metrics()
    metrics.running.inc()
    log.info("execution %s: attempt %d started", execution_id, held.attempt)
    try:
        try:
            network = Network.of(rt.egress, rotator)
            finished = await run(
                workflow, sink, pool=rt.pool, cancel=watch.cancel, network=network, models=models
            )
            metrics.pages.inc(finished.pages)
        except Exception as exc:  # ours, not the bot's: fail the execution, say why
            log.exception("execution %s: internal error", execution_id)
            finished = RunFinished(
                status="failed",
                rows=sink.row_count,
                pages=0,
                steps=sink.step_count,
                duration_ms=0,
                at=rt.clock(),
                error=f"internal error: {type(exc).__name__}: {exc}",
            )
        await _patiently(rt, _flushed(sink))
        if own and rotator is not None:  # before the status: who sees the run failed sees why
            await _disable(rt, held.user_id, Rotators.disabled(rotator, own))
            own = []
        await watch.settling()
        if watch.reason == "lost" or sink.lost:
            log.warning("execution %s: lease lost to another worker; stopping", execution_id)
        elif watch.reason == "shutdown" and finished.status == "cancelled":
            await _hand_back(rt, held, "the worker shut down", timedelta(0), priority, refund=True)
        elif (
            finished.retryable and watch.reason is None and held.attempt < rt.settings.max_attempts
        ):
            delay = rt.settings.retry_backoff * 2 ** (held.attempt - 1)
            await _hand_back(rt, held, finished.error or "browser failure", delay, priority)
        else:
            await _settle(rt, held, finished)
    finally:
        metrics.running.dec()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        if own and rotator is not None:
            await _disable(rt, held.user_id, Rotators.disabled(rotator, own))


def _own_proxies(
    rt: Runtime, user_id: uuid.UUID
) -> Callable[[], Awaitable[list[store.ProxyRecord]]]:
    async def read() -> list[store.ProxyRecord]:
        async with rt.db.transaction() as session:
            return await store.user_proxies(session, rt.secrets, user_id, enabled_only=True)

    return read


async def _disable(rt: Runtime, user_id: uuid.UUID, reasons: dict[uuid.UUID, str]) -> None:
    """Disable in the store the account's proxies the rotator gave up on, with the reason."""
    if not reasons:
        return
    try:
        async with rt.db.transaction() as session:
            for proxy_id, reason in reasons.items():
                await store.disable_user_proxy(session, user_id, proxy_id, reason)
    except Exception as exc:  # the rotator keeps them out of use in this process anyway
        log.warning("could not store disabled proxies of %s: %s", user_id, exc)


async def _quietly(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception as exc:
        log.warning("artifact storage: %s", exc)


def _flushed(sink: StoreSink) -> Callable[[], Awaitable[None]]:
    async def flush() -> None:
        if not await sink.flush():
            raise ConnectionError("the database is unreachable")

    return flush


async def _settle(rt: Runtime, held: store.Claim, finished: RunFinished) -> None:
    async def write() -> bool:
        async with rt.db.transaction() as session:
            return await store.finish(
                session,
                held,
                store.ExecutionStatus(finished.status),
                now=rt.clock(),
                rows=finished.rows,
                pages=finished.pages,
                steps=finished.steps,
                error=finished.error,
                llm_tokens=finished.llm_tokens,
            )

    if await _patiently(rt, write):
        execution_metrics().ended(finished)
        log.info(
            "execution %s: %s, %d rows, %d pages in %.1f s",
            held.execution_id,
            finished.status,
            finished.rows,
            finished.pages,
            finished.duration_ms / 1000,
            extra={"status": finished.status, "rows": finished.rows, "pages": finished.pages},
        )
        await StoreSink(rt, held).publish(
            {
                "type": "finished",
                "status": finished.status,
                "rows": finished.rows,
                "pages": finished.pages,
                "error": finished.error,
            }
        )


async def _hand_back(
    rt: Runtime,
    held: store.Claim,
    why: str,
    delay: timedelta,
    priority: bool,
    *,
    refund: bool = False,
) -> None:
    """Queue the execution again for another attempt (which starts from nothing)."""

    async def write() -> bool:
        async with rt.db.transaction() as session:
            return await store.requeue(session, held, now=rt.clock(), error=why, refund=refund)

    if await _patiently(rt, write):
        execution_metrics().requeued.inc()
        await _note(
            rt,
            held,
            f"attempt {held.attempt} stopped: {why}; queued again (in {delay.total_seconds():g} s)",
        )
        await send(rt.broker, held.execution_id, priority=priority, delay=delay)


async def _give_up(rt: Runtime, held: store.Claim, why: str) -> None:
    async def write() -> None:
        async with rt.db.transaction() as session:
            await store.fail(session, held.execution_id, now=rt.clock(), error=why)

    await _patiently(rt, write)
    execution_metrics().failed()
    await StoreSink(rt, held).publish({"type": "finished", "status": "failed", "error": why})


async def _note(rt: Runtime, held: store.Claim, message: str) -> None:
    async def write() -> None:
        async with rt.db.transaction() as session:
            await store.save_logs(
                session,
                [
                    {
                        "execution_id": held.execution_id,
                        "step": None,
                        "level": "info",
                        "message": message,
                        "at": rt.clock(),
                    }
                ],
            )

    await _patiently(rt, write)
