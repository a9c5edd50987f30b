"""A bot's http_credentials: answering Basic and Digest challenges over plain HTTP, and saying
what a 401 means. (In the browser, Chromium answers them with Playwright's `http_credentials`.)"""

from __future__ import annotations

import base64
from collections.abc import Generator
from types import TracebackType

import httpx

from engine.errors import CredentialsRefused, NavigationError
from engine.workflow import HttpCredentials, origin_of


def basic_token(credentials: HttpCredentials) -> str:
    """What `Authorization: Basic` carries for these credentials (redacted like the password)."""
    return base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()


def scheme(challenge: str | None) -> str | None:
    """`basic` or `digest` for a WWW-Authenticate header offering either (digest first, as
    browsers prefer it), else None."""
    offered = [part.strip().split(" ", 1)[0].lower() for part in (challenge or "").split(",")]
    return next((s for s in ("digest", "basic") if s in offered), None)


class CredentialsTransport(httpx.AsyncBaseTransport):
    """Answers a 401's Basic or Digest challenge with the bot's credentials, as a browser does.

    It works hop by hop, under the client's redirects: each request is checked against
    `origin` on its own, so a redirect elsewhere never carries the credentials. Once an origin
    took them, its next requests carry them at once (Digest with the server's last nonce). A
    request with an Authorization header of its own (the bot's headers) is left alone.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, credentials: HttpCredentials) -> None:
        self._inner = inner
        self._credentials = credentials
        self._answers: dict[str, httpx.Auth] = {}
        """By origin: how its server asked, answered again at once."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = origin_of(str(request.url))
        wanted = self._credentials.origin
        if "authorization" in request.headers or (wanted is not None and origin != wanted):
            return await self._inner.handle_async_request(request)
        known = self._answers.get(origin)
        if known is not None:
            return await self._drive(known.auth_flow(request))
        response = await self._send(request)
        asked = scheme(", ".join(response.headers.get_list("www-authenticate")))
        if response.status_code != 401 or asked is None:
            return response
        username, password = self._credentials.username, self._credentials.password
        if asked == "basic":
            self._answers[origin] = basic = httpx.BasicAuth(username, password)
            await _discard(response)
            return await self._drive(basic.auth_flow(request))
        self._answers[origin] = digest = httpx.DigestAuth(username, password)
        flow = digest.auth_flow(request)
        next(flow)  # a fresh DigestAuth sends the first request as it is: the one answered here
        return await self._drive(flow, response)

    async def _drive(
        self,
        flow: Generator[httpx.Request, httpx.Response, None],
        response: httpx.Response | None = None,
    ) -> httpx.Response:
        """Send what an httpx auth flow asks for, from `response` to its first request if
        given; the flow's last answer is the response."""
        if response is None:
            response = await self._send(next(flow))
        while True:
            try:
                request = flow.send(response)
            except StopIteration:
                return response
            await _discard(response)
            response = await self._send(request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        response.request = request  # an auth flow reads the cookies it set
        return response

    async def __aenter__(self) -> CredentialsTransport:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc_value, traceback)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _discard(response: httpx.Response) -> None:
    """Read a 401's body (so its connection is kept) and close it."""
    try:
        await response.aread()
    finally:
        await response.aclose()


def explain_unauthorized(
    exc: NavigationError, url: str, credentials: HttpCredentials | None
) -> NavigationError:
    """A 401 that asked for Basic or Digest credentials told as such: refused, none given, or
    given for another origin; else `exc`. Never names the password."""
    asked = scheme(exc.challenge) if exc.status == 401 else None
    if asked is None:
        return exc
    what = f"HTTP 401 at {url}: the site asks for a user name and password ({asked.title()})"
    if credentials is None:
        return NavigationError(f"{what}; set settings.http_credentials", url, 401)
    if credentials.origin is not None and _origin(url) != credentials.origin:
        return NavigationError(
            f"{what}; settings.http_credentials are only for {credentials.origin}", url, 401
        )
    return CredentialsRefused(
        f"HTTP 401 at {url}: the site refused the http_credentials of user "
        f"{credentials.username!r} ({asked.title()})",
        url,
        401,
    )


def _origin(url: str) -> str | None:
    try:
        return origin_of(url)
    except ValueError:
        return None
