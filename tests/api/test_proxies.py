"""A user's own proxies over HTTP: stored encrypted, listed without passwords, scoped to the
owner; a worker runs the account's executions through them, else through the deployment's.
They are user input: a host the network policy refuses is refused when saved or enabled
(422 naming the rule), and where the worker connects; SOCKS5 proxies work as HTTP ones do."""

from __future__ import annotations

import json
import socket
import uuid
from ipaddress import ip_address
from typing import Any

import httpx

import store
from proxies import NetworkPolicy
from tests.api.conftest import ApiUser, error_of, start_api, start_run, wait_finished
from tests.engine.conftest import bot, node
from tests.proxies.servers import EchoTarget, LoopbackProxy, SocksProxy
from tests.site.canary import CANARY_HOST, Lab
from tests.worker.conftest import WORKER_SECRET, Processes

SECRET = "pa55-w0rd-never-shown"
HINT = "a deployment can allow it with TRAWLER_ALLOWED_NETWORKS"
FORBIDDEN = [
    ("http://127.0.0.1:8080", "loopback"),
    ("http://localhost:8080", "loopback"),
    ("http://[::1]:8080", "loopback"),
    ("http://[::ffff:127.0.0.1]:8080", "loopback"),
    ("http://2130706433:8080", "loopback"),
    ("http://0x7f000001:8080", "loopback"),
    ("http://127.1:8080", "loopback"),
    ("http://10.0.0.1:3128", "private"),
    ("socks5://192.168.0.10:1080", "private"),
    ("http://169.254.169.254:80", "metadata"),
    ("http://metadata.google.internal:80", "metadata"),
]
"""Proxy URLs a deployment that allows nothing private refuses, and the rule that refuses."""


def _this_machine() -> tuple[str, set[str]] | None:
    """This machine's own name and the rules refusing what it resolves to (on a test machine
    a name resolving to loopback or a private address); None if it resolves to none such."""
    name = socket.gethostname()
    try:
        found = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except OSError:
        return None
    policy = NetworkPolicy()
    rules = {r.rule for *_, a in found if (r := policy.check_address(ip_address(a[0]), name))}
    return (name, rules) if rules else None


async def _sign_up(api: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=f"{api}/api/v1", timeout=30)
    credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": "s3cret-pass"}
    assert (await client.post("/auth/register", json=credentials)).status_code == 201
    answer = await client.post("/auth/login", json=credentials)
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def _refused(answer: httpx.Response) -> dict[str, Any]:
    """The one detail of a 422 refusing a proxy's URL."""
    assert answer.status_code == 422, answer.text
    error = error_of(answer)
    assert error["code"] == "invalid_request"
    [detail] = error["details"]
    assert detail["message"] in error["message"]
    return dict(detail)


async def test_an_accounts_proxy_on_a_forbidden_host_is_refused(processes: Processes) -> None:
    api = start_api(
        processes,
        TRAWLER_ALLOWED_NETWORKS="[]",  # as deployed: nothing private allowed
        TRAWLER_API__SECURE_COOKIES="false",
        TRAWLER_API__LOGIN_PER_ADDRESS="1000",
    )
    client = await _sign_up(api)
    cases = [(url, {rule}) for url, rule in FORBIDDEN]
    if (machine := _this_machine()) is not None:  # a name that resolves where bots may not go
        cases.append((f"http://{machine[0]}:3128", machine[1]))
    try:
        for i, (url, rules) in enumerate(cases):
            with_password = url.replace("://", f"://me:{SECRET}@", 1)
            answer = await client.post("/proxies", json={"name": f"p{i}", "url": with_password})
            detail = _refused(answer)
            assert detail["field"] == "body.url"
            assert detail["rule"] in rules, (url, detail)
            assert (HINT in detail["message"]) is (detail["rule"] in ("loopback", "private"))
            assert SECRET not in answer.text
        assert (await client.get("/proxies")).json() == []
        socks5h = await client.post("/proxies", json={"name": "h", "url": "socks5h://p.example"})
        assert socks5h.status_code == 422
        assert "use socks5://" in str(error_of(socks5h)["details"])
        named = await client.post("/proxies", json={"name": "ok", "url": "http://p.example:3128"})
        assert named.status_code == 201, named.text  # checked again at every connection
    finally:
        await client.aclose()


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


async def test_a_proxy_stored_on_the_canary_is_refused_where_the_worker_connects(
    new_user: ApiUser, processes: Processes, db_url: str, lab: Lab
) -> None:
    # saved before the check, or a name that resolved elsewhere at the save: the worker's
    # connect-time check is the one that binds, for both renderers
    processes.start("worker")
    database = store.Database(db_url)
    box = store.SecretBox.from_secrets(WORKER_SECRET)
    try:
        for renderer in ("browser", "http"):
            client = await new_user()
            me = (await client.get("/users/me")).json()
            async with database.transaction() as session:
                await store.add_user_proxy(
                    session, box, uuid.UUID(me["id"]), "old", f"http://{CANARY_HOST}:{lab.port}"
                )
            document = bot(
                node("open", "navigate", url=f"{lab.base}/ok"),
                node("read", "extract", mode="single", fields=[{"name": "ok", "selector": "#ok"}]),
                renderer=renderer,
            )
            finished = await wait_finished(client, await start_run(client, renderer, document))
            assert finished["status"] == "failed"
            error = str(finished["error"])
            assert f"through proxy http://{CANARY_HOST}:{lab.port}: 127.0.0.2 is a" in error
            assert "(rule 'loopback')" in error
            assert "canary" not in error
            assert "HTTP/1.1" not in error
            [listed] = (await client.get("/proxies")).json()
            assert "(rule 'loopback')" in listed["disabled_reason"]
            enabled = await client.put(f"/proxies/{listed['id']}/state", json={"disabled": False})
            assert _refused(enabled)["rule"] == "loopback"
    finally:
        await database.dispose()
    assert lab.canary.hits == 0


async def test_runs_go_through_an_accounts_socks5_proxy(
    new_user: ApiUser, processes: Processes
) -> None:
    async with SocksProxy(credentials=("me", SECRET)) as socks, EchoTarget() as target:
        processes.start("worker")
        client = await new_user()
        added = await client.post("/proxies", json={"name": "socks", "url": socks.url})
        assert added.status_code == 201, added.text
        assert added.json()["url"] == f"socks5://me:***@127.0.0.1:{socks.port}"
        again = await client.post("/proxies", json={"name": "again", "url": socks.url})
        assert again.status_code == 409  # one proxy, one name
        for renderer in ("browser", "http"):
            document = bot(
                node("open", "navigate", url=f"{target.base_url}/{renderer}"), renderer=renderer
            )
            finished = await wait_finished(client, await start_run(client, renderer, document))
            assert finished["status"] == "succeeded", finished["error"]
        tunnels = [seen.target for seen in socks.served]
        assert tunnels.count(f"127.0.0.1:{target.port}") >= 2
        assert {seen.headers["address"] for seen in socks.served} == {"ipv4"}
        assert target.via("/browser") == ["direct"]  # a tunnel adds no header
        assert target.via("/http") == ["direct"]
