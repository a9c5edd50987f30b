"""What a worker process holds while it runs: database, browser pool, artifact storage, Redis.

Built once at boot on the worker's event loop (every Playwright object lives there) and
closed at shutdown; executions running at the same time share it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dramatiq
import redis.asyncio as aioredis

import store
from browser_pool import BrowserPool
from engine import Models
from proxies import EgressProxy
from worker._config import WorkerSettings
from worker._proxies import Rotators


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The shared resources of one worker process."""

    settings: WorkerSettings
    db: store.Database
    artifacts: store.ArtifactStore
    pool: BrowserPool
    egress: EgressProxy
    """Every browser context of the worker sends its traffic through it, under its policy."""
    rotators: Rotators
    secrets: store.SecretBox
    """Reads the accounts' own proxies."""
    redis: aioredis.Redis
    broker: dramatiq.Broker
    models: Models = field(default_factory=Models)
    plan_limits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    clock: Callable[[], datetime] = utcnow
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the worker shuts down: running executions go back to the queue."""
    running: dict[uuid.UUID, asyncio.Event] = field(default_factory=dict)
    """The executions this process runs now, each with the event set when it is done here."""

    async def done_here(self, execution_id: uuid.UUID) -> None:
        """Wait while this process runs the execution (a message for it arrived meanwhile)."""
        while (done := self.running.get(execution_id)) is not None:
            await done.wait()

    async def aclose(self) -> None:
        self.stopping.set()
        try:
            await self.pool.close()
        finally:
            await self.egress.stop()
            await self.redis.aclose()
            await self.db.dispose()
