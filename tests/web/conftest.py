"""Web app fixtures: the bundle (built when missing), the API serving it, and a browser page
signed in through the app's own form."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Locator, Page

from api.webapp import DIST
from tests.api.conftest import api_url as api_url  # the fixtures, shared
from tests.api.conftest import new_user as new_user
from tests.worker.conftest import database as database
from tests.worker.conftest import processes as processes

WEB = Path(__file__).resolve().parents[2] / "web"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHOTS = Path(__file__).resolve().parents[1] / "out" / "web"
PASSWORD = "s3cret-pass"


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("Node.js is missing: `make setup` installs it and builds the web app")
    return found


def _stale() -> bool:
    """Whether the bundle is missing or older than a source of it."""
    index = DIST / "index.html"
    if not index.is_file():
        return True
    sources = [*(WEB / "src").rglob("*"), WEB / "build.mjs", WEB / "package-lock.json"]
    return max(path.stat().st_mtime for path in sources) > index.stat().st_mtime


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The built app; built here when missing or stale (its npm packages must be installed)."""
    if _stale():
        if not (WEB / "node_modules").is_dir():
            pytest.fail("the web app is not built, web/node_modules is missing: run `make setup`")
        built = subprocess.run(
            [node(), "build.mjs"], cwd=WEB, capture_output=True, text=True, check=False
        )
        if built.returncode != 0:
            pytest.fail(f"`node build.mjs` failed (try `make setup`):\n{built.stderr}")
    return DIST


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return document


async def email_of(client: httpx.AsyncClient) -> str:
    return str((await client.get("/users/me")).json()["email"])


def watch(page: Page) -> list[str]:
    """What the page reports going wrong: script errors and Content-Security-Policy refusals
    (not the answers 401, 404 or 422 the app expects and shows)."""
    seen: list[str] = []
    page.on("pageerror", lambda error: seen.append(f"error: {error}"))
    page.on(
        "console",
        lambda message: (
            seen.append(f"console: {message.text}")
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    return seen


async def sign_in(page: Page, api_url: str, email: str, target: str = "/") -> None:
    """Open `target`, meet the sign-in form, sign in; the app shows `target` again."""
    await page.goto(f"{api_url}{target}")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Sign out").wait_for()


async def click_box(page: Page, image: Locator, box: list[float]) -> None:
    """Click the middle of `box` (fractions of a screenshot) on the image showing it."""
    shown = await image.bounding_box()
    assert shown is not None
    x = shown["x"] + (box[0] + box[2] / 2) * shown["width"]
    y = shown["y"] + (box[1] + box[3] / 2) * shown["height"]
    await page.mouse.click(x, y)
