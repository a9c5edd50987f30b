"""Picking selectors on a screenshot and test-running from the canvas, in real Chromium against
`trawler api` and a real worker on the demo shop: two clicks on two products give the list's
item selector, a click inside an item gives a field's selector relative to it, and a test run
shows its steps on the nodes that ran them, with their screenshots, and its rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, expect

from tests.api.conftest import ApiUser
from tests.conftest import loaded
from tests.web.conftest import SHOTS, click_box, email_of, example, sign_in, watch
from tests.worker.conftest import Processes
from trawler.demo_site import DemoSite


async def test_pick_item_and_field_selectors_then_test_run(
    api_url: str,
    bundle: Path,
    new_user: ApiUser,
    processes: Processes,
    site: DemoSite,
    browser: Browser,
) -> None:
    processes.start_ready_worker()
    client = await new_user()
    document: dict[str, Any] = example("shop-catalog")
    document["variables"]["site"]["value"] = site.base_url
    products = next(node for node in document["nodes"] if node["id"] == "products")
    products["data"]["item_selector"] = "li"  # too broad: the picker will mend it
    products["data"]["fields"] = [
        {"name": "name", "selector": "h2"},
        *products["data"]["fields"][1:],
    ]
    created = await client.post("/bots", json={"name": "shop", "workflow": document})
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]
    # where the products are on the screenshot the picker shows (the same viewport)
    where = await client.post(
        "/selectors/test",
        json={"url": f"{site.base_url}/shop", "selectors": ["li.product", "li.product a.title"]},
        timeout=60,
    )
    assert where.status_code == 200, where.text
    items, titles = (found["boxes"] for found in where.json()["selectors"])

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    problems = watch(page)
    await sign_in(page, api_url, await email_of(client), target=f"/bots/{bot_id}")
    await page.locator('.react-flow__node[data-id="products"]').click()
    panel = page.get_by_role("complementary", name="Properties")

    # the item selector: two clicks on two products
    await panel.get_by_role("button", name="Pick Item selector on the page").click()
    picker = page.get_by_role("dialog", name="Pick an element")
    await expect(picker.get_by_label("Page")).to_have_value(f"{site.base_url}/shop")
    image = picker.get_by_role("img")
    await expect(image).to_be_visible(timeout=60_000)
    await expect(picker.get_by_text("Click one item of the list.")).to_be_visible()
    await click_box(page, image, items[0])
    await expect(picker.get_by_text("Now click another item of the same list.")).to_be_visible()
    await click_box(page, image, items[1])
    best = picker.locator(".candidate").first
    await expect(best.locator("code")).to_have_text("li.product", timeout=60_000)
    await expect(best.locator(".count")).to_have_text("10 matches")
    await expect(best.locator("input")).to_be_checked()
    await expect(picker.locator(".match-box").first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / "picker-items.png")
    await picker.get_by_role("button", name="Use this selector").click()
    await expect(picker).to_have_count(0)
    await expect(panel.locator("#node-products_item_selector")).to_have_value("li.product")

    # the first field's selector: one click inside an item, relative to it
    await panel.get_by_role("button", name="Pick Selector in item 1 of Fields on the page").click()
    await expect(
        picker.get_by_text("Click the element inside one item (li.product).")
    ).to_be_visible()
    await expect(image).to_be_visible(timeout=60_000)
    await click_box(page, image, titles[2])
    await expect(best.locator("code")).to_have_text("a.title", timeout=60_000)
    await expect(best.locator(".count")).to_have_text("10 matches")
    await picker.get_by_role("button", name="Use this selector").click()
    await expect(panel.locator("#node-products_fields_0_selector")).to_have_value("a.title")

    # a test run saves first, then shows each step on its node, and the rows
    await page.get_by_role("button", name="Test run").click()
    run = page.get_by_role("region", name="Run")
    await expect(run.get_by_role("status")).to_contain_text("succeeded", timeout=90_000)
    saved = (await client.get(f"/bots/{bot_id}")).json()
    extract = next(node for node in saved["workflow"]["nodes"] if node["id"] == "products")
    assert extract["data"]["item_selector"] == "li.product"
    assert extract["data"]["fields"][0] == {"name": "name", "selector": "a.title"}
    for node_id in ("open", "pages", "products"):
        step = page.locator(f'.react-flow__node[data-id="{node_id}"] .step-run')
        await expect(step).to_have_attribute("data-status", "succeeded")
    shot = page.locator('.react-flow__node[data-id="products"] img.step-shot')
    await loaded(shot)  # served to the app's viewer session
    table = run.get_by_role("table", name="Rows of the run")
    execution = (await client.get("/executions", params={"bot_id": bot_id})).json()["items"][0]
    answer = await client.get(f"/executions/{execution['id']}/result", params={"format": "json"})
    rows = answer.json()
    assert execution["trigger"] == "test"
    assert len(rows) == execution["rows"] > 10
    await expect(table.locator("tbody tr")).to_have_count(min(50, len(rows)))
    header = await table.locator("thead th").all_text_contents()
    first = await table.locator("tbody tr").first.locator("td").all_text_contents()
    assert first[header.index("name")] == rows[0]["name"]
    assert float(first[header.index("price")]) == rows[0]["price"]
    await page.screenshot(path=SHOTS / "canvas-test-run.png", full_page=True)
    assert problems == []
