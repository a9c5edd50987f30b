"""The web app bridge: a page of the connected server asks the extension (window.postMessage)
to pick on a page and gets the selector back; the same messages from another origin get
nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.extension.conftest import Chrome, connect, open_popup, panel
from tests.web.conftest import email_of, example, sign_in
from trawler.demo_site import DemoSite
from trawler.demo_site.catalog import page_of

LISTEN = """() => {
  window.answers = [];
  addEventListener("message", (event) => {
    const data = event.data;
    if (data && data.type === "SCRAPER_EXTENSION_TO_WEBAPP") window.answers.push(data);
  });
}"""
POST = """(message) => window.postMessage(
  {type: "SCRAPER_WEBAPP_TO_EXTENSION", ...message}, location.origin)"""


async def _answer(page: Page, request_id: str, within: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await page.evaluate(
            "(id) => window.answers.find((a) => a.requestId === id)", request_id
        )
        if found:
            return dict(found)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no answer to {request_id} within {within:g} s")


async def _ping(page: Page, request_id: str) -> dict[str, Any]:
    """PING until the bridge answers (its script may still be starting)."""
    deadline = time.monotonic() + 10
    while True:
        await page.evaluate(POST, {"action": "PING", "requestId": request_id})
        try:
            return await _answer(page, request_id, within=0.5)
        except AssertionError:
            if time.monotonic() > deadline:
                raise


async def test_the_web_app_picks_with_the_extension_and_other_origins_are_ignored(
    chrome: Chrome, api_key: tuple[str, Any], api_url: str, site: DemoSite
) -> None:
    key, _ = api_key
    popup = await open_popup(chrome)
    await connect(popup, api_url, key)
    app = await chrome.context.new_page()
    await app.goto(f"{api_url}/viewer/login")  # any page of the server's origin
    await app.evaluate(LISTEN)
    pong = await _ping(app, "ping-1")
    assert pong["action"] == "PONG"

    # a window of another origin posts the same messages to the server's page: no answer
    async with chrome.context.expect_page() as opened:
        await app.evaluate("(url) => { window.open(url); }", f"{site.base_url}/shop")
    other = await opened.value
    await other.wait_for_load_state()
    pages = len(chrome.context.pages)
    await other.evaluate(
        """(url) => {
          for (const action of ["PING", "START_SELECTION"]) {
            const requestId = `other-${action}`;
            const message = {type: "SCRAPER_WEBAPP_TO_EXTENSION", action, requestId, url};
            window.opener.postMessage(message, "*");
          }
        }""",
        f"{site.base_url}/shop",
    )
    await _ping(app, "ping-2")  # answered after the others were read
    await asyncio.sleep(1)  # the time a tab to pick on would take to open
    assert [a["requestId"] for a in await app.evaluate("window.answers")] == ["ping-1", "ping-2"]
    assert len(chrome.context.pages) == pages

    # one element: its selector, an XPath, how many it matches and their text
    async with chrome.context.expect_page() as opened:
        await app.evaluate(
            POST, {"action": "START_SELECTION", "url": f"{site.base_url}/shop", "requestId": "one"}
        )
    shop = await opened.value
    picker = panel(shop)
    await expect(picker).to_contain_text("pick for the web app")
    second = page_of(1)[1].name
    await shop.locator("li.product a.title").nth(1).click()
    await picker.get_by_role("button", name="Use this selector").click()
    answer = await _answer(app, "one")
    assert answer["action"] == "SELECTION_RESULT"
    result = answer["result"]
    assert result["count"] == 1
    assert result["samples"] == [second]
    assert result["xpath"]
    matched = "(css) => [...document.querySelectorAll(css)].map((e) => e.textContent)"
    assert await shop.evaluate(matched, result["css"]) == [second]
    await expect(shop.locator("trawler-picker")).to_have_count(0)  # the picker is gone

    # a field of each item of a list the web app names
    async with chrome.context.expect_page() as opened:
        request = {
            "action": "START_SELECTION",
            "url": f"{site.base_url}/shop",
            "within": "li.product",
        }
        await app.evaluate(POST, {**request, "requestId": "field"})
    shop = await opened.value
    await expect(panel(shop)).to_contain_text("Click a field inside one of the 10 outlined items")
    await shop.locator("li.product span.price").nth(2).click()
    await expect(panel(shop).get_by_label("Field in each item")).to_have_value("0")
    await panel(shop).get_by_role("button", name="Use this selector").click()
    result = (await _answer(app, "field"))["result"]
    assert (result["css"], result["count"]) == ("span.price", 10)
    assert result["xpath"].startswith(".//")
    assert result["samples"] == [p.price_text for p in page_of(1)[:5]]

    # a list's items: two clicks
    async with chrome.context.expect_page() as opened:
        request = {"action": "START_SELECTION", "url": f"{site.base_url}/shop", "mode": "items"}
        await app.evaluate(POST, {**request, "requestId": "items"})
    shop = await opened.value
    picker = panel(shop)
    await expect(picker).to_contain_text("Click an item of the list, then a second one")
    await shop.locator("li.product").nth(0).click(position={"x": 4, "y": 4})
    await expect(picker.get_by_label("Items")).to_be_visible()
    await shop.locator("li.product").nth(3).click(position={"x": 4, "y": 4})
    await picker.get_by_role("button", name="Use this selector").click()
    result = (await _answer(app, "items"))["result"]
    assert result["count"] == 10
    assert (
        await shop.evaluate("(css) => document.querySelectorAll(css).length", result["css"]) == 10
    )
    assert len(result["samples"]) == 5


async def test_the_builder_offers_the_extension_and_fills_in_its_pick(
    chrome: Chrome, api_key: tuple[str, Any], api_url: str, site: DemoSite, bundle: Path
) -> None:
    key, client = api_key
    document = example("shop-catalog")
    document["variables"]["site"]["value"] = site.base_url
    created = await client.post("/bots", json={"name": "shop", "workflow": document})
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]

    # without a connected extension the builder offers no such button
    popup = await open_popup(chrome)
    app = await chrome.context.new_page()
    await sign_in(app, api_url, await email_of(client), target=f"/bots/{bot_id}")
    await app.locator('.react-flow__node[data-id="products"]').click()
    properties = app.get_by_role("complementary", name="Properties")
    await expect(
        properties.get_by_role("button", name="Pick Item Selector on the page")
    ).to_be_visible()
    await expect(
        properties.get_by_role("button", name="Pick Item Selector with the extension")
    ).to_have_count(0)

    # connected: the builder finds it, and a pick in the extension's tab fills the field
    await connect(popup, api_url, key)
    await app.reload()
    await app.locator('.react-flow__node[data-id="products"]').click()
    live = properties.get_by_role(
        "button", name="Pick Selector in item 2 of Fields with the extension"
    )
    async with chrome.context.expect_page() as opened:
        await live.click()
    shop = await opened.value
    await expect(panel(shop)).to_contain_text("Click a field inside one of the 10 outlined items")
    await expect(app.locator(".canvas-note")).to_contain_text("the tab the extension opened")
    await shop.locator("li.product span.price").nth(2).click()
    await panel(shop).get_by_role("button", name="Use this selector").click()
    await expect(properties.locator("#node-products_fields_1_selector")).to_have_value("span.price")
    await expect(app.locator(".canvas-note")).to_have_text("Picked span.price (10 matches).")
    await expect(app.get_by_text("Unsaved changes")).to_be_visible()
