"""The web app's whole story in real Chromium against `trawler api` and a real worker on the
demo shop: a new user signs up, builds the shop-catalog bot on the canvas from scratch (navigate
from a start URL, paginate and extract dragged from the palette, edges drawn, the paginate's
parameters typed with the keyboard alone, the item and field selectors picked on the page's
screenshot), test-runs it, runs it for real and watches it finish live, downloads all 45 rows as
CSV from the executions page, schedules it, and opens the replay."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Browser, Locator, Page, expect

from tests.web.conftest import PASSWORD, SHOTS, click_box, watch
from tests.web.test_editing import connect, node
from tests.worker.conftest import Processes
from trawler.demo_site import DemoSite


async def _drop(page: Page, kind: str, x: float, y: float) -> None:
    """Drag `kind` from the palette onto the canvas at (x, y) of its pane."""
    palette = page.get_by_role("navigation", name="Add a node")
    pane = page.locator(".react-flow__pane")
    await palette.get_by_role("button", name=kind, exact=True).drag_to(
        pane, target_position={"x": x, "y": y}
    )


async def test_a_new_user_builds_runs_downloads_schedules_and_replays(
    api_url: str, bundle: Path, processes: Processes, site: DemoSite, browser: Browser
) -> None:
    processes.start_ready_worker()
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as api:
        where = await _boxes(api, site)
        await _journey(api_url, api, site, browser, where)


async def _boxes(api: httpx.AsyncClient, site: DemoSite) -> dict[str, list[list[float]]]:
    """Where the products, titles and prices are on the picker's screenshot (another user's
    question to the same API: the same viewport)."""
    credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD}
    assert (await api.post("/api/v1/auth/register", json=credentials)).status_code == 201
    token = (await api.post("/api/v1/auth/login", json=credentials)).json()["access_token"]
    selectors = ["li.product", "li.product a.title", "li.product .price"]
    answer = await api.post(
        "/api/v1/selectors/test",
        json={"url": f"{site.base_url}/shop", "selectors": selectors},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()["selectors"]
    return {"items": found[0]["boxes"], "titles": found[1]["boxes"], "prices": found[2]["boxes"]}


async def _pick(page: Page, button: Locator, clicks: list[list[float]], expected: str) -> None:
    await button.click()
    picker = page.get_by_role("dialog", name="Pick an element")
    image = picker.get_by_role("img")
    await expect(image).to_be_visible(timeout=60_000)
    for box in clicks:
        await click_box(page, image, box)
    best = picker.locator(".candidate").first
    await expect(best.locator("code")).to_have_text(expected, timeout=60_000)
    await picker.get_by_role("button", name="Use this selector").click()
    await expect(picker).to_have_count(0)


async def _journey(
    api_url: str,
    api: httpx.AsyncClient,
    site: DemoSite,
    browser: Browser,
    where: dict[str, list[list[float]]],
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    problems = watch(page)

    # sign up
    email = f"{uuid.uuid4().hex}@example.com"
    await page.goto(f"{api_url}/signup")
    form = page.get_by_role("main")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password", exact=True).fill(PASSWORD)
    await form.get_by_label("Repeat the password").fill(PASSWORD)
    await form.get_by_role("button", name="Create the account").click()
    await expect(page.get_by_text("No bots yet.")).to_be_visible()

    # a new bot: its navigate, from a start URL
    await page.get_by_role("button", name="New bot").click()
    await page.get_by_label("Name", exact=True).fill("Shop catalog")
    await page.get_by_label("Start URL").fill(f"{site.base_url}/shop")
    await page.get_by_role("button", name="Create and open").click()
    await expect(node(page, "open")).to_be_visible()

    # paginate and extract dragged from the palette, then connected
    box = await page.locator(".react-flow__pane").bounding_box()
    assert box is not None
    await _drop(page, "Paginate", box["width"] / 2 - 120, box["height"] - 260)
    await _drop(page, "Extract", box["width"] / 2 + 130, box["height"] - 120)
    pages, products = node(page, "paginate-1"), node(page, "extract-1")
    await expect(pages).to_be_visible()
    await expect(products).to_be_visible()
    await connect(page, node(page, "open").locator(".source"), pages.locator(".target"))
    await page.mouse.up()
    await connect(page, pages.locator('[data-handleid="body"]'), products.locator(".target"))
    await page.mouse.up()
    body = page.locator('.react-flow__edge[data-id="paginate-1:body->extract-1"]')
    await expect(body).to_have_count(1)
    await expect(page.locator(".react-flow__edge")).to_have_count(2)

    # the paginate's parameters with the keyboard alone
    await pages.click()
    panel = page.get_by_role("complementary", name="Properties")
    await panel.get_by_role("textbox", name="Next Selector").focus()
    await page.keyboard.type("a.next")
    await page.keyboard.press("Tab")
    await panel.get_by_role("spinbutton", name="Max Pages").focus()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("20")
    await page.keyboard.press("Tab")
    await expect(panel.get_by_role("textbox", name="Next Selector")).to_have_value("a.next")

    # the extract: items and two fields, picked on the page's screenshot
    await products.click()
    await _pick(
        page,
        panel.get_by_role("button", name="Pick Item Selector on the page"),
        [where["items"][0], where["items"][1]],
        "li.product",
    )
    for index, (name, boxes, expected) in enumerate(
        (("name", where["titles"], "a.title"), ("price", where["prices"], "span.price"))
    ):
        if index > 0:  # the form starts with the one field the kind needs
            await panel.get_by_role("button", name="Add to Fields", exact=True).click()
        await panel.locator(f"#node-extract-1_fields_{index}_name").fill(name)
        pick = panel.get_by_role(
            "button", name=f"Pick Selector in item {index + 1} of Fields on the page"
        )
        await _pick(page, pick, [boxes[2]], expected)
        await expect(panel.locator(f"#node-extract-1_fields_{index}_selector")).to_have_value(
            expected
        )
    await page.screenshot(path=SHOTS / "journey-canvas.png")

    # a test run: saved first, its steps on the nodes, its rows in the panel
    await page.get_by_role("button", name="Test run").click()
    run = page.get_by_role("region", name="Run")
    status = run.get_by_role("status")
    await expect(status).to_contain_text("succeeded", timeout=90_000)
    await expect(products.locator(".step-run")).to_have_attribute("data-status", "succeeded")
    table = run.get_by_role("table", name="Rows of the run")
    await expect(table.locator("thead th")).to_have_text(["name", "price"])
    tested = await table.locator("tbody tr").count()
    assert tested >= 10  # a test run reads the first pages
    await expect(page.get_by_text("Unsaved changes")).to_have_count(0)
    await page.screenshot(path=SHOTS / "journey-test-run.png", full_page=True)

    # the real run, followed live to its end
    await page.get_by_role("button", name="Run now").click()
    await expect(run.get_by_role("heading")).to_have_text("Run")
    await expect(status).to_contain_text("succeeded · 45 rows · 5 pages", timeout=120_000)

    # the replay, opened signed in
    async with page.context.expect_page() as opening:
        await run.get_by_role("button", name="Open the replay").click()
    replay = await opening.value
    await expect(replay.locator("#run-status")).to_have_text("succeeded", timeout=30_000)
    await expect(replay.locator("#bot-name")).to_have_text("Shop catalog")
    await replay.screenshot(path=SHOTS / "journey-replay.png")
    await replay.close()

    # the executions page: all 45 rows as CSV
    await page.get_by_role("link", name="Executions").click()
    executions = page.get_by_role("table", name="Executions").locator("tbody tr")
    await expect(executions).to_have_count(2)
    newest = executions.first
    await expect(newest.locator("td.rows")).to_have_text("45")
    await newest.locator("summary").click()
    async with page.expect_download() as downloading:
        await newest.get_by_role("button", name="Download CSV").click()
    download = await downloading.value
    rows = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text())))
    assert len(rows) == 45
    assert set(rows[0]) == {"name", "price"}
    assert all(row["name"] and row["price"] for row in rows)
    await page.screenshot(path=SHOTS / "journey-executions.png", full_page=True)

    # scheduled every morning
    await page.get_by_role("link", name="Schedules").click()
    form = page.get_by_role("form", name="New schedule")
    await form.get_by_label("Bot").select_option(label="Shop catalog")
    await form.get_by_label("Cron expression").fill("0 6 * * *")
    await expect(form.get_by_role("region", name="Next runs").locator("li time")).to_have_count(5)
    await form.get_by_role("button", name="Create schedule").click()
    schedules = page.get_by_role("table", name="Your schedules").locator("tbody tr")
    await expect(schedules).to_have_count(1)
    await expect(schedules.first).to_contain_text("Shop catalog")
    await page.screenshot(path=SHOTS / "journey-schedules.png", full_page=True)
    assert problems == []
