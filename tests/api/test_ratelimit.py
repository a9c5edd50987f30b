"""The counters behind the limits, on a real Redis and on the embedded one (`memory://`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from api.errors import ApiError, Unavailable
from api.ratelimit import Backoff, BackoffPolicy, RateLimiter
from tests.worker.conftest import PrivateRedis
from tests.worker.conftest import private_redis as private_redis  # the fixture, shared
from worker.dispatch import redis_async

POLICY = BackoffPolicy(
    after=3,
    base=timedelta(milliseconds=100),
    cap=timedelta(milliseconds=400),
    memory=timedelta(hours=1),
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ZERO = timedelta(0)


@pytest.fixture(params=["redis", "memory"])
async def client(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[aioredis.Redis]:
    url = redis_url if request.param == "redis" else f"memory://{uuid.uuid4().hex}"
    opened = redis_async(url)
    try:
        yield opened
    finally:
        await opened.aclose()


async def test_the_wait_doubles_after_the_free_failures_up_to_the_cap(
    client: aioredis.Redis,
) -> None:
    backoff, subject = Backoff(client), uuid.uuid4().hex
    assert [await backoff.wait("t", subject, POLICY) for _ in range(3)] == [ZERO] * 3
    for expected in (100, 200, 400, 400):  # ms: the base, doubling, up to the cap
        wait = await backoff.wait("t", subject, POLICY)
        assert timedelta(milliseconds=expected / 2) < wait <= timedelta(milliseconds=expected)
        assert await backoff.wait("t", subject, POLICY) > ZERO  # still waiting: not counted
        await asyncio.sleep(wait.total_seconds())  # the time itself is what is tested
        assert await backoff.wait("t", subject, POLICY) == ZERO  # let through, and failed
    with pytest.raises(ApiError) as refused:
        await backoff.take("t", subject, POLICY, T0)
    assert refused.value.status == 429
    assert refused.value.details["retry_after"] == 1  # whole seconds, at least one
    await backoff.clear("t", subject)  # a success: the failures are forgotten
    assert [await backoff.wait("t", subject, POLICY) for _ in range(3)] == [ZERO] * 3
    assert await backoff.wait("t", uuid.uuid4().hex, POLICY) == ZERO  # subjects are apart


async def test_concurrent_attempts_cannot_all_pass_one_opening(client: aioredis.Redis) -> None:
    backoff, subject = Backoff(client), uuid.uuid4().hex
    waits = await asyncio.gather(*(backoff.wait("t", subject, POLICY) for _ in range(20)))
    assert waits.count(ZERO) == POLICY.after


async def test_a_window_starts_again_when_forgotten(client: aioredis.Redis) -> None:
    limiter, subject = RateLimiter(client), uuid.uuid4().hex
    for _ in range(2):
        await limiter.hit("t", subject, limit=2, window=timedelta(minutes=15), now=T0)
    with pytest.raises(ApiError) as refused:
        await limiter.hit("t", subject, limit=2, window=timedelta(minutes=15), now=T0)
    assert refused.value.details["retry_after"] == 15 * 60
    await limiter.forget("t", subject, window=timedelta(minutes=15), now=T0)
    await limiter.hit("t", subject, limit=2, window=timedelta(minutes=15), now=T0)


async def test_redis_not_answering_is_unavailable(private_redis: PrivateRedis) -> None:
    client = redis_async(private_redis.url)
    try:
        await RateLimiter(client).hit("t", "s", limit=1, window=timedelta(minutes=1), now=T0)
        private_redis.stop()
        with pytest.raises(Unavailable) as down:
            await RateLimiter(client).hit("t", "s", limit=1, window=timedelta(minutes=1), now=T0)
        assert down.value.status == 503
        with pytest.raises(Unavailable):
            await Backoff(client).take("t", "s", POLICY, T0)
    finally:
        await client.aclose()
