"""Per-run options on real Chromium: resource and tracker blocking, identity and rotation."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Route

from browser_pool import BrowserPool, ContextOptions, Lease, Stealth
from tests.site.lab import ASSET_FILES, TRACKER_PIXELS, TRACKER_URLS
from trawler.demo_site import DemoSite

BLOCKED = {"inspector", "net::ERR_BLOCKED_BY_CLIENT"}
"""How Chromium reports a request DevTools blocked (the first while requests are routed)."""
IDENTITY = """[navigator.userAgent, navigator.language,
  Intl.DateTimeFormat().resolvedOptions().timeZone, innerWidth, innerHeight, navigator.webdriver]"""


async def _outside(route: Route) -> None:
    await route.fulfill(status=204, body="")  # what gets past the blocking never leaves the host


async def _load_assets(lease: Lease, site: DemoSite) -> tuple[set[str], dict[str, str]]:
    """Load /lab/assets; the URLs that finished and those that failed, with the reason."""
    page = await lease.new_page()
    finished: set[str] = set()
    failed: dict[str, str] = {}
    page.on("requestfinished", lambda r: finished.add(r.url))
    page.on("requestfailed", lambda r: failed.__setitem__(r.url, r.failure or ""))
    await page.route(re.compile(r"^https://"), _outside)
    await page.goto(f"{site.base_url}/lab/assets", wait_until="load")
    await page.evaluate("document.fonts.ready.then(() => true)")
    await lease.close_page(page)
    return finished, failed


@pytest.mark.parametrize(
    ("block", "blocked_assets", "blocked_trackers"),
    [
        ({"images", "fonts", "trackers"}, ASSET_FILES, True),
        ({"trackers"}, (), True),
        ({"images"}, ("photo.png", "banner.jpg"), False),
        (set(), (), False),
    ],
    ids=["everything", "trackers", "images", "nothing"],
)
async def test_blocks_resources_and_trackers_through_devtools(
    site: DemoSite, block: set[str], blocked_assets: tuple[str, ...], blocked_trackers: bool
) -> None:
    options = ContextOptions(block=frozenset(block))
    async with BrowserPool() as pool, pool.context(options) as lease:
        finished, failed = await _load_assets(lease, site)
    assets = {f"{site.base_url}/lab/asset/{name}": name for name in ASSET_FILES}
    trackers = (*TRACKER_URLS, *TRACKER_PIXELS)
    assert {name for url, name in assets.items() if failed.get(url) in BLOCKED} == set(
        blocked_assets
    )
    assert {name for url, name in assets.items() if url in finished} == set(ASSET_FILES) - set(
        blocked_assets
    )
    if blocked_trackers:
        assert all(failed.get(url) in BLOCKED for url in trackers), failed
        assert not finished & set(trackers)
    else:
        assert set(trackers) <= finished  # they got as far as our stand-in
    assert f"{site.base_url}/lab/assets" in finished


def test_rejects_an_unknown_kind_to_block() -> None:
    with pytest.raises(ValueError, match="unknown kinds to block: ads"):
        ContextOptions(block=frozenset({"ads"}))


async def test_applies_identity_options_and_rotates_stealth_values(site: DemoSite) -> None:
    stealth = Stealth(
        user_agents=("Mozilla/5.0 TestAgent/{major}", "Mozilla/5.0 OtherAgent/1"),
        viewports=((800, 600), (1024, 768)),
        locales=("de-DE", "fr-FR"),
        timezones=("Europe/Berlin", "Asia/Tokyo"),
    )
    plain = ContextOptions(
        viewport=(900, 700), user_agent="PlainAgent/2", locale="es-ES", timezone="America/Lima"
    )
    seen = []
    async with BrowserPool() as pool:
        for options in (ContextOptions(stealth=stealth),) * 3 + (plain, ContextOptions()):
            async with pool.context(options) as lease:
                page = await lease.new_page()
                await page.goto(f"{site.base_url}/")
                seen.append(await page.evaluate(IDENTITY))
        major = (await pool.browser()).version.split(".")[0]
        async with pool.context(ContextOptions(stealth=Stealth())) as lease:
            page = await lease.new_page()
            default_agent = await page.evaluate("navigator.userAgent")
    first = [f"Mozilla/5.0 TestAgent/{major}", "de-DE", "Europe/Berlin", 800, 600, False]
    second = ["Mozilla/5.0 OtherAgent/1", "fr-FR", "Asia/Tokyo", 1024, 768, False]
    assert seen[:3] == [first, second, first]  # one step per context
    assert seen[3] == ["PlainAgent/2", "es-ES", "America/Lima", 900, 700, True]
    assert "HeadlessChrome" in seen[4][0]
    assert "HeadlessChrome" not in default_agent
    assert f"Chrome/{major}.0.0.0" in default_agent
