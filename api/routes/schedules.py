"""Schedules: a cron expression in a time zone that runs a bot; the next five times shown."""

from __future__ import annotations

import itertools
import uuid
from typing import Annotated

from fastapi import APIRouter, Query

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import ApiError, not_found
from api.quota import limits_of
from api.schemas import (
    ScheduleIn,
    ScheduleOut,
    SchedulePreview,
    SchedulePreviewIn,
    ScheduleUpdate,
    errors,
)
from worker.cron import upcoming

router = APIRouter(prefix="/schedules", tags=["schedules"])


def _out(schedule: store.Schedule, ctx: ContextDep) -> ScheduleOut:
    out = ScheduleOut.model_validate(schedule)
    out.next_runs = upcoming(schedule.cron, schedule.timezone, 5, now=ctx.now())
    return out


def _times(cron: str, timezone: str, ctx: ContextDep, user: store.User) -> None:
    """422 naming the field when the expression or the zone is wrong; 402 when the schedule
    runs more often than the plan allows."""
    try:
        times = upcoming(cron, timezone, 10, now=ctx.now())
    except ValueError as exc:
        field = "timezone" if "time zone" in str(exc) else "cron"
        raise ApiError(
            422, "invalid_schedule", str(exc), [{"field": field, "message": str(exc)}]
        ) from None
    shortest = limits_of(ctx, user).min_schedule_interval
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    if gaps and min(gaps) < shortest:
        raise ApiError(
            402,
            "quota_exceeded",
            f"the {user.plan} plan runs a schedule at most every {shortest}",
            {
                "limit": "min_schedule_interval",
                "allowed": shortest.total_seconds(),
                "used": min(gaps).total_seconds(),
                "resets_at": None,
            },
        )


async def _schedule(db: store.Session, user: store.User, schedule_id: uuid.UUID) -> store.Schedule:
    schedule = await store.own_schedule(db, user.id, schedule_id)
    if schedule is None:
        raise not_found("schedule")
    return schedule


def _arm(schedule: store.Schedule, ctx: ContextDep) -> None:
    """Point `next_run_at` at the next time from now (None while inactive)."""
    times = upcoming(schedule.cron, schedule.timezone, 1, now=ctx.now())
    schedule.next_run_at = times[0] if schedule.active and times else None


@router.get("")
async def list_schedules(
    user: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
    bot_id: Annotated[uuid.UUID | None, Query()] = None,
) -> list[ScheduleOut]:
    return [_out(s, ctx) for s in await store.list_schedules(db, user.id, bot_id=bot_id)]


@router.post("", status_code=201, responses=errors(402))
async def create_schedule(
    body: ScheduleIn, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> ScheduleOut:
    """Run a bot on a cron schedule; the answer lists the next five run times."""
    if await store.own_bot(db, user.id, body.bot_id) is None:
        raise not_found("bot")
    _times(body.cron, body.timezone, ctx, user)
    schedule = store.Schedule(
        bot_id=body.bot_id, cron=body.cron.strip(), timezone=body.timezone, active=body.active
    )
    _arm(schedule, ctx)
    db.add(schedule)
    await db.commit()
    return _out(schedule, ctx)


@router.post("/preview", responses=errors(402, 422))
async def preview_schedule(
    body: SchedulePreviewIn, user: CurrentUser, ctx: ContextDep
) -> SchedulePreview:
    """The next five times a schedule with this cron and time zone would run, checked as
    saving it is (422 naming the field, 402 past the plan's interval); nothing is saved."""
    _times(body.cron, body.timezone, ctx, user)
    return SchedulePreview(next_runs=upcoming(body.cron.strip(), body.timezone, 5, now=ctx.now()))


@router.get("/{schedule_id}")
async def get_schedule(
    schedule_id: uuid.UUID, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> ScheduleOut:
    return _out(await _schedule(db, user, schedule_id), ctx)


@router.patch("/{schedule_id}", responses=errors(402))
async def update_schedule(
    schedule_id: uuid.UUID,
    body: ScheduleUpdate,
    user: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
) -> ScheduleOut:
    schedule = await _schedule(db, user, schedule_id)
    cron = body.cron.strip() if body.cron is not None else schedule.cron
    timezone = body.timezone if body.timezone is not None else schedule.timezone
    _times(cron, timezone, ctx, user)
    schedule.cron, schedule.timezone = cron, timezone
    if body.active is not None:
        schedule.active = body.active
    _arm(schedule, ctx)
    await db.commit()
    return _out(schedule, ctx)


@router.post("/{schedule_id}/toggle")
async def toggle_schedule(
    schedule_id: uuid.UUID, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> ScheduleOut:
    """Pause an active schedule, or resume a paused one from now."""
    schedule = await _schedule(db, user, schedule_id)
    schedule.active = not schedule.active
    _arm(schedule, ctx)
    await db.commit()
    return _out(schedule, ctx)


@router.delete("/{schedule_id}", status_code=204)
async def delete_schedule(schedule_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> None:
    await db.delete(await _schedule(db, user, schedule_id))
    await db.commit()
