"""`trawler scheduler`: the clock that fires schedules, and the housekeeping around executions.

APScheduler (3.x, memory job store) only drives the clock; the `schedules` table is the truth.
A tick locks due schedules with `FOR UPDATE SKIP LOCKED`, so replicas split them and none fires
twice; firing creates an execution exactly as the API does and sets `next_run_at` to the first
cron time after *now*, so a scheduler that was down fires a missed schedule once, not once per
missed slot. Executions are enqueued only after the commit.

Housekeeping: executions whose worker stopped heart-beating are queued again (or failed once
out of attempts); executions left queued too long are enqueued again (a Redis restart loses
messages; a duplicate is harmless); results and artifacts past retention are deleted. Usage is
counted per (user, month), so a new month starts from zero without a job.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
from apscheduler.schedulers.asyncio import AsyncIOScheduler

import store
from engine import asks_model
from worker._config import SchedulerSettings, WorkerSettings
from worker._metrics import scheduler_metrics, serve_metrics
from worker._models import limits_of
from worker.cron import next_run
from worker.dispatch import send, wants_priority

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def over_quota(
    limits: Mapping[str, Any], usage: store.MonthlyUsage, now: datetime, *, llm: bool = False
) -> str | None:
    """Why the owner may not run more this month, or None; `llm`: the bot asks a model, so
    the monthly token limit counts too."""
    resets = (now.replace(day=1) + timedelta(days=32)).replace(day=1).date()
    for counter in ("executions", "rows", "pages", *(("llm_tokens",) if llm else ())):
        limit = limits.get(f"{counter}_per_month")
        used = getattr(usage, counter)
        if limit is not None and used >= limit:
            return f"monthly {counter} limit reached ({used} of {limit}); resets {resets}"
    return None


STOP_WAIT = timedelta(seconds=5)
"""How long a stopping scheduler lets its running jobs finish (within Docker's 10 s grace)."""


@dataclass
class Scheduler:
    """The scheduler's jobs; each one is safe to run in several processes at once."""

    db: store.Database
    broker: dramatiq.Broker
    settings: SchedulerSettings
    worker: WorkerSettings
    artifacts: store.ArtifactStore
    clock: Clock = utcnow
    plan_limits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    _running: set[asyncio.Task[Any]] = field(default_factory=set, init=False, repr=False)

    async def tick(self) -> list[uuid.UUID]:
        """Fire every due schedule once; returns the executions created."""
        now = self.clock()
        fired: list[tuple[uuid.UUID, bool]] = []
        async with self.db.transaction() as session:
            for due in await store.due_schedules(session, now=now, limit=self.settings.batch):
                # one schedule's fault (a cron expression the API let through, a failed
                # insert) is recorded on it and does not stop the others
                schedule_id = due.schedule.id  # read now: a rollback expires the object
                try:
                    async with session.begin_nested():
                        fired_one = await self._fire(session, due, now)
                except Exception as exc:
                    log.exception("schedule %s disabled", schedule_id)
                    async with session.begin_nested():
                        due.schedule.active = False
                        due.schedule.last_skip_reason = f"disabled: {exc}"
                    continue
                if fired_one is not None:
                    fired.append(fired_one)
        scheduler_metrics().fired.inc(len(fired))
        for execution_id, priority in fired:
            await send(self.broker, execution_id, priority=priority)
        return [execution_id for execution_id, _ in fired]

    async def _fire(
        self, session: Any, due: store.DueSchedule, now: datetime
    ) -> tuple[uuid.UUID, bool] | None:
        schedule, owner = due.schedule, due.owner
        assert schedule.next_run_at is not None
        schedule.next_run_at = next_run(
            schedule.cron, schedule.timezone, due=schedule.next_run_at, now=now
        )
        reason = await self._refusal(session, due, now)
        if reason:
            schedule.last_skip_reason = reason
            scheduler_metrics().skipped.inc()
            log.warning("schedule %s skipped: %s", schedule.id, reason)
            return None
        assert due.version is not None
        execution = await store.create_execution(
            session, due.version, owner.id, store.Trigger.SCHEDULE, now=now
        )
        schedule.last_run_at = now
        schedule.last_skip_reason = None
        return execution.id, wants_priority("schedule", owner.plan)

    async def _refusal(self, session: Any, due: store.DueSchedule, now: datetime) -> str | None:
        if due.bot.deleted_at is not None:
            due.schedule.active = False
            return "the bot was deleted; schedule disabled"
        if due.version is None:
            return "the bot has no saved version"
        limits = limits_of(self.plan_limits, due.owner)
        usage = await store.usage_of(session, due.owner.id, now.strftime("%Y-%m"))
        return over_quota(limits, usage, now, llm=asks_model(due.version.workflow))

    async def reap(self) -> list[uuid.UUID]:
        """Queue again what dead workers left and what lost its message; returns those sent."""
        now = self.clock()
        resend: list[tuple[uuid.UUID, bool]] = []
        async with self.db.transaction() as session:
            for execution, plan in await store.stale_running(
                session, now=now, limit=self.settings.batch
            ):
                if execution.cancel_requested:
                    execution.status = store.ExecutionStatus.CANCELLED
                    execution.finished_at = now
                    execution.error = "cancelled on request (its worker had stopped)"
                elif execution.attempt >= self.worker.max_attempts:
                    execution.status = store.ExecutionStatus.FAILED
                    execution.finished_at = now
                    execution.error = (
                        f"gave up after {execution.attempt} attempts: the worker running it "
                        "stopped heart-beating each time"
                    )
                else:
                    execution.status = store.ExecutionStatus.QUEUED
                    execution.error = "the worker running it stopped heart-beating"
                    resend.append((execution.id, wants_priority(execution.trigger, plan)))
                execution.lease_until = None
                execution.queued_at = now
            older_than = now - self.settings.requeue_after
            for execution, plan in await store.stale_queued(
                session, older_than=older_than, limit=self.settings.batch
            ):
                execution.queued_at = now
                if execution.cancel_requested:
                    execution.status = store.ExecutionStatus.CANCELLED
                    execution.finished_at = now
                    continue
                resend.append((execution.id, wants_priority(execution.trigger, plan)))
        scheduler_metrics().requeued.inc(len(resend))
        for execution_id, priority in resend:
            await send(self.broker, execution_id, priority=priority)
        return [execution_id for execution_id, _ in resend]

    async def expire(self) -> int:
        """Delete results and artifacts past retention, files first (a failure leaves the
        records, so the next pass finds them again); returns the executions cleaned."""
        before = self.clock() - self.settings.retention
        cleaned = 0
        while True:
            async with self.db.transaction() as session:
                ids = await store.expired(session, before=before, limit=self.settings.batch)
                for execution_id in ids:
                    await self.artifacts.delete_prefix(str(execution_id))
                await store.delete_results(session, ids)
            cleaned += len(ids)
            if len(ids) < self.settings.batch:
                return cleaned

    async def _guarded(self, job: Callable[[], Any]) -> None:
        running = asyncio.current_task()
        assert running is not None  # APScheduler runs a coroutine job as a task
        self._running.add(running)
        try:
            await job()
        except Exception:  # a database or Redis outage: the next run tries again
            log.exception("scheduler job %s failed", getattr(job, "__name__", job))
        finally:
            self._running.discard(running)

    async def serve(self, stop: asyncio.Event) -> None:
        """Run the jobs on APScheduler's clock until `stop` is set."""
        clock = AsyncIOScheduler(timezone=UTC)
        jobs: list[tuple[Callable[[], Any], timedelta]] = [
            (self.tick, self.settings.tick),
            (self.reap, min(self.worker.lease / 2, self.settings.requeue_after)),
            (self.expire, self.settings.housekeeping),
        ]
        for job, every in jobs:
            clock.add_job(
                self._guarded,
                "interval",
                args=[job],
                seconds=every.total_seconds(),
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
            )
        clock.start()
        try:
            await stop.wait()
        finally:
            # jobs under way finish first: stopped between its commit and its sends, a tick
            # would leave executions queued with no message, until the requeue sends them
            clock.pause()
            if self._running:
                await asyncio.wait(set(self._running), timeout=STOP_WAIT.total_seconds())
            clock.shutdown(wait=False)


async def serve_scheduler(scheduler: Scheduler) -> None:
    """`trawler scheduler`: serve until SIGTERM or SIGINT, with its metrics on their port."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    scheduler_metrics()  # its series exist (at zero) before the first firing
    stop_metrics = serve_metrics(scheduler.settings.metrics_host, scheduler.settings.metrics_port)
    try:
        await scheduler.serve(stop)
    finally:
        stop_metrics()
        await scheduler.db.dispose()
