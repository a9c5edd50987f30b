"""Shared fixtures: the fixture site, throw-away PostgreSQL databases, no browser left behind."""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING

import psutil
import psycopg
import pytest
import redis
from playwright.async_api import Browser, Locator, async_playwright
from psycopg import sql
from sqlalchemy.engine import make_url

import store
from browser_pool import LAUNCH_ARGS, find_chromium
from engine import Network
from proxies import NetworkPolicy
from tests.site.lab import start_site
from tests.site.llm import ModelServer
from trawler.demo_site import DemoSite

if TYPE_CHECKING:
    from tests.site.canary import Lab

SITE_ADDRESS = "127.0.0.1"
"""The fixture site's address: the one private address the tests let bots reach. The canary
servers listen on 127.0.0.2, which stays refused."""
SITE_NETWORK = Network(NetworkPolicy(allow=[SITE_ADDRESS]))
"""What in-process runs may reach in the tests."""


def pytest_configure(config: pytest.Config) -> None:
    """Every trawler process the tests start allows the fixture site's address only."""
    os.environ["TRAWLER_ALLOWED_NETWORKS"] = json.dumps([SITE_ADDRESS])
    os.environ.pop("TRAWLER_ALLOW_PRIVATE_NETWORKS", None)


# The maintenance database of a server we may create and drop databases on (trust auth).
ADMIN_URL = os.environ.get(
    "TRAWLER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _drop(admin: psycopg.Connection[tuple[object, ...]], name: str) -> None:
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def new_database() -> Iterator[Callable[[], str]]:
    """Makes empty databases named `trawler_test_<random>`; all are dropped at the end."""
    created: list[str] = []
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:

        def make() -> str:
            name = f"trawler_test_{secrets.token_hex(6)}"
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            created.append(name)
            return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

        try:
            yield make
        finally:
            for name in created:
                _drop(admin, name)


REDIS = "redis://127.0.0.1:6379"
LOCK = "trawler:test:lock"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """An empty Redis database (1-15) held for the session, flushed before and after."""
    for index in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS}/{index}")
        if client.dbsize() == 0 and client.set(LOCK, os.getpid(), nx=True, ex=3600):
            break
        client.close()
    else:
        pytest.fail("no free Redis database on 127.0.0.1:6379")
    try:
        yield f"{REDIS}/{index}"
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="session")
def db_url(new_database: Callable[[], str]) -> str:
    """A PostgreSQL database migrated to head, shared by the worker tests."""
    url = new_database()
    store.upgrade(url)
    return url


BROWSER_NAMES = ("chrom", "headless_shell", "headless-shell")


def browser_processes() -> list[psutil.Process]:
    """Chromium (and Playwright driver) processes started by this test process."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            name = child.name().lower()
            if any(n in name for n in BROWSER_NAMES) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.fixture(scope="session")
def site() -> Iterator[DemoSite]:
    """The demo shop plus the lab pages, on 127.0.0.1 with a free port."""
    server = start_site()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The canary on 127.0.0.2 and an allowed site on 127.0.0.1, on one port."""
    from tests.site.canary import start_lab  # it builds bots with the engine tests' helpers

    with start_lab() as started:
        yield started


@pytest.fixture
def llm() -> Iterator[ModelServer]:
    """A model server speaking Ollama's API and OpenAI's chat completions, for this test."""
    server = ModelServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_browser_left() -> Iterator[None]:
    yield
    left = browser_processes()
    if left:
        names = ", ".join(f"{p.pid}:{p.name()}" for p in left)
        for process in left:
            process.kill()
        pytest.fail(f"Chromium processes left after the test: {names}")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium of the test's own, for tests that look at pages as a person would."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=find_chromium(headless=True), args=list(LAUNCH_ARGS)
        )
        try:
            yield launched
        finally:
            await launched.close()


async def loaded(image: Locator, timeout: float = 30_000) -> None:
    """Wait until the image has loaded and decoded to a picture; fails if it loaded nothing
    (a 401 or 404 leaves it complete with no width). Visible is not enough: CSS gives an
    image its size before its bytes arrive."""
    handle = await image.element_handle(timeout=timeout)
    await image.page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=handle, timeout=timeout
    )
