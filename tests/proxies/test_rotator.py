"""The proxy value, the rotator's strategies and health rules, and rotation through real proxies
on loopback (httpx and Chromium)."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pydantic
import pytest
from playwright.async_api import Browser

from proxies import (
    NoProxyAvailable,
    Outcome,
    Proxy,
    ProxyRotator,
    ProxySettings,
    classify,
    for_httpx,
    for_playwright,
)
from tests.conftest import free_port
from tests.proxies.servers import EchoTarget, LoopbackProxy

SECRET = "s3cr3t-pa55"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def proxy(name: str, *, tier: int = 0, tags: tuple[str, ...] = ()) -> Proxy:
    return Proxy(f"http://user:{SECRET}@{name}.proxy.test:8080", tier=tier, tags=tags)


A, B, C = proxy("a"), proxy("b"), proxy("c")


def rotator(*proxies: Proxy, **options: object) -> tuple[ProxyRotator, Clock]:
    clock = Clock()
    return ProxyRotator(proxies, clock=clock, **options), clock  # type: ignore[arg-type]


def names(picks: list[Proxy | None]) -> list[str]:
    return [p.host.split(".")[0] if p else "-" for p in picks]


# The value


def test_a_proxy_parses_its_url_and_never_shows_the_password() -> None:
    p = Proxy(
        f"HTTP://us%40er:{SECRET}%3A@Proxy.Example:3128",
        tags=["Residential", "country:de"],
        tier=2,
    )
    assert (p.scheme, p.host, p.port, p.username, p.password) == (
        "http",
        "proxy.example",
        3128,
        "us@er",
        SECRET + ":",
    )
    assert p.tags == {"residential", "country:de"}
    assert p.server == "http://proxy.example:3128"
    assert p.url == f"http://us%40er:{SECRET}%3A@proxy.example:3128"
    assert p.redacted == "http://us%40er:***@proxy.example:3128"
    for shown in (str(p), repr(p), f"{p}", str([p]), repr({p: 1})):
        assert SECRET not in shown
    assert Proxy(p.url, tags=p.tags, tier=2) == p
    assert Proxy("socks5://[::1]").server == "socks5://[::1]:1080"
    assert Proxy("https://proxy.example").port == 443


@pytest.mark.parametrize(
    "url",
    [
        f"ftp://user:{SECRET}@host:21",
        f"http://user:{SECRET}@host:99999",
        f"http://user:{SECRET}@host:port",
        f"http://:{SECRET}@host:8080",
        f"http://user:{SECRET}@host:8080/path",
        f"http://user:{SECRET}@:8080",
        "host:8080",
        f"socks5h://user:{SECRET}@host:1080",
        f"socks4://user:{SECRET}@host:1080",
        f"http://user:{SECRET}@999.1.1.1:8080",
        f"http://user:{SECRET}@%31%32%37.0.0.1:8080",
        f"socks5://{'u' * 256}:{SECRET}@host:1080",
    ],
)
def test_invalid_proxy_urls_are_refused_without_showing_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="proxy") as raised:
        Proxy(url)
    assert SECRET not in str(raised.value)


def test_invalid_tier_and_tags() -> None:
    with pytest.raises(ValueError, match="tier"):
        Proxy("http://host:1", tier=-1)
    with pytest.raises(TypeError, match="tags"):
        Proxy("http://host:1", tags="residential")


def test_client_shapes() -> None:
    p = Proxy(f"http://us%40er:{SECRET}@127.0.0.1:3128")
    httpx_proxy = for_httpx(p)
    assert httpx_proxy is not None
    assert str(httpx_proxy.url) == "http://127.0.0.1:3128"
    assert httpx_proxy.raw_auth == (b"us@er", SECRET.encode())
    assert SECRET not in repr(httpx_proxy)
    assert for_httpx(None) is None
    assert for_playwright(p) == {
        "server": "http://127.0.0.1:3128",
        "username": "us@er",
        "password": SECRET,
    }
    assert for_playwright(Proxy("socks5://h:1080"), bypass="<-loopback>") == {
        "server": "socks5://h:1080",
        "bypass": "<-loopback>",
    }


def test_settings_read_urls_and_entries_and_hide_passwords() -> None:
    settings = ProxySettings.model_validate(
        {
            "proxies": [
                f"http://user:{SECRET}@dc.test:8080",
                {"url": f"http://user:{SECRET}@res.test:8080", "tags": ["residential"], "tier": 1},
            ],
            "strategy": "tiered",
            "cool_down_base": "PT2S",
        }
    )
    assert settings.proxy_values() == [  # the operator's: trusted, unlike an account's
        Proxy(f"http://user:{SECRET}@dc.test:8080", trusted=True),
        Proxy(f"http://user:{SECRET}@res.test:8080", tags={"residential"}, tier=1, trusted=True),
    ]
    assert not Proxy(f"http://user:{SECRET}@dc.test:8080").trusted
    assert SECRET not in repr(settings)
    rotation = ProxyRotator.from_settings(settings)
    assert rotation.strategy == "tiered"
    assert len(rotation.proxies) == 2

    class Outer(pydantic.BaseModel):  # an enclosing settings class shows inputs in its errors
        proxies: ProxySettings

    with pytest.raises(pydantic.ValidationError) as raised:
        Outer.model_validate({"proxies": {"proxies": [f"http://user:{SECRET}@host:port"]}})
    assert "port" in str(raised.value)
    assert SECRET not in str(raised.value)
    for url, says in (
        (f"socks5h://user:{SECRET}@host:1080", "use socks5://"),
        (f"socks4://user:{SECRET}@host:1080", "use socks5://"),
    ):
        with pytest.raises(pydantic.ValidationError, match=says) as raised:
            Outer.model_validate({"proxies": {"proxies": [url]}})
        assert SECRET not in str(raised.value)
    with pytest.raises(pydantic.ValidationError, match="cool_down_max"):
        ProxySettings(cool_down_base=timedelta(minutes=5), cool_down_max=timedelta(minutes=1))


# Strategies


def test_round_robin_goes_in_order_and_skips_resting_proxies() -> None:
    rotation, _ = rotator(A, B, C)
    picks = [rotation.choose("https://shop.test/") for _ in range(7)]
    assert names(picks) == ["a", "b", "c", "a", "b", "c", "a"]
    rotation.report(B, Outcome.ERROR)
    picks = [rotation.choose("https://shop.test/") for _ in range(4)]
    assert names(picks) == ["c", "a", "c", "a"]


def test_tags_narrow_the_choice() -> None:
    de, us = proxy("de", tags=("country:de", "residential")), proxy("us", tags=("country:us",))
    rotation, _ = rotator(A, de, us)
    assert rotation.choose("https://shop.test/", tags={"Country:DE"}) == de
    assert rotation.choose("https://shop.test/", tags=["residential", "country:de"]) == de
    with pytest.raises(NoProxyAvailable, match="no proxy has the tags country:fr"):
        rotation.choose("https://shop.test/", tags=["country:fr"])


def test_random_spreads_evenly() -> None:
    rotation, _ = rotator(A, B, C, strategy="random", rng=random.Random(7))
    counts = Counter(names([rotation.choose("https://shop.test/") for _ in range(3000)]))
    assert set(counts) == {"a", "b", "c"}
    assert all(900 < n < 1100 for n in counts.values()), counts
    rotation.report(A, Outcome.BLOCKED)
    assert "a" not in names([rotation.choose("https://shop.test/") for _ in range(100)])


def test_sticky_domain_keeps_a_site_on_one_proxy_while_it_is_healthy() -> None:
    rotation, clock = rotator(A, B, C, strategy="sticky_domain")
    shop = [rotation.choose(f"https://shop.test/p/{i}") for i in range(5)]
    news = [rotation.choose(f"https://NEWS.test/a/{i}", session=str(i)) for i in range(5)]
    assert names(shop) == ["a"] * 5
    assert names(news) == ["b"] * 5
    rotation.report(A, Outcome.BLOCKED, url="https://shop.test/p/4")
    moved = [rotation.choose("https://shop.test/p/5") for _ in range(3)]
    assert names(moved) == ["c"] * 3
    clock.advance(hours=1)  # A is back, but the site stays where it works
    assert rotation.choose("https://shop.test/") == C
    assert rotation.choose("https://other.test/") == A


def test_sticky_session_keeps_an_execution_on_one_proxy() -> None:
    rotation, _ = rotator(A, B, C, strategy="sticky_session")
    first = {rotation.choose(f"https://site{i}.test/", session="run-1") for i in range(5)}
    second = {rotation.choose(f"https://site{i}.test/", session="run-2") for i in range(5)}
    assert first == {A}
    assert second == {B}
    # Without a session id it is plain round robin.
    assert names([rotation.choose("https://x.test/") for _ in range(3)]) == ["c", "a", "b"]
    rotation.report(A, Outcome.ERROR)
    assert rotation.choose("https://x.test/", session="run-1") == C
    assert rotation.choose("https://y.test/", session="run-1") == C


def test_tiered_escalates_a_site_after_a_block_and_later_tries_the_cheaper_tier() -> None:
    cheap1, cheap2 = proxy("cheap1"), proxy("cheap2")
    mid, top = proxy("mid", tier=1), proxy("top", tier=5)
    rotation, clock = rotator(cheap1, cheap2, mid, top, strategy="tiered", de_escalate_after=3)
    shop = "https://shop.test/item"
    assert names([rotation.choose(shop) for _ in range(4)]) == ["cheap1", "cheap2"] * 2
    assert rotation.tier_of(shop) == 0

    rotation.report(cheap1, Outcome.BLOCKED, url=shop)
    assert rotation.tier_of(shop) == 1
    assert rotation.choose(shop) == mid
    assert rotation.choose("https://news.test/") in (cheap1, cheap2)  # other sites stay cheap
    assert rotation.tier_of("https://news.test/") == 0

    rotation.report(mid, Outcome.BLOCKED, url=shop)
    assert rotation.tier_of(shop) == 5
    clock.advance(hours=1)  # mid rests no more; the site stays on the top tier
    assert rotation.choose(shop) == top
    rotation.report(top, Outcome.BLOCKED, url=shop)
    assert rotation.tier_of(shop) == 5  # no tier above
    assert rotation.choose(shop) == mid  # the top tier rests: the nearest cheaper one serves
    clock.advance(hours=1)

    for _ in range(2):
        rotation.report(top, Outcome.SUCCESS, url=shop)
    assert rotation.tier_of(shop) == 5
    rotation.report(top, Outcome.SUCCESS, url=shop)
    assert rotation.tier_of(shop) == 1  # three successes: one tier down
    for _ in range(3):
        rotation.report(mid, Outcome.SUCCESS, url=shop)
    assert rotation.tier_of(shop) == 0
    assert rotation.choose(shop) in (cheap1, cheap2)


def test_tiered_uses_a_higher_tier_when_the_sites_tier_rests() -> None:
    cheap, mid, top = proxy("cheap"), proxy("mid", tier=1), proxy("top", tier=2)
    rotation, _ = rotator(cheap, mid, top, strategy="tiered", de_escalate_after=None)
    rotation.report(cheap, Outcome.ERROR)  # a connection error rests it; no site escalates
    assert rotation.tier_of("https://shop.test/") == 0
    assert rotation.choose("https://shop.test/") == mid
    rotation.report(mid, Outcome.BLOCKED, url="https://shop.test/")
    assert rotation.choose("https://shop.test/") == top
    for _ in range(100):
        rotation.report(top, Outcome.SUCCESS, url="https://shop.test/")
    assert rotation.tier_of("https://shop.test/") == 2  # never de-escalates


# Health


def test_cool_down_doubles_and_is_capped() -> None:
    rotation, clock = rotator(
        A,
        B,
        cool_down_base=timedelta(seconds=10),
        cool_down_max=timedelta(seconds=60),
        disable_after=10,
    )
    rests = []
    for _ in range(6):
        rotation.report(A, Outcome.ERROR)
        until = rotation.stats()[0].cooling_until
        assert until is not None
        rests.append((until - clock.now).total_seconds())
        # Resting: never chosen until the rest is over, then chosen again.
        assert {rotation.choose("https://shop.test/") for _ in range(3)} == {B}
        clock.now = until - timedelta(milliseconds=1)
        assert rotation.choose("https://shop.test/") == B
        clock.now = until
        assert A in {rotation.choose("https://shop.test/") for _ in range(2)}
    assert rests == [10, 20, 40, 60, 60, 60]
    assert rotation.stats()[0].consecutive_failures == 6


def test_failures_during_a_rest_count_but_do_not_lengthen_it_and_success_resets() -> None:
    rotation, clock = rotator(A, B, cool_down_base=timedelta(seconds=10), disable_after=2)
    rotation.report(A, Outcome.ERROR)
    for _ in range(5):  # requests that left before the rest began
        rotation.report(A, Outcome.BLOCKED)
    stats = rotation.stats()[0]
    assert (stats.failures, stats.blocked, stats.consecutive_failures) == (1, 5, 1)
    assert stats.cooling_until == clock.now + timedelta(seconds=10)
    assert not stats.disabled
    clock.advance(seconds=10)
    rotation.report(A, Outcome.SUCCESS)
    rotation.report(A, Outcome.ERROR)
    stats = rotation.stats()[0]
    assert stats.consecutive_failures == 1
    assert stats.cooling_until == clock.now + timedelta(seconds=10)


def test_a_proxy_that_keeps_failing_is_disabled_with_the_reason() -> None:
    rotation, clock = rotator(A, B, disable_after=3, cool_down_base=timedelta(seconds=1))
    for _ in range(3):
        assert rotation.choose("https://shop.test/") == A
        rotation.report(A, Outcome.BLOCKED, url="https://shop.test/")
        rotation.choose("https://shop.test/")
        clock.advance(hours=1)
    stats = rotation.stats()[0]
    assert stats.disabled_reason == "3 consecutive failures, the last: blocked on shop.test"
    assert stats.cooling_until is None
    assert {rotation.choose("https://shop.test/") for _ in range(5)} == {B}
    rotation.enable(A)
    assert A in {rotation.choose("https://shop.test/") for _ in range(2)}
    rotation.disable(B, "removed by the owner")
    assert rotation.stats()[1].disabled_reason == "removed by the owner"
    with pytest.raises(ValueError, match="not one of"):
        rotation.report(C, Outcome.SUCCESS)


def test_stats_count_uses_and_outcomes() -> None:
    rotation, _ = rotator(A, B)
    for outcome in (Outcome.SUCCESS, Outcome.SUCCESS, Outcome.BLOCKED, Outcome.ERROR):
        chosen = rotation.choose("https://shop.test/")
        assert chosen is not None
        rotation.report(chosen, outcome)
    a, b = rotation.stats()
    assert (a.proxy, a.uses, a.successes, a.blocked, a.failures) == (A, 2, 1, 1, 0)
    assert (b.proxy, b.uses, b.successes, b.blocked, b.failures) == (B, 2, 1, 0, 1)


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, "<h1>Copper Kettle</h1>", Outcome.SUCCESS),
        (404, "not found", Outcome.SUCCESS),
        (500, None, Outcome.SUCCESS),
        (403, "", Outcome.BLOCKED),
        (429, "slow down", Outcome.BLOCKED),
        (200, "<div class='g-recaptcha'>", Outcome.BLOCKED),
        (200, "<title>Just a moment...</title><form id='cf-challenge-form'>", Outcome.BLOCKED),
        (200, "Please confirm: ARE YOU A ROBOT?", Outcome.BLOCKED),
        (503, "checking your browser: cf-challenge", Outcome.BLOCKED),
        (407, "proxy credentials needed", Outcome.ERROR),
    ],
)
def test_classify(status: int, body: str | None, outcome: Outcome) -> None:
    assert classify(status, body) is outcome


def test_classify_with_the_rotators_own_markers() -> None:
    rotation, _ = rotator(A, block_statuses={451}, block_markers=["pardon our interruption"])
    assert rotation.classify(451) is Outcome.BLOCKED
    assert rotation.classify(403) is Outcome.SUCCESS
    assert rotation.classify(200, "<h1>Pardon Our Interruption</h1>") is Outcome.BLOCKED
    assert rotation.classify(200, "solve the captcha") is Outcome.SUCCESS


def test_the_error_when_no_proxy_is_usable_says_why() -> None:
    rotation, clock = rotator(A, B, C, disable_after=1, cool_down_base=timedelta(seconds=30))
    rotation.disable(A, "rejected by the owner")
    rotation.report(B, Outcome.ERROR)  # disable_after=1: disabled at once
    rotation.enable(B)
    rotation.report(B, Outcome.ERROR)
    rotation.disable(C, "gone")
    with pytest.raises(NoProxyAvailable) as raised:
        rotation.choose("https://Shop.test/x")
    message = str(raised.value)
    assert message.startswith("no proxy available for shop.test: ")
    assert "3 disabled" in message
    assert "rejected by the owner" in message
    assert "1 consecutive failures, the last: error" in message
    assert raised.value.host == "shop.test"
    assert raised.value.retry_at is None
    assert SECRET not in message

    rotation, clock = rotator(A, B, cool_down_base=timedelta(seconds=30))
    rotation.report(A, Outcome.ERROR)
    clock.advance(seconds=10)
    rotation.report(B, Outcome.BLOCKED)
    with pytest.raises(NoProxyAvailable, match="2 cooling down") as raised:
        rotation.choose("https://shop.test/")
    assert raised.value.retry_at == clock.now + timedelta(seconds=20)
    assert "user:***@a.proxy.test" in str(raised.value)


def test_without_proxies_requests_go_direct_unless_tags_are_asked_for() -> None:
    rotation, _ = rotator()
    assert rotation.choose("https://shop.test/") is None
    assert rotation.tier_of("https://shop.test/") is None
    with pytest.raises(NoProxyAvailable, match="residential"):
        rotation.choose("https://shop.test/", tags=["residential"])


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        ProxyRotator([A, Proxy(A.url, tier=3)])
    with pytest.raises(ValueError, match="unknown strategy"):
        ProxyRotator([A], strategy="fastest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cool-downs"):
        ProxyRotator([A], cool_down_base=timedelta(0))


def test_logs_never_show_the_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="proxies")
    rotation, clock = rotator(A, B, strategy="tiered", disable_after=2)
    rotation.report(A, Outcome.BLOCKED, url="https://shop.test/")
    clock.advance(hours=1)
    rotation.report(A, Outcome.ERROR)
    assert "disabled" in caplog.text
    assert "user:***@a.proxy.test" in caplog.text
    assert SECRET not in caplog.text


# Real proxies on loopback


@pytest.fixture
async def target() -> AsyncIterator[EchoTarget]:
    async with EchoTarget() as site:
        yield site


async def fetch(rotation: ProxyRotator, url: str) -> tuple[Proxy, Outcome]:
    chosen = rotation.choose(url)
    assert chosen is not None
    try:
        async with httpx.AsyncClient(proxy=for_httpx(chosen), timeout=5) as client:
            response = await client.get(url)
    except httpx.TransportError:
        outcome = Outcome.ERROR
    else:
        outcome = rotation.classify(response.status_code, response.text)
    rotation.report(chosen, outcome, url=url)
    return chosen, outcome


async def test_rotation_through_real_proxies(target: EchoTarget) -> None:
    async with (
        LoopbackProxy("plain") as plain,
        LoopbackProxy("auth", credentials=("trawler", SECRET)) as auth,
        LoopbackProxy("deny", mode="deny", status=403) as deny,
        LoopbackProxy("drop", mode="drop") as drop,
    ):
        servers = {"plain": plain, "auth": auth, "deny": deny, "drop": drop}
        values = {name: Proxy(server.url, tags={name}) for name, server in servers.items()}
        by_url = {p.url: name for name, p in values.items()}
        clock = Clock()
        rotation = ProxyRotator(
            values.values(), clock=clock, disable_after=3, cool_down_base=timedelta(seconds=10)
        )
        served: dict[str, str] = {}  # path -> proxy name, as the rotator chose
        outcomes: list[tuple[str, Outcome]] = []
        n = 0
        for round_ in range(4):
            for _ in range(6):
                n += 1
                path = f"/page/{n}"
                chosen, outcome = await fetch(rotation, target.base_url + path)
                outcomes.append((by_url[chosen.url], outcome))
                if outcome is Outcome.SUCCESS:
                    served[path] = by_url[chosen.url]
            clock.advance(seconds=10 * 2**round_)

        # The target saw each successful request once, through the proxy the rotator chose.
        assert {path: target.via(path) for path in served} == {
            path: [name] for path, name in served.items()
        }
        assert len(target.seen) == len(served)
        # Each proxy's own log agrees.
        for name in ("plain", "auth"):
            assert sorted(s.target for s in servers[name].served) == sorted(
                target.base_url + path for path, who in served.items() if who == name
            )
        # The blocking and the failing proxy: tried, rested, tried again, then disabled.
        assert [o for name, o in outcomes if name == "deny"] == [Outcome.BLOCKED] * 3
        assert [o for name, o in outcomes if name == "drop"] == [Outcome.ERROR] * 3
        assert [s.answer for s in deny.seen] == [403] * 3
        assert [s.answer for s in drop.seen] == [0] * 3
        assert deny.served == drop.served == []
        stats = {by_url[s.proxy.url]: s for s in rotation.stats()}
        assert stats["deny"].disabled_reason == (
            "3 consecutive failures, the last: blocked on 127.0.0.1"
        )
        assert (
            stats["drop"].disabled_reason == "3 consecutive failures, the last: error on 127.0.0.1"
        )
        assert (stats["deny"].blocked, stats["drop"].failures) == (3, 3)
        assert stats["plain"].successes + stats["auth"].successes == len(served) == 24 - 6
        assert stats["plain"].failures == stats["auth"].failures == 0

        # A challenge page through a healthy proxy is a block too.
        chosen, outcome = await fetch(rotation, target.base_url + "/challenge")
        assert outcome is Outcome.BLOCKED
        assert target.via("/challenge") == [by_url[chosen.url]]


async def test_the_authenticating_proxy_needs_its_credentials(target: EchoTarget) -> None:
    async with LoopbackProxy("auth", credentials=("trawler", SECRET)) as auth:
        good = Proxy(auth.url)
        anonymous = Proxy(auth.server)
        wrong = Proxy(f"http://trawler:nope@127.0.0.1:{auth.port}")
        rotation = ProxyRotator([good, anonymous, wrong], clock=Clock())
        results = [await fetch(rotation, f"{target.base_url}/auth/{i}") for i in range(3)]
        assert results == [
            (good, Outcome.SUCCESS),
            (anonymous, Outcome.ERROR),
            (wrong, Outcome.ERROR),
        ]
        assert [s.answer for s in auth.seen] == [200, 407, 407]
        assert target.via("/auth/0") == ["auth"]
        assert target.via("/auth/1") == target.via("/auth/2") == []


async def test_a_refused_connection_is_an_error(target: EchoTarget) -> None:
    closed = Proxy(f"http://127.0.0.1:{free_port()}")
    rotation = ProxyRotator([closed], clock=Clock(), disable_after=1)
    assert await fetch(rotation, target.base_url + "/x") == (closed, Outcome.ERROR)
    assert rotation.stats()[0].disabled
    assert target.seen == []


async def test_chromium_loads_the_target_through_the_authenticating_proxy(
    browser: Browser, target: EchoTarget
) -> None:
    async with LoopbackProxy("auth", credentials=("trawler", SECRET)) as auth:
        rotation = ProxyRotator([Proxy(auth.url, tags={"residential"})], clock=Clock())
        chosen = rotation.choose(target.base_url + "/browser", tags=["residential"])
        assert chosen is not None
        context = await browser.new_context(proxy=for_playwright(chosen, bypass="<-loopback>"))
        try:
            page = await context.new_page()
            response = await page.goto(target.base_url + "/browser")
            assert response is not None
            rotation.report(chosen, rotation.classify(response.status, await page.content()))
            assert await page.title() == "/browser"
            assert await page.inner_text("p") == "served via auth"
        finally:
            await context.close()
        assert target.via("/browser") == ["auth"]
        pages = [s for s in auth.seen if s.target == target.base_url + "/browser"]
        assert pages[-1].answer == 200
        assert rotation.stats()[0].successes == 1
