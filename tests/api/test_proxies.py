"""A user's own proxies over HTTP: stored encrypted, listed without passwords, scoped to the
owner; a worker runs the account's executions through them, else through the deployment's."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.api.conftest import ApiUser, error_of, start_run, wait_finished
from tests.engine.conftest import bot, node
from tests.proxies.servers import EchoTarget, LoopbackProxy
from tests.worker.conftest import Processes

SECRET = "pa55-w0rd-never-shown"


async def test_a_users_proxies_never_show_their_password(new_user: ApiUser) -> None:
    owner, stranger = await new_user(), await new_user()
    body = {
        "name": "residential de",
        "url": f"http://alice:{SECRET}@proxy.example:8080",
        "tags": ["residential", "country:de"],
        "tier": 1,
    }
    created = await owner.post("/proxies", json=body)
    assert created.status_code == 201, created.text
    proxy = created.json()
    assert SECRET not in created.text
    assert proxy["url"] == "http://alice:***@proxy.example:8080"
    assert (proxy["tags"], proxy["tier"], proxy["disabled_reason"]) == (
        ["country:de", "residential"],
        1,
        None,
    )
    listed = await owner.get("/proxies")
    assert [p["id"] for p in listed.json()] == [proxy["id"]]
    assert SECRET not in listed.text

    again = await owner.post("/proxies", json=body)
    assert again.status_code == 409
    bad = await owner.post("/proxies", json=body | {"name": "x", "url": f"ftp://a:{SECRET}@h"})
    assert bad.status_code == 422
    assert SECRET not in bad.text
    assert "ftp" in str(error_of(bad)["details"])

    disabled = await owner.put(f"/proxies/{proxy['id']}/state", json={"disabled": True})
    assert disabled.json()["disabled_reason"] == "disabled by its owner"
    enabled = await owner.put(f"/proxies/{proxy['id']}/state", json={"disabled": False})
    assert enabled.json()["disabled_reason"] is None

    assert (await stranger.get("/proxies")).json() == []
    for answer in (
        await stranger.put(f"/proxies/{proxy['id']}/state", json={"disabled": True}),
        await stranger.delete(f"/proxies/{proxy['id']}"),
        await owner.delete(f"/proxies/{uuid.uuid4()}"),
    ):
        assert answer.status_code == 404
        assert error_of(answer)["code"] == "not_found"
    assert (await owner.delete(f"/proxies/{proxy['id']}")).status_code == 204
    assert (await owner.get("/proxies")).json() == []


async def test_runs_go_through_the_accounts_proxies_else_the_deployments(
    new_user: ApiUser, processes: Processes
) -> None:
    async with (
        LoopbackProxy("deployment") as deployment,
        LoopbackProxy("own", credentials=("me", SECRET)) as own,
        LoopbackProxy("dead", mode="drop") as dead,
        EchoTarget() as target,
    ):
        processes.start(
            "worker",
            TRAWLER_PROXIES__PROXIES=json.dumps([deployment.url]),
            TRAWLER_PROXIES__DISABLE_AFTER="1",
        )
        tunnel = f"127.0.0.1:{target.port}"

        def through(proxy: LoopbackProxy) -> int:
            return sum(1 for seen in proxy.served if seen.target == tunnel)

        async def run_to(client: httpx.AsyncClient, path: str) -> dict[str, object]:
            document = bot(node("open", "navigate", url=f"{target.base_url}{path}"))
            return await wait_finished(client, await start_run(client, path, document))

        plain = await new_user()
        assert (await run_to(plain, "/a"))["status"] == "succeeded"
        assert through(deployment) >= 1
        before = through(deployment)
        added = await plain.post("/proxies", json={"name": "own", "url": own.url})
        assert added.status_code == 201, added.text
        assert (await run_to(plain, "/b"))["status"] == "succeeded"
        assert through(own) >= 1
        assert through(deployment) == before  # the account's own proxy took its place
        assert all(seen.answer == 200 for seen in own.seen)  # its credentials went along

        unlucky = await new_user()
        added = await unlucky.post("/proxies", json={"name": "dead", "url": dead.url})
        assert added.status_code == 201, added.text
        failed = await run_to(unlucky, "/c")
        assert failed["status"] == "failed"
        assert f"through proxy {dead.server}" in str(failed["error"])
        # the rotator gave up on it after one failure: the account sees why, and its next
        # run goes through the deployment's proxies instead
        listed = (await unlucky.get("/proxies")).json()
        assert listed[0]["disabled_reason"].startswith("1 consecutive failures")
        before = through(deployment)
        assert (await run_to(unlucky, "/d"))["status"] == "succeeded"
        assert through(deployment) > before
        assert dead.served == []
