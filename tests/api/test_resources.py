"""Schedules, execution lists and logs, usage and quotas, deleting an account — over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.api.conftest import ApiUser, error_of, wait_finished
from tests.worker.conftest import Processes, paced_bot
from trawler.demo_site import DemoSite


async def test_schedules_are_validated_previewed_toggled_and_deleted(
    new_user: ApiUser, site: DemoSite
) -> None:
    client = await new_user()
    bot = (await client.post("/bots", json={"name": "b", "workflow": paced_bot(site)})).json()
    created = await client.post(
        "/schedules", json={"bot_id": bot["id"], "cron": "0 9 * * 1-5", "timezone": "Asia/Seoul"}
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    runs = [datetime.fromisoformat(t) for t in schedule["next_runs"]]
    assert len(runs) == 5
    assert all(t.hour == 0 and t.minute == 0 and t.weekday() < 5 for t in runs)  # 09:00 KST
    assert schedule["next_run_at"] == schedule["next_runs"][0]

    bad_zone = await client.post(
        "/schedules", json={"bot_id": bot["id"], "cron": "0 9 * * *", "timezone": "Mars/Base"}
    )
    assert bad_zone.status_code == 422
    assert error_of(bad_zone)["details"] == [
        {"field": "timezone", "message": "unknown time zone 'Mars/Base'"}
    ]
    bad_cron = await client.post("/schedules", json={"bot_id": bot["id"], "cron": "61 * * * *"})
    assert error_of(bad_cron)["details"][0]["field"] == "cron"
    too_often = await client.post("/schedules", json={"bot_id": bot["id"], "cron": "*/5 * * * *"})
    assert too_often.status_code == 402
    assert error_of(too_often)["details"]["limit"] == "min_schedule_interval"

    paused = await client.post(f"/schedules/{schedule['id']}/toggle")
    assert paused.json()["active"] is False
    assert paused.json()["next_run_at"] is None
    changed = await client.patch(f"/schedules/{schedule['id']}", json={"cron": "0 */2 * * *"})
    assert changed.json()["cron"] == "0 */2 * * *"
    assert [s["id"] for s in (await client.get("/schedules")).json()] == [schedule["id"]]
    assert (await client.delete(f"/schedules/{schedule['id']}")).status_code == 204
    assert (await client.get(f"/schedules/{schedule['id']}")).status_code == 404

    stranger = await new_user()
    for method, path in [
        ("GET", f"/schedules/{schedule['id']}"),
        ("POST", "/schedules"),
    ]:
        body = {"bot_id": bot["id"], "cron": "0 9 * * *"} if method == "POST" else None
        assert (await stranger.request(method, path, json=body)).status_code == 404


async def test_a_cron_is_previewed_as_it_would_be_saved(new_user: ApiUser) -> None:
    client = await new_user()
    preview = await client.post(
        "/schedules/preview", json={"cron": " 0 9 * * 1-5 ", "timezone": "Asia/Seoul"}
    )
    assert preview.status_code == 200, preview.text
    runs = [datetime.fromisoformat(t) for t in preview.json()["next_runs"]]
    assert len(runs) == 5
    assert runs == sorted(runs)
    assert runs[0] > datetime.now().astimezone()
    assert all(t.utcoffset() == timedelta(0) for t in runs)
    assert all(t.hour == 0 and t.minute == 0 and t.weekday() < 5 for t in runs)  # 09:00 KST
    # the answers saving would give, and nothing saved
    bad_cron = await client.post("/schedules/preview", json={"cron": "61 * * * *"})
    assert bad_cron.status_code == 422
    assert error_of(bad_cron)["details"][0]["field"] == "cron"
    assert "61" in error_of(bad_cron)["message"]
    bad_zone = await client.post("/schedules/preview", json={"cron": "0 9 * * *", "timezone": "X"})
    assert error_of(bad_zone)["details"] == [
        {"field": "timezone", "message": "unknown time zone 'X'"}
    ]
    too_often = await client.post("/schedules/preview", json={"cron": "*/5 * * * *"})
    assert too_often.status_code == 402
    assert error_of(too_often)["details"]["limit"] == "min_schedule_interval"
    assert (await client.get("/schedules")).json() == []


async def test_executions_listed_with_logs_usage_and_the_concurrency_quota(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    client = await new_user()
    bot = (
        await client.post("/bots", json={"name": "b", "workflow": paced_bot(site, pages=2)})
    ).json()
    first = (await client.post(f"/bots/{bot['id']}/execute")).json()["execution_id"]
    # the free plan runs one execution at a time: the second is refused while the first waits
    second = await client.post(f"/bots/{bot['id']}/execute")
    assert second.status_code == 429
    assert error_of(second)["details"]["limit"] == "concurrent_executions"

    processes.start("worker")
    execution = await wait_finished(client, first)
    assert execution["status"] == "succeeded", execution["error"]

    listed = (await client.get("/executions", params={"bot_id": bot["id"]})).json()
    assert [e["id"] for e in listed["items"]] == [first]
    assert (await client.get("/executions", params={"status": "failed"})).json()["total"] == 0
    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    assert (await client.get("/executions", params={"since": tomorrow})).json()["total"] == 0

    logs = (await client.get(f"/executions/{first}/logs")).json()
    assert [line["message"] for line in logs][:2] == ["page 1: 3 rows", "page 2: 3 rows"]
    after = await client.get(f"/executions/{first}/logs", params={"after": logs[0]["id"]})
    assert after.json()[0]["id"] == logs[1]["id"]

    usage = (await client.get("/users/me/usage")).json()
    assert (usage["executions"], usage["rows"], usage["pages"]) == (1, 6, 2)
    assert usage["limits"]["executions_per_month"] == 200


async def test_deleting_the_account_removes_everything(
    new_user: ApiUser, site: DemoSite, api_url: str
) -> None:
    client = await new_user()
    bot = (await client.post("/bots", json={"name": "b", "workflow": paced_bot(site)})).json()
    execution = (await client.post(f"/bots/{bot['id']}/execute")).json()["execution_id"]
    # the password, not only the token: a wrong one or none is refused, naming the field
    wrong = await client.request("DELETE", "/users/me", json={"current_password": "guess"})
    assert wrong.status_code == 403
    assert error_of(wrong)["details"] == [
        {"field": "body.current_password", "message": "not the account's password"}
    ]
    missing = await client.delete("/users/me")
    assert missing.status_code == 422
    assert (await client.get("/users/me")).status_code == 200
    deleted = await client.request("DELETE", "/users/me", json={"current_password": "s3cret-pass"})
    assert deleted.status_code == 204
    assert (await client.get("/users/me")).status_code == 401
    other = await new_user()
    assert (await other.get(f"/executions/{execution}")).status_code == 404


async def test_a_bot_update_makes_a_version_and_search_finds_bots(
    new_user: ApiUser, site: DemoSite
) -> None:
    client = await new_user()
    first = (
        await client.post("/bots", json={"name": "Shop prices", "workflow": paced_bot(site)})
    ).json()
    await client.post(
        "/bots", json={"name": "Jobs", "description": "careers page", "workflow": paced_bot(site)}
    )
    updated = await client.put(
        f"/bots/{first['id']}", json={"workflow": paced_bot(site, pages=2), "name": "Shop"}
    )
    assert updated.json()["current_version"] == 2
    versions = (await client.get(f"/bots/{first['id']}/versions")).json()
    assert [v["version"] for v in versions] == [2, 1]
    found = (await client.get("/bots", params={"search": "career"})).json()
    assert [b["name"] for b in found["items"]] == ["Jobs"]
    page = (await client.get("/bots", params={"per_page": 1, "page": 2})).json()
    assert page["total"] == 2
    assert len(page["items"]) == 1
    assert (await client.delete(f"/bots/{first['id']}")).status_code == 204
    assert (await client.get("/bots")).json()["total"] == 1


async def test_the_bots_listing_shows_each_bots_last_execution(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    client = await new_user()
    idle = await client.post("/bots", json={"name": "idle", "workflow": paced_bot(site)})
    assert idle.status_code == 201, idle.text
    busy = (
        await client.post("/bots", json={"name": "busy", "workflow": paced_bot(site, pages=2)})
    ).json()
    listed = (await client.get("/bots")).json()["items"]
    assert [(b["name"], b["last_execution"]) for b in listed] == [("busy", None), ("idle", None)]

    processes.start("worker")
    first = (await client.post(f"/bots/{busy['id']}/execute")).json()["execution_id"]
    assert (await wait_finished(client, first))["rows"] == 6
    await client.put(f"/bots/{busy['id']}", json={"workflow": paced_bot(site, pages=1)})
    second = (await client.post(f"/bots/{busy['id']}/execute")).json()["execution_id"]
    finished = await wait_finished(client, second)
    assert (finished["status"], finished["rows"]) == ("succeeded", 3)

    listed = (await client.get("/bots")).json()["items"]
    last = {b["name"]: b["last_execution"] for b in listed}
    assert last["idle"] is None
    assert last["busy"] == {
        "id": second,
        "status": "succeeded",
        "rows": 3,
        "created_at": finished["created_at"],
        "finished_at": finished["finished_at"],
    }
