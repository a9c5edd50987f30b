"""The builder canvas in real Chromium against `trawler api`: the shop-catalog bot's nodes
and its paginate `body` edge, a node appended from the palette and saved as a new version,
and an invalid save whose 422 lands on the node it names."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Dialog, expect

from tests.api.conftest import ApiUser
from tests.web.conftest import SHOTS, email_of, example, sign_in, watch

SELECTED = re.compile(r"\bselected\b")


async def test_canvas_shows_appends_saves_and_marks_issues(
    api_url: str, bundle: Path, new_user: ApiUser, browser: Browser
) -> None:
    client, other = await new_user(), await new_user()
    created = await client.post("/bots", json={"name": "shop", "workflow": example("shop-catalog")})
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]
    theirs = await other.post("/bots", json={"name": "x", "workflow": example("js-shop")})

    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    problems = watch(page)
    await sign_in(page, api_url, await email_of(client), target=f"/bots/{bot_id}")
    await expect(page).to_have_url(f"{api_url}/bots/{bot_id}")

    nodes = page.locator(".react-flow__node")
    await expect(nodes).to_have_count(3)
    for node_id, label in (("open", "Navigate"), ("pages", "Paginate"), ("products", "Extract")):
        node = page.locator(f'.react-flow__node[data-id="{node_id}"]')
        await expect(node.locator(".step-kind")).to_have_text(label)
    edges = page.locator(".react-flow__edge")
    await expect(edges).to_have_count(2)
    body = page.locator('.react-flow__edge[data-id="pages:body->products"]')
    await expect(body).to_have_count(1)
    await expect(body.locator(".react-flow__edge-text")).to_have_text("body")
    # the paginate offers its body and its exit; the extract its one output
    handles = page.locator('.react-flow__node[data-id="pages"] .react-flow__handle.source')
    await expect(handles).to_have_count(2)
    await expect(
        page.locator('.react-flow__node[data-id="pages"] [data-handleid="body"]')
    ).to_have_count(1)

    # the property panel: the extract's parameters as a form from its JSON Schema
    await page.locator('.react-flow__node[data-id="products"]').click()
    panel = page.get_by_role("complementary", name="Properties")
    await expect(panel.get_by_role("heading", level=2)).to_have_text("Extract")
    await expect(panel.locator("#node-products_item_selector")).to_have_value("li.product")
    await expect(panel.locator("#node-products_fields_0_name")).to_have_value("name")
    await expect(page.get_by_text("Unsaved changes")).to_have_count(0)  # looking changes nothing
    await panel.locator("#node-products_item_selector").fill("ul > li.product")
    await expect(page.get_by_text("Unsaved changes")).to_be_visible()

    # append a screenshot after the extract, and save: a new version
    await (
        page.get_by_role("navigation", name="Add a node")
        .get_by_role("button", name="Screenshot")
        .click()
    )
    await expect(nodes).to_have_count(4)
    await expect(page.locator('.react-flow__node[data-id="screenshot-1"]')).to_have_class(SELECTED)
    await expect(page.get_by_text("Unsaved changes")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / "canvas.png")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved as version 2")
    saved = (await client.get(f"/bots/{bot_id}")).json()
    assert saved["current_version"] == 2
    workflow = saved["workflow"]
    assert [n["id"] for n in workflow["nodes"]] == ["open", "pages", "products", "screenshot-1"]
    products = example("shop-catalog")["nodes"][2]["data"]
    # only what the user changed: no default the form showed was written into the document
    assert workflow["nodes"][2]["data"] == {**products, "item_selector": "ul > li.product"}
    assert workflow["nodes"][3]["type"] == "screenshot"
    assert workflow["nodes"][3]["position"]["y"] > workflow["nodes"][2]["position"]["y"]
    assert {"source": "products", "target": "screenshot-1"} in workflow["edges"]
    assert {"source": "pages", "target": "products", "sourceHandle": "body"} in workflow["edges"]
    assert workflow["variables"] == example("shop-catalog")["variables"]
    assert len((await client.get(f"/bots/{bot_id}/versions")).json()) == 2

    # a navigate without its URL: the API's 422 shows on that node and in its panel
    await page.get_by_role("button", name="Navigate").click()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text(
        "The bot is invalid: see the marked nodes."
    )
    added = page.locator('.react-flow__node[data-id="navigate-1"]')
    await expect(added).to_have_class(SELECTED)
    await expect(added.locator(".step-issues")).to_have_text("data.url: Field required")
    await expect(panel.get_by_role("alert")).to_have_text("data.url: Field required")
    await expect(page.locator(".step-issues")).to_have_count(1)
    await expect(added).to_be_in_viewport()  # the canvas brought it into view
    await page.screenshot(path=SHOTS / "canvas-invalid.png")
    assert (await client.get(f"/bots/{bot_id}")).json()["current_version"] == 2

    # leaving with unsaved changes asks first: staying keeps them; leaving brings the saved
    # version back
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:
        asked.append(dialog.type)
        await (dialog.dismiss() if dialog.type == "confirm" else dialog.accept())

    page.on("dialog", answer)
    await page.get_by_role("link", name="All bots").click()
    await expect(page).to_have_url(f"{api_url}/bots/{bot_id}")
    await expect(nodes).to_have_count(5)
    await page.reload()
    assert asked == ["confirm", "beforeunload"]
    await expect(nodes).to_have_count(4)
    await expect(page.get_by_text("version 2")).to_be_visible()
    await expect(page.locator(".step-issues")).to_have_count(0)

    # another user's bot: not found, nothing of it shown
    await page.goto(f"{api_url}/bots/{theirs.json()['id']}")
    await expect(page.get_by_role("alert")).to_have_text("Not found.")
    await expect(nodes).to_have_count(0)
    assert problems == [], problems
    await page.close()
