"""What the pool has done and holds now, as a frozen snapshot."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

RECENT_WAITS = 512
"""Lease waits kept for the percentiles: enough for a stable p95, small enough to sort often."""


@dataclass(frozen=True, slots=True)
class PoolMetrics:
    """A snapshot of the pool; times in seconds, counters since the pool was made."""

    browsers_alive: int
    browsers_retiring: int
    browsers_launching: int
    contexts: int
    pages_in_use: int
    queue_length: int
    """Runs waiting for a context."""
    page_waiters: int
    """Pages waiting for a slot on their run's browser."""
    lease_waits: int
    """Contexts handed out, each after a wait of zero or more."""
    lease_wait_total_s: float
    lease_wait_max_s: float
    lease_wait_p50_s: float
    lease_wait_p95_s: float
    """Percentiles of the last 512 waits."""
    lease_timeouts: int
    page_timeouts: int
    launches: int
    crashes: int
    hangs: int
    recycles: dict[str, int] = field(default_factory=dict)
    """Browsers retired and contexts renewed, by reason: pages, memory, context."""


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Counters:
    """The pool's running totals; the pool adds its current holdings in `snapshot`."""

    def __init__(self) -> None:
        self.launches = self.crashes = self.hangs = 0
        self.lease_timeouts = self.page_timeouts = 0
        self.recycles: Counter[str] = Counter()
        self._waits: deque[float] = deque(maxlen=RECENT_WAITS)
        self._count = 0
        self._total = self._max = 0.0

    def waited(self, seconds: float) -> None:
        """Record one lease handed out after `seconds` in the queue."""
        self._waits.append(seconds)
        self._count += 1
        self._total += seconds
        self._max = max(self._max, seconds)

    def snapshot(
        self,
        *,
        alive: int,
        retiring: int,
        launching: int,
        contexts: int,
        pages: int,
        queue: int,
        page_waiters: int,
    ) -> PoolMetrics:
        ordered = sorted(self._waits)
        return PoolMetrics(
            browsers_alive=alive,
            browsers_retiring=retiring,
            browsers_launching=launching,
            contexts=contexts,
            pages_in_use=pages,
            queue_length=queue,
            page_waiters=page_waiters,
            lease_waits=self._count,
            lease_wait_total_s=self._total,
            lease_wait_max_s=self._max,
            lease_wait_p50_s=_percentile(ordered, 0.5),
            lease_wait_p95_s=_percentile(ordered, 0.95),
            lease_timeouts=self.lease_timeouts,
            page_timeouts=self.page_timeouts,
            launches=self.launches,
            crashes=self.crashes,
            hangs=self.hangs,
            recycles=dict(self.recycles),
        )
