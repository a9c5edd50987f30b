"""One first-come-first-served queue for contexts and page slots, with time limits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from browser_pool.errors import BrowserPoolError

if TYPE_CHECKING:
    from browser_pool._browser import PooledBrowser
    from browser_pool._lease import Lease


@dataclass(eq=False)
class Waiter:
    """A run waiting for a context (`lease` None), or a lease waiting for a page slot."""

    future: asyncio.Future[PooledBrowser]
    lease: Lease | None


class LeaseQueue:
    """Waiters in arrival order; `dispatch` serves each with the first capacity it can use.

    `grant` reserves capacity for a waiter and names its browser (None: nothing free for it);
    `give_back` returns a grant its waiter could not take any more (it was cancelled).
    """

    def __init__(
        self,
        grant: Callable[[Waiter], PooledBrowser | None],
        give_back: Callable[[Waiter, PooledBrowser], None],
    ) -> None:
        self._grant, self._give_back = grant, give_back
        self._waiters: dict[Waiter, None] = {}

    def wants_page(self, browser: PooledBrowser) -> bool:
        """Whether some lease waits for a page slot on `browser`."""
        return any(w.lease is not None and w.lease.browser is browser for w in self._waiters)

    def waiting(self, *, pages: bool) -> int:
        """How many wait for a page slot (`pages`) or for a context."""
        return sum((w.lease is not None) == pages for w in self._waiters)

    async def wait(self, lease: Lease | None, limit: timedelta | None) -> PooledBrowser | None:
        """Queue up and wait at most `limit` (None: no limit); the grant, None if none came."""
        waiter = Waiter(asyncio.get_running_loop().create_future(), lease)
        self._waiters[waiter] = None
        self.dispatch()
        try:
            async with asyncio.timeout(limit.total_seconds() if limit is not None else None):
                return await waiter.future
        except TimeoutError:
            self._waiters.pop(waiter, None)
            future = waiter.future
            if future.done() and not future.cancelled():
                return future.result()  # granted (or failed) just as the time ran out
            return None
        except BaseException:
            self._waiters.pop(waiter, None)
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                self._give_back(waiter, future.result())
            raise

    def dispatch(self) -> None:
        """Serve the waiters that can be served now, in arrival order."""
        for waiter in list(self._waiters):
            if waiter.future.done():
                del self._waiters[waiter]
                continue
            granted = self._grant(waiter)
            if granted is not None:
                del self._waiters[waiter]
                waiter.future.set_result(granted)

    def fail(self, error: Callable[[Waiter], BrowserPoolError | None]) -> None:
        """End the waits for which `error` gives an error, with that error."""
        for waiter in list(self._waiters):
            failure = error(waiter)
            if failure is not None:
                del self._waiters[waiter]
                if not waiter.future.done():
                    waiter.future.set_exception(failure)
