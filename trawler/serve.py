"""`trawler serve`: the API, a worker and the scheduler in one process.

With nothing configured it needs nothing installed: a SQLite file (migrated on start) and an
in-process Redis (`memory://`) carry the queue, live progress and rate limits. With
`TRAWLER_DATABASE_URL` and `TRAWLER_REDIS_URL` set, the same command uses PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

import uvicorn

import store
from api import create_app
from trawler import services
from trawler.settings import Settings
from worker import start_worker
from worker.dispatch import MEMORY

log = logging.getLogger(__name__)


def embedded(settings: Settings) -> Settings:
    """The settings with the in-process Redis unless a Redis URL was given."""
    if "redis_url" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"redis_url": MEMORY})


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run until SIGINT or SIGTERM (uvicorn's handlers), then stop the worker and scheduler."""
    settings = embedded(settings)
    store.upgrade(settings.database_url)
    stop_worker = start_worker(services.worker_config(settings))
    scheduler = services.scheduler(settings)
    loop = asyncio.new_event_loop()
    stop_scheduler = asyncio.Event()

    def clock() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(scheduler.serve(stop_scheduler))
        finally:
            loop.run_until_complete(scheduler.db.dispose())
            loop.close()

    clock_thread = threading.Thread(target=clock, name="trawler-scheduler", daemon=True)
    clock_thread.start()
    log.info("serving on http://%s:%d (queue: %s)", host, port, settings.redis_url)
    # uvicorn shuts down on SIGINT/SIGTERM, then raises the signal again under the handlers
    # it found: these let the process go on to stop the worker and the scheduler cleanly
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    try:
        uvicorn.run(
            create_app(services.api_config(settings)),
            host=host,
            port=port,
            log_config=None,  # uvicorn's records go through ours (trawler.logs)
        )
    finally:
        loop.call_soon_threadsafe(stop_scheduler.set)
        clock_thread.join(30)
        stop_worker()
