"""The settings page in real Chromium against `trawler api`: the month's usage against the
plan, an API key shown once that works (and stops working once revoked), and the account's
proxies (disabled and enabled again) and model endpoints added and deleted, their secrets never
shown back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.async_api import Browser, Dialog, expect

import store
from tests.api.conftest import ApiUser
from tests.web.conftest import SHOTS, email_of, sign_in, watch

PROXY_SECRET = "pr0xy-s3cret"
MODEL_SECRET = "sk-model-s3cret"


async def test_usage_keys_proxies_and_model_endpoints(
    api_url: str, bundle: Path, new_user: ApiUser, database: store.Database, browser: Browser
) -> None:
    client = await new_user()
    me = (await client.get("/users/me")).json()
    async with database.transaction() as session:  # as if runs had been made this month
        session.add(
            store.MonthlyUsage(
                user_id=uuid.UUID(me["id"]),
                month=datetime.now(UTC).strftime("%Y-%m"),
                executions=3,
                rows=1234,
                pages=7,
                llm_tokens=5000,
            )
        )

    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = await context.new_page()
    problems = watch(page)
    asked: list[str] = []

    async def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", accept)
    await sign_in(page, api_url, await email_of(client), target="/settings")
    await expect(page.get_by_role("heading", name="Settings")).to_be_visible()

    # usage against the free plan's limits
    usage = page.get_by_role("table", name="Usage this month")
    await expect(page.get_by_text("Plan: free")).to_be_visible()
    for key, shown in (
        ("executions", "3 of 200"),
        ("rows", "1,234 of 10,000"),
        ("pages", "7"),
        ("llm_tokens", "5,000 of 200,000"),
        ("concurrent", "1"),
    ):
        await expect(usage.locator(f'tr[data-usage="{key}"] td.amount')).to_have_text(shown)
    await expect(usage.get_by_role("meter", name="Rows")).to_have_attribute("value", "1234")

    # an API key: shown once, copied, working; revoked, refused
    await page.get_by_label("Key name").fill("nightly <script>")
    await page.get_by_role("button", name="Create key").click()
    shown_key = page.get_by_role("region", name="Your new API key")
    await expect(shown_key).to_be_visible()
    secret = await shown_key.get_by_role("textbox").input_value()
    assert len(secret) > 20
    await shown_key.get_by_role("button", name="Copy").click()
    await expect(shown_key.get_by_role("status")).to_have_text("Copied.")
    assert await page.evaluate("navigator.clipboard.readText()") == secret
    keys = page.get_by_role("table", name="Your API keys")
    row = keys.locator("tbody tr")
    await expect(row).to_have_count(1)
    await expect(row.locator("td").first).to_have_text("nightly <script>")
    await expect(row.locator("td.state")).to_have_text("active")
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as script:
        answer = await script.get("/users/me", headers={"X-API-Key": secret})
        assert answer.status_code == 200, answer.text
        assert answer.json()["email"] == me["email"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / "settings-key.png", full_page=True)
    await shown_key.get_by_role("button", name="Done").click()
    await expect(shown_key).to_have_count(0)
    await page.reload()
    await expect(row).to_have_count(1)
    assert secret not in await page.content()  # never shown again
    await expect(row.locator("td").nth(3)).not_to_have_text("never")  # used just now
    await row.get_by_role("button", name="Revoke nightly <script>").click()
    await expect(row.locator("td.state")).to_contain_text("revoked")
    await expect(row.get_by_role("button")).to_have_count(0)
    assert asked == ["Revoke the key nightly <script>? Whatever uses it stops working."]
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as script:
        answer = await script.get("/users/me", headers={"X-API-Key": secret})
        assert answer.status_code == 401

    # a proxy: its password typed in a password field, never shown back; a refused host's
    # reason beside the button
    add_proxy = page.get_by_role("form", name="Add proxy")
    await add_proxy.get_by_label("Name", exact=True).fill("residential")
    await add_proxy.get_by_label("Proxy URL").fill("http://169.254.169.254:3128")
    await add_proxy.get_by_role("button", name="Add proxy").click()
    await expect(add_proxy.get_by_role("alert")).to_contain_text(
        "the network policy refuses this proxy"
    )
    await add_proxy.get_by_label("Proxy URL").fill("http://proxy.example:8080")
    await add_proxy.get_by_label("User name").fill("alice")
    password = add_proxy.get_by_label("Password")
    await expect(password).to_have_attribute("type", "password")
    await password.fill(PROXY_SECRET)
    await add_proxy.get_by_label("Tags").fill("residential, country:de")
    await add_proxy.get_by_role("button", name="Add proxy").click()
    proxies = page.get_by_role("table", name="Your proxies")
    await expect(proxies.locator("tbody tr")).to_have_count(1)
    await expect(proxies.locator("td.url")).to_have_text("http://alice:***@proxy.example:8080")
    await expect(proxies).to_contain_text("country:de, residential")  # kept sorted
    await expect(password).to_have_value("")
    assert PROXY_SECRET not in await page.content()
    stored = (await client.get("/proxies")).json()
    assert [(p["name"], p["tags"]) for p in stored] == [
        ("residential", ["country:de", "residential"])
    ]
    # disabled and enabled again, without asking (nothing is lost)
    row = proxies.locator("tbody tr")
    await proxies.get_by_role("button", name="Disable residential").click()
    await expect(row.locator("td").nth(4)).to_have_text("disabled by its owner")
    assert (await client.get("/proxies")).json()[0]["disabled_reason"] == "disabled by its owner"
    await proxies.get_by_role("button", name="Enable residential").click()
    await expect(row.locator("td").nth(4)).to_have_text("in use")
    assert (await client.get("/proxies")).json()[0]["disabled_reason"] is None

    # a model endpoint: the same
    add_model = page.get_by_role("form", name="Add endpoint")
    await add_model.get_by_label("Name", exact=True).fill("mine")
    await add_model.get_by_label("Base URL").fill("file:///etc")
    await add_model.get_by_label("Model").fill("small-model")
    await add_model.get_by_label("API key").fill(MODEL_SECRET)
    await add_model.get_by_role("button", name="Add endpoint").click()
    await expect(add_model.get_by_role("alert")).to_have_text(
        "base_url: Value error, base_url must be an http or https URL with a host"
    )
    await add_model.get_by_label("Base URL").fill("https://models.example/v1")
    await add_model.get_by_role("button", name="Add endpoint").click()
    models = page.get_by_role("table", name="Your model endpoints")
    await expect(models.locator("tbody tr")).to_have_count(1)
    await expect(models).to_contain_text("https://models.example/v1")
    await expect(models).to_contain_text("stored")
    assert MODEL_SECRET not in await page.content()
    await page.screenshot(path=SHOTS / "settings.png", full_page=True)
    await page.set_viewport_size({"width": 768, "height": 1024})
    await page.screenshot(path=SHOTS / "settings-768.png", full_page=True)

    await proxies.get_by_role("button", name="Delete residential").click()
    await expect(page.get_by_text("No proxies yet.")).to_be_visible()
    await models.get_by_role("button", name="Delete mine").click()
    await expect(page.get_by_text("No model endpoints yet.")).to_be_visible()
    assert asked[1:] == ["Delete residential?", "Delete mine?"]
    assert (await client.get("/proxies")).json() == []
    assert (await client.get("/model-endpoints")).json() == []
    assert problems == [], problems
    await context.close()
