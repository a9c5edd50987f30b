"""Pure work (extraction, transforms, a bot's regular expressions) in threads of the engine's
own, off the event loop that every run of a worker shares.

A page's extraction is CPU work: run on the loop, a large page or a slow pattern held up every
other execution of the process, their heartbeats included. In a thread it competes for the GIL
like any thread (the loop gets its turn every few milliseconds), and a pattern, matched by the
`regex` package without the GIL, does not compete at all. When the step stops waiting (its
timeout, a cancel), the thread's next pattern raises instead of running, so no abandoned work
runs on for long.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

from engine import patterns

T = TypeVar("T")

# Extraction is mostly Python holding the GIL, so more threads would not make it faster; a few
# keep one slow step (a pattern waiting out its time limit) from queueing the others. Our own
# pool, not the loop's default one, which resolves host names for the egress proxy.
THREADS = 4

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(THREADS, thread_name_prefix="trawler-extract")
        return _executor


async def off_loop(work: Callable[[], T], *, pattern_limit: timedelta) -> T:
    """`work()` in an extraction thread, each pattern it runs limited to `pattern_limit`."""
    stop = threading.Event()
    context = contextvars.copy_context()

    def call() -> T:
        with patterns.limited(pattern_limit, stop):
            return work()

    try:
        return await asyncio.get_running_loop().run_in_executor(_pool(), context.run, call)
    finally:
        stop.set()
