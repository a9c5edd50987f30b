"""The replay viewer in real headless Chromium, against `trawler api` with a real worker:
sign in, list executions, replay a finished run with the keyboard, a failed run's error, a
running one updating live, and hostile scraped content that runs nothing.

Screenshots of the pages go to `tests/out/viewer/` for a person to look at.
"""

from __future__ import annotations

import io
import re
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, Request
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.api.conftest import ApiUser, start_run, wait_finished
from tests.conftest import loaded
from tests.engine.conftest import bot, node
from tests.site.lab import XSS_NAMES
from tests.worker.conftest import Processes, paced_bot
from trawler.demo_site import DemoSite

SHOTS = Path(__file__).resolve().parents[1] / "out" / "viewer"
PASSWORD = "s3cret-pass"


async def _sign_in(page: Page, api_url: str, email: str, target: str) -> None:
    await page.goto(f"{api_url}{target}")
    assert page.url.startswith(f"{api_url}/viewer/login?next="), page.url
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await _open(page, re.compile(re.escape(f"{api_url}{target}") + r"(#step-\d+)?$"))


async def _selected(page: Page) -> str | None:
    return await page.locator(".step[aria-current=true] .step-name b").text_content()


def _guard(page: Page) -> dict[str, list[str]]:
    """Record what hostile content could make the viewer do: dialogs, pop-ups, errors."""
    seen: dict[str, list[str]] = {"dialogs": [], "popups": [], "errors": []}
    page.on("dialog", lambda dialog: seen["dialogs"].append(dialog.message))
    page.on("popup", lambda popup: seen["popups"].append(popup.url))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    return seen


async def _open(page: Page, url: str | re.Pattern[str]) -> None:
    """Wait for `url` to load; if it does not, name the requests still open."""
    started = time.monotonic()
    pending: dict[Request, float] = {}
    handlers: dict[str, Callable[[Request], object]] = {
        "request": lambda request: pending.setdefault(request, time.monotonic() - started),
        "requestfinished": lambda request: pending.pop(request, None),
        "requestfailed": lambda request: pending.pop(request, None),
    }
    for event, handler in handlers.items():
        page.on(event, handler)  # type: ignore[call-overload]
    try:
        await page.wait_for_url(url)
    except PlaywrightTimeout:
        still = [
            f"{request.method} {request.url} (at {at:.1f} s)" for request, at in pending.items()
        ]
        raise AssertionError(f"{url} did not load; {page.url} still waits for {still}") from None
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)


async def _email(client: httpx.AsyncClient) -> str:
    return str((await client.get("/users/me")).json()["email"])


async def test_replay_of_finished_and_failed_runs(
    api_url: str, new_user: ApiUser, processes: Processes, site: DemoSite, browser: Browser
) -> None:
    processes.start("worker")
    client = await new_user()
    hostile = bot(
        node("list", "navigate", url=f"{site.base_url}/lab/xss"),
        node(
            "names",
            "extract",
            item_selector="li.product",
            fields=[{"name": "name", "selector": "a.title"}],
        ),
        node("pester", "navigate", url=f"{site.base_url}/lab/alerts"),
        trace="full",
        renderer="browser",
    )
    good = await start_run(client, "hostile shop", hostile)
    finished = await wait_finished(client, good)  # the free plan runs one at a time
    assert finished["status"] == "succeeded", finished["error"]
    broken = await start_run(
        client,
        "broken",
        bot(
            node("shop", "navigate", url=f"{site.base_url}/shop"),
            node("buy", "click", selector="#no-such-button"),
            trace="errors",
            renderer="browser",
        ),
    )
    failed = await wait_finished(client, broken)
    assert failed["status"] == "failed"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    seen = _guard(page)
    try:
        await _sign_in(page, api_url, await _email(client), "/viewer/executions")
        listed = page.locator("main tbody tr")
        assert await listed.count() == 2
        assert "broken" in (await listed.first.text_content() or "")  # newest first
        await page.screenshot(path=SHOTS / "executions.png", full_page=True)

        await page.click(f"a[href='/viewer/executions/{good}/replay']")
        # the viewer keeps the selected step in the fragment (#step-1) as soon as its script
        # runs, which may be before the wait starts: the URL matches with or without it
        await _open(page, re.compile(rf"/viewer/executions/{good}/replay(#step-\d+)?$"))
        assert await page.locator("#bot-name").text_content() == "hostile shop"
        assert await page.locator("#run-status").text_content() == "succeeded"
        assert await page.locator(".step").count() == 3
        assert await _selected(page) == "list"
        shot = page.locator("#step-shot img")
        await loaded(shot)

        await page.keyboard.press("ArrowDown")
        assert await _selected(page) == "names"
        await loaded(shot)
        # one box per product on the screenshot, placed where the products were
        marks = page.locator("#step-shot .hl")
        assert await marks.count() == len(XSS_NAMES)
        assert "li.product · 4 matches" in await page.locator(".chip").all_text_contents()
        first = await marks.first.bounding_box()
        picture = await shot.bounding_box()
        assert first
        assert picture
        assert first["width"] > picture["width"] / 3
        # the hostile names are text in the table, never markup
        cells = await page.locator("#rows-table tbody td").all_text_contents()
        for name in XSS_NAMES:
            assert name in cells
        await page.screenshot(path=SHOTS / "replay-highlights.png", full_page=True)
        # trace "full": the Playwright trace, for `playwright show-trace`
        trace = await page.get_attribute("#nav-links a[download]", "href")
        assert trace
        assert trace.startswith(f"/viewer/executions/{good}/artifacts/")
        zipped = await page.request.get(f"{api_url}{trace}")
        assert zipped.ok
        with zipfile.ZipFile(io.BytesIO(await zipped.body())) as archive:
            assert "trace.trace" in archive.namelist()

        await page.keyboard.press("j")
        assert await _selected(page) == "pester"
        # the snapshot of a page that opens dialogs and pop-ups forever runs no script here
        frame = page.locator("#snapshot")
        assert await frame.get_attribute("sandbox") == ""
        inner = page.frame_locator("#snapshot")
        assert await inner.locator("#content").text_content() == "Still here"
        await page.wait_for_timeout(300)  # the page's timers would fire every 50 ms
        await page.keyboard.press("k")
        assert await _selected(page) == "names"
        await page.keyboard.press("End")
        assert await _selected(page) == "pester"
        await page.keyboard.press("Home")
        assert await _selected(page) == "list"

        async with page.expect_download() as download:
            await page.click("#download-csv")
        csv_text = Path(await (await download.value).path()).read_text(encoding="utf-8")
        assert csv_text.splitlines()[0] == "name"
        assert len(csv_text.splitlines()) == 1 + len(XSS_NAMES)

        await page.goto(f"{api_url}/viewer/executions/{broken}/replay")
        assert await page.locator("#run-status").text_content() == "failed"
        assert "no-such-button" in (await page.locator("#run-error").text_content() or "")
        await page.keyboard.press("End")
        assert await _selected(page) == "buy"
        assert "no-such-button" in (await page.locator("#step-error").text_content() or "")
        assert await page.locator("#step-shot img").count() == 1
        await page.screenshot(path=SHOTS / "replay-failed.png", full_page=True)

        assert seen == {"dialogs": [], "popups": [], "errors": []}
    finally:
        await page.close()


async def test_a_running_execution_updates_live(
    api_url: str, new_user: ApiUser, processes: Processes, site: DemoSite, browser: Browser
) -> None:
    processes.start("worker")
    client = await new_user()
    document = paced_bot(site, pages=5, delay_ms=600, trace="steps", renderer="browser")
    execution = await start_run(client, "paced", document)
    page = await browser.new_page()
    seen = _guard(page)
    try:
        await _sign_in(
            page, api_url, await _email(client), f"/viewer/executions/{execution}/replay"
        )
        assert await page.locator("#run-status").text_content() in ("queued", "running")
        assert await page.locator("#live").is_visible()
        first = await page.locator(".step").count()
        # the page is never reloaded: the steps and rows arrive through the event stream
        await page.locator("#run-status", has_text="succeeded").wait_for(timeout=60_000)
        assert await page.locator(".step").count() > max(first, 5)
        assert await page.locator("#live").is_hidden()
        assert await page.locator("#rows-table tbody tr").count() == 15
        assert await _selected(page) == "rows"  # it followed the newest step
        await page.screenshot(path=SHOTS / "replay-live-finished.png", full_page=True)
        assert seen == {"dialogs": [], "popups": [], "errors": []}
    finally:
        await page.close()


async def test_pages_need_a_session_and_hide_other_users_runs(
    api_url: str, new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    owner, stranger = await new_user(), await new_user()
    document = bot(node("open", "navigate", url=f"{site.base_url}/shop"), renderer="http")
    execution = await start_run(owner, "mine", document)
    async with httpx.AsyncClient(base_url=api_url, follow_redirects=False) as browser_like:
        answer = await browser_like.get(f"/viewer/executions/{execution}/replay")
        assert answer.status_code == 303
        assert (
            answer.headers["location"]
            == f"/viewer/login?next=%2Fviewer%2Fexecutions%2F{execution}%2Freplay"
        )
        assert (
            await browser_like.get(f"/viewer/executions/{execution}/run.json")
        ).status_code == 401
        # a bearer token is no page session
        token = stranger.headers["Authorization"]
        answer = await browser_like.get("/viewer/executions", headers={"Authorization": token})
        assert answer.status_code == 303

        wrong = await browser_like.post(
            "/viewer/login", data={"email": await _email(owner), "password": "wrong-password"}
        )
        assert wrong.status_code == 401
        assert "wrong email or password" in wrong.text
        offsite = await browser_like.post(
            "/viewer/login",
            data={"email": await _email(stranger), "password": PASSWORD, "next": "//evil.test/"},
        )
        assert offsite.status_code == 303
        assert offsite.headers["location"] == "/viewer/executions"  # never to another site
        for sneaky in ("/\t/evil.test", "/\\evil.test", "https://evil.test/", "/\n/evil.test"):
            answer = await browser_like.post(
                "/viewer/login",
                data={"email": await _email(stranger), "password": PASSWORD, "next": sneaky},
            )
            assert answer.headers["location"] == "/viewer/executions", sneaky
        cookie = offsite.cookies["trawler_session"]
        assert "httponly" in offsite.headers["set-cookie"].lower()
        assert "samesite=lax" in offsite.headers["set-cookie"].lower()

        as_stranger = {"Cookie": f"trawler_session={cookie}"}
        for path in ("replay", "run.json", "rows.csv", "events", f"artifacts/{uuid.uuid4()}"):
            answer = await browser_like.get(
                f"/viewer/executions/{execution}/{path}", headers=as_stranger
            )
            assert answer.status_code == 404, path
        listed = await browser_like.get("/viewer/executions", headers=as_stranger)
        assert listed.status_code == 200
        assert execution not in listed.text
        assert "default-src 'none'" in listed.headers["content-security-policy"]
        # the cookie is no bearer token for the API either
        api = await browser_like.get("/api/v1/bots", headers=as_stranger)
        assert api.status_code == 401
        crossed = await browser_like.post(
            "/viewer/logout", headers={**as_stranger, "Origin": "http://evil.test"}
        )
        assert crossed.status_code == 403


async def test_the_web_app_opens_a_viewer_session_with_its_access_token(
    api_url: str, new_user: ApiUser
) -> None:
    owner = await new_user()
    async with httpx.AsyncClient(base_url=api_url, follow_redirects=False) as browser_like:
        # a cookie alone (what another site's page could make the browser send) opens nothing
        refused = await browser_like.post("/viewer/session")
        assert refused.status_code == 401
        assert "trawler_session" not in refused.cookies
        opened = await browser_like.post(
            "/viewer/session", headers={"Authorization": owner.headers["Authorization"]}
        )
        assert opened.status_code == 204
        cookie = opened.cookies["trawler_session"]
        assert "httponly" in opened.headers["set-cookie"].lower()
        assert "samesite=lax" in opened.headers["set-cookie"].lower()
        listed = await browser_like.get(
            "/viewer/executions", headers={"Cookie": f"trawler_session={cookie}"}
        )
        assert listed.status_code == 200
        assert "Executions" in listed.text
