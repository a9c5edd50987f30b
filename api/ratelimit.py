"""Fixed-window request counters in Redis: per user by plan, and on login attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

import redis.asyncio as aioredis

from api.errors import ApiError


class RateLimiter:
    """`hit()` counts one request in the current window and refuses past the limit (429)."""

    def __init__(self, client: aioredis.Redis, prefix: str = "trawler:rate") -> None:
        self.client = client
        self.prefix = prefix

    async def hit(
        self, scope: str, subject: str, *, limit: int, window: timedelta, now: datetime
    ) -> None:
        seconds = int(window.total_seconds())
        start = int(now.timestamp()) // seconds * seconds
        key = f"{self.prefix}:{scope}:{subject}:{start}"
        async with self.client.pipeline(transaction=True) as pipe:
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
