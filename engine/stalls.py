"""How long the event loop was stalled: time no step should be blamed for.

Every run of a worker process shares one event loop, and the process's egress proxy runs on it
too. While something holds the loop up (CPU work on it, a paused process), no run reads the
answers its pages got and no page's request goes out; a page load or a node timeout running
across the stall fails though nothing was wrong with the page, and a run fails because of its
neighbour. A ticker on the loop notes each stall; the engine tries again, once, a step or page
load that failed across one (see `Run.execute` and `NodeContext.goto`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from weakref import WeakKeyDictionary

TICK = 0.1
"""Seconds between two ticks; a few dozen callbacks a second cost nothing."""
STALL = 2.0
"""A tick this many seconds late is a stall. A busy loop is late by milliseconds, but a worker
on a loaded 2-core machine was seen late by over a second: a false stall retries a step that
was not to blame, so only a long silence counts."""


class _Ticker:
    """Ticks on one loop while at least one run holds it; remembers the latest stalls."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.holders = 0
        self.stalls: deque[tuple[float, float]] = deque(maxlen=64)
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def hold(self) -> None:
        self.holders += 1
        if self._handle is None:
            self._schedule(self.loop.time())

    def release(self) -> None:
        self.holders -= 1
        if self.holders <= 0 and self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _schedule(self, now: float) -> None:
        self._due = now + TICK
        self._handle = self.loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        now = self.loop.time()
        if now - self._due > STALL:
            self.stalls.append((self._due, now))
        self._schedule(now)

    def stalled(self, since: float) -> float:
        now = self.loop.time()
        if self._handle is not None and now - self._due > STALL:
            self._handle.cancel()  # the stall that just ended, before its tick got its turn
            self._tick()
        return sum(max(0.0, min(end, now) - max(start, since)) for start, end in self.stalls)


_tickers: WeakKeyDictionary[asyncio.AbstractEventLoop, _Ticker] = WeakKeyDictionary()


def _ticker() -> _Ticker:
    loop = asyncio.get_running_loop()
    ticker = _tickers.get(loop)
    if ticker is None:
        ticker = _tickers[loop] = _Ticker(loop)
    return ticker


def hold() -> None:
    """Start noting stalls of the running loop (a run starts); pair with `release()`."""
    _ticker().hold()


def release() -> None:
    """A run ended; the ticker stops when no run holds it."""
    _ticker().release()


def now() -> float:
    """The loop's clock, to pass to `stalled` later."""
    return asyncio.get_running_loop().time()


def stalled(since: float) -> float:
    """Seconds the running loop was stalled since `since` (a `now()`)."""
    return _ticker().stalled(since)
