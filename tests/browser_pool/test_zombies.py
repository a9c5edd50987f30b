"""No Chromium outlives its pool: a process holding a pool is stopped or killed in every order,
then every process it started must be gone. Processes are told apart by ancestry (descendants
of the holder, recorded while it lives), not by name, so other tests' browsers do not count."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

import psutil
import pytest

from browser_pool import BrowserPool
from tests.browser_pool.conftest import exited
from trawler.demo_site import DemoSite

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def holder(site: DemoSite, mode: str) -> Iterator[subprocess.Popen[str]]:
    """`tests.browser_pool.holder` in `mode`, running until the block ends (then killed)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.browser_pool.holder", site.base_url, mode],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


async def _read(process: subprocess.Popen[str]) -> dict[str, object]:
    assert process.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 30)
    assert line, f"the holder exited early with {process.poll()}"
    message: dict[str, object] = json.loads(line)
    return message


def _family(process: subprocess.Popen[str]) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


def _browsers(family: list[psutil.Process]) -> list[psutil.Process]:
    """The browser processes (not their helpers, not the driver) of a holder's family."""
    return [p for p in family if "--trawler-browser-id" in " ".join(p.cmdline())]


def _driver(family: list[psutil.Process]) -> psutil.Process:
    return next(p for p in family if "node" in p.name().lower())


async def _exit_code(process: subprocess.Popen[str], within: float = 20) -> int:
    return await asyncio.wait_for(asyncio.to_thread(process.wait), within)


@pytest.mark.parametrize(
    "order",
    [
        "sigterm holder",
        "sigkill holder",
        "sigkill browser, then holder",
        "sigkill driver, then sigterm holder",
    ],
)
async def test_no_chromium_outlives_its_holder(site: DemoSite, order: str) -> None:
    with holder(site, "hold") as process:
        assert await _read(process) == {"ready": True}
        family = _family(process)
        browsers = _browsers(family)
        assert len(browsers) == 2
        assert len(family) > 2 * 4  # each browser brings its helpers
        if order == "sigterm holder":
            process.send_signal(signal.SIGTERM)
            assert await _read(process) == {"cancelled": True}
            assert await _exit_code(process) == 0
        elif order == "sigkill holder":
            process.kill()
        elif order == "sigkill browser, then holder":
            browsers[0].kill()
            await exited([browsers[0]])
            process.kill()
        else:
            _driver(family).kill()
            await exited(browsers)  # a browser ends when its pipe to the driver closes
            process.send_signal(signal.SIGTERM)
            assert await _exit_code(process) == 0
        await exited(family, within=15)


async def test_closing_the_pool_while_pages_load_leaves_nothing(site: DemoSite) -> None:
    with holder(site, "close-while-loading") as process:
        assert await _read(process) == {"ready": True}
        family = _family(process)
        outcome = await _read(process)
        assert outcome.keys() == {"loads"}
        assert "NoneType" not in str(outcome)  # the endless loads failed; none finished
        assert await _exit_code(process) == 0
        await exited(family, within=15)


async def test_a_cancelled_close_still_kills_every_browser(site: DemoSite) -> None:
    pool = BrowserPool(browsers=2)
    async with AsyncExitStack() as runs:
        for _ in range(2):
            lease = await runs.enter_async_context(pool.context())
            await (await lease.new_page()).goto(f"{site.base_url}/")
        family = [p for b in pool._all() if b.process for p in b.tree()]
        closing = asyncio.create_task(pool.close())
        await asyncio.sleep(0.05)  # inside the polite close
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        await exited(family)
    await pool.close()  # what a cancelled close left of the driver
