"""`trawler api` with its Redis stopped: data is still read (the per-plan request limit fails
open), what needs Redis answers 503 with Retry-After in the error shape (the sign-in limits
fail closed), `/ready` names Redis, and all is well again once Redis is back; a Redis that
never answers costs seconds, not minutes."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.api.conftest import error_of, start_api
from tests.worker.conftest import PrivateRedis, Processes
from tests.worker.conftest import private_redis as private_redis  # the fixture, shared
from worker.dispatch import redis_async, redis_sync

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


def _url(server: socket.socket) -> str:
    return f"redis://127.0.0.1:{server.getsockname()[1]}/0"


@contextmanager
def unanswering() -> Iterator[tuple[str, str]]:
    """Two Redis URLs that never answer: one whose host takes no connection (its backlog is
    full, so the connect is never answered, as for a host that is gone), one that takes the
    connection and then says nothing (a Redis that hangs)."""
    full, silent = socket.socket(), socket.socket()
    held: list[socket.socket] = []
    try:
        for server in (full, silent):
            server.bind(("127.0.0.1", 0))
            server.listen(0)
        for _ in range(4):  # past the backlog: the next connect's SYN is dropped
            client = socket.socket()
            client.setblocking(False)
            with suppress(BlockingIOError):
                client.connect(full.getsockname())
            held.append(client)
        yield _url(full), _url(silent)
    finally:
        for each in (*held, full, silent):
            each.close()


async def test_a_redis_that_never_answers_costs_seconds_not_minutes(
    processes: Processes, tmp_path: Path
) -> None:
    """The clients give up (connect 5 s, answer 10 s) instead of waiting on the operating
    system; the API answers 503 as for a Redis that is down."""
    # a socket path takes the same options: refused as a Redis error (a TypeError would be a 500)
    with pytest.raises(redis.ConnectionError):
        redis_sync(f"unix://{tmp_path}/none.sock").ping()
    with pytest.raises(redis.ConnectionError):
        await redis_async(f"unix://{tmp_path}/none.sock").ping()
    with unanswering() as (gone, hung):
        for url in (gone, hung):
            started = time.monotonic()
            with pytest.raises(redis.RedisError):
                async with asyncio.timeout(30):
                    await redis_async(url).ping()
            if url == gone:  # the blocking client (the queue's) as well
                with pytest.raises(redis.RedisError):
                    redis_sync(url).ping()
            assert time.monotonic() - started < 60
        api = start_api(processes, TRAWLER_REDIS_URL=gone, TRAWLER_API__SECURE_COOKIES="false")
        credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD}
        async with httpx.AsyncClient(base_url=f"{api}/api/v1", timeout=30) as client:
            unavailable(await client.post("/auth/login", json=credentials))
