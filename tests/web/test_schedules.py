"""The schedules page in real Chromium against `trawler api`: a cron in words with its next
five runs from the API, in the browser's own time zone; a wrong cron and one too frequent for
the plan answered beside the field; a schedule created, paused and resumed from the keyboard,
and deleted."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from playwright.async_api import Browser, Dialog, expect

from tests.api.conftest import ApiUser
from tests.web.conftest import SHOTS, email_of, example, sign_in, watch

NAME = "Daily <i>shop</i>"


async def test_create_preview_refuse_toggle_and_delete(
    api_url: str, bundle: Path, new_user: ApiUser, browser: Browser
) -> None:
    client = await new_user()
    bot = await client.post("/bots", json={"name": NAME, "workflow": example("shop-catalog")})
    assert bot.status_code == 201, bot.text

    page = await browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Seoul")
    problems = watch(page)
    await sign_in(page, api_url, await email_of(client), target="/schedules")
    await expect(page.get_by_text("No schedules yet.")).to_be_visible()
    form = page.get_by_role("form", name="New schedule")
    await expect(form.get_by_label("Bot")).to_have_value(bot.json()["id"])
    zone = form.get_by_label("Time zone")
    await expect(zone).to_have_value("Asia/Seoul")  # the browser's own
    cron = form.get_by_label("Cron expression")
    await expect(cron).to_have_value("0 9 * * 1-5")
    await expect(cron).to_have_accessible_description(
        "At 09:00 on Monday to Friday Five fields: minute, hour, day of month, month, day of "
        "week (0 or 7 is Sunday)."
    )
    runs = form.get_by_role("region", name="Next runs").locator("li time")
    await expect(form.get_by_role("region", name="Next runs")).to_have_attribute(
        "aria-busy", "false"
    )
    await expect(runs).to_have_count(5)
    for time in await runs.all():
        at = datetime.fromisoformat(str(await time.get_attribute("datetime")))
        assert (at.hour, at.minute, at.weekday() < 5) == (0, 0, True)  # 09:00 in Seoul
        await expect(time).to_contain_text("09:00")

    # the API's own words beside the field: a wrong field, then a plan's limit
    await cron.fill("61 * * * *")
    problem = form.locator("#schedule-cron-problem")
    await expect(problem).to_have_text(
        "Error validating expression '61': the last value (61) is higher than the maximum "
        "value (59)"
    )
    await expect(cron).to_have_attribute("aria-invalid", "true")
    await expect(runs).to_have_count(0)
    await expect(form.locator("#schedule-cron-words")).to_have_text("")
    await form.get_by_role("button", name="Create schedule").click()
    await expect(problem).to_contain_text("higher than the maximum value (59)")
    await cron.fill("*/5 * * * *")
    await expect(problem).to_have_text("the free plan runs a schedule at most every 1:00:00")
    assert (await client.get("/schedules")).json() == []

    await cron.fill("30 6 * * *")
    await expect(form.locator("#schedule-cron-words")).to_have_text("At 06:30 every day")
    await expect(problem).to_have_count(0)
    await zone.select_option("Europe/Berlin")
    next_runs = form.get_by_role("region", name="Next runs")
    await expect(next_runs).to_have_attribute("aria-busy", "false")
    await expect(runs).to_have_count(5)
    await expect(runs.first).to_contain_text("06:30 GMT+1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / "schedules-form.png", full_page=True)
    await form.get_by_role("button", name="Create schedule").click()
    await expect(form.get_by_role("status")).to_have_text("Schedule created.")

    table = page.get_by_role("table", name="Your schedules")
    row = table.locator("tbody tr")
    await expect(row).to_have_count(1)
    saved = (await client.get("/schedules")).json()
    assert [(s["cron"], s["timezone"], s["active"]) for s in saved] == [
        ("30 6 * * *", "Europe/Berlin", True)
    ]
    await expect(row.get_by_role("link", name=NAME)).to_be_visible()
    await expect(table.locator("i")).to_have_count(0)  # the name is text, not markup
    await expect(row.locator("code")).to_have_text("30 6 * * *")
    await expect(row).to_contain_text("At 06:30 every day")
    await expect(row).to_contain_text("Europe/Berlin")
    await expect(row.locator("td.next-run time")).to_have_attribute(
        "datetime", saved[0]["next_run_at"].replace("+00:00", "Z")
    )

    # paused and resumed from the keyboard
    switch = row.get_by_role("switch", name=f"Enabled: {NAME}, 30 6 * * *")
    await expect(switch).to_be_checked()
    await switch.focus()
    await page.keyboard.press("Space")
    await expect(switch).not_to_be_checked()
    await expect(row.locator("td.next-run")).to_have_text("paused")
    assert (await client.get("/schedules")).json()[0]["active"] is False
    await page.keyboard.press("Space")
    await expect(switch).to_be_checked()
    await expect(row.locator("td.next-run time")).to_have_count(1)
    assert (await client.get("/schedules")).json()[0]["active"] is True
    await page.set_viewport_size({"width": 768, "height": 1024})
    await page.screenshot(path=SHOTS / "schedules-768.png", full_page=True)

    asked: list[str] = []

    async def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", accept)
    await row.get_by_role("button", name=f"Delete the schedule of {NAME}, 30 6 * * *").click()
    await expect(page.get_by_text("No schedules yet.")).to_be_visible()
    assert asked == [f"Delete the schedule of {NAME} (30 6 * * *)?"]
    assert (await client.get("/schedules")).json() == []
    assert problems == [], problems
    await page.close()
