"""Shared fixtures: the fixture site on loopback, and a check that no browser outlives a test."""

from __future__ import annotations

from collections.abc import Iterator

import psutil
import pytest

from tests.site.lab import start_site
from trawler.demo_site import DemoSite

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


@pytest.fixture(autouse=True)
def no_browser_left() -> Iterator[None]:
    yield
    left = browser_processes()
    if left:
        names = ", ".join(f"{p.pid}:{p.name()}" for p in left)
        for process in left:
            process.kill()
        pytest.fail(f"Chromium processes left after the test: {names}")
