"""An account's upstream proxy is user input: its host must pass the network policy when it is
saved (`check_proxy`) and at every connection, for the egress proxy (Chromium) and the pinned
transport (HTTP) alike, so a name that answers a public address at the save and the canary
later reaches nothing; its failures read the same whatever answered. The deployment's proxies
are trusted: the operator may put them on a private network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Browser

from proxies import UNREACHABLE, EgressProxy, NetworkPolicy, PinnedTransport, Proxy, check_proxy
from tests.proxies.conftest import Session
from tests.proxies.servers import LoopbackProxy
from tests.site.canary import CANARY_HOST, PUBLIC, Lab, Resolver

HINT = "a deployment can allow it with TRAWLER_ALLOWED_NETWORKS"


def answers() -> Resolver:
    return Resolver(
        {
            "loop.test": ["127.0.0.1"],
            "public.test": [PUBLIC],
            "mixed.test": [PUBLIC, CANARY_HOST],
            "rebind.test": [PUBLIC],
            "site.test": ["127.0.0.1"],
        },
        later={"rebind.test": [CANARY_HOST]},
    )


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://127.0.0.1:8080", "loopback"),
        ("http://localhost:8080", "loopback"),
        ("http://LOCALHOST.:8080", "loopback"),
        ("https://app.localhost:8443", "loopback"),
        ("http://[::1]:8080", "loopback"),
        ("http://[::ffff:127.0.0.1]:8080", "loopback"),
        ("http://2130706433:8080", "loopback"),
        ("http://0x7f000001:8080", "loopback"),
        ("http://017700000001:8080", "loopback"),
        ("http://127.1:8080", "loopback"),
        ("socks5://loop.test:1080", "loopback"),
        ("http://mixed.test:3128", "loopback"),
        ("http://10.1.2.3:3128", "private"),
        ("socks5://192.168.1.1:1080", "private"),
        ("http://[fd00::1]:3128", "private"),
        ("http://169.254.169.254:80", "metadata"),
        ("http://metadata.google.internal:80", "metadata"),
        ("http://169.254.1.1:80", "link-local"),
        ("http://0.0.0.0:3128", "unspecified"),
    ],
)
async def test_saving_an_accounts_proxy_on_a_forbidden_host_is_refused(url: str, rule: str) -> None:
    refusal = await check_proxy(NetworkPolicy(), Proxy(url), answers())
    assert refusal is not None
    assert refusal.rule == rule
    assert (HINT in refusal.message) is (rule in ("loopback", "private", "link-local"))


async def test_what_passes_the_save_check() -> None:
    resolver = answers()
    default = NetworkPolicy()
    assert await check_proxy(default, Proxy("http://public.test:3128"), resolver) is None
    assert await check_proxy(default, Proxy("http://nowhere.test:3128"), resolver) is None
    assert resolver.calls["nowhere.test"] == 1  # checked again at every connection
    assert await check_proxy(default, Proxy("http://10.1.2.3:3128", trusted=True)) is None
    opened = NetworkPolicy(allow=["10.1.0.0/16", "loop.test"])
    assert await check_proxy(opened, Proxy("http://10.1.2.3:3128")) is None
    assert await check_proxy(opened, Proxy("http://loop.test:3128"), resolver) is None
    private = NetworkPolicy(allow_private_networks=True)
    assert await check_proxy(private, Proxy("http://127.0.0.1:3128")) is None
    refused = await check_proxy(private, Proxy("http://169.254.169.254:80"))
    assert refused is not None
    assert refused.rule == "metadata"

    async def slow(host: str, port: int) -> list[str]:
        await asyncio.sleep(60)
        return [PUBLIC]

    moment = timedelta(seconds=0.2)
    slowly = await check_proxy(default, Proxy("http://slow.test:1"), slow, wait=moment)
    assert slowly is None  # a resolver that does not answer in time holds nothing up


@pytest.fixture
async def egress(policy: NetworkPolicy) -> AsyncIterator[EgressProxy]:
    async with EgressProxy(policy, resolver=answers()) as proxy:
        yield proxy


def via(egress: EgressProxy, session: Session) -> str:
    credentials = egress.register(session)
    return egress.url.replace("http://", f"http://{credentials.username}:{credentials.password}@")


async def test_a_rebinding_proxy_name_is_refused_at_connect_time_in_chromium(
    browser: Browser, policy: NetworkPolicy, lab: Lab
) -> None:
    resolver = answers()
    proxy = Proxy(f"http://rebind.test:{lab.port}")
    assert await check_proxy(policy, proxy, resolver) is None  # saved: public at the time
    async with EgressProxy(policy, resolver=resolver) as egress:
        session = Session("exec-rebind", proxy.url)
        context = await browser.new_context(proxy=egress.playwright_proxy(egress.register(session)))
        try:
            page = await context.new_page()
            response = await page.goto(lab.base + "/ok")
            assert response is not None
            assert response.status == 502
            text = await response.text()
            with pytest.raises(Exception, match="ERR_TUNNEL_CONNECTION_FAILED"):
                await page.goto(f"https://127.0.0.1:{lab.port}/")
        finally:
            await context.close()
    assert f"through proxy {proxy.server}: rebind.test resolves to 127.0.0.2" in text
    assert "(rule 'loopback')" in text
    assert "canary" not in text
    assert {(p.host, r.rule) for p, r in session.proxy_refusals} == {("rebind.test", "loopback")}
    assert session.refusals == []  # the target was allowed: the proxy was refused
    # once at the save, then once for each connection: never a cached first answer
    assert resolver.calls["rebind.test"] == 1 + len(session.proxy_refusals) >= 3
    assert lab.canary.hits == 0


async def test_a_rebinding_proxy_name_is_refused_at_connect_time_over_http(
    policy: NetworkPolicy, lab: Lab
) -> None:
    resolver = answers()
    proxy = Proxy(f"socks5://rebind.test:{lab.port}")
    assert await check_proxy(policy, proxy, resolver) is None
    session = Session("exec-rebind", proxy.url)
    transport = PinnedTransport(policy, session=session, resolver=resolver)
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.ProxyError) as failed:
            await http.get(lab.base + "/ok")
    assert f"through proxy {proxy.server}: rebind.test resolves to" in str(failed.value)
    assert [(p.host, r.rule) for p, r in session.proxy_refusals] == [("rebind.test", "loopback")]
    assert lab.canary.hits == 0


@pytest.mark.parametrize("renderer", ["browser", "http"])
@pytest.mark.parametrize("host", [CANARY_HOST, "mixed.test", "localhost", "[::ffff:127.0.0.2]"])
async def test_the_canary_as_an_accounts_proxy_is_never_connected_to(
    egress: EgressProxy, policy: NetworkPolicy, lab: Lab, renderer: str, host: str
) -> None:
    # the canary answers 200 and a body to anything: as a proxy it would be read into a page
    session = Session("exec-canary", f"http://{host}:{lab.port}")
    message = await _load(egress, policy, session, lab, renderer)
    assert "the network policy refuses it" in message
    assert "canary" not in message
    assert len(session.proxy_refusals) == 1
    assert lab.canary.hits == 0


async def test_the_deployments_proxy_is_trusted_on_a_private_address(lab: Lab) -> None:
    policy = NetworkPolicy(allow=["site.test"])  # pages reach site.test; 127.0.0.1 is refused
    async with (
        LoopbackProxy("operator") as operator,
        EgressProxy(policy, resolver=answers()) as egress,
    ):
        url = f"http://site.test:{lab.port}/ok"
        for renderer in ("browser", "http"):
            trusted = Session("exec-deployment", operator.url, trusted=True)
            assert "the allowed site" in await _load(egress, policy, trusted, lab, renderer, url)
            account = Session("exec-account", operator.url)
            refused = await _load(egress, policy, account, lab, renderer, url)
            assert "127.0.0.1 is a loopback address" in refused
            assert HINT in refused
        assert len(operator.served) == 2  # the trusted sessions' only
    assert lab.canary.hits == 0


async def _banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"-ERR unknown command 'CONNECT', internal-redis 7.2\r\n")
    await writer.drain()
    writer.close()


@pytest.mark.parametrize("renderer", ["browser", "http"])
async def test_an_accounts_failing_proxy_says_the_same_whatever_answered(
    egress: EgressProxy, policy: NetworkPolicy, lab: Lab, renderer: str
) -> None:
    banner = await asyncio.start_server(_banner, "127.0.0.1", 0)
    closed = await asyncio.start_server(_banner, "127.0.0.1", 0)
    closed_port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    async with (
        banner,
        LoopbackProxy("deny", mode="deny", status=418) as deny,
        LoopbackProxy("drop", mode="drop") as drop,
        LoopbackProxy("locked", credentials=("user", "pw")) as locked,
    ):
        urls = {
            "banner": f"http://127.0.0.1:{banner.sockets[0].getsockname()[1]}",
            "deny": deny.url,
            "drop": drop.url,
            "locked": locked.server,
            "closed": f"http://127.0.0.1:{closed_port}",
        }
        said = {}
        for name, url in urls.items():
            message = await _load(egress, policy, Session(name, url), lab, renderer)
            said[name] = message.replace(url, "PROXY")
            for leak in ("418", "407", "answered", "ERR", "redis", "refused by", "Connect call"):
                assert leak not in said[name], (name, message)
        assert set(said.values()) == {
            f"could not connect to 127.0.0.1 through proxy PROXY: {UNREACHABLE}"
        }


async def _load(
    egress: EgressProxy,
    policy: NetworkPolicy,
    session: Session,
    lab: Lab,
    renderer: str,
    url: str | None = None,
) -> str:
    """The allowed site's page loaded as `session` in the renderer's path: its text, or what
    the egress proxy (browser) or the transport (http) said instead."""
    url = url or lab.base + "/ok"
    if renderer == "browser":
        async with httpx.AsyncClient(proxy=via(egress, session), timeout=10) as http:
            answer = await http.get(url)
        return answer.text.removeprefix("trawler egress proxy: ").strip()
    transport = PinnedTransport(policy, session=session, resolver=answers())
    async with httpx.AsyncClient(transport=transport, timeout=10) as http:
        try:
            return (await http.get(url)).text
        except httpx.ProxyError as exc:
            return str(exc)
