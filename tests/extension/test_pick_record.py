"""The extension in Chromium against `trawler api` with a worker and the demo shop: connect
with an API key, pick a list and its fields, record a click, save a bot, and the server's test
run of it returns the page's rows; a recorded login keeps the password a secret variable."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from playwright.async_api import Page, expect

from tests.conftest import loaded
from tests.extension.conftest import Chrome, connect, open_popup, panel, shot
from tests.worker.conftest import Processes
from trawler.demo_site import DemoSite
from trawler.demo_site.account import DEMO_PASSWORD
from trawler.demo_site.catalog import ORDERS, page_of


async def _bot(client: Any, name: str) -> dict[str, Any]:
    bots = (await client.get("/bots")).json()["items"]
    found = next(bot for bot in bots if bot["name"] == name)
    detail: dict[str, Any] = (await client.get(f"/bots/{found['id']}")).json()
    return detail


async def _test_run(popup: Page) -> list[list[str]]:
    """Run the chosen bot's test from the popup; the rows of its table."""
    await popup.get_by_role("button", name="Test on the server").click()
    status = popup.locator("#run-status")
    await expect(status).not_to_have_text("Running on the server…", timeout=60_000)
    await expect(status).to_contain_text("succeeded")
    await loaded(popup.get_by_role("img", name="Screenshot of the test run's last step"))
    rows: list[list[str]] = await popup.locator("#rows tr").evaluate_all(
        "(rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent))"
    )
    return rows


async def test_pick_a_list_record_next_save_and_test_on_the_server(
    chrome: Chrome, api_key: tuple[str, Any], api_url: str, site: DemoSite, processes: Processes
) -> None:
    processes.start_ready_worker()
    key, client = api_key
    shop = await chrome.context.new_page()
    await shop.goto(f"{site.base_url}/shop")
    popup = await open_popup(chrome, shop)
    await connect(popup, api_url, key)

    # pick: a product's title, then a second one makes the list; then the price in an item
    await popup.get_by_role("button", name="Pick elements").click()
    await shop.bring_to_front()
    picker = panel(shop)
    await expect(picker).to_contain_text("Click an element to pick it")
    titles = shop.locator("li.product a.title")
    await titles.nth(0).hover()
    await expect(shop.locator("trawler-picker .label")).to_contain_text("a ")
    await titles.nth(0).click()
    await expect(picker.get_by_label("Selector")).to_be_visible()
    await expect(shop).to_have_url(f"{site.base_url}/shop")  # the click picked, it did not follow
    await titles.nth(1).click()
    await expect(picker.get_by_label("Items")).to_have_value("0")
    await expect(picker).to_contain_text("Found in 10 of 10 items")
    await expect(shop.locator("trawler-picker .count")).to_have_text("10 items")
    await shot(shop, "pick-list")
    await expect(picker.get_by_label("Name")).to_have_value("title")
    await picker.get_by_role("button", name="Add field").click()
    await expect(picker).to_contain_text("Fields: title")
    await shop.locator("li.product span.price").nth(2).click()
    await expect(picker.get_by_label("Name")).to_have_value("price")
    await expect(picker).to_contain_text("Found in 10 of 10 items")
    await picker.get_by_role("button", name="Add field").click()
    await expect(picker).to_contain_text("Fields: title, price")

    # record: stop picking, then the click on "Next" (which loads page 2)
    await popup.bring_to_front()
    await popup.get_by_role("button", name="Pick elements", pressed=True).click()
    await popup.get_by_role("button", name="Record").click()
    await expect(popup.get_by_role("button", name="Record", pressed=True)).to_be_visible()
    await shop.bring_to_front()
    await expect(picker).to_be_hidden()
    await expect(shop.locator("trawler-picker .rec")).to_have_text("● Recording (trawler)")
    await shop.get_by_role("link", name="Next").click()
    await expect(shop).to_have_url(f"{site.base_url}/shop?page=2")
    steps = popup.get_by_role("list", name="Draft steps").get_by_role("listitem")
    await expect(steps).to_have_count(3)
    await expect(steps.nth(2)).to_contain_text("then wait for the page")
    await popup.bring_to_front()
    await popup.get_by_role("button", name="Record", pressed=True).click()

    await popup.get_by_label("New bot's name").fill("shop page")
    await popup.get_by_role("button", name="Save as a new bot").click()
    await expect(popup.get_by_role("status")).to_have_text("Saved the bot “shop page”.")
    bot = await _bot(client, "shop page")
    nodes = bot["workflow"]["nodes"]
    assert [node["type"] for node in nodes] == ["navigate", "extract", "click"]
    assert nodes[0]["data"] == {"url": f"{site.base_url}/shop"}
    extract = nodes[1]["data"]
    assert extract["mode"] == "list"
    assert [field["name"] for field in extract["fields"]] == ["title", "price"]
    # ranked by the server as the builder's are: relative to the item, by class
    assert (extract["item_selector"], [f["selector"] for f in extract["fields"]]) == (
        "li.product",
        ["a.title", "span.price"],
    )
    assert nodes[2]["data"]["wait_for"] == "navigation"
    await expect(popup.get_by_label("Bot", exact=True)).to_have_value(bot["id"])

    rows = await _test_run(popup)
    await shot(popup, "popup-test-run")
    expected = [[p.name, p.price_text] for p in page_of(1)]
    assert rows == [["title", "price"], *expected]

    # the categories of page 2, added to the bot: its second version
    await popup.get_by_role("button", name="Pick elements").click()
    await shop.bring_to_front()
    await expect(picker).to_contain_text("Click an element to pick it")
    categories = shop.locator("li.product span.category")
    await categories.nth(0).click()
    await expect(picker.get_by_label("Selector")).to_be_visible()
    await categories.nth(1).click()
    await expect(picker).to_contain_text("Found in 10 of 10 items")
    await picker.get_by_role("button", name="Add field").click()
    await expect(picker).to_contain_text("Fields: category")
    await popup.bring_to_front()
    await popup.get_by_role("button", name="Add the draft to this bot").click()
    await expect(popup.get_by_role("status")).to_have_text("Saved version 2 of “shop page”.")
    document = (await _bot(client, "shop page"))["workflow"]
    ids = [node["id"] for node in document["nodes"]]
    assert [node["type"] for node in document["nodes"]] == [
        *("navigate", "extract", "click"),
        *("navigate", "extract"),
    ]
    assert document["nodes"][3]["data"] == {"url": f"{site.base_url}/shop?page=2"}
    assert len(set(ids)) == len(ids)
    assert [(e["source"], e["target"]) for e in document["edges"]] == list(pairwise(ids))


async def test_a_recorded_login_keeps_the_password_a_secret_variable(
    chrome: Chrome, api_key: tuple[str, Any], api_url: str, site: DemoSite, processes: Processes
) -> None:
    processes.start_ready_worker()
    key, client = api_key
    shop = await chrome.context.new_page()
    said: list[str] = []
    shop.on("console", lambda message: said.append(message.text))
    await shop.goto(f"{site.base_url}/login")
    popup = await open_popup(chrome, shop)
    popup.on("console", lambda message: said.append(message.text))
    await connect(popup, api_url, key)

    await popup.get_by_role("button", name="Record").click()
    await shop.bring_to_front()
    await expect(shop.locator("trawler-picker .rec")).to_be_visible()
    await shop.get_by_label("Username").fill("demo")
    await shop.get_by_label("Password").fill(DEMO_PASSWORD)
    await shop.get_by_role("button", name="Sign in").click()
    await expect(shop).to_have_url(f"{site.base_url}/account")
    steps = popup.get_by_role("list", name="Draft steps").get_by_role("listitem")
    await expect(steps).to_have_count(4)
    await expect(steps.nth(2)).to_contain_text("{{password}} (a secret variable)")
    assert DEMO_PASSWORD not in (await popup.locator("#steps").inner_text())
    await shot(popup, "popup-recorded-login")

    # the orders: pick two order numbers to make the list
    await popup.bring_to_front()
    await popup.get_by_role("button", name="Record", pressed=True).click()
    await popup.get_by_role("button", name="Pick elements").click()
    await shop.bring_to_front()
    picker = panel(shop)
    await expect(picker).to_contain_text("Click an element to pick it")
    await shop.locator("td.order-id").nth(0).click()
    await expect(picker.get_by_label("Selector")).to_be_visible()
    await shop.locator("td.order-id").nth(1).click()
    await expect(picker).to_contain_text(f"Found in {len(ORDERS)} of {len(ORDERS)} items")
    await picker.get_by_label("Name").fill("order")
    await picker.get_by_role("button", name="Add field").click()
    await expect(picker).to_contain_text("Fields: order")
    await popup.bring_to_front()
    await popup.get_by_label("New bot's name").fill("my orders")
    await popup.get_by_role("button", name="Save as a new bot").click()
    await expect(popup.get_by_role("status")).to_have_text("Saved the bot “my orders”.")

    bot = await _bot(client, "my orders")
    document = bot["workflow"]
    assert document["variables"] == {"password": {"value": DEMO_PASSWORD, "secret": True}}
    nodes = document["nodes"]
    assert [node["type"] for node in nodes] == ["navigate", "fill", "fill", "click", "extract"]
    assert nodes[1]["data"]["text"] == "demo"
    assert nodes[2]["data"]["text"] == "{{password}}"
    assert DEMO_PASSWORD not in json.dumps({**document, "variables": {}})

    # the server signs in with it; neither its run, its processes' logs nor a console shows it
    rows = await _test_run(popup)
    assert rows == [["order"], *([order.id] for order in ORDERS)]
    runs = (await client.get("/executions", params={"bot_id": bot["id"]})).json()["items"]
    assert len(runs) == 1
    seen = [
        (await client.get(f"/executions/{runs[0]['id']}/logs")).text,
        (await client.get(f"/executions/{runs[0]['id']}")).text,
        *said,
    ]
    assert all(DEMO_PASSWORD not in text for text in seen), seen
    assert all(DEMO_PASSWORD not in processes.output(process) for process in processes.started)
    secrets = await popup.evaluate(
        "async () => (await chrome.storage.session.get('draft')).draft.secrets"
    )
    assert secrets == {}  # forgotten once saved


async def test_shadow_roots_and_frames_are_refused_clearly(
    chrome: Chrome, api_key: tuple[str, Any], api_url: str, site: DemoSite
) -> None:
    key, _ = api_key
    page = await chrome.context.new_page()
    await page.goto(f"{site.base_url}/lab/components")
    popup = await open_popup(chrome, page)
    await connect(popup, api_url, key)
    await popup.get_by_role("button", name="Pick elements").click()
    await page.bring_to_front()
    picker = panel(page)
    await expect(picker).to_contain_text("Click an element to pick it")

    # inside an open shadow root: the host is picked instead, and the panel says why
    await page.locator("shop-list .name").first.hover()
    await expect(page.locator("trawler-picker .label")).to_contain_text("(shadow root: its host)")
    await page.locator("shop-list .name").first.click()
    await expect(picker).to_contain_text("inside a shadow root, which selectors cannot reach")
    await expect(picker.get_by_label("Selector")).to_contain_text("#tools")
    await page.keyboard.press("Escape")  # drops the element picked
    await expect(picker).to_contain_text("Click an element to pick it")

    # a frame: the label over it says picking inside is not supported
    await page.goto(f"{site.base_url}/lab/frames")
    await expect(picker).to_contain_text("Click an element to pick it")
    await page.mouse.move(0, 0)
    await page.locator("#stock").hover()
    await expect(page.locator("trawler-picker .label")).to_have_text(
        "iframe: picking inside frames is not supported"
    )
    await page.keyboard.press("Escape")  # stops picking
    await expect(page.locator("trawler-picker")).to_have_count(0)
    await expect(popup.get_by_role("button", name="Pick elements", pressed=False)).to_be_visible()


async def test_a_recorded_form_replays_on_the_server(
    chrome: Chrome, api_key: tuple[str, Any], api_url: str, site: DemoSite, processes: Processes
) -> None:
    processes.start_ready_worker()
    key, client = api_key
    page = await chrome.context.new_page()
    await page.goto(f"{site.base_url}/lab/form")
    popup = await open_popup(chrome, page)
    await connect(popup, api_url, key)

    # a choice in a drop-down, typing, a click that changes the page without loading another
    await popup.get_by_role("button", name="Record").click()
    await page.bring_to_front()
    await expect(page.locator("trawler-picker .rec")).to_be_visible()
    await page.locator("#color").focus()
    await page.keyboard.press(
        "ArrowDown"
    )  # as a person does (select_option's events are synthetic)
    await page.locator("#q").fill("desk lamp")
    await page.locator("#go").click()
    await expect(page.locator("#echo")).to_have_text("desk lamp|g")
    steps = popup.get_by_role("list", name="Draft steps").get_by_role("listitem")
    await expect(steps).to_have_count(4)

    # one element, not a list: its text
    await popup.bring_to_front()
    await popup.get_by_role("button", name="Record", pressed=True).click()
    await popup.get_by_role("button", name="Pick elements").click()
    await page.bring_to_front()
    picker = panel(page)
    await expect(picker).to_contain_text("Click an element to pick it")
    await page.locator("#echo").click()
    await expect(picker.get_by_label("Selector")).to_contain_text("#echo")
    # a choice made with the keyboard redraws the panel: the focus stays on the drop-down
    value = picker.get_by_label("Value")
    await value.focus()
    await page.keyboard.press("ArrowDown")
    await expect(value).to_have_value("1")
    await expect(value).to_be_focused()
    await page.keyboard.press("ArrowUp")
    await expect(value).to_have_value("0")
    await expect(value).to_be_focused()
    await picker.get_by_role("button", name="Add field").click()
    await expect(picker).to_contain_text("Fields: echo")
    await popup.bring_to_front()
    await popup.get_by_label("New bot's name").fill("form")
    await popup.get_by_role("button", name="Save as a new bot").click()
    await expect(popup.get_by_role("status")).to_have_text("Saved the bot “form”.")
    nodes = (await _bot(client, "form"))["workflow"]["nodes"]
    assert [(node["type"], node["data"]) for node in nodes[1:]] == [
        ("select", {"selector": "#color", "value": "g"}),
        ("fill", {"selector": "#q", "text": "desk lamp"}),
        ("click", {"selector": "#go", "label": "Click “Go”"}),
        ("extract", {"mode": "single", "fields": [{"name": "echo", "selector": "#echo"}]}),
    ]
    assert await _test_run(popup) == [["echo"], ["desk lamp|g"]]
