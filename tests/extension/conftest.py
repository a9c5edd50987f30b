"""Extension fixtures: the extension built for the tests, Chromium with it loaded, a signed-up
user's API key, and the popup driven as a page of its own."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Locator, Page, async_playwright, expect

from browser_pool import LAUNCH_ARGS, find_chromium
from tests.api.conftest import ApiUser
from tests.api.conftest import api_url as api_url  # the fixtures, shared
from tests.api.conftest import new_user as new_user
from tests.web.conftest import bundle as bundle
from tests.worker.conftest import processes as processes

EXTENSION = Path(__file__).resolve().parents[2] / "extension"
SHOTS = Path(__file__).resolve().parents[1] / "out" / "extension"
SITE_HOSTS = "http://127.0.0.1/*"
"""What the tests' build may always script: the API and the demo shop (a match pattern without
a port matches every port). A user grants the same by a click: the server's origin when
connecting, a page by clicking the toolbar button (activeTab); automation can click neither
Chrome's permission prompt nor its toolbar, so the test build has them granted at install."""


@pytest.fixture(scope="session")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension built into a folder of the session's own (its npm packages installed)."""
    node = shutil.which("node")
    if node is None or not (EXTENSION / "node_modules").is_dir():
        pytest.fail(
            "the extension cannot be built: run `make setup` (Node.js and extension/node_modules)"
        )
    out = tmp_path_factory.mktemp("extension") / "unpacked"
    built = subprocess.run(
        [node, "build.mjs", "--out", str(out), "--host-permission", SITE_HOSTS],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"`node build.mjs` failed:\n{built.stderr}")
    return out


@dataclass
class Chrome:
    """Chromium with the extension loaded."""

    context: BrowserContext
    extension_id: str

    def url(self, path: str) -> str:
        return f"chrome-extension://{self.extension_id}/{path}"


@pytest.fixture
async def chrome(unpacked: Path, tmp_path: Path) -> AsyncIterator[Chrome]:
    """A persistent Chromium profile with the unpacked extension. Chromium's new headless mode
    runs extensions, so no display is needed."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            headless=True,
            executable_path=find_chromium(headless=False),
            args=[
                *LAUNCH_ARGS,
                f"--disable-extensions-except={unpacked}",
                f"--load-extension={unpacked}",
            ],
            viewport={"width": 1280, "height": 900},
        )
        try:
            workers = context.service_workers
            worker = workers[0] if workers else await context.wait_for_event("serviceworker")
            yield Chrome(context, worker.url.split("/")[2])
        finally:
            await context.close()


@pytest.fixture
async def api_key(new_user: ApiUser) -> tuple[str, httpx.AsyncClient]:
    """A new user's API key, and a client of theirs for checking what the extension did."""
    client = await new_user()
    created = await client.post("/api-keys", json={"name": "chrome extension"})
    assert created.status_code == 201, created.text
    return str(created.json()["key"]), client


async def tab_id(popup: Page, page: Page) -> int:
    """Chrome's id of `page`'s tab, as the extension sees it."""
    found = await popup.evaluate(
        "async (url) => (await chrome.tabs.query({})).find((tab) => tab.url === url)?.id ?? null",
        page.url,
    )
    assert isinstance(found, int), f"no tab shows {page.url}"
    return found


async def open_popup(chrome: Chrome, target: Page | None = None) -> Page:
    """The popup as a page of its own; working on `target`'s tab when given (the toolbar's
    popup works on the active tab)."""
    popup = await chrome.context.new_page()
    await popup.goto(chrome.url("popup.html"))
    if target is not None:
        await popup.goto(chrome.url(f"popup.html?tab={await tab_id(popup, target)}"))
    return popup


async def connect(popup: Page, api_url: str, key: str) -> None:
    """Connect through the popup's form; it then shows who is connected where."""
    await popup.get_by_label("Server URL").fill(api_url)
    await popup.get_by_label("API key").fill(key)
    await popup.get_by_role("button", name="Connect").click()
    await expect(popup.locator("#who")).to_contain_text(f"on {api_url}")


def panel(page: Page) -> Locator:
    """The picker's panel on the page (in an open shadow root, which locators pierce)."""
    return page.get_by_role("dialog", name="trawler picker")


async def shot(page: Page, name: str) -> None:
    """A screenshot to look at, in tests/out/extension."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / f"{name}.png")
