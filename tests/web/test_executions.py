"""The executions page in real Chromium against `trawler api` and a real worker: a finished
run listed with its bot and rows, filtered by status, its CSV downloaded through the app, its
replay opened signed in; a long run followed live and cancelled."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from pathlib import Path

from playwright.async_api import Browser, expect

import store
from tests.api.conftest import ApiUser, start_run
from tests.web.conftest import SHOTS, email_of, sign_in, watch
from tests.worker.conftest import Processes, paced_bot, paced_rows, wait_status
from trawler.demo_site import DemoSite

NAME = "Shop <b>rows</b>"


async def test_list_filter_download_replay_and_cancel(
    api_url: str,
    bundle: Path,
    new_user: ApiUser,
    processes: Processes,
    database: store.Database,
    site: DemoSite,
    browser: Browser,
) -> None:
    client = await new_user()
    processes.start("worker")
    finished = await start_run(client, NAME, paced_bot(site, pages=2, delay_ms=20))
    done = await wait_status(database, uuid.UUID(finished))
    assert done.status == store.ExecutionStatus.SUCCEEDED, done.error

    page = await browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    problems = watch(page)
    await sign_in(page, api_url, await email_of(client), target="/executions")
    await expect(page).to_have_url(f"{api_url}/executions")
    await expect(page.get_by_role("link", name="Executions")).to_have_attribute(
        "aria-current", "page"
    )
    table = page.get_by_role("table", name="Executions")
    rows = table.locator("tbody tr")
    await expect(rows).to_have_count(1)
    run = rows.filter(has=page.get_by_role("link", name=NAME))  # the name is text, not markup
    await expect(run.locator(".status")).to_have_text("succeeded")
    await expect(run.locator("td.rows")).to_have_text("6")
    await expect(table.locator("b")).to_have_count(0)

    # filters: the status in the address too, so a reload keeps it
    status = page.get_by_label("Status")
    await status.select_option("failed")
    await expect(page.get_by_text("No executions match.")).to_be_visible()
    await expect(page).to_have_url(f"{api_url}/executions?status=failed")
    await status.select_option("succeeded")
    await expect(rows).to_have_count(1)
    await page.reload()
    await expect(page.get_by_label("Status")).to_have_value("succeeded")
    await expect(rows).to_have_count(1)
    await page.get_by_label("Bot").select_option(label=NAME)
    await expect(rows).to_have_count(1)

    # each row's buttons name the run they act on
    replay_name = await run.get_by_role("button", name="Open replay").get_attribute("aria-label")
    assert replay_name is not None
    assert replay_name.startswith(f"Open replay of {NAME}'s run of ")
    # the CSV through the app: fetched with the bearer token, saved through an object URL
    await run.locator("summary").click()
    async with page.expect_download() as started:
        await run.get_by_role("button", name="Download CSV").click()
    saved = await started.value
    assert saved.suggested_filename == f"execution-{finished}.csv"
    text = Path(await saved.path()).read_text()
    assert list(csv.DictReader(io.StringIO(text))) == paced_rows(2)
    await expect(run.get_by_role("button", name="Download JSON")).to_be_hidden()  # closed
    await run.locator("summary").click()
    async with page.expect_download() as started:
        await run.get_by_role("button", name="Download JSON").click()
    saved = await started.value
    assert json.loads(Path(await saved.path()).read_text()) == paced_rows(2)
    # the menu from the keyboard: Enter opens it, Escape closes it and keeps the focus
    menu = run.locator("summary")
    await menu.focus()
    await page.keyboard.press("Enter")
    await expect(run.get_by_role("button", name="Download XLSX")).to_be_visible()
    await page.keyboard.press("Tab")
    await expect(run.get_by_role("button", name="Download CSV")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(run.get_by_role("button", name="Download CSV")).to_be_hidden()
    await expect(menu).to_be_focused()
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / "executions.png", full_page=True)

    # the replay in a new tab, signed in through the app's token: no viewer sign-in form
    async with page.context.expect_page() as opened:
        await run.get_by_role("button", name="Open replay").click()
    replay = await opened.value
    await replay.wait_for_url(re.compile(rf"/viewer/executions/{finished}/replay(#step-\d+)?$"))
    await expect(replay.locator("#bot-name")).to_have_text(NAME)
    await expect(replay.locator("#run-status")).to_have_text("succeeded")
    await expect(replay.locator("input[type=password]")).to_have_count(0)
    await replay.close()

    # a long run: seen running without a reload, then cancelled from the list
    long_run = await start_run(client, "slow", paced_bot(site, pages=40, delay_ms=500))
    await page.get_by_label("Bot").select_option("")
    await page.get_by_label("Status").select_option("")
    slow = rows.filter(has=page.get_by_role("link", name="slow"))
    await expect(slow.locator(".status")).to_have_text(re.compile("queued|running"))
    await expect(slow.locator(".status")).to_have_text("running", timeout=30_000)
    await expect(page.get_by_text("Updating live")).to_be_visible()
    await page.set_viewport_size({"width": 768, "height": 1024})
    await page.screenshot(path=SHOTS / "executions-768.png", full_page=True)
    await slow.get_by_role("button", name="Cancel").click()
    await expect(slow.locator(".status")).to_have_text("cancelled", timeout=30_000)
    await expect(slow.get_by_role("button", name="Cancel")).to_have_count(0)
    await expect(page.get_by_text("Updating live")).to_have_count(0)
    cancelled = await wait_status(database, uuid.UUID(long_run))
    assert cancelled.status == store.ExecutionStatus.CANCELLED
    assert cancelled.rows < 40 * 3
    assert problems == [], problems
    await page.close()
