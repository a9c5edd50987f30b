"""Signing in to the web app in real Chromium against `trawler api`: the user's own bots with
their last run, nobody else's; a reload keeps the session (the refresh cookie), signing out
ends it."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.async_api import Browser, expect

import store
from tests.api.conftest import ApiUser
from tests.web.conftest import SHOTS, email_of, example, sign_in, watch


async def test_sign_in_see_own_bots_reload_sign_out(
    api_url: str, bundle: Path, new_user: ApiUser, database: store.Database, browser: Browser
) -> None:
    owner, other = await new_user(), await new_user()
    mine = await owner.post(
        "/bots", json={"name": "Shop <b>catalog</b>", "workflow": example("shop-catalog")}
    )
    assert mine.status_code == 201, mine.text
    idle = await owner.post(
        "/bots", json={"name": "never run", "workflow": example("shop-catalog")}
    )
    theirs = await other.post(
        "/bots", json={"name": "someone else's", "workflow": example("js-shop")}
    )
    assert theirs.status_code == 201, theirs.text
    started = await owner.post(f"/bots/{mine.json()['id']}/execute")
    assert started.status_code == 202, started.text
    async with database.transaction() as session:  # as if a worker had run it
        run = await session.get_one(store.Execution, uuid.UUID(started.json()["execution_id"]))
        run.status, run.rows = store.ExecutionStatus.SUCCEEDED, 45

    page = await browser.new_page()
    problems = watch(page)
    await page.goto(f"{api_url}/")
    await expect(page).to_have_url(f"{api_url}/login")
    await page.get_by_label("Email").fill(await email_of(owner))
    await page.get_by_label("Password").fill("wrong-password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")
    await sign_in(page, api_url, await email_of(owner))

    table = page.get_by_role("table", name="Your bots")
    rows = table.locator("tbody tr")
    await expect(rows).to_have_count(2)
    # the name is text, never markup
    shop = rows.filter(has=page.get_by_role("link", name="Shop <b>catalog</b>"))
    await expect(shop.locator("td.status")).to_have_text("succeeded")
    await expect(shop.locator("td.rows")).to_have_text("45")
    await expect(table.locator("b")).to_have_count(0)
    never = rows.filter(has=page.get_by_role("link", name="never run"))
    await expect(never.locator("td.status")).to_have_text("never run")
    await expect(table).not_to_contain_text("someone else's")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / "bots.png", full_page=True)

    await page.reload()
    await expect(page).to_have_url(f"{api_url}/")
    await expect(rows).to_have_count(2)
    assert idle.status_code == 201

    # the server out of reach: the app says it is still signed in there, and stays
    await page.route("**/api/v1/auth/logout", lambda route: route.abort())
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "The server did not answer: you are still signed in there. Try again."
    )
    await expect(rows).to_have_count(2)
    await page.unroute("**/api/v1/auth/logout")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"{api_url}/login")
    await page.reload()  # the refresh cookie no longer works
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("table")).to_have_count(0)
    assert problems == [], problems
    await page.close()
