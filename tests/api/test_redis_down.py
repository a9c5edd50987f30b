"""`trawler api` with its Redis stopped: data is still read (the per-plan request limit fails
open), what needs Redis answers 503 with Retry-After in the error shape (the sign-in limits
fail closed), `/ready` names Redis, and all is well again once Redis is back."""

from __future__ import annotations

import uuid

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.api.conftest import error_of, start_api
from tests.worker.conftest import PrivateRedis, Processes
from tests.worker.conftest import private_redis as private_redis  # the fixture, shared

PASSWORD = "s3cret-pass"


def unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    error = error_of(answer)
    assert error["code"] == "service_unavailable"
    assert error["details"]["service"] == "redis"


@pytest.mark.timeout(300)
async def test_without_redis_reads_work_and_what_needs_redis_answers_503(
    processes: Processes, private_redis: PrivateRedis
) -> None:
    url = start_api(
        processes, TRAWLER_REDIS_URL=private_redis.url, TRAWLER_API__SECURE_COOKIES="false"
    )
    credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD}
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=30) as client:
        assert (await client.post("/auth/register", json=credentials)).status_code == 201
        token = (await client.post("/auth/login", json=credentials)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        key = (await client.post("/api-keys", json={"name": "script"})).json()["key"]
        workflow = {"nodes": [{"id": "a", "type": "navigate", "data": {"url": "http://x.invalid"}}]}
        bot = (await client.post("/bots", json={"name": "b", "workflow": workflow})).json()

        private_redis.stop()

        # reads (and writes that need only the database) go on
        assert (await client.get("/users/me")).status_code == 200
        assert (await client.get("/bots", headers={"X-API-Key": key})).json()["total"] == 1
        assert (await client.get(f"/bots/{bot['id']}")).status_code == 200
        started = await client.post(f"/bots/{bot['id']}/execute")
        assert started.status_code == 202, started.text  # kept queued in the database
        execution = started.json()["execution_id"]
        assert (await client.get(f"/executions/{execution}")).json()["status"] == "queued"
        # what needs Redis: 503, the error shape, Retry-After
        unavailable(await client.get(f"/executions/{execution}/events"))
        unavailable(await client.post("/auth/login", json=credentials))
        other = {"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD}
        unavailable(await client.post("/auth/register", json=other))  # its limit is not kept
        unavailable(
            await client.patch(
                "/users/me", json={"password": "another-pass", "current_password": PASSWORD}
            )
        )
        unavailable(
            await client.post("/selectors/test", json={"html": "<p>x</p>", "selectors": ["p"]})
        )
        ws = url.replace("http://", "ws://") + f"/api/v1/executions/{execution}/ws?token={token}"
        async with connect(ws) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1013  # try again later
    async with httpx.AsyncClient(base_url=url) as browser:
        ready = await browser.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["database"] == "ok"
        assert ready.json()["redis"].startswith("unavailable")
        page = await browser.post("/viewer/login", data=credentials)
        assert page.status_code == 503
        assert "try again" in page.text
        assert int(page.headers["Retry-After"]) > 0

        private_redis.start()  # the same address: the API's clients connect again

        assert (await browser.get("/ready")).status_code == 200
        signed_in = await browser.post("/api/v1/auth/login", json=credentials)
        assert signed_in.status_code == 200

    # Redis lost while a stream follows a run: the stream says so, and when to connect again
    # (as EventSource does)
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=30) as client:
        client.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"
        lines: list[str] = []
        async with client.stream("GET", f"/executions/{execution}/events") as stream:
            async for line in stream.aiter_lines():
                lines.append(line)
                if line == "event: state":
                    private_redis.stop()
    assert lines[-4:-1] == [
        "retry: 5000",
        "event: unavailable",
        'data: {"type": "unavailable", "service": "redis"}',
    ]
