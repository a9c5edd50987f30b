"""Editing a bot on the canvas in real Chromium against `trawler api`: a kind dragged from the
palette lands where it is dropped; a connection the validator would refuse is refused, saying
why; undo and redo; copy and paste; delete by keyboard; auto-layout; the settings and
variables panel, secrets masked; the keyboard shortcuts' help; a list's buttons, named."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Locator, Page, Position, expect

from tests.api.conftest import ApiUser
from tests.web.conftest import SHOTS, email_of, example, sign_in, watch

SELECTED = re.compile(r"\bselected\b")


def node(page: Page, node_id: str) -> Locator:
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


async def center(locator: Locator) -> tuple[float, float]:
    box = await locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def connect(page: Page, source: Locator, target: Locator) -> None:
    """Draw an edge with the mouse, from a source handle to a target handle."""
    await page.mouse.move(*await center(source))
    await page.mouse.down()
    x, y = await center(target)
    await page.mouse.move(x, y + 8, steps=8)
    await page.mouse.move(x, y, steps=4)


async def open_bot(
    browser: Browser, api_url: str, client: httpx.AsyncClient, workflow: dict[str, Any]
) -> tuple[Page, str, list[str]]:
    created = await client.post("/bots", json={"name": "editing", "workflow": workflow})
    assert created.status_code == 201, created.text
    bot_id = str(created.json()["id"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 860})
    problems = watch(page)
    await sign_in(page, api_url, await email_of(client), target=f"/bots/{bot_id}")
    await expect(page.locator(".react-flow__node")).to_have_count(len(workflow["nodes"]))
    return page, bot_id, problems


async def test_drop_connect_undo_copy_delete_layout(
    api_url: str, bundle: Path, new_user: ApiUser, browser: Browser
) -> None:
    client = await new_user()
    page, bot_id, problems = await open_bot(browser, api_url, client, example("shop-catalog"))
    nodes = page.locator(".react-flow__node")
    edges = page.locator(".react-flow__edge")
    note = page.locator(".canvas-note")
    undo = page.get_by_role("button", name="Undo", exact=True)
    redo = page.get_by_role("button", name="Redo", exact=True)
    palette = page.get_by_role("navigation", name="Add a node")
    await expect(undo).to_be_disabled()

    # drag a kind from the palette: it lands where it is dropped, selected
    pane = page.locator(".react-flow__pane")
    box = await pane.bounding_box()
    assert box is not None
    drop: Position = {"x": box["width"] - 150, "y": box["height"] / 2}
    await palette.get_by_role("button", name="Wait", exact=True).drag_to(pane, target_position=drop)
    added = node(page, "wait-1")
    await expect(added).to_have_class(SELECTED)
    await expect(nodes).to_have_count(4)
    await expect(edges).to_have_count(2)
    at = await added.bounding_box()
    assert at is not None
    point = (box["x"] + drop["x"], box["y"] + drop["y"])
    assert at["x"] <= point[0] <= at["x"] + at["width"], (at, point)
    assert at["y"] <= point[1] <= at["y"] + at["height"], (at, point)
    await expect(page.get_by_text("Unsaved changes")).to_be_visible()

    # a connection the validator would refuse: pages' exit back into open makes a cycle; the
    # reason shows while it is drawn and stays after, and no edge is added
    exit_handle = node(page, "pages").locator(".react-flow__handle.source:not([data-handleid])")
    await connect(page, exit_handle, node(page, "open").locator(".react-flow__handle.target"))
    await expect(note).to_contain_text("Connection refused: it would make a cycle")
    await page.mouse.up()
    await expect(note).to_have_text(
        "Connection refused: it would make a cycle (pages → open → pages): only an edge from a "
        "loop's body back to its paginate or for_each node may loop."
    )
    await expect(edges).to_have_count(2)
    await page.screenshot(path=SHOTS / "editing-refused.png")
    # a node never connects to itself either
    await connect(page, added.locator(".react-flow__handle.source"), added.locator(".target"))
    await page.mouse.up()
    await expect(note).to_have_text("Connection refused: a node cannot connect to itself.")
    await expect(edges).to_have_count(2)
    # one it takes: the extract's output into the dropped wait
    products = node(page, "products")
    await connect(page, products.locator(".react-flow__handle.source"), added.locator(".target"))
    await page.mouse.up()
    await expect(edges).to_have_count(3)
    await expect(page.locator('.react-flow__edge[data-id="products:->wait-1"]')).to_have_count(1)
    await expect(note).to_have_text("Connected products to wait-1.")

    # undo and redo: the edge, the drop; then an add from the palette, by keys
    await undo.click()
    await expect(edges).to_have_count(2)
    await undo.click()
    await expect(nodes).to_have_count(3)
    await redo.click()
    await redo.click()
    await expect(nodes).to_have_count(4)
    await expect(edges).to_have_count(3)
    await products.click()
    await palette.get_by_role("button", name="Screenshot", exact=True).click()
    await expect(nodes).to_have_count(5)
    await page.keyboard.press("Control+z")
    await expect(nodes).to_have_count(4)
    await page.keyboard.press("Control+Shift+z")
    await expect(nodes).to_have_count(5)
    await page.keyboard.press("Control+z")
    await expect(nodes).to_have_count(4)
    await expect(redo).to_be_enabled()

    # a parameter edit: typing is one step; undo brings the old value back, redo the new one
    await products.click()
    panel = page.get_by_role("complementary", name="Properties")
    selector = panel.locator("#node-products_item_selector")
    await expect(selector).to_have_value("li.product")
    await selector.press("End")
    await selector.press_sequentially(".card", delay=30)
    await expect(selector).to_have_value("li.product.card")
    # Backspace in a field edits the field, it deletes no node
    await selector.press("Backspace")
    await expect(selector).to_have_value("li.product.car")
    await expect(nodes).to_have_count(4)
    await undo.click()
    await expect(selector).to_have_value("li.product")
    await redo.click()
    await expect(selector).to_have_value("li.product.car")

    # copy two connected nodes and paste them: fresh ids, the edge between them, moved aside
    await node(page, "open").click()
    await node(page, "pages").click(modifiers=["Control"])
    await expect(node(page, "pages")).to_have_class(SELECTED)
    await page.keyboard.press("Control+c")
    await expect(note).to_have_text("Copied 2 nodes.")
    await page.keyboard.press("Control+v")
    await expect(nodes).to_have_count(6)
    await expect(note).to_have_text("Pasted 2 nodes.")
    for pasted in ("open-1", "pages-1"):
        await expect(node(page, pasted)).to_have_class(SELECTED)
    await expect(node(page, "open")).not_to_have_class(SELECTED)
    await expect(page.locator('.react-flow__edge[data-id="open-1:->pages-1"]')).to_have_count(1)
    await expect(edges).to_have_count(4)
    first, copied = (
        await node(page, "open").bounding_box(),
        await node(page, "open-1").bounding_box(),
    )
    assert first is not None
    assert copied is not None
    assert copied["x"] > first["x"]
    assert copied["y"] > first["y"]
    await page.screenshot(path=SHOTS / "editing-pasted.png")

    # delete by keyboard: the pasted pair and their edge; then undo brings them back
    await page.keyboard.press("Delete")
    await expect(nodes).to_have_count(4)
    await expect(edges).to_have_count(3)
    await expect(note).to_have_text("Deleted 2 items.")
    await page.keyboard.press("Control+z")
    await expect(nodes).to_have_count(6)
    await node(page, "open-1").click()
    await page.keyboard.press("Backspace")
    await node(page, "pages-1").click()
    await page.get_by_role("button", name="Delete", exact=True).click()
    await expect(nodes).to_have_count(4)
    await expect(edges).to_have_count(3)

    # a drag is one step, however many moves it took
    opened = node(page, "open")
    where = re.compile(r"transform: translate\([^)]*\)")
    found = where.search(await opened.get_attribute("style") or "")
    assert found is not None
    x, y = await center(opened)
    await page.mouse.move(x, y)
    await page.mouse.down()
    for step in range(1, 11):
        await page.mouse.move(x + 12 * step, y + 5 * step)
    await page.mouse.up()
    await expect(opened).not_to_have_attribute("style", re.compile(re.escape(found[0])))
    await undo.click()
    await expect(opened).to_have_attribute("style", re.compile(re.escape(found[0])))

    # edges by keyboard, in the node's panel: a refused one says why; one removed
    await node(page, "pages").click()
    await expect(node(page, "pages")).to_have_class(SELECTED)
    await expect(page.locator(".react-flow__node.selected")).to_have_count(1)  # its panel
    outgoing = panel.get_by_role("region", name="Outgoing edges")
    await outgoing.get_by_label("Output").select_option(label="exit (after the loop)")
    await outgoing.get_by_label("Connect to").select_option("open")
    await outgoing.get_by_role("button", name="Connect").click()
    await expect(note).to_contain_text("Connection refused: it would make a cycle")
    await expect(edges).to_have_count(3)
    await products.click()
    await outgoing.get_by_role("button", name="Remove the edge default output to wait-1").click()
    await expect(edges).to_have_count(2)
    await outgoing.get_by_label("Connect to").select_option("wait-1")
    await outgoing.get_by_role("button", name="Connect").click()
    await expect(edges).to_have_count(3)
    await expect(note).to_have_text("Connected products to wait-1.")

    # a wait for a selector needs one to be saved
    await node(page, "wait-1").click()
    await panel.locator("#node-wait-1_selector").fill("li.product")

    # auto-layout: every node placed again, top-down
    await page.get_by_role("button", name="Auto-layout").click()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved as version 2")
    await expect(page.get_by_text("Unsaved changes")).to_have_count(0)
    await page.screenshot(path=SHOTS / "editing-layout.png")
    saved = (await client.get(f"/bots/{bot_id}")).json()["workflow"]
    placed = {n["id"]: n["position"] for n in saved["nodes"]}
    assert placed["open"] == {"x": 0, "y": 0}
    assert placed["pages"] == {"x": 0, "y": 120}
    assert placed["products"] == {"x": 260, "y": 240}
    assert placed["wait-1"] == {"x": 260, "y": 360}
    assert {"source": "products", "target": "wait-1"} in saved["edges"]
    assert saved["nodes"][2]["data"]["item_selector"] == "li.product.car"
    assert [n["id"] for n in saved["nodes"]] == ["open", "pages", "products", "wait-1"]
    assert saved["nodes"][3]["data"]["selector"] == "li.product"
    assert problems == [], problems
    await page.close()


async def test_settings_variables_secrets_and_shortcuts(
    api_url: str, bundle: Path, new_user: ApiUser, browser: Browser
) -> None:
    client = await new_user()
    page, bot_id, problems = await open_bot(browser, api_url, client, example("login-orders"))
    original = example("login-orders")

    # the shortcuts' help: "?" opens it, Escape closes it
    await page.locator(".react-flow__pane").click()
    await page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("row", name="Undo")).to_contain_text("Ctrl+Z")
    await expect(dialog.get_by_role("row", name="Zoom to fit")).to_contain_text("F")
    await page.screenshot(path=SHOTS / "editing-shortcuts.png")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    # the side panel's tabs, by keyboard
    properties_tab = page.get_by_role("tab", name="Properties")
    await properties_tab.focus()
    await page.keyboard.press("ArrowRight")
    settings_tab = page.get_by_role("tab", name="Settings")
    await expect(settings_tab).to_be_focused()
    await expect(settings_tab).to_have_attribute("aria-selected", "true")
    settings = page.get_by_role("tabpanel", name="Settings")
    await expect(settings.get_by_label("Renderer").locator("option:checked")).to_have_text(
        "browser"
    )
    await settings.get_by_label("Max Rows").fill("50")
    # a limit with a default: emptied, it is none (null), not the default again
    max_pages = settings.get_by_label("Max Pages")
    await expect(max_pages).to_have_value("1000")
    await max_pages.fill("")
    await expect(max_pages).to_have_value("")
    await expect(max_pages).to_have_attribute("placeholder", "None (no limit)")
    await settings.get_by_label("Use Http Credentials").check()
    await settings.locator("#settings_http_credentials_username").fill("{{username}}")
    password = settings.locator("#settings_http_credentials_password")
    await password.fill("{{password}}")
    await expect(password).to_have_attribute("type", "password")
    await settings.get_by_role("button", name="Show Password").click()
    await expect(password).to_have_attribute("type", "text")
    await settings.get_by_role("button", name="Hide Password").click()
    await expect(password).to_have_attribute("type", "password")

    # the variables: the secret one masked; a new secret one added
    await page.get_by_role("tab", name="Variables").click()
    variables = page.get_by_role("tabpanel", name="Variables")
    secret = variables.get_by_role("group", name="password", exact=True)
    value = secret.get_by_label("Text", exact=True)
    await expect(value).to_have_attribute("type", "password")
    await expect(value).to_have_value("trawler")
    await expect(secret.get_by_role("button", name="Show Text")).to_have_attribute(
        "aria-pressed", "false"
    )
    # the choice of the value's type is named, as every control is
    await expect(secret.get_by_role("combobox", name="Type of Value", exact=True)).to_be_visible()
    plain = variables.get_by_role("group", name="username", exact=True)
    await expect(plain.get_by_label("Text", exact=True)).to_have_attribute("type", "text")
    await variables.get_by_label("New variable name").fill("now")
    await variables.get_by_role("button", name="Add variable").click()
    await expect(variables.get_by_role("alert")).to_contain_text("built in")
    await variables.get_by_label("New variable name").fill("api_token")
    await variables.get_by_label("New variable name").press("Enter")
    token = variables.get_by_role("group", name="api_token", exact=True)
    await token.get_by_label("Text", exact=True).fill("{{password}}-t0ken")
    await expect(token.get_by_label("Text", exact=True)).to_have_attribute("type", "text")
    await token.get_by_label("Secret").check()
    await expect(token.get_by_label("Text", exact=True)).to_have_attribute("type", "password")
    await page.screenshot(path=SHOTS / "editing-variables.png")
    await variables.get_by_role("button", name="Remove variable site").click()
    await expect(variables.get_by_role("group", name="site", exact=True)).to_have_count(0)
    await page.keyboard.press("Control+z")  # focus on the page: undo brings it back
    await expect(variables.get_by_role("group", name="site", exact=True)).to_have_count(1)

    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved as version 2")
    saved = (await client.get(f"/bots/{bot_id}")).json()["workflow"]
    assert saved["settings"] == {
        **original["settings"],
        "max_rows": 50,
        "max_pages": None,
        "http_credentials": {"username": "{{username}}", "password": "{{password}}"},
    }
    assert saved["variables"] == {
        **original["variables"],
        "api_token": {"value": "{{password}}-t0ken", "secret": True},
    }
    assert [n["id"] for n in saved["nodes"]] == [n["id"] for n in original["nodes"]]

    # read back after a reload: masked still
    await page.reload()
    await page.get_by_role("tab", name="Variables").click()
    token = variables.get_by_role("group", name="api_token", exact=True)
    await expect(token.get_by_label("Text", exact=True)).to_have_attribute("type", "password")
    await expect(token.get_by_label("Text", exact=True)).to_have_value("{{password}}-t0ken")
    await page.get_by_role("tab", name="Settings").click()
    await expect(settings.get_by_label("Max Rows")).to_have_value("50")
    await expect(settings.get_by_label("Max Pages")).to_have_value("")
    await expect(settings.locator("#settings_http_credentials_password")).to_have_attribute(
        "type", "password"
    )
    await page.screenshot(path=SHOTS / "editing-settings.png")
    assert problems == [], problems
    await page.close()


async def test_list_buttons_name_their_list_and_item(
    api_url: str, bundle: Path, new_user: ApiUser, browser: Browser
) -> None:
    """A list's buttons say which list and which item they act on, and do it."""
    client = await new_user()
    page, bot_id, problems = await open_bot(browser, api_url, client, example("login-orders"))
    await node(page, "orders").click()
    panel = page.get_by_role("complementary", name="Properties")
    names = panel.locator("[id^='node-orders_fields_'][id$='_name']")
    await expect(names).to_have_count(4)
    await expect(
        panel.get_by_role("button", name="Move item 1 of Fields up", exact=True)
    ).to_be_disabled()
    await panel.get_by_role("button", name="Move item 4 of Fields up", exact=True).click()
    await panel.get_by_role("button", name="Remove item 1 of Fields", exact=True).click()
    await expect(names).to_have_count(3)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved as version 2")
    saved = (await client.get(f"/bots/{bot_id}")).json()["workflow"]
    orders = next(n for n in saved["nodes"] if n["id"] == "orders")
    assert [field["name"] for field in orders["data"]["fields"]] == ["date", "status", "total"]
    # a list inside an item is named with it
    nested = panel.get_by_role("button", name="Add to Fields in item 2 of Fields", exact=True)
    await expect(nested).to_have_count(1)
    await panel.get_by_role("button", name="Add to Fields", exact=True).click()
    await expect(names).to_have_count(4)
    await expect(
        panel.get_by_role("button", name="Remove item 4 of Fields", exact=True)
    ).to_be_enabled()
    assert problems == [], problems
    await page.close()
