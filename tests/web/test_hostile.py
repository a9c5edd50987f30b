"""Scraped text with markup in it stays text in the web app, in real Chromium against `trawler
api` and a real worker: product names that are HTML (an image with an onerror handler, a
script, a tag that closes the list) show as they were written in the picker, the nodes' steps,
the run panel's rows and the executions page; nothing runs, no dialog opens, nothing is added
to the page. Screenshots for a person to look at."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Dialog, expect

from tests.api.conftest import ApiUser
from tests.engine.conftest import bot, node
from tests.site.lab import XSS_NAMES
from tests.web.conftest import SHOTS, click_box, email_of, sign_in, watch
from tests.worker.conftest import Processes
from trawler.demo_site import DemoSite


async def test_scraped_markup_is_shown_as_text_everywhere(
    api_url: str,
    bundle: Path,
    new_user: ApiUser,
    processes: Processes,
    site: DemoSite,
    browser: Browser,
) -> None:
    processes.start_ready_worker()
    client = await new_user()
    url = f"{site.base_url}/lab/xss"
    document = bot(
        node("list", "navigate", url=url),
        node(
            "names",
            "extract",
            item_selector="li.product",
            fields=[{"name": "name", "selector": "a.title"}],
        ),
        renderer="browser",
    )
    created = await client.post("/bots", json={"name": "<i>hostile</i>", "workflow": document})
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]
    where = await client.post("/selectors/test", json={"url": url, "selectors": ["li.product"]})
    items = where.json()["selectors"][0]["boxes"]

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    problems = watch(page)
    dialogs: list[str] = []

    async def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", refuse)
    await sign_in(page, api_url, await email_of(client), target=f"/bots/{bot_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("<i>hostile</i>")

    # the picker shows the clicked elements' text as text
    await page.locator('.react-flow__node[data-id="names"]').click()
    panel = page.get_by_role("complementary", name="Properties")
    await panel.get_by_role("button", name="Pick Item Selector on the page").click()
    picker = page.get_by_role("dialog", name="Pick an element")
    image = picker.get_by_role("img")
    await expect(image).to_be_visible(timeout=60_000)
    await click_box(page, image, items[0])
    await click_box(page, image, items[1])
    await expect(picker.locator(".picked")).to_contain_text(XSS_NAMES[0], timeout=60_000)
    await expect(picker.locator(".picked")).to_contain_text(XSS_NAMES[1])
    await page.screenshot(path=SHOTS / "hostile-picker.png")
    await picker.get_by_role("button", name="Close the picker").click()

    # the run panel's rows
    await page.get_by_role("button", name="Test run").click()
    run = page.get_by_role("region", name="Run")
    await expect(run.get_by_role("status")).to_contain_text("succeeded", timeout=90_000)
    cells = run.get_by_role("table", name="Rows of the run").locator("tbody td")
    await expect(cells).to_have_text(list(XSS_NAMES))
    await expect(run.locator("img, script, h1, i")).to_have_count(0)
    await page.screenshot(path=SHOTS / "hostile-run.png", full_page=True)

    # the executions page: the bot's name as text too
    await page.get_by_role("link", name="Executions").click()
    listed = page.get_by_role("table", name="Executions")
    await expect(listed.get_by_role("link", name="<i>hostile</i>")).to_be_visible()
    await expect(listed.locator("i")).to_have_count(0)
    await page.screenshot(path=SHOTS / "hostile-executions.png", full_page=True)

    await expect(page.get_by_role("heading", name="broken out")).to_have_count(0)
    assert dialogs == []
    assert problems == []
