"""The bots page and a bot's history in real Chromium against `trawler api`: signing up, creating,
importing (a good file and a bad one), searching, duplicating, exporting and deleting bots;
comparing two versions and restoring an old one."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Browser, Dialog, Page, Route, expect

from tests.api.conftest import ApiUser
from tests.web.conftest import EXAMPLES, PASSWORD, SHOTS, email_of, example, sign_in, watch


async def _sign_up(page: Page, api_url: str, email: str) -> None:
    await page.goto(f"{api_url}/")
    await page.get_by_role("link", name="Create an account").click()
    await expect(page).to_have_url(f"{api_url}/signup")
    form = page.get_by_role("main")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password", exact=True).fill(PASSWORD)
    await form.get_by_label("Repeat the password").fill(PASSWORD + "x")
    await form.get_by_role("button", name="Create the account").click()
    await expect(form.get_by_label("Repeat the password")).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_role("alert")).to_have_text("The two passwords differ.")
    await form.get_by_label("Repeat the password").fill(PASSWORD)
    await form.get_by_role("button", name="Create the account").click()
    await page.get_by_role("button", name="Sign out").wait_for()


async def test_sign_up_then_create_import_search_duplicate_export_delete(
    api_url: str, bundle: Path, browser: Browser, tmp_path: Path
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    problems = watch(page)

    # an address the server refuses: its message lands on the field
    await page.goto(f"{api_url}/signup")
    form = page.get_by_role("main")
    await form.get_by_label("Email").fill("someone@localhost")
    await form.get_by_label("Password", exact=True).fill(PASSWORD)
    await form.get_by_label("Repeat the password").fill(PASSWORD)
    await form.get_by_role("button", name="Create the account").click()
    await expect(form.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    await expect(form.locator("#signup-email-error")).not_to_be_empty()

    email = f"{uuid.uuid4().hex}@example.com"
    await _sign_up(page, api_url, email)
    await expect(page).to_have_url(f"{api_url}/")
    await expect(page.get_by_text("No bots yet.")).to_be_visible()
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as api:
        signed = await api.post("/auth/login", json={"email": email, "password": PASSWORD})
        api.headers["Authorization"] = f"Bearer {signed.json()['access_token']}"

        # a new bot from a name and a start URL opens in the builder
        await page.get_by_role("button", name="New bot").click()
        await page.get_by_label("Name", exact=True).fill("Fresh bot")
        await page.get_by_label("Start URL").fill("https://shop.example/")
        await page.get_by_role("button", name="Create and open").click()
        await expect(page.locator('.react-flow__node[data-id="open"]')).to_be_visible()
        created = (await api.get("/bots")).json()["items"]
        assert [bot["name"] for bot in created] == ["Fresh bot"]
        assert page.url == f"{api_url}/bots/{created[0]['id']}"
        # the list's first load answers late, after the imports below: it keeps their errors
        late: list[Route] = []

        async def answer_late(route: Route) -> None:
            if late:
                await route.continue_()
                return
            late.append(route)
            await asyncio.sleep(3)
            await route.continue_()

        await page.route("**/api/v1/bots?*", answer_late)
        await page.get_by_role("link", name="Bots", exact=True).click()

        # import: a good file, then one that is not JSON and one whose node is invalid
        good = tmp_path / "shop.json"
        good.write_text((EXAMPLES / "shop-catalog.json").read_text())
        broken = example("shop-catalog")
        broken["nodes"][0]["data"]["url"] = ""
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(broken))
        garbage = tmp_path / "garbage.json"
        garbage.write_text("{not json")
        for file in (good, garbage, bad):
            async with page.expect_file_chooser() as chooser:
                await page.get_by_role("button", name="Import a JSON file").click()
            await (await chooser.value).set_files(file)
            if file is good:
                await expect(page.get_by_role("status")).to_contain_text("Imported")
        alert = page.get_by_role("alert")
        await expect(alert).to_contain_text("bad.json could not be imported")
        await page.wait_for_timeout(3000)  # the late answer has come
        await expect(alert).to_contain_text("bad.json could not be imported")
        await page.unroute("**/api/v1/bots?*")
        await expect(alert.locator("li")).to_contain_text(["open · data.url"])
        names = page.get_by_role("table", name="Your bots").locator("tbody tr td:first-child")
        await expect(names).to_have_count(2)
        imported = next(
            b for b in (await api.get("/bots")).json()["items"] if b["name"] != "Fresh bot"
        )

        # search asks the server
        await page.get_by_label("Search bots").fill("fresh")
        await expect(names).to_have_text(["Fresh bot"])
        await page.get_by_label("Search bots").fill("no such bot")
        await expect(page.get_by_text("No bot matches “no such bot”.")).to_be_visible()
        await page.get_by_label("Search bots").fill("")
        await expect(names).to_have_count(2)

        # duplicate and export
        name = imported["name"]
        await page.get_by_role("button", name=f"Duplicate: {name}").click()
        await expect(names).to_have_count(3)
        await expect(page.get_by_role("link", name=f"{name} (copy)", exact=True)).to_be_visible()
        async with page.expect_download() as downloading:
            await page.get_by_role("button", name=f"Export: {name} (copy)").click()
        download = await downloading.value
        assert download.suggested_filename.endswith(".json")
        exported = json.loads(Path(await download.path()).read_text())
        original = (await api.get(f"/bots/{imported['id']}")).json()["workflow"]
        assert exported == {**original, "name": f"{name} (copy)"}
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SHOTS / "bots-actions.png", full_page=True)

        # delete asks first; cancelling keeps the bot
        answers = iter([False, True])

        async def answer(dialog: Dialog) -> None:
            await (dialog.accept() if next(answers) else dialog.dismiss())

        page.on("dialog", answer)
        remove = page.get_by_role("button", name="Delete: Fresh bot")
        await remove.click()
        await expect(names).to_have_count(3)
        await remove.click()
        await expect(page.get_by_role("status")).to_have_text("Deleted “Fresh bot”.")
        await expect(names).to_have_count(2)
        assert "Fresh bot" not in {b["name"] for b in (await api.get("/bots")).json()["items"]}
    assert problems == []


async def test_history_compares_versions_and_restores_one(
    api_url: str, bundle: Path, new_user: ApiUser, browser: Browser
) -> None:
    client, other = await new_user(), await new_user()
    first = example("shop-catalog")
    created = await client.post("/bots", json={"name": "shop", "workflow": first})
    bot_id = created.json()["id"]
    second = json.loads(json.dumps(first))
    extract = next(node for node in second["nodes"] if node["id"] == "products")
    extract["data"]["item_selector"] = "ul > li.product"
    second["nodes"].append({"id": "shot", "type": "screenshot", "data": {}})
    second["edges"].append({"source": "products", "target": "shot"})
    saved = await client.put(f"/bots/{bot_id}", json={"workflow": second})
    assert saved.json()["current_version"] == 2
    theirs = await other.post("/bots", json={"name": "x", "workflow": example("js-shop")})

    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    problems = watch(page)
    await sign_in(page, api_url, await email_of(client))
    await page.get_by_role("link", name="History: shop").click()
    await expect(page).to_have_url(f"{api_url}/bots/{bot_id}/history")
    versions = page.get_by_role("table", name="Versions").locator("tbody tr")
    await expect(versions).to_have_count(2)
    diff = page.get_by_role("region", name="From version 1 to version 2")
    changes = diff.locator("li.change")
    await expect(changes).to_have_count(3)
    changed = changes.filter(has_text="data.item_selector")
    await expect(changed.locator("del")).to_have_text('"li.product"')
    await expect(changed.locator("ins")).to_have_text('"ul > li.product"')
    await expect(diff.locator('li.change.added[data-subject="shot"]')).to_have_count(1)
    await expect(diff.locator('li.change.added[data-subject="products->shot"]')).to_have_count(1)
    await page.get_by_label("Compare to version 1").check()
    await expect(page.get_by_text("The two versions are the same.")).to_be_visible()
    await page.screenshot(path=SHOTS / "history.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Restore 1").click()
    await expect(page.get_by_role("status")).to_have_text("Version 1 restored as version 3.")
    await expect(versions).to_have_count(3)
    current = (await client.get(f"/bots/{bot_id}")).json()
    assert (current["current_version"], current["workflow"]) == (3, first)

    # another user's bot: not found, nothing of it shown
    await page.goto(f"{api_url}/bots/{theirs.json()['id']}/history")
    await expect(page.get_by_role("alert")).to_have_text("Not found.")
    assert problems == []


async def test_the_pages_fit_a_tablet(
    api_url: str, bundle: Path, new_user: ApiUser, browser: Browser
) -> None:
    """At 768 px nothing is wider than the screen, and the builder stacks its panels."""
    client = await new_user()
    created = await client.post("/bots", json={"name": "shop", "workflow": example("shop-catalog")})
    bot_id = created.json()["id"]
    page = await browser.new_page(viewport={"width": 768, "height": 1024})
    problems = watch(page)
    await sign_in(page, api_url, await email_of(client))
    wide = "() => document.scrollingElement.scrollWidth"
    for path in ("/", f"/bots/{bot_id}", f"/bots/{bot_id}/history", "/executions", "/schedules"):
        await page.goto(f"{api_url}{path}")
        await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        await expect(page.locator("main h1, main .builder-bar h1").first).to_be_visible()
        assert await page.evaluate(wide) <= 768, path
    await page.goto(f"{api_url}/bots/{bot_id}")
    palette = await page.get_by_role("navigation", name="Add a node").bounding_box()
    canvas = await page.get_by_role("region", name="Workflow canvas").bounding_box()
    assert palette is not None
    assert canvas is not None
    assert canvas["y"] >= palette["y"] + palette["height"]  # stacked, not squeezed side by side
    assert canvas["width"] > 600
    await page.screenshot(path=SHOTS / "builder-tablet.png", full_page=True)
    assert problems == []
