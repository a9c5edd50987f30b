"""The API over real HTTP, with a real worker: the whole path of a bot, auth, errors."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from openpyxl import load_workbook

from api.security import AccessTokens
from tests.api.conftest import ApiUser, error_of, wait_finished
from tests.worker.conftest import WORKER_SECRET, Processes, paced_bot, paced_rows
from trawler.demo_site import DemoSite
from trawler.services import signing_key
from trawler.settings import Settings


async def test_create_execute_and_download_exact_rows(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    processes.start("worker")
    client = await new_user()
    created = await client.post(
        "/bots", json={"name": "paced", "workflow": paced_bot(site, pages=3)}
    )
    assert created.status_code == 201, created.text
    bot = created.json()
    assert bot["current_version"] == 1
    assert bot["workflow"]["nodes"][0]["id"] == "open"

    started = await client.post(f"/bots/{bot['id']}/execute")
    assert started.status_code == 202, started.text
    execution_id = started.json()["execution_id"]
    execution = await wait_finished(client, execution_id)
    assert execution["status"] == "succeeded", execution["error"]
    assert execution["rows"] == 9
    assert [step["node_id"] for step in execution["steps"]][:2] == ["open", "pages"]
    pages = next(step for step in execution["steps"] if step["node_id"] == "pages")
    assert pages["note"] == "stopped: max_pages 3 reached"  # kept with the step, for the replay

    as_csv = await client.get(f"/executions/{execution_id}/result", params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(as_csv.text))) == paced_rows(3)
    as_ndjson = await client.get(f"/executions/{execution_id}/result?format=ndjson")
    assert [json.loads(line) for line in as_ndjson.text.splitlines()] == paced_rows(3)
    as_json = await client.get(f"/executions/{execution_id}/result")
    assert as_json.json() == paced_rows(3)
    as_xlsx = await client.get(f"/executions/{execution_id}/result?format=xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True)["rows"]
    header, *cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [dict(zip(header, row, strict=True)) for row in cells] == paced_rows(3)


async def test_an_invalid_workflow_names_each_node_and_field(new_user: ApiUser) -> None:
    client = await new_user()
    workflow = {
        "nodes": [
            {"id": "go", "type": "navigate", "data": {}},
            {
                "id": "pick",
                "type": "extract",
                "data": {"fields": [{"name": "x", "selector": "[["}]},
            },
        ],
        "edges": [{"source": "go", "target": "pick"}],
    }
    answer = await client.post("/bots", json={"name": "bad", "workflow": workflow})
    assert answer.status_code == 422
    error = error_of(answer)
    assert error["code"] == "invalid_workflow"
    located = {(issue["node_id"], issue["field"]) for issue in error["details"]}
    assert ("go", "data.url") in located  # as `trawler validate` reports it
    assert any(node == "pick" for node, _ in located)


async def test_unknown_fields_and_bad_ids_get_the_error_shape(new_user: ApiUser) -> None:
    client = await new_user()
    answer = await client.post("/bots", json={"name": "x", "workflow": {}, "colour": "red"})
    assert answer.status_code == 422
    assert any(d["field"].endswith("colour") for d in error_of(answer)["details"])
    assert error_of(await client.get("/bots/not-a-uuid"))["code"] == "invalid_request"
    missing = await client.get("/bots/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"


async def test_what_schemathesis_found_is_refused_cleanly(new_user: ApiUser) -> None:
    client = await new_user()
    nul = await client.post("/api-keys", json={"name": "a\u0000b"})  # no database keeps NUL
    assert nul.status_code == 422
    assert "NUL" in error_of(nul)["details"][0]["message"]
    huge = await client.get("/bots", params={"page": 10**21})  # past any SQL OFFSET
    assert huge.status_code == 422
    broken = await client.post(
        "/bots", content=b"\xff\x10{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code in (400, 422)
    assert error_of(broken)["code"] in ("bad_request", "invalid_request")


async def test_another_users_things_do_not_exist(new_user: ApiUser, site: DemoSite) -> None:
    owner, stranger = await new_user(), await new_user()
    bot = (await owner.post("/bots", json={"name": "mine", "workflow": paced_bot(site)})).json()
    execution = (await owner.post(f"/bots/{bot['id']}/execute")).json()["execution_id"]
    await owner.post(f"/executions/{execution}/cancel")
    schedule = (
        await owner.post("/schedules", json={"bot_id": bot["id"], "cron": "0 9 * * *"})
    ).json()["id"]
    key = (await owner.post("/api-keys", json={"name": "k"})).json()["id"]
    for method, path in [
        ("GET", f"/schedules/{schedule}"),
        ("PATCH", f"/schedules/{schedule}"),
        ("POST", f"/schedules/{schedule}/toggle"),
        ("DELETE", f"/schedules/{schedule}"),
        ("GET", f"/schedules?bot_id={bot['id']}"),
        ("POST", f"/bots/{bot['id']}/test"),
        ("GET", f"/executions/{execution}/logs"),
        ("GET", f"/executions/{execution}/events"),
        ("DELETE", f"/api-keys/{key}"),
        ("GET", f"/bots/{bot['id']}"),
        ("PUT", f"/bots/{bot['id']}"),
        ("DELETE", f"/bots/{bot['id']}"),
        ("GET", f"/bots/{bot['id']}/versions"),
        ("POST", f"/bots/{bot['id']}/execute"),
        ("GET", f"/executions/{execution}"),
        ("GET", f"/executions/{execution}/result"),
        ("POST", f"/executions/{execution}/cancel"),
    ]:
        answer = await stranger.request(
            method, path, json={} if method in ("PUT", "PATCH") else None
        )
        if path.startswith("/schedules?"):  # a list: the other user's schedules are not in it
            assert answer.json() == [], answer.text
            continue
        assert answer.status_code == 404, (method, path, answer.text)
    assert (await stranger.get("/bots")).json()["total"] == 0
    assert (await owner.get(f"/bots/{bot['id']}")).status_code == 200
    assert (await owner.get(f"/schedules/{schedule}")).json()["active"] is True
    assert [k["revoked_at"] for k in (await owner.get("/api-keys")).json()] == [None]


async def test_refresh_rotates_and_a_reused_token_ends_the_login(new_user: ApiUser) -> None:
    client = await new_user()
    first = client.cookies.get("trawler_refresh")
    assert first
    rotated = await client.post("/auth/refresh")
    assert rotated.status_code == 200, rotated.text
    second = client.cookies.get("trawler_refresh")
    assert second
    assert second != first
    # the old token again (stolen): refused, and the whole login with it
    client.cookies.set("trawler_refresh", first, path="/api/v1/auth")
    reused = await client.post("/auth/refresh")
    assert reused.status_code == 401
    assert error_of(reused)["code"] == "refresh_token_reused"
    client.cookies.set("trawler_refresh", second, path="/api/v1/auth")
    assert (await client.post("/auth/refresh")).status_code == 401


async def test_bad_tokens_are_refused(new_user: ApiUser, api_url: str) -> None:
    client = await new_user()
    token = client.headers["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    forged = dict(json.loads(base64.urlsafe_b64decode(payload + "==")), sub="0" * 32)
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    user_id = (await client.get("/users/me")).json()["id"]
    key = signing_key(Settings(secret_key=WORKER_SECRET))  # the API's own key
    tokens, now = AccessTokens(key, timedelta(minutes=15)), datetime.now(UTC)
    expired = tokens.issue(uuid.UUID(user_id), 0, now - timedelta(minutes=16))
    other_generation = tokens.issue(uuid.UUID(user_id), 1, now)
    claims = {"sub": user_id, "iat": now, "exp": now + timedelta(minutes=5), "typ": "access"}
    no_generation = jwt.encode(claims, key, algorithm="HS256")  # as issued before 0007
    for bad in (
        expired,  # well signed, but past its 15 minutes
        other_generation,  # well signed, unexpired, of a generation the user is not in
        no_generation,
        f"{unsigned}.{payload}.",  # alg: none
        f"{header}.{forged_payload}.{signature}",  # tampered claims
        f"{header}.{payload}.{signature[:-2]}xx",  # tampered signature
        "garbage",
    ):
        answer = await client.get("/users/me", headers={"Authorization": f"Bearer {bad}"})
        assert answer.status_code == 401, bad
        assert error_of(answer)["code"] == "unauthorized"
    assert (await client.get("/users/me")).status_code == 200
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as anonymous:
        assert (await anonymous.get("/bots")).status_code == 401


async def test_login_does_not_say_which_part_was_wrong(new_user: ApiUser, api_url: str) -> None:
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as client:
        unknown = await client.post(
            "/auth/login", json={"email": "nobody@example.com", "password": "whatever1"}
        )
        assert unknown.status_code == 401
        assert error_of(unknown)["message"] == "wrong email or password"
        taken = {"email": "twice@example.com", "password": "s3cret-pass"}
        await client.post("/auth/register", json=taken)
        again = await client.post("/auth/register", json=taken)
        assert again.status_code == 409
        assert error_of(again)["code"] == "conflict"


async def test_health_and_ready(api_url: str) -> None:
    async with httpx.AsyncClient(base_url=api_url) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        ready = await client.get("/ready")
        assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_api_keys_are_shown_once_work_and_stop_when_revoked(
    new_user: ApiUser, api_url: str
) -> None:
    client = await new_user()
    created = await client.post("/api-keys", json={"name": "extension"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("trw_")
    listed = (await client.get("/api-keys")).json()
    assert [k["name"] for k in listed] == ["extension"]
    assert "key" not in listed[0]
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as script:
        assert (await script.get("/users/me", headers={"X-API-Key": key})).status_code == 200
        bearer = {"Authorization": f"Bearer {key}"}
        assert (await script.get("/users/me", headers=bearer)).status_code == 200
        wrong = key[:-4] + "abcd"
        assert (await script.get("/users/me", headers={"X-API-Key": wrong})).status_code == 401
        assert (await client.delete(f"/api-keys/{created.json()['id']}")).status_code == 204
        assert (await script.get("/users/me", headers={"X-API-Key": key})).status_code == 401
    stranger = await new_user()
    assert (await stranger.delete(f"/api-keys/{created.json()['id']}")).status_code == 404


async def test_a_test_run_returns_rows_steps_and_stays_short(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    processes.start_ready_worker()  # the wait is for rows, not for booting
    client = await new_user()
    bot = (
        await client.post("/bots", json={"name": "t", "workflow": paced_bot(site, pages=8)})
    ).json()
    answer = await client.post(f"/bots/{bot['id']}/test")
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert run["finished"] is True
    assert run["status"] == "succeeded"
    assert run["rows"] == paced_rows(3)  # a test run loads three pages, not eight
    assert [step["node_id"] for step in run["steps"]][:2] == ["open", "pages"]
    execution = (await client.get(f"/executions/{run['execution_id']}")).json()
    assert execution["trigger"] == "test"


async def test_a_slow_test_run_answers_with_the_execution_to_follow(
    new_user: ApiUser, site: DemoSite
) -> None:
    client = await new_user()  # no worker: it cannot finish within the wait
    bot = (await client.post("/bots", json={"name": "t", "workflow": paced_bot(site)})).json()
    answer = await client.post(f"/bots/{bot['id']}/test")
    assert answer.status_code == 202
    assert answer.json()["finished"] is False
    assert answer.json()["status"] == "queued"


async def test_a_test_run_need_not_wait(new_user: ApiUser, site: DemoSite) -> None:
    """The builder follows the run's events itself: the answer comes before any worker."""
    client = await new_user()
    bot = (await client.post("/bots", json={"name": "t", "workflow": paced_bot(site)})).json()
    answer = await client.post(f"/bots/{bot['id']}/test", params={"wait": "false"})
    assert (answer.status_code, answer.json()["finished"]) == (202, False)
    assert answer.elapsed.total_seconds() < 5  # the wait is 10 s: skipped, not run out
    execution = (await client.get(f"/executions/{answer.json()['execution_id']}")).json()
    assert (execution["trigger"], execution["status"]) == ("test", "queued")


async def test_the_whole_story_of_one_user(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    """register → test → execute → follow SSE → CSV → schedule → cancel → delete account."""
    processes.start("worker")
    client = await new_user()
    bot = (
        await client.post("/bots", json={"name": "story", "workflow": paced_bot(site, pages=4)})
    ).json()
    tested = (await client.post(f"/bots/{bot['id']}/test")).json()
    assert tested["rows"] == paced_rows(3)

    execution = (await client.post(f"/bots/{bot['id']}/execute")).json()["execution_id"]
    last: dict[str, Any] = {}
    async with client.stream("GET", f"/executions/{execution}/events") as events:
        async for line in events.aiter_lines():
            if line.startswith("data: "):
                last = json.loads(line.removeprefix("data: "))
    assert last["type"] == "finished"
    assert last["status"] == "succeeded"
    rows = await client.get(f"/executions/{execution}/result", params={"format": "csv"})
    assert list(csv.DictReader(io.StringIO(rows.text))) == paced_rows(4)

    schedule = await client.post("/schedules", json={"bot_id": bot["id"], "cron": "0 6 * * *"})
    assert schedule.status_code == 201

    slow = await client.post(
        "/bots",
        json={"name": "slow", "workflow": paced_bot(site, pages=40, delay_ms=300)},
    )
    running = (await client.post(f"/bots/{slow.json()['id']}/execute")).json()["execution_id"]
    # follow it live (polling would meet the free plan's 60 requests a minute) and cancel
    # once rows arrive; the stream then ends with the cancellation
    async with client.stream("GET", f"/executions/{running}/events") as events:
        async for line in events.aiter_lines():
            if not line.startswith("data: "):
                continue
            last = json.loads(line.removeprefix("data: "))
            if last["type"] == "progress" and last["rows"] >= 3:
                assert (await client.post(f"/executions/{running}/cancel")).status_code == 202
    assert last["type"] == "finished"
    assert last["status"] == "cancelled"
    assert last["rows"] >= 3

    deleted = await client.request("DELETE", "/users/me", json={"current_password": "s3cret-pass"})
    assert deleted.status_code == 204
    assert (await client.get("/bots")).status_code == 401


async def test_open_streams_hold_no_database_connection(
    new_user: ApiUser, site: DemoSite, api_url: str
) -> None:
    # more live streams and downloads than the API's pool has connections (5 + 10)
    client = await new_user()
    bot = await client.post("/bots", json={"name": "idle", "workflow": paced_bot(site, pages=1)})
    execution = (await client.post(f"/bots/{bot.json()['id']}/execute")).json()["execution_id"]
    headers = {"Authorization": client.headers["Authorization"]}
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1", timeout=10) as streams:
        opened = []
        for _ in range(20):  # no worker runs: each stream stays open, waiting
            request = streams.build_request(
                "GET", f"/executions/{execution}/events", headers=headers
            )
            answer = await streams.send(request, stream=True)
            assert answer.status_code == 200
            opened.append(answer)
        try:
            listed = await client.get("/bots")
            assert listed.status_code == 200
        finally:
            for answer in opened:
                await answer.aclose()
