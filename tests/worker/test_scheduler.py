"""The scheduler: cron times in time zones and across DST, firing once across replicas, quota,
the reaper and retention — on PostgreSQL with a clock the tests control."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dramatiq import Message
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

import store
from tests.worker.conftest import (
    FAST_WORKER,
    PrivateRedis,
    Processes,
    load,
    now,
    seed,
)
from trawler.demo_site import DemoSite
from worker import PRIORITY_QUEUE, QUEUE, Scheduler, SchedulerSettings, next_run, upcoming

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


# --- cron times --------------------------------------------------------------------------------


def test_a_schedule_in_seoul_fires_at_nine_seoul_time() -> None:
    assert next_run("0 9 * * *", "Asia/Seoul", due=_utc(2026, 1, 1), now=_utc(2026, 1, 1)) == (
        _utc(2026, 1, 2, 0, 0)  # 09:00 KST is midnight UTC; 00:00 itself is not *after* now
    )
    assert upcoming("0 9 * * 1-5", "Asia/Seoul", 3, now=_utc(2026, 1, 2, 1)) == [
        _utc(2026, 1, 5, 0),
        _utc(2026, 1, 6, 0),
        _utc(2026, 1, 7, 0),
    ]


def test_days_of_week_mean_what_they_mean_in_crontab() -> None:
    # 2 January 2026 is a Friday; 1-5 is Monday to Friday, 0 and 7 are Sunday
    friday = _utc(2026, 1, 2)
    assert upcoming("0 12 * * 1-5", "UTC", 2, now=friday) == [
        _utc(2026, 1, 2, 12),
        _utc(2026, 1, 5, 12),
    ]
    assert upcoming("0 12 * * 0", "UTC", 1, now=friday) == upcoming(
        "0 12 * * 7", "UTC", 1, now=friday
    )
    assert upcoming("0 12 * * 0", "UTC", 1, now=friday) == [_utc(2026, 1, 4, 12)]
    # both day fields restricted: either matches, as in cron (the 13th, and every Friday)
    assert upcoming("0 0 13 * 5", "UTC", 3, now=_utc(2026, 1, 1)) == [
        _utc(2026, 1, 2),
        _utc(2026, 1, 9),
        _utc(2026, 1, 13),
    ]


def test_spring_forward_fires_a_missing_wall_time_once() -> None:
    # 02:30 does not exist in New York on 8 March 2026: it runs at 03:30 EDT, once
    times = upcoming("30 2 * * *", "America/New_York", 3, now=_utc(2026, 3, 7, 12))
    assert times == [_utc(2026, 3, 8, 7, 30), _utc(2026, 3, 9, 6, 30), _utc(2026, 3, 10, 6, 30)]


def test_fall_back_fires_a_fixed_time_once_and_hourly_every_hour() -> None:
    # 01:30 happens twice in New York on 1 November 2026: a daily job runs at the first only
    daily = upcoming("30 1 * * *", "America/New_York", 2, now=_utc(2026, 10, 31, 12))
    assert daily == [_utc(2026, 11, 1, 5, 30), _utc(2026, 11, 2, 6, 30)]
    hourly = upcoming("0 * * * *", "America/New_York", 3, now=_utc(2026, 11, 1, 4, 30))
    assert hourly == [_utc(2026, 11, 1, 5), _utc(2026, 11, 1, 6), _utc(2026, 11, 1, 7)]


def test_bad_cron_and_zone_name_the_fault() -> None:
    with pytest.raises(ValueError, match="61"):
        upcoming("61 * * * *", "UTC", 1, now=T0)
    with pytest.raises(ValueError, match="5 fields"):
        upcoming("* * * *", "UTC", 1, now=T0)
    with pytest.raises(ValueError, match="'8'"):
        upcoming("* * * * 8", "UTC", 1, now=T0)
    with pytest.raises(ValueError, match="Mars/Olympus"):
        upcoming("* * * * *", "Mars/Olympus", 1, now=T0)


# --- firing --------------------------------------------------------------------------------


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    stub = StubBroker()
    for queue in (QUEUE, PRIORITY_QUEUE):
        stub.declare_queue(queue)
    try:
        yield stub
    finally:
        stub.close()


def _scheduler(db: store.Database, broker: StubBroker, clock: Clock, tmp_path: Path) -> Scheduler:
    return Scheduler(
        db=db,
        broker=broker,
        settings=SchedulerSettings(requeue_after=timedelta(minutes=1)),
        worker=FAST_WORKER,
        artifacts=store.LocalArtifacts(tmp_path),
        clock=clock,
    )


@pytest.fixture
async def replicas(
    db_url: str, broker: StubBroker, tmp_path: Path
) -> AsyncIterator[tuple[Scheduler, Scheduler, Clock]]:
    """Two schedulers on separate connection pools, as two processes would be, one clock."""
    clock = Clock(T0)
    first, second = store.Database(db_url), store.Database(db_url)
    try:
        yield (
            _scheduler(first, broker, clock, tmp_path),
            _scheduler(second, broker, clock, tmp_path),
            clock,
        )
    finally:
        await first.dispose()
        await second.dispose()


async def _schedule(
    db: store.Database, cron: str, *, next_at: datetime, active: bool = True, **user: object
) -> store.Schedule:
    bot_id, _ = await seed(db, {"nodes": [], "edges": []}, queued=False)
    async with db.transaction() as session:
        bot = await session.get_one(store.Bot, bot_id)
        owner = await session.get_one(store.User, bot.user_id)
        for name, value in user.items():
            setattr(owner, name, value)
        schedule = store.Schedule(bot_id=bot_id, cron=cron, next_run_at=next_at, active=active)
        session.add(schedule)
    return schedule


async def _fired(db: store.Database, bot_id: uuid.UUID) -> list[store.Execution]:
    async with db.transaction() as session:
        found = await session.scalars(
            select(store.Execution).filter_by(bot_id=bot_id).order_by(store.Execution.queued_at)
        )
        return list(found)


async def _reload(db: store.Database, schedule: store.Schedule) -> store.Schedule:
    async with db.transaction() as session:
        return await session.get_one(store.Schedule, schedule.id, populate_existing=True)


async def test_every_minute_fires_once_per_minute_across_two_schedulers(
    database: store.Database, replicas: tuple[Scheduler, Scheduler, Clock], broker: StubBroker
) -> None:
    first, second, clock = replicas
    schedule = await _schedule(database, "* * * * *", next_at=T0)
    for tick in range(20):  # five minutes, a tick every 15 s, both replicas at once
        clock.at = T0 + timedelta(seconds=15 * tick)
        await asyncio.gather(first.tick(), second.tick())
    fired = await _fired(database, schedule.bot_id)
    assert [e.queued_at for e in fired] == [T0 + timedelta(minutes=m) for m in range(5)]
    assert all(e.trigger == store.Trigger.SCHEDULE for e in fired)
    assert broker.queues[QUEUE].qsize() == 5
    assert (await _reload(database, schedule)).next_run_at == T0 + timedelta(minutes=5)


async def test_a_scheduler_down_for_an_hour_fires_a_missed_schedule_once(
    database: store.Database, replicas: tuple[Scheduler, Scheduler, Clock]
) -> None:
    first, _, clock = replicas
    schedule = await _schedule(database, "* * * * *", next_at=T0)
    clock.at = T0 + timedelta(hours=1, seconds=30)
    await first.tick()
    await first.tick()
    assert len(await _fired(database, schedule.bot_id)) == 1
    assert (await _reload(database, schedule)).next_run_at == T0 + timedelta(hours=1, minutes=1)


async def test_a_disabled_schedule_never_fires(
    database: store.Database, replicas: tuple[Scheduler, Scheduler, Clock]
) -> None:
    first, _, clock = replicas
    schedule = await _schedule(database, "* * * * *", next_at=T0, active=False)
    for minute in range(3):
        clock.at = T0 + timedelta(minutes=minute)
        await first.tick()
    assert await _fired(database, schedule.bot_id) == []


async def test_an_owner_over_quota_is_skipped_with_the_reason(
    database: store.Database,
    replicas: tuple[Scheduler, Scheduler, Clock],
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, _, _ = replicas
    schedule = await _schedule(
        database, "*/5 * * * *", next_at=T0, limits={"executions_per_month": 2}
    )
    async with database.transaction() as session:
        bot = await session.get_one(store.Bot, schedule.bot_id)
        await store.add_usage(session, bot.user_id, now=T0, executions=2)
    with caplog.at_level(logging.WARNING, logger="worker.scheduler"):
        await first.tick()
    assert await _fired(database, schedule.bot_id) == []
    stored = await _reload(database, schedule)
    assert stored.last_skip_reason == (
        "monthly executions limit reached (2 of 2); resets 2026-04-01"
    )
    assert stored.next_run_at == T0 + timedelta(minutes=5)
    assert f"schedule {schedule.id} skipped: monthly executions limit" in caplog.text


async def test_paid_plans_go_to_the_priority_queue(
    database: store.Database, replicas: tuple[Scheduler, Scheduler, Clock], broker: StubBroker
) -> None:
    first, _, _ = replicas
    await _schedule(database, "* * * * *", next_at=T0, plan="pro")
    await first.tick()
    assert broker.queues[PRIORITY_QUEUE].qsize() == 1


class HeldBroker(StubBroker):
    """Holds its first message until `release` is set, as a Redis slow to answer would."""

    def __init__(self) -> None:
        super().__init__()
        for queue in (QUEUE, PRIORITY_QUEUE):
            self.declare_queue(queue)
        self.holding = threading.Event()
        self.release = threading.Event()

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        if not self.holding.is_set():
            self.holding.set()
            self.release.wait(30)
        return super().enqueue(message, delay=delay)


async def test_a_scheduler_told_to_stop_while_sending_sends_what_it_fired(
    database: store.Database, tmp_path: Path
) -> None:
    """A stop (SIGTERM) between a tick's commit and its sends: the tick finishes sending, so
    no execution waits queued without a message until the requeue finds it."""
    bots = [(await _schedule(database, "* * * * *", next_at=T0)).bot_id for _ in range(2)]
    broker = HeldBroker()
    stop = asyncio.Event()
    serving = asyncio.create_task(_scheduler(database, broker, Clock(T0), tmp_path).serve(stop))
    try:
        assert await asyncio.to_thread(broker.holding.wait, 10)
        stop.set()
        await asyncio.sleep(0.3)  # the scheduler is shutting down meanwhile
        broker.release.set()
        await asyncio.wait_for(serving, 10)
        fired = [e.id for bot_id in bots for e in await _fired(database, bot_id)]
        assert len(fired) == 2
        sent = {Message.decode(data).args[0] for data in broker.queues[QUEUE].queue}
        assert {str(execution_id) for execution_id in fired} <= sent
    finally:
        broker.release.set()
        stop.set()
        await asyncio.wait_for(serving, 10)
        broker.close()


# --- reaper and retention ------------------------------------------------------------------


async def test_the_reaper_requeues_dead_runs_and_lost_messages(
    database: store.Database, replicas: tuple[Scheduler, Scheduler, Clock], broker: StubBroker
) -> None:
    first, _, clock = replicas
    ids = [(await seed(database, {"nodes": [], "edges": []}))[1] for _ in range(3)]
    dead, exhausted, lost = ids
    async with database.transaction() as session:
        for execution_id, attempt in ((dead, 1), (exhausted, FAST_WORKER.max_attempts)):
            execution = await session.get_one(store.Execution, execution_id)
            execution.status = store.ExecutionStatus.RUNNING
            execution.attempt = attempt
            execution.lease_until = T0 - timedelta(seconds=1)
        (await session.get_one(store.Execution, lost)).queued_at = T0 - timedelta(minutes=2)
    clock.at = T0
    assert sorted(await first.reap()) == sorted([dead, lost])
    assert broker.queues[QUEUE].qsize() == 2
    assert (await load(database, dead)).status == store.ExecutionStatus.QUEUED
    failed = await load(database, exhausted)
    assert failed.status == store.ExecutionStatus.FAILED
    assert "gave up after 3 attempts" in (failed.error or "")
    assert await first.reap() == []  # sent once, not at every pass


async def test_retention_deletes_old_rows_and_artifacts(
    database: store.Database, replicas: tuple[Scheduler, Scheduler, Clock], tmp_path: Path
) -> None:
    first, _, clock = replicas
    old, recent = [(await seed(database, {"nodes": [], "edges": []}))[1] for _ in range(2)]
    artifacts = store.LocalArtifacts(tmp_path)
    async with database.transaction() as session:
        for execution_id, age in ((old, timedelta(days=31)), (recent, timedelta(days=1))):
            execution = await session.get_one(store.Execution, execution_id)
            execution.status = store.ExecutionStatus.SUCCEEDED
            execution.finished_at = T0 - age
            key = f"{execution_id}/00001-screenshot.png"
            await artifacts.put(key, b"png", "image/png")
            await store.save_rows(
                session, [{"execution_id": execution_id, "seq": 1, "data": {}, "node_id": "n"}]
            )
            await store.save_artifacts(
                session,
                [
                    {
                        "execution_id": execution_id,
                        "step": 1,
                        "kind": "screenshot",
                        "size": 3,
                        "checksum": "0" * 64,
                        "storage_key": key,
                        "content_type": "image/png",
                    }
                ],
            )
    clock.at = T0
    assert await first.expire() == 1
    assert not (tmp_path / str(old)).exists()
    assert (tmp_path / str(recent) / "00001-screenshot.png").read_bytes() == b"png"
    async with database.transaction() as session:
        counts = {
            execution_id: await session.scalar(
                select(func.count())
                .select_from(store.ResultRow)
                .filter_by(execution_id=execution_id)
            )
            for execution_id in (old, recent)
        }
    assert counts == {old: 0, recent: 1}


# --- real processes ------------------------------------------------------------------------


async def test_two_scheduler_processes_fire_a_due_schedule_once(
    database: store.Database, processes: Processes, private_redis: PrivateRedis, site: DemoSite
) -> None:
    schedule = await _schedule(database, "* * * * *", next_at=now() - timedelta(seconds=1))
    for _ in range(2):
        processes.start("scheduler", TRAWLER_REDIS_URL=private_redis.url)
    for round_ in range(1, 4):
        while len(await _fired(database, schedule.bot_id)) < round_:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # five more ticks of each: nothing else may fire
        assert len(await _fired(database, schedule.bot_id)) == round_
        async with database.transaction() as session:  # the next minute, without waiting
            stored = await session.get_one(store.Schedule, schedule.id)
            stored.next_run_at = now() - timedelta(seconds=1)


async def test_a_broken_schedule_is_disabled_and_the_others_still_fire(
    database: store.Database, replicas: tuple[Scheduler, Scheduler, Clock]
) -> None:
    first, _, _ = replicas
    broken = await _schedule(database, "every minute", next_at=T0 - timedelta(minutes=1))
    good = await _schedule(database, "* * * * *", next_at=T0)
    await first.tick()
    assert len(await _fired(database, good.bot_id)) == 1
    stored = await _reload(database, broken)
    assert not stored.active
    assert "5 fields" in (stored.last_skip_reason or "")


async def test_the_reaper_cancels_what_was_cancelled_while_its_worker_died(
    database: store.Database, replicas: tuple[Scheduler, Scheduler, Clock], broker: StubBroker
) -> None:
    first, _, clock = replicas
    _, execution_id = await seed(database, {"nodes": [], "edges": []})
    async with database.transaction() as session:
        execution = await session.get_one(store.Execution, execution_id)
        execution.status = store.ExecutionStatus.RUNNING
        execution.attempt = 1
        execution.lease_until = T0 - timedelta(seconds=1)
        execution.cancel_requested = True
    clock.at = T0
    assert await first.reap() == []
    assert (await load(database, execution_id)).status == store.ExecutionStatus.CANCELLED
    assert broker.queues[QUEUE].qsize() == 0
