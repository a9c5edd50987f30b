"""Plan limits: checked before work is queued; over a limit is 402 (monthly) or 429 (now)."""

from __future__ import annotations

from datetime import datetime, timedelta

import store
from api._config import PlanLimits
from api.deps import Context
from api.errors import ApiError


def limits_of(ctx: Context, user: store.User) -> PlanLimits:
    """The user's plan, with any per-user overrides stored on the user."""
    plan = ctx.settings.plans.get(user.plan) or ctx.settings.plans["free"]
    return plan.model_copy(update=user.limits or {})


def next_month(now: datetime) -> datetime:
    return (
        now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)
    ).replace(day=1)


async def check_execution(
    db: store.Session, ctx: Context, user: store.User, *, llm: bool = False
) -> None:
    """Refuse a new execution over the monthly or the concurrent limit, saying which; a bot
    that asks a language model also over its monthly token limit."""
    limits = limits_of(ctx, user)
    now = ctx.now()
    usage = await store.usage_of(db, user.id, now.strftime("%Y-%m"))
    counters = [
        ("executions", limits.executions_per_month),
        ("rows", limits.rows_per_month),
    ]
    if llm:
        counters.append(("llm_tokens", limits.llm_tokens_per_month))
    for counter, limit in counters:
        _refuse_over(user, counter, limit, getattr(usage, counter), now)
    if limits.concurrent_executions is not None:
        running = await store.running_count(db, user.id)
        if running >= limits.concurrent_executions:
            raise ApiError(
                429,
                "too_many_executions",
                f"the {user.plan} plan runs {limits.concurrent_executions} execution(s) at once",
                {
                    "limit": "concurrent_executions",
                    "allowed": limits.concurrent_executions,
                    "used": running,
                    "resets_at": None,
                },
            )


async def check_llm_tokens(db: store.Session, ctx: Context, user: store.User) -> None:
    """Refuse a model call once the month's LLM tokens are spent."""
    now = ctx.now()
    usage = await store.usage_of(db, user.id, now.strftime("%Y-%m"))
    limit = limits_of(ctx, user).llm_tokens_per_month
    _refuse_over(user, "llm_tokens", limit, usage.llm_tokens, now)


def _refuse_over(
    user: store.User, counter: str, limit: int | None, used: int, now: datetime
) -> None:
    if limit is not None and used >= limit:
        raise ApiError(
            402,
            "quota_exceeded",
            f"the {user.plan} plan allows {limit} {counter} a month",
            {
                "limit": f"{counter}_per_month",
                "allowed": limit,
                "used": used,
                "resets_at": next_month(now).isoformat(),
            },
        )
