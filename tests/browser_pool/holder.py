"""A process holding a two-browser pool, for the zombie tests.

`python -m tests.browser_pool.holder BASE_URL MODE` opens a page on each browser, prints one
JSON line `{"ready": true}`, then, in mode `hold`, waits until SIGTERM cancels it (the pool
closes on the way out), or, in mode `close-while-loading`, closes the pool while both pages
are loading a page that never ends, and exits.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from contextlib import AsyncExitStack

from browser_pool import BrowserCrashed, BrowserPool


async def hold(base_url: str, mode: str) -> None:
    async with BrowserPool(browsers=2) as pool, AsyncExitStack() as stack:
        pages = []
        for _ in range(2):
            lease = await stack.enter_async_context(pool.context())
            page = await lease.new_page()
            await page.goto(f"{base_url}/")
            pages.append(page)
        print(json.dumps({"ready": True}), flush=True)
        if mode == "hold":
            await asyncio.Event().wait()
        loading = [asyncio.create_task(p.goto(f"{base_url}/lab/slow", timeout=0)) for p in pages]
        await asyncio.sleep(0.5)
        await pool.close()
        outcomes = await asyncio.gather(*loading, return_exceptions=True)
        print(json.dumps({"loads": [type(o).__name__ for o in outcomes]}), flush=True)


async def main(base_url: str, mode: str) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await hold(base_url, mode)
    except asyncio.CancelledError:
        print(json.dumps({"cancelled": True}), flush=True)
    except BrowserCrashed as exc:  # the driver was killed under the pool
        print(json.dumps({"crashed": str(exc)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
