"""Where a run's traffic may go and how it leaves: the network policy on every connection.

The browser's contexts send everything through an egress proxy (the worker's, or one the run
starts for itself), which resolves each host once, checks the addresses and connects to a
checked one; HTTP fetches use a transport that does the same. So redirects, DNS answers that
change between check and use, service workers and sub-resources are all checked where the
connection is made, not on the URL string.
"""

from __future__ import annotations

import functools
import ssl
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import urlsplit

import httpx

from browser_pool import BrowserPool, ContextOptions, Lease, Logger
from engine._credentials import CredentialsTransport
from engine.errors import NavigationError, Refused
from engine.workflow import HttpCredentials, ProxyUse
from proxies import (
    EgressProxy,
    NetworkPolicy,
    Outcome,
    PinnedTransport,
    Proxy,
    ProxyRotator,
    Refusal,
    Resolver,
)
from proxies.netpolicy import normalise_host

REMEMBERED = 20
"""Requests that could not be sent, kept per run to explain a failed load."""


@dataclass(frozen=True)
class Network:
    """What the deployment lets a run reach, and the way out.

    `egress` is a running egress proxy shared by the runs of a process; a run without one
    starts its own. `rotator` picks the upstream proxy of each new connection (none: direct);
    a proxy that is not `trusted` (an account's) must pass `policy` like a page. `resolver`
    resolves host names for the HTTP renderer and an egress proxy the run starts (None: the
    system's); a shared `egress` has its own.
    """

    policy: NetworkPolicy = field(default_factory=NetworkPolicy)
    egress: EgressProxy | None = None
    rotator: ProxyRotator | None = None
    resolver: Resolver | None = None

    def __post_init__(self) -> None:
        if self.egress is not None and self.egress.policy != self.policy:
            raise ValueError("the egress proxy enforces a different policy than the network's")

    @classmethod
    def of(cls, egress: EgressProxy, rotator: ProxyRotator | None = None) -> Network:
        """The network of a process whose runs share `egress` (and its policy)."""
        return cls(egress.policy, egress, rotator)


@dataclass(frozen=True, slots=True)
class NotSent:
    """A request the run could not send: refused by the network policy (`rule` names the
    rule), or failed: the name did not resolve, nothing answered, a proxy failed."""

    target: str
    message: str
    rule: str | None = None


class Traffic:
    """One run's traffic, as the egress proxy and the pinned HTTP transport see it (their
    `EgressSession`): it picks each new connection's upstream proxy, tells the rotator how
    each proxy did, and remembers what could not be sent."""

    def __init__(
        self,
        network: Network,
        use: ProxyUse | None = None,
        *,
        on_not_sent: Callable[[NotSent], None] | None = None,
    ) -> None:
        self.network = network
        use = use or ProxyUse()
        self._rotator = network.rotator if use.mode == "auto" else None
        self._tags = tuple(use.tags)
        self._on_not_sent = on_not_sent
        self._key = uuid.uuid4().hex  # the run, for the sticky-per-execution strategy
        self._chosen: dict[str, Proxy] = {}
        self.not_sent = 0
        self.recent: deque[NotSent] = deque(maxlen=REMEMBERED)

    @property
    def id(self) -> str | None:
        return self._key

    def upstream(self, host: str) -> Proxy | None:
        """The upstream proxy for a new connection to `host`; None: direct.

        Raises `NoProxyAvailable` when the bot asks for tags no usable proxy has.
        """
        if self._rotator is None:
            return None
        proxy = self._rotator.choose(f"http://{host}/", self._key, self._tags)
        if proxy is None:
            return None
        self._chosen[normalise_host(host)] = proxy
        return proxy

    def proxy_for(self, url: str) -> Proxy | None:
        """The proxy the last connection to `url`'s host went through, if any."""
        return self._chosen.get(normalise_host(urlsplit(url).hostname or ""))

    def refused(self, target: str, refusal: Refusal) -> None:
        self._note(NotSent(target, describe(target, refusal), refusal.rule))

    def failed(
        self, target: str, message: str, upstream: Proxy | None, refusal: Refusal | None = None
    ) -> None:
        """A request not sent; the proxy that failed rests, one the policy refuses is
        disabled (its host would be refused again)."""
        rotator = self._rotator
        if upstream is not None and rotator is not None and upstream in rotator.proxies:
            if refusal is not None:
                rotator.disable(upstream, str(refusal))
            else:
                rotator.report(upstream, Outcome.ERROR, url=_as_url(target))
        self._note(NotSent(target, message))

    def served(self, url: str, status: int, text: str | None = None) -> Outcome | None:
        """Tell the rotator how the proxy behind `url` did (a block: 403, 429, a challenge
        page); None when no proxy carried it."""
        proxy = self.proxy_for(url)
        if proxy is None or self._rotator is None:
            return None
        outcome = self._rotator.classify(status, text)
        self._rotator.report(proxy, outcome, url=url)
        return outcome

    def since(self, mark: int) -> NotSent | None:
        """The first request not sent after `not_sent` was `mark`, if still remembered."""
        new = self.not_sent - mark
        if new <= 0:
            return None
        return self.recent[-new] if new <= len(self.recent) else self.recent[0]

    def _note(self, note: NotSent) -> None:
        self.not_sent += 1
        self.recent.append(note)
        if self._on_not_sent is not None:
            self._on_not_sent(note)


def _as_url(target: str) -> str:
    """A URL for a `host:port` CONNECT target (the rotator learns per host)."""
    return target if "://" in target else f"https://{target}/"


@asynccontextmanager
async def policed_context(
    pool: BrowserPool,
    traffic: Traffic,
    options: ContextOptions | None = None,
    *,
    log: Logger = lambda level, message: None,
    wait: timedelta | None = None,
) -> AsyncIterator[Lease]:
    """A pool context whose every request leaves through the egress proxy as `traffic`."""
    async with AsyncExitStack() as stack:
        egress = traffic.network.egress
        if egress is None:
            network = traffic.network
            egress = await stack.enter_async_context(
                EgressProxy(network.policy, resolver=network.resolver)
            )
        credentials = stack.enter_context(egress.registered(traffic))
        options = replace(options or ContextOptions(), proxy=egress.playwright_proxy(credentials))
        yield await stack.enter_async_context(pool.context(options, log, wait=wait))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every run's client: building one loads the CA bundle, which cost
    most of a short HTTP run's CPU. Cookies stay per run; only certificates are shared."""
    return httpx.create_ssl_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR, as httpx does


class _Cookies(httpx.Cookies):
    """The client's cookie jar, skipping httpx's cookiejar round trip for a response that sets
    no cookie (most pages; the round trip was a tenth of a static page's client time)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def policed_client(
    traffic: Traffic, headers: dict[str, str], credentials: HttpCredentials | None = None
) -> httpx.AsyncClient:
    """An httpx client that follows redirects and connects only where the network allows,
    every hop checked, through the proxies `traffic` picks; it answers a site's Basic or
    Digest challenge with `credentials`. Proxy variables of the environment are not read:
    they would route around the check."""
    network = traffic.network
    transport: httpx.AsyncBaseTransport = PinnedTransport(
        network.policy,
        session=traffic,
        resolver=network.resolver,
        verify=tls_context(),
        trust_env=False,
    )
    if credentials is not None:
        transport = CredentialsTransport(transport, credentials)
    client = httpx.AsyncClient(
        transport=transport,
        headers=headers,
        follow_redirects=True,
        max_redirects=10,
        trust_env=False,
    )
    client._cookies = _Cookies()  # the `cookies` setter would copy it into a plain jar
    return client


def describe(target: str, refusal: Refusal) -> str:
    """What was refused and why, naming the target when the policy's message does not."""
    message = str(refusal)
    return message if target in message else f"{target}: {message}"


def check_url(policy: NetworkPolicy, url: str) -> None:
    """Raise `Refused` for a URL whose scheme or literal host the policy refuses outright."""
    refusal = policy.check_url(url)
    if refusal is not None:
        raise Refused(str(refusal), url, refusal.rule)


def explain_load(exc: NavigationError, url: str, note: NotSent | None) -> NavigationError:
    """`exc` told the way the egress proxy saw it, when `note` is why the load failed (a
    refused or failed tunnel for https; its 403 or 502 answer for plain http), rather than
    "HTTP 403"; else `exc`. A refusal becomes `Refused`, which is not retried."""
    if note is None or isinstance(exc, Refused):
        return exc
    tunnel = "ERR_TUNNEL_CONNECTION_FAILED" in str(exc)
    if not (tunnel or exc.status == (403 if note.rule else 502)):
        return exc
    message = f"{note.message} (loading {url})"
    if note.rule is not None:
        return Refused(message, url, note.rule)
    return NavigationError(message, url)
