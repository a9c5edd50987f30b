"""The browser pool on real Chromium: discovery, isolation, bounds, blocking, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import psutil
import pytest

from browser_pool import BrowserPool, ContextOptions, find_chromium, playwright_chromium
from tests.conftest import browser_processes
from trawler.demo_site import DemoSite


def fake_binary(path: Path) -> Path:
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_prefers_playwrights_own_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    shell = fake_binary(tmp_path / "chromium_headless_shell-1200/chrome-linux/headless_shell")
    full = fake_binary(tmp_path / "chromium-1200/chrome-linux/chrome")
    assert playwright_chromium(headless=True) == shell
    assert find_chromium(headless=True) == shell
    assert find_chromium(headless=False) == full


def test_falls_back_to_the_system_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    assert playwright_chromium(headless=True) is None
    headless = find_chromium(headless=True)
    assert headless is not None
    assert os.access(headless, os.X_OK)
    full = find_chromium(headless=False)
    assert full is not None
    assert "headless" not in full.name


async def test_contexts_do_not_share_cookies(site: DemoSite) -> None:
    async with BrowserPool() as pool:
        async with pool.context() as first:
            page = await first.new_page()
            await page.goto(f"{site.base_url}/login")
            await page.fill("#username", "demo")
            await page.fill("#password", "trawler")
            await page.click("#submit")
            await page.wait_for_url("**/account")
            assert await first.context.cookies()
            async with pool.context() as second:
                assert await second.context.cookies() == []
                other = await second.new_page()
                await other.goto(f"{site.base_url}/account")
                assert other.url.endswith("/login")  # not logged in there
        assert pool.launches == 1


async def test_pages_are_bounded() -> None:
    async with BrowserPool(max_pages=2) as pool, pool.context() as lease:
        one, _two = await lease.new_page(), await lease.new_page()
        third = asyncio.create_task(lease.new_page())
        await asyncio.sleep(0.3)
        assert not third.done()  # waits for a free slot
        await one.close()
        page = await asyncio.wait_for(third, timeout=10)
        assert not page.is_closed()


async def test_blocks_images_through_devtools(site: DemoSite) -> None:
    options = ContextOptions(block=frozenset({"images"}))
    async with BrowserPool() as pool, pool.context(options) as lease:
        page = await lease.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.failure or ""))
        await page.goto(f"{site.base_url}/shop", wait_until="load")
        loaded = await page.evaluate(
            "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length"
        )
        assert loaded == 0
        assert failed
        assert set(failed) <= {"inspector", "net::ERR_BLOCKED_BY_CLIENT"}, (
            failed
        )  # DevTools blocked
    async with BrowserPool() as pool, pool.context() as lease:
        page = await lease.new_page()
        await page.goto(f"{site.base_url}/shop", wait_until="load")
        assert await page.evaluate("[...document.images].filter(i => i.naturalWidth).length") > 0


async def test_relaunches_after_a_crash(site: DemoSite) -> None:
    async with BrowserPool() as pool:
        await pool.browser()
        for process in browser_processes():
            if "node" not in process.name():
                process.kill()
        await asyncio.sleep(0.5)
        async with pool.context() as lease:
            page = await lease.new_page()
            await page.goto(f"{site.base_url}/")
            assert "Trawler Demo Shop" in await page.title()
        assert pool.launches == 2


async def test_close_leaves_no_process() -> None:
    pool = BrowserPool()
    async with pool.context() as lease:
        await lease.new_page()
        assert browser_processes()
    await pool.close()
    await pool.close()  # idempotent
    assert browser_processes() == []
    assert all(
        p.status() != psutil.STATUS_ZOMBIE for p in psutil.Process().children(recursive=True)
    )
