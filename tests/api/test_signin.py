"""Sign-in limits against `trawler api`: guesses from one address cannot lock the owner out at
another, distributed guesses at one account slow down, a wait is never a lock; registrations
are limited per address.

Clients connect from different loopback addresses (127.0.0.x), which the API sees as
different client addresses.
"""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
import pytest

from tests.api.conftest import ApiUser, error_of, start_api
from tests.worker.conftest import Processes

PASSWORD = "s3cret-pass"  # the fixture's


@pytest.fixture
def api_url(processes: Processes) -> str:
    """The API with waits long enough to see on a slow machine: 5 s from the first one."""
    return start_api(
        processes,
        TRAWLER_API__SECURE_COOKIES="false",
        TRAWLER_API__LOGIN_PER_ADDRESS="1000",
        TRAWLER_API__LOGIN_DELAY_BASE="PT5S",
        TRAWLER_API__LOGIN_DELAY_MAX="PT5S",
    )


def from_address(api_url: str, address: str) -> httpx.AsyncClient:
    """A client whose connections come from `address` (any of 127.0.0.0/8)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=f"{api_url}/api/v1", transport=transport, timeout=30)


async def login(api_url: str, address: str, email: str, password: str) -> httpx.Response:
    async with from_address(api_url, address) as client:
        return await client.post("/auth/login", json={"email": email, "password": password})


def limit_of(answer: httpx.Response) -> str | None:
    return error_of(answer)["details"]["limit"] if answer.status_code == 429 else None


async def test_guesses_slow_the_account_down_but_never_lock_its_owner_out(
    new_user: ApiUser, api_url: str
) -> None:
    owner = await new_user()  # signed in from 127.0.0.1: an address the account knows
    email = (await owner.get("/users/me")).json()["email"]

    # one address guessing: 5 failures, then each attempt waits, then that address is stopped
    answers = [await login(api_url, "127.0.0.2", email, f"guess-{n}-x") for n in range(12)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert [limit_of(a) for a in answers[5:10]] == ["login_per_account"] * 5
    assert 0 < int(answers[5].headers["Retry-After"]) <= 5  # the first wait: login_delay_base
    assert [limit_of(a) for a in answers[10:]] == ["login_per_address_account"] * 2
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 15 * 60

    # the owner, where they usually sign in, is not kept waiting; their success starts again
    assert (await login(api_url, "127.0.0.1", email, PASSWORD)).status_code == 200

    # many addresses, one guess each: the account still slows down after 5 failures
    spread = await asyncio.gather(
        *(login(api_url, f"127.0.0.{n}", email, "guess-spread") for n in range(3, 11))
    )
    assert sorted(a.status_code for a in spread) == [401] * 5 + [429] * 3, [a.text for a in spread]
    assert {limit_of(a) for a in spread if a.status_code == 429} == {"login_per_account"}

    # the owner at a new address waits (Retry-After says how long), and is never locked out
    waited = await login(api_url, "127.0.0.20", email, PASSWORD)
    assert limit_of(waited) == "login_per_account"
    assert "try again in" in error_of(waited)["message"]
    await asyncio.sleep(float(waited.headers["Retry-After"]))
    assert (await login(api_url, "127.0.0.20", email, PASSWORD)).status_code == 200
    # the attacker's address is still stopped; another one starts from nothing again
    assert limit_of(await login(api_url, "127.0.0.2", email, PASSWORD)) == (
        "login_per_address_account"
    )
    assert (await login(api_url, "127.0.0.30", email, "guess-again")).status_code == 401


async def test_registrations_are_limited_per_address(processes: Processes) -> None:
    """Accounts an hour from one address: past the limit 429 with Retry-After, before any
    password is hashed; another address still registers."""
    url = start_api(processes, TRAWLER_API__REGISTER_PER_ADDRESS="3")
    # addresses of their own: the run's other tests register from 127.0.0.1
    first, second = (f"127.0.{random.randrange(2, 255)}.{n}" for n in (3, 4))

    async def register(address: str) -> httpx.Response:
        credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD}
        async with from_address(url, address) as client:
            return await client.post("/auth/register", json=credentials)

    answers = [await register(first) for _ in range(5)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    refused = error_of(answers[3])
    assert refused["details"]["limit"] == "register_per_address"
    assert refused["message"] == "too many requests: 3 per 3600 s"
    assert 0 < int(answers[3].headers["Retry-After"]) <= 3600
    assert (await register(second)).status_code == 201
