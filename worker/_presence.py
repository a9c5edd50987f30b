"""A worker process's beat in Redis: what the API counts as workers alive.

Scored by Redis's own clock (`TIME`), so a worker and the API on machines whose clocks
disagree still agree on who is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid

import redis.asyncio as aioredis

from worker.dispatch import WORKER_ALIVE, WORKER_BEAT, WORKERS_KEY

log = logging.getLogger(__name__)

FORGET_AFTER = WORKER_ALIVE * 20
"""Beats older than this are removed by the next beat of any worker (killed workers' ones)."""


class Presence:
    """Beats every WORKER_BEAT from `start` until `stop`, which takes the worker off at once."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self.member = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._beat()
        self._task = asyncio.create_task(self._run(), name="trawler-worker-presence")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.client.zrem(WORKERS_KEY, self.member)
        except Exception as exc:  # its beat ages out instead
            log.warning("could not take the worker off %s: %s", WORKERS_KEY, exc)

    async def _beat(self) -> None:
        seconds, micros = await self.client.time()
        now = seconds + micros / 1e6
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zadd(WORKERS_KEY, {self.member: now})
            pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - FORGET_AFTER.total_seconds())
            await pipe.execute()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(WORKER_BEAT.total_seconds())
            try:
                await self._beat()
            except Exception as exc:  # Redis away: the next beat tries again
                log.warning("worker beat missed: %s", exc)
