"""One Chromium of the pool: its process tree, its leases and page slots, its state.

Finding the process: Playwright's Python API does not expose the browser's process, so each
launch adds a switch of its own (`--trawler-browser-id=<random>`, which Chromium ignores) and
the browser is the descendant of this process whose command line carries it; helpers
(zygotes, renderers, GPU, network) are that process's descendants. A browser whose process
is not found (not our descendant) gets no memory limit and no kill. Playwright starts Chromium
in a session of its own, so every helper shares the browser's process group, even after the
browser process itself died: killing that group is how nothing is left behind.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import psutil
from playwright.async_api import Browser, Playwright

from browser_pool.errors import BrowserCrashed

if TYPE_CHECKING:
    from browser_pool._lease import Lease

# flags that let Chromium run in a container with no network beyond what it is asked for;
# Playwright adds --no-sandbox unless the launch asks for the sandbox (as root it cannot have it)
LAUNCH_ARGS = (
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # WebRTC's UDP (STUN, TURN, ICE checks) would leave around the egress proxy and its policy
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
MARKER = "--trawler-browser-id"

State = Literal["launching", "alive", "retiring", "closing", "dead"]
"""launching → alive → retiring (no new contexts) → closing; dead after a crash or a kill."""


class PooledBrowser:
    """One Chromium and what the pool has lent out of it."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.id = secrets.token_hex(8)
        self.state: State = "launching"
        self.browser: Browser | None = None
        self.version = ""
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.process: psutil.Process | None = None
        self.leases: set[Lease] = set()
        self.reserved = 0
        """Contexts handed to runs that are still being opened."""
        self.pages = 0
        """Page slots in use."""
        self.pages_opened = 0
        self.lost: BrowserCrashed | None = None
        self._group = False
        self._seen: dict[int, psutil.Process] = {}

    def __repr__(self) -> str:
        pid = self.process.pid if self.process else None
        return f"<browser {self.index} pid={pid} {self.state}>"

    @property
    def contexts(self) -> int:
        """Contexts open or being opened."""
        return len(self.leases) + self.reserved

    @property
    def connected(self) -> bool:
        return self.browser is not None and self.browser.is_connected()

    async def launch(
        self,
        playwright: Playwright,
        executable: Path,
        headless: bool,
        limit: timedelta,
        sandbox: bool = False,
    ) -> None:
        """Start Chromium and find its process."""
        self.browser = await playwright.chromium.launch(
            executable_path=executable,
            headless=headless,
            chromium_sandbox=sandbox,
            args=[*LAUNCH_ARGS, f"{MARKER}={self.id}"],
            timeout=limit.total_seconds() * 1000,
        )
        self.version = self.browser.version
        self.process = await asyncio.to_thread(self._find_process)
        if self.process is not None:
            with suppress(OSError):
                self._group = os.getpgid(self.process.pid) == self.process.pid
            self._seen[self.process.pid] = self.process

    def _find_process(self) -> psutil.Process | None:
        marker = f"{MARKER}={self.id}"
        for child in psutil.Process().children(recursive=True):
            with suppress(psutil.Error):
                if marker in child.cmdline():
                    return child
        return None

    def tree(self) -> list[psutil.Process]:
        """The browser's processes now; they are remembered for a kill after its death."""
        if self.process is None:
            return []
        try:
            found = [self.process, *self.process.children(recursive=True)]
        except psutil.Error:
            return []
        for process in found:
            self._seen.setdefault(process.pid, process)
        return found

    def memory_mb(self) -> float:
        """Resident memory of the whole tree in MiB (shared pages count once per process)."""
        total = 0
        for process in self.tree():
            with suppress(psutil.Error):
                total += process.memory_info().rss
        return total / 2**20

    def exited(self) -> bool:
        """Whether the browser process is known and gone (Playwright may not have said so: it
        does not when its driver died)."""
        if self.process is None:
            return False
        try:
            return self.process.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    def kill(self) -> None:
        """SIGKILL every process of this browser; a stopped (SIGSTOP) one dies too."""
        if self.process is None:
            return
        pgid = self.process.pid
        # Linux never hands out a pid that is still some group's id: while the group lives, the
        # id is ours. Once the pid belongs to a different process, the group is gone.
        # The browser goes first: a browser that outlives its renderers even by a moment shows
        # the run an error page in their place instead of failing its calls.
        with suppress(psutil.Error):
            self.process.kill()
        if self._group and (self.process.is_running() or not psutil.pid_exists(pgid)):
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        for process in list(self._seen.values()):  # any that left the group
            with suppress(psutil.Error):
                process.kill()

    def alive_processes(self) -> list[psutil.Process]:
        """The browser's processes still running (zombies excluded)."""
        found = []
        for process in list(self._seen.values()):
            with suppress(psutil.Error):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
        return found

    async def close(self, grace: timedelta) -> None:
        """Close Chromium politely for at most `grace`, then kill what is left."""
        self.tree()
        if self.browser is not None and self.browser.is_connected():
            with suppress(Exception):  # a browser that does not answer gets killed below
                async with asyncio.timeout(grace.total_seconds()):
                    await self.browser.close()
        self.kill()
