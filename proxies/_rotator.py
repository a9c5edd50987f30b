"""Which proxy the next request leaves through, and what the answers say about each proxy.

Pure bookkeeping: no I/O and no awaits, so one rotator serves a whole event loop. The caller
asks `choose`, makes the request, and tells `report` how it went (`classify` reads a response).
A failure rests the proxy for `cool_down_base * 2**(n-1)` (n consecutive failures, capped at
`cool_down_max`); after `disable_after` consecutive failures it is disabled until `enable`.
A failure reported while the proxy already rests (a request that left before the rest began)
is counted but neither lengthens the rest nor brings the proxy closer to being disabled.
"""

from __future__ import annotations

import logging
import random
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from proxies._health import (
    DEFAULT_BLOCK_MARKERS,
    DEFAULT_BLOCK_STATUSES,
    Outcome,
    ProxyStats,
    classify,
)
from proxies._proxy import Proxy
from proxies._settings import ProxySettings, Strategy
from proxies.errors import NoProxyAvailable

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

MEMORY = 10_000
"""Sites and sessions remembered (least recently used forgotten first): bounds a long worker."""

STRATEGIES: tuple[Strategy, ...] = (
    "round_robin",
    "random",
    "sticky_domain",
    "sticky_session",
    "tiered",
)

K = TypeVar("K")
V = TypeVar("V")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Recent(Generic[K, V]):
    """A mapping that forgets its least recently used keys beyond `size`."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


@dataclass(slots=True)
class _Health:
    uses: int = 0
    successes: int = 0
    failures: int = 0
    blocked: int = 0
    consecutive: int = 0
    cooling_until: datetime | None = None
    disabled_reason: str | None = None


@dataclass(slots=True)
class _Tier:
    """A site's place on the tier ladder (tiered strategy)."""

    tier: int
    successes: int = 0


class ProxyRotator:
    """Chooses proxies by a strategy and keeps their health; see the module docstring."""

    def __init__(
        self,
        proxies: Iterable[Proxy],
        *,
        strategy: Strategy = "round_robin",
        cool_down_base: timedelta = timedelta(seconds=10),
        cool_down_max: timedelta = timedelta(minutes=10),
        disable_after: int = 5,
        de_escalate_after: int | None = 50,
        block_statuses: Collection[int] = DEFAULT_BLOCK_STATUSES,
        block_markers: Iterable[str] = DEFAULT_BLOCK_MARKERS,
        clock: Clock = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
        if cool_down_base <= timedelta(0) or cool_down_max < cool_down_base:
            raise ValueError("cool-downs must be positive, the maximum at least the base")
        if disable_after < 1:
            raise ValueError("disable_after must be at least 1")
        self._proxies = tuple(proxies)
        seen: set[str] = set()
        for proxy in self._proxies:
            if proxy.url in seen:
                raise ValueError(f"proxy {proxy} is listed twice")
            seen.add(proxy.url)
        self.strategy: Strategy = strategy
        self._base = cool_down_base
        self._max = cool_down_max
        self._disable_after = disable_after
        self._de_escalate_after = de_escalate_after
        self._block_statuses = frozenset(block_statuses)
        self._block_markers = tuple(block_markers)
        self._clock = clock
        self._rng = rng or random.Random()
        self._health = {proxy: _Health() for proxy in self._proxies}
        self._index = {proxy: i for i, proxy in enumerate(self._proxies)}
        self._tiers = sorted({proxy.tier for proxy in self._proxies})
        self._cursor = 0
        self._bound: _Recent[str, Proxy] = _Recent(MEMORY)
        self._sites: _Recent[str, _Tier] = _Recent(MEMORY)

    @classmethod
    def from_settings(
        cls,
        settings: ProxySettings,
        *,
        proxies: Iterable[Proxy] | None = None,
        clock: Clock = _utcnow,
        rng: random.Random | None = None,
    ) -> ProxyRotator:
        """A rotator for the configured proxies, or for `proxies` (a user's own) if given."""
        return cls(
            settings.proxy_values() if proxies is None else proxies,
            strategy=settings.strategy,
            cool_down_base=settings.cool_down_base,
            cool_down_max=settings.cool_down_max,
            disable_after=settings.disable_after,
            de_escalate_after=settings.de_escalate_after,
            block_statuses=settings.block_statuses,
            block_markers=settings.block_markers,
            clock=clock,
            rng=rng,
        )

    @property
    def proxies(self) -> tuple[Proxy, ...]:
        return self._proxies

    def choose(
        self, url: str, session: str | None = None, tags: Iterable[str] | None = None
    ) -> Proxy | None:
        """The proxy for a request to `url`, having every one of `tags`.

        `None` when the rotator has no proxies and no tags are asked for (connect directly);
        `NoProxyAvailable` when proxies exist but none with the tags is usable now.
        """
        wanted = frozenset(t.strip().lower() for t in tags or () if t.strip())
        if not self._proxies and not wanted:
            return None
        host = _host(url)
        matching = [p for p in self._proxies if wanted <= p.tags]
        if not matching:
            shown = ", ".join(sorted(wanted))
            raise NoProxyAvailable(f"no proxy has the tags {shown}", host=host)
        now = self._clock()
        usable = [p for p in matching if self._usable(p, now)]
        if not usable:
            raise self._unavailable(host, matching)
        chosen = self._pick(usable, host, session)
        self._health[chosen].uses += 1
        return chosen

    def _pick(self, usable: list[Proxy], host: str, session: str | None) -> Proxy:
        if self.strategy == "random":
            return self._rng.choice(usable)
        if self.strategy == "tiered":
            site = self._site(host)
            # Upwards from the site's tier; when all of those rest, downwards from just below
            # it: a cheaper tier beats no proxy, and an escalated site is never stuck.
            above = [t for t in self._tiers if t >= site.tier]
            below = [t for t in reversed(self._tiers) if t < site.tier]
            for tier in above + below:
                if pool := [p for p in usable if p.tier == tier]:
                    return self._next(pool)
        key = None
        if self.strategy == "sticky_domain":
            key = f"domain:{host}"
        elif self.strategy == "sticky_session" and session is not None:
            key = f"session:{session}"
        if key is None:
            return self._next(usable)
        bound = self._bound.get(key)
        if bound is None or bound not in usable:
            bound = self._next(usable)
            self._bound.put(key, bound)
        return bound

    def _next(self, pool: list[Proxy]) -> Proxy:
        """Round robin over the configured order, skipping proxies not in `pool`."""
        chosen = min(pool, key=lambda p: (self._index[p] - self._cursor) % len(self._proxies))
        self._cursor = self._index[chosen] + 1
        return chosen

    def _site(self, host: str) -> _Tier:
        site = self._sites.get(host)
        if site is None:
            site = _Tier(self._tiers[0])
            self._sites.put(host, site)
        return site

    def _usable(self, proxy: Proxy, now: datetime) -> bool:
        health = self._health[proxy]
        if health.disabled_reason is not None:
            return False
        return health.cooling_until is None or health.cooling_until <= now

    def _unavailable(self, host: str, proxies: list[Proxy]) -> NoProxyAvailable:
        disabled = [p for p in proxies if self._health[p].disabled_reason is not None]
        cooling = sorted(
            (p for p in proxies if p not in disabled),
            key=lambda p: self._health[p].cooling_until or datetime.min.replace(tzinfo=UTC),
        )
        retry_at = self._health[cooling[0]].cooling_until if cooling else None
        parts = []
        if cooling and retry_at is not None:
            parts.append(
                f"{len(cooling)} cooling down (the first back: {cooling[0]}"
                f" at {retry_at.isoformat()})"
            )
        if disabled:
            reasons = "; ".join(f"{p}: {self._health[p].disabled_reason}" for p in disabled)
            parts.append(f"{len(disabled)} disabled ({reasons})")
        return NoProxyAvailable(
            f"no proxy available for {host or 'this request'}: {', '.join(parts)}",
            host=host,
            retry_at=retry_at,
        )

    def classify(self, status: int, body_text: str | None = None) -> Outcome:
        """`classify` with this rotator's block statuses and markers."""
        return classify(
            status, body_text, statuses=self._block_statuses, markers=self._block_markers
        )

    def report(self, proxy: Proxy, outcome: Outcome, *, url: str | None = None) -> None:
        """Record how a request through `proxy` went; `url` lets the tiered strategy learn."""
        health = self._of(proxy)
        host = None if url is None else _host(url)
        if outcome is Outcome.SUCCESS:
            health.successes += 1
            health.consecutive = 0
            if host is not None and self.strategy == "tiered":
                self._climb_down(host, proxy)
            return
        if outcome is Outcome.BLOCKED:
            health.blocked += 1
            if host is not None and self.strategy == "tiered":
                self._climb_up(host, proxy)
        else:
            health.failures += 1
        now = self._clock()
        if health.disabled_reason is not None or (
            health.cooling_until is not None and health.cooling_until > now
        ):
            return
        health.consecutive += 1
        where = f" on {host}" if host else ""
        if health.consecutive >= self._disable_after:
            health.disabled_reason = (
                f"{health.consecutive} consecutive failures, the last: {outcome.value}{where}"
            )
            health.cooling_until = None
            log.warning("proxy %s disabled: %s", proxy, health.disabled_reason)
            return
        rest = min(self._base * 2 ** (health.consecutive - 1), self._max)
        health.cooling_until = now + rest
        log.info("proxy %s %s%s: resting %ss", proxy, outcome.value, where, rest.total_seconds())

    def _climb_up(self, host: str, proxy: Proxy) -> None:
        site = self._site(host)
        above = [tier for tier in self._tiers if tier > proxy.tier]
        if above and site.tier < above[0]:
            site.tier, site.successes = above[0], 0
            log.info("%s blocked tier %s: now on tier %s", host, proxy.tier, site.tier)

    def _climb_down(self, host: str, proxy: Proxy) -> None:
        site = self._sites.get(host)
        if site is None or self._de_escalate_after is None or proxy.tier != site.tier:
            return
        below = [tier for tier in self._tiers if tier < site.tier]
        if not below:
            return
        site.successes += 1
        if site.successes >= self._de_escalate_after:
            site.tier, site.successes = below[-1], 0
            log.info("%s: trying the cheaper tier %s again", host, site.tier)

    def tier_of(self, url: str) -> int | None:
        """The tier the tiered strategy starts a request to this site on; `None` without proxies."""
        return self._site(_host(url)).tier if self._tiers else None

    def _of(self, proxy: Proxy) -> _Health:
        health = self._health.get(proxy)
        if health is None:
            raise ValueError(f"{proxy} is not one of this rotator's proxies")
        return health

    def stats(self) -> list[ProxyStats]:
        """Each proxy's counters and state, in the configured order."""
        return [
            ProxyStats(
                proxy=proxy,
                uses=health.uses,
                successes=health.successes,
                failures=health.failures,
                blocked=health.blocked,
                consecutive_failures=health.consecutive,
                cooling_until=health.cooling_until,
                disabled_reason=health.disabled_reason,
            )
            for proxy, health in self._health.items()
        ]

    def disable(self, proxy: Proxy, reason: str) -> None:
        """Take a proxy out of rotation until `enable`."""
        self._of(proxy).disabled_reason = reason

    def enable(self, proxy: Proxy) -> None:
        """Back into rotation with a clean slate (no rest, no failure streak)."""
        health = self._of(proxy)
        health.disabled_reason, health.cooling_until, health.consecutive = None, None, 0


def _host(url: str) -> str:
    """The lower-cased host of a URL (`example.com/x` is read as a host too)."""
    parts = urlsplit(url if "://" in url else f"//{url}")
    return parts.hostname or ""
