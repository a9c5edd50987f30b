"""Counters in Redis: fixed windows (requests per user by plan, sign-in attempts) and a growing
wait between attempts after repeated failures (sign-ins to one account).

Both raise `ApiError(429)` with `retry_after` past their limit, and `Unavailable` (503) when
Redis does not answer; whether a caller then refuses (fails closed) or lets the request through
(fails open) is the caller's choice.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis.asyncio as aioredis

from api.errors import REDIS_ERRORS, ApiError, Unavailable


@asynccontextmanager
async def redis_or_503() -> AsyncIterator[None]:
    """Turn Redis not answering into `Unavailable` (503)."""
    try:
        yield
    except REDIS_ERRORS:
        raise Unavailable("redis") from None


class RateLimiter:
    """`hit()` counts one request in the current window and refuses past the limit (429)."""

    def __init__(self, client: aioredis.Redis, prefix: str = "trawler:rate") -> None:
        self.client = client
        self.prefix = prefix

    def _window(
        self, scope: str, subject: str, window: timedelta, now: datetime
    ) -> tuple[str, int]:
        seconds = int(window.total_seconds())
        start = int(now.timestamp()) // seconds * seconds
        return f"{self.prefix}:{scope}:{subject}:{start}", start

    async def hit(
        self, scope: str, subject: str, *, limit: int, window: timedelta, now: datetime
    ) -> None:
        key, start = self._window(scope, subject, window, now)
        seconds = int(window.total_seconds())
        async with redis_or_503(), self.client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, seconds + 1)
            count, _ = await pipe.execute()
        if count > limit:
            retry = start + seconds - int(now.timestamp())
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests: {limit} per {seconds} s",
                {
                    "limit": scope,
                    "allowed": limit,
                    "used": count,
                    "resets_at": datetime.fromtimestamp(start + seconds, now.tzinfo).isoformat(),
                    "retry_after": retry,
                },
            )

    async def forget(self, scope: str, subject: str, *, window: timedelta, now: datetime) -> None:
        """Start the current window's count for `subject` again (after a success)."""
        key, _ = self._window(scope, subject, window, now)
        async with redis_or_503():
            await self.client.delete(key)


# One attempt on a subject, atomically, on Redis's clock (the one every API process shares):
# refused (the milliseconds to wait) while its wait runs; else counted as a failure until
# `clear` says it succeeded, so concurrent attempts cannot all pass one opening.
# KEYS[1]: the subject's hash; ARGV: after, base, cap, memory (ms).
_TAKE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
local next_at = tonumber(redis.call('HGET', KEYS[1], 'next_at') or '0')
if now < next_at then return next_at - now end
failures = failures + 1
local after, wait = tonumber(ARGV[1]), 0
if failures >= after then
  wait = math.min(tonumber(ARGV[2]) * 2 ^ (failures - after), tonumber(ARGV[3]))
end
redis.call('HSET', KEYS[1], 'failures', failures, 'next_at', math.floor(now + wait))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 0
"""


@dataclass(frozen=True)
class BackoffPolicy:
    """`after` failures pass at once; then each attempt waits `base`, doubling with every
    further failure up to `cap`. Failures are forgotten `memory` after the last one."""

    after: int
    base: timedelta
    cap: timedelta
    memory: timedelta


def _ms(value: timedelta) -> int:
    return int(value.total_seconds() * 1000)


class Backoff:
    """A growing wait between attempts on one subject (a sign-in to one account) after
    repeated failures: `take()` before an attempt, `clear()` when it succeeded."""

    def __init__(self, client: aioredis.Redis, prefix: str = "trawler:backoff") -> None:
        self.client = client
        self.prefix = prefix

    async def wait(self, scope: str, subject: str, policy: BackoffPolicy) -> timedelta:
        """How long the subject must still wait; zero: the attempt is let through, and counted
        as a failure until `clear`."""
        args = (policy.after, _ms(policy.base), _ms(policy.cap), _ms(policy.memory))
        async with redis_or_503():
            wait_ms = await self.client.eval(_TAKE, 1, f"{self.prefix}:{scope}:{subject}", *args)
        return timedelta(milliseconds=int(wait_ms))

    async def take(self, scope: str, subject: str, policy: BackoffPolicy, now: datetime) -> None:
        """Let an attempt through (counted), or refuse it: 429 with `retry_after`."""
        wait = await self.wait(scope, subject, policy)
        if wait > timedelta(0):
            retry = max(1, math.ceil(wait.total_seconds()))
            raise ApiError(
                429,
                "rate_limited",
                f"too many failed attempts: try again in {retry} s",
                {"limit": scope, "resets_at": (now + wait).isoformat(), "retry_after": retry},
            )

    async def clear(self, scope: str, subject: str) -> None:
        """The attempt succeeded: the subject's failures are forgotten."""
        async with redis_or_503():
            await self.client.delete(f"{self.prefix}:{scope}:{subject}")


class Throttled:
    """`due()` is true at most once per `every`: for a warning repeated on every request."""

    def __init__(self, every: timedelta) -> None:
        self.every = every.total_seconds()
        self.last = -math.inf

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.every:
            return False
        self.last = now
        return True
