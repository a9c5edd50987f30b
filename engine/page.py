"""The two renderers behind one small interface: a Chromium page or a plain HTTP fetch."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page as PlaywrightPage
from playwright.async_api import TimeoutError as PlaywrightTimeout
from selectolax.lexbor import LexborHTMLParser

from engine._html import html_of
from engine.errors import NavigationError, Refused, causes
from engine.events import Box
from proxies import NetworkRefused, NoProxyAvailable

WaitUntil = Literal["load", "domcontentloaded", "networkidle", "commit"]
ScreenshotArea = Literal["viewport", "full_page", "element"]
"""What a screenshot shows: the viewport, the whole document, or one element."""

MAX_BOXES = 50
"""Boxes kept per selector: enough to outline a page of results, small enough for every step."""

# Boxes in the screenshot's coordinates: the viewport at its scroll position, or the document
# measured the way Playwright sizes a full-page screenshot.
_BOXES_SCRIPT = """(elements, [area, limit]) => {
  const root = document.documentElement, body = document.body || root;
  let width = window.innerWidth, height = window.innerHeight, dx = 0, dy = 0;
  if (area === 'full_page') {
    width = Math.max(body.scrollWidth, root.scrollWidth, body.offsetWidth, root.offsetWidth,
                     body.clientWidth, root.clientWidth);
    height = Math.max(body.scrollHeight, root.scrollHeight, body.offsetHeight, root.offsetHeight,
                      body.clientHeight, root.clientHeight);
    dx = window.scrollX;
    dy = window.scrollY;
  }
  const boxes = [];
  if (area === 'element' || !(width > 0 && height > 0)) return [elements.length, boxes];
  for (const element of elements) {
    if (boxes.length >= limit) break;
    if (!(element instanceof Element)) continue;
    const r = element.getBoundingClientRect();
    const left = Math.max(r.left + dx, 0), top = Math.max(r.top + dy, 0);
    const right = Math.min(r.right + dx, width), bottom = Math.min(r.bottom + dy, height);
    if (right <= left || bottom <= top) continue;
    boxes.push([left / width, top / height, (right - left) / width, (bottom - top) / height]);
  }
  return [elements.length, boxes];
}"""

_CHROMIUM_NET_ERRORS = {
    "ERR_NAME_NOT_RESOLVED": "could not resolve host {host}",
    "ERR_NAME_RESOLUTION_FAILED": "could not resolve host {host}",
    "ERR_CONNECTION_REFUSED": "connection refused by {host}",
    "ERR_CONNECTION_RESET": "connection reset by {host}",
    "ERR_CONNECTION_CLOSED": "connection closed by {host}",
    "ERR_ADDRESS_UNREACHABLE": "address of {host} unreachable",
    "ERR_TIMED_OUT": "connection to {host} timed out",
    "ERR_CERT_": "TLS certificate of {host} rejected",
    "ERR_BLOCKED_BY_CLIENT": "request to {host} blocked",
    "ERR_ABORTED": "navigation to {host} aborted",
    "ERR_INVALID_URL": "invalid URL",
}


class Page(Protocol):
    """What extraction and navigation need from a page, whichever renderer made it."""

    renderer: Literal["browser", "http"]

    @property
    def url(self) -> str: ...

    async def goto(self, url: str, *, wait_until: WaitUntil, timeout_ms: int) -> int | None:
        """Load `url`; the HTTP status of the page (None when there was no response)."""
        ...

    async def content(self) -> str: ...

    async def title(self) -> str: ...

    async def close(self) -> None: ...


_TRANSIENT_NET_ERRORS = (
    "ERR_CONNECTION_RESET",
    "ERR_CONNECTION_CLOSED",
    "ERR_EMPTY_RESPONSE",
    "ERR_TIMED_OUT",
    "ERR_CONNECTION_TIMED_OUT",
    "ERR_NETWORK_CHANGED",
)
"""Chromium's errors for a connection that broke off: a later load may well get through."""


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def http_error(url: str, status: int, wait: str | None, challenge: str | None) -> NavigationError:
    """The error of a page answered `status` (>= 400), in either renderer."""
    return NavigationError(
        f"HTTP {status} at {url}", url, status, retry_after=retry_after(wait), challenge=challenge
    )


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def check_url(url: str) -> None:
    """Refuse what is not an absolute http(s) URL before any request is made."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NavigationError(f"not an absolute http(s) URL: {url!r}", url)


class BrowserPage:
    """A Chromium page."""

    renderer: Literal["browser", "http"] = "browser"

    def __init__(
        self, page: PlaywrightPage, close: Callable[[PlaywrightPage], Awaitable[None]]
    ) -> None:
        self.page = page
        self._close = close

    @property
    def url(self) -> str:
        return self.page.url

    async def goto(self, url: str, *, wait_until: WaitUntil, timeout_ms: int) -> int | None:
        check_url(url)
        try:
            response = await self.page.goto(url, wait_until=wait_until, timeout=timeout_ms)
        except PlaywrightTimeout as exc:
            raise NavigationError(
                f"page did not finish loading ({wait_until}) within {timeout_ms / 1000:g} s: {url}",
                url,
                transient=True,
            ) from exc
        except PlaywrightError as exc:
            text = str(exc)
            transient = any(code in text for code in _TRANSIENT_NET_ERRORS)
            for code, template in _CHROMIUM_NET_ERRORS.items():
                if code in text:
                    message = template.format(host=_host(url))
                    raise NavigationError(
                        f"{message} ({code}): {url}", url, transient=transient
                    ) from exc
            raise NavigationError(
                f"could not load {url}: {text.splitlines()[0]}", url, transient=transient
            ) from exc
        if response is not None and response.status >= 400:
            challenge = None
            if response.status == 401:
                challenge = await response.header_value("www-authenticate")
            raise http_error(url, response.status, response.headers.get("retry-after"), challenge)
        return response.status if response is not None else None

    async def content(self) -> str:
        """The page's HTML with its open shadow roots inline (see `engine._html`)."""
        return await html_of(self.page)

    async def title(self) -> str:
        return await self.page.title()

    async def close(self) -> None:
        await self._close(self.page)

    async def boxes(self, selector: str, area: ScreenshotArea) -> tuple[int, tuple[Box, ...]]:
        """How many elements `selector` (Playwright spelling) matches now, and their boxes in a
        screenshot of `area` as fractions of its size; one round trip, no waiting."""
        count, found = await self.page.locator(selector).evaluate_all(
            _BOXES_SCRIPT, [area, MAX_BOXES]
        )
        return int(count), tuple(_box(box) for box in found)


def _box(values: list[float]) -> Box:
    left, top, width, height = (round(float(v), 5) for v in values)
    return left, top, width, height


class HttpPage:
    """A page fetched with plain HTTP: no JavaScript runs."""

    renderer: Literal["browser", "http"] = "http"

    def __init__(self, client: httpx.AsyncClient, url: str = "about:blank") -> None:
        self.client = client
        self._url = url
        self._html = ""

    @property
    def url(self) -> str:
        return self._url

    async def goto(self, url: str, *, wait_until: WaitUntil, timeout_ms: int) -> int | None:
        check_url(url)
        # like the browser, a failed load leaves the page at the new URL, not on the old page
        self._url, self._html = url, ""
        try:
            # httpx's timeout is per read: a page that trickles in needs a deadline of its own
            async with asyncio.timeout(timeout_ms / 1000):
                response = await self.client.get(url, timeout=timeout_ms / 1000)
        except NetworkRefused as exc:  # the URL, or a redirect hop, goes where bots may not
            raise Refused(f"{exc} (loading {url})", url, exc.rule) from exc
        except NoProxyAvailable as exc:
            raise NavigationError(f"no proxy to load {url} through: {exc}", url) from exc
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise NavigationError(
                f"page did not finish loading within {timeout_ms / 1000:g} s: {url}",
                url,
                transient=True,
            ) from exc
        except httpx.ConnectError as exc:
            text, host = str(exc), _host(url)
            # several addresses tried: the first says "All ... failed", a cause says why
            if "refused" in text.lower() or any(
                isinstance(c, ConnectionRefusedError) for c in causes(exc)
            ):
                raise NavigationError(f"connection refused by {host}: {url}", url) from exc
            if any(s in text for s in ("Name or service", "resolution", "nodename", "getaddrinfo")):
                raise NavigationError(f"could not resolve host {host}: {url}", url) from exc
            raise NavigationError(f"could not connect to {host} ({text}): {url}", url) from exc
        except httpx.ProxyError as exc:  # ours name the proxy and why, as the browser's do
            raise NavigationError(f"{exc} (loading {url})", url) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise NavigationError(
                f"connection to {_host(url)} dropped ({exc!r}): {url}", url, transient=True
            ) from exc
        except httpx.HTTPError as exc:
            raise NavigationError(f"could not load {url}: {exc!r}", url) from exc
        self._url, self._html = str(response.url), decode(response)
        if response.status_code >= 400:
            challenge = ", ".join(response.headers.get_list("www-authenticate")) or None
            raise http_error(
                url, response.status_code, response.headers.get("retry-after"), challenge
            )
        return response.status_code

    async def content(self) -> str:
        return self._html

    async def title(self) -> str:
        title = LexborHTMLParser(self._html).css_first("title") if self._html else None
        return " ".join(title.text().split()) if title is not None else ""

    async def close(self) -> None:
        return None


_CHARSET = r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
_HEADER_CHARSET = re.compile(_CHARSET, re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+" + _CHARSET.encode(), re.IGNORECASE)


def decode(response: httpx.Response) -> str:
    """The page's text: the charset from the headers, else from a <meta> tag, else UTF-8;
    bytes that do not decode are replaced, as a browser does."""
    content = response.content
    header = _HEADER_CHARSET.search(response.headers.get("content-type", ""))
    if header is not None:
        charset = header.group(1)
    elif meta := _META_CHARSET.search(content[:4096]):
        charset = meta.group(1).decode("ascii")
    else:
        charset = "utf-8"
    try:
        return content.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return content.decode("utf-8", errors="replace")
