"""API fixtures: a real `trawler api` process on loopback, with a real worker behind it."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.worker.conftest import Processes
from tests.worker.conftest import processes as processes  # the fixture, shared

ApiUser = Callable[[], Awaitable[httpx.AsyncClient]]


def start_api(processes: Processes, **env: str) -> str:
    """`trawler api` on a free port with `env`; its URL once it answers. Every test user
    registers from 127.0.0.1, in one Redis database per test run: the registration limit
    is out of the way unless `env` sets it."""
    port = free_port()
    env = {"TRAWLER_API__REGISTER_PER_ADDRESS": "1000000", **env}
    process = processes.start_args(["api", "--port", str(port)], **env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the API did not start:\n{processes.output(process)}")
        time.sleep(0.1)


@pytest.fixture
def api_url(processes: Processes) -> str:
    """`trawler api` on a free port (plain HTTP, so cookies are not marked Secure)."""
    return start_api(
        processes,
        TRAWLER_API__SECURE_COOKIES="false",
        TRAWLER_API__LOGIN_PER_ADDRESS="1000",  # every test user logs in from 127.0.0.1
        TRAWLER_API__TEST_WAIT="PT10S",
    )


@pytest.fixture
async def new_user(api_url: str) -> AsyncIterator[ApiUser]:
    """Registers and signs in a fresh user; returns a client sending their access token."""
    clients: list[httpx.AsyncClient] = []

    async def make() -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=f"{api_url}/api/v1", timeout=30)
        clients.append(client)
        credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": "s3cret-pass"}
        assert (await client.post("/auth/register", json=credentials)).status_code == 201
        answer = await client.post("/auth/login", json=credentials)
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return client

    try:
        yield make
    finally:
        for client in clients:
            await client.aclose()


async def start_run(client: httpx.AsyncClient, name: str, document: dict[str, Any]) -> str:
    """Create a bot holding `document` and run it; the execution's id."""
    created = await client.post("/bots", json={"name": name, "workflow": document})
    assert created.status_code == 201, created.text
    started = await client.post(f"/bots/{created.json()['id']}/execute")
    assert started.status_code == 202, started.text
    return str(started.json()["execution_id"])


async def wait_finished(
    client: httpx.AsyncClient, execution_id: str, *, every: float = 0.5, within: float = 60
) -> dict[str, Any]:
    """The execution once it is no longer queued or running, polled `every` seconds; a 429
    (the free plan allows 60 requests a minute) waits its Retry-After, as a client should."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        answer = await client.get(f"/executions/{execution_id}")
        if answer.status_code == 429:
            await asyncio.sleep(float(answer.headers["Retry-After"]))
            continue
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["status"] not in ("queued", "running"):
            return body
        await asyncio.sleep(every)
    raise AssertionError(f"execution {execution_id} did not finish within {within:g} s")


def error_of(answer: httpx.Response) -> dict[str, Any]:
    """The stable error body every non-success answer has."""
    body = answer.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return dict(body["error"])


CORS_ORIGINS = ["chrome-extension://abcdefghijklmnopabcdefghijklmnop", "http://builder.local:5173"]


@pytest.fixture
def cors_api_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """`api_url` allowing CORS_ORIGINS; list it before `api_url` or `new_user` in a test."""
    monkeypatch.setenv("TRAWLER_API__CORS_ORIGINS", json.dumps(CORS_ORIGINS))
    url: str = request.getfixturevalue("api_url")
    return url
