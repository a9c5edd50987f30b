"""Where a run's pages come from: a browser context opened on first use, or an HTTP client."""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import httpx

from browser_pool import (
    USER_AGENTS,
    VIEWPORTS,
    BrowserPool,
    ContextOptions,
    Credentials,
    Dialogs,
    Lease,
    Logger,
    Stealth,
)
from engine.network import Traffic, policed_client, policed_context
from engine.page import BrowserPage, HttpPage, Page
from engine.workflow import BotSettings, HttpCredentials, StealthSettings

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 trawler/0.1"
)

TRACE_STOP_TIMEOUT = timedelta(seconds=30)
"""How long writing the Playwright trace may take; a long run's trace takes a few seconds."""


class Renderers:
    """Opens pages in the current mode; `mode` turns to browser for good when auto needs it."""

    def __init__(
        self,
        settings: BotSettings,
        *,
        pool: BrowserPool | None,
        headless: bool,
        browser: bool,
        log: Logger,
        traffic: Traffic,
    ) -> None:
        self.settings = settings
        """The bot's settings; the run renders their {{variables}} before the first page."""
        self.traffic = traffic
        self.pool = pool
        self.headless = headless
        self.log = log
        self.mode: Literal["browser", "http"] = "browser" if browser else "http"
        self._stack = AsyncExitStack()
        self._lease: Lease | None = None
        self._lease_lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None
        self._tracing = False

    async def lease(self) -> Lease:
        """The run's browser context (cookies and storage of this run only)."""
        async with self._lease_lock:
            if self._lease is None:
                if self.pool is None:
                    self.pool = await self._stack.enter_async_context(
                        BrowserPool(headless=self.headless)
                    )
                s = self.settings
                options = ContextOptions(
                    viewport=(s.viewport.width, s.viewport.height),
                    user_agent=s.user_agent,
                    locale=s.locale,
                    timezone=s.timezone,
                    headers=dict(s.headers),
                    block=frozenset(s.block),
                    stealth=_stealth(s.stealth, s.user_agent is not None),
                    http_credentials=_credentials(s.http_credentials),
                    dialogs=Dialogs(confirm=s.dialogs.confirm, prompt=s.dialogs.prompt),
                )
                self._lease = await self._stack.enter_async_context(
                    policed_context(self.pool, self.traffic, options, log=self.log)
                )
                if s.trace == "full":
                    await self._start_trace(self._lease)
            return self._lease

    async def _start_trace(self, lease: Lease) -> None:
        try:
            await lease.context.tracing.start(screenshots=True, snapshots=True, sources=False)
        except Exception as exc:  # the trace is a debugging aid: the run goes on without it
            self.log("warning", f"no Playwright trace: {exc}".splitlines()[0])
        else:
            self._tracing = True

    async def stop_trace(self, redact: Callable[[str], str] | None = None) -> bytes | None:
        """The Playwright trace zip of the run's context, its logs passed through `redact`;
        None when none was recorded or it could not be written. Call before `aclose`."""
        if not self._tracing or self._lease is None:
            return None
        self._tracing = False
        try:
            with tempfile.TemporaryDirectory(prefix="trawler-trace-") as folder:
                path = Path(folder) / "trace.zip"
                async with asyncio.timeout(TRACE_STOP_TIMEOUT.total_seconds()):
                    await self._lease.context.tracing.stop(path=path)
                data = path.read_bytes()
            if redact is None:
                return data
            return await asyncio.to_thread(redact_trace, data, redact)
        except Exception as exc:  # never let the trace hide how the run ended
            self.log("warning", f"Playwright trace not saved: {exc}".splitlines()[0])
            return None

    async def client(self) -> httpx.AsyncClient:
        """The run's HTTP client: the bot's headers and credentials, redirects followed,
        cookies kept."""
        if self._client is None:
            s = self.settings
            headers = {"User-Agent": s.user_agent or USER_AGENT, **s.headers}
            if s.locale:
                headers.setdefault("Accept-Language", s.locale)
            self._client = await self._stack.enter_async_context(
                policed_client(self.traffic, headers, s.http_credentials)
            )
        return self._client

    async def open_page(self) -> Page:
        """A new page; in the browser it waits up to the navigation timeout for a free slot."""
        if self.mode == "browser":
            lease = await self.lease()
            wait = timedelta(milliseconds=self.settings.timeouts.navigation_ms)
            return BrowserPage(await lease.new_page(wait), lease.close_page)
        return HttpPage(await self.client())

    def capacity(self) -> int | None:
        """How many pages the pool holds at once; None when the run is not in the browser."""
        if self.mode != "browser" or self.pool is None:
            return None
        return self.pool.max_pages

    async def aclose(self) -> None:
        """Close the context, the client, and the pool if this run opened it."""
        await self._stack.aclose()


def _stealth(settings: StealthSettings | None, own_agent: bool) -> Stealth | None:
    """The pool's rotation for a bot's stealth settings; a bot's own user agent stays."""
    if settings is None:
        return None
    return Stealth(
        user_agents=USER_AGENTS if settings.user_agents and not own_agent else (),
        viewports=VIEWPORTS if settings.viewports else (),
        locales=tuple(settings.locales),
        timezones=tuple(settings.timezones),
    )


def _credentials(credentials: HttpCredentials | None) -> Credentials | None:
    if credentials is None:
        return None
    return Credentials(credentials.username, credentials.password, credentials.origin)


# Playwright's action and network logs: JSON lines, redacted string by string so they still parse.
_TRACE_LOGS = (".trace", ".network")


def redact_trace(data: bytes, redact: Callable[[str], str]) -> bytes:
    """The trace zip with its text passed through `redact`: every string of the action and
    network logs, and resources that are text (pages, request bodies); images stay as they are."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                target.writestr(info, content)  # an image or a font
                continue
            if info.filename.endswith(_TRACE_LOGS):
                text = "".join(
                    json.dumps(_redact_strings(json.loads(line), redact), ensure_ascii=False) + "\n"
                    for line in text.splitlines()
                    if line.strip()
                )
            else:
                text = redact(text)
            target.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def _redact_strings(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_strings(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: _redact_strings(v, redact) for k, v in value.items()}
    return value
