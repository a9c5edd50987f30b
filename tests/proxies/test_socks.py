"""SOCKS5 upstream proxies: the test server speaks the protocol Chromium and curl speak; the
egress proxy (for Chromium) and the pinned transport (for the HTTP renderer) chain to it with
CONNECT to the checked address (IPv4 or IPv6), never to the name, with user name and password;
failures read as the proxy's kind allows."""

from __future__ import annotations

import asyncio
import re
import shutil
import ssl
from collections.abc import AsyncIterator
from ipaddress import ip_address

import httpx
import pytest
from playwright.async_api import Browser

from proxies import UNREACHABLE, EgressProxy, NetworkPolicy, PinnedTransport, Proxy
from proxies._upstream import TunnelFailed, open_tunnel
from tests.proxies.conftest import Session, TlsSite
from tests.proxies.servers import SocksProxy
from tests.site.canary import CANARY_HOST, PUBLIC, Lab, Resolver

CREDENTIALS = ("user", "p@ss word")


@pytest.fixture
def resolver() -> Resolver:
    return Resolver({"pinned.test": ["127.0.0.1"], "rebind.test": [PUBLIC, CANARY_HOST]})


@pytest.fixture
async def egress(policy: NetworkPolicy, resolver: Resolver) -> AsyncIterator[EgressProxy]:
    async with EgressProxy(policy, resolver=resolver) as proxy:
        yield proxy


def via(egress: EgressProxy, session: Session) -> str:
    credentials = egress.register(session)
    return egress.url.replace("http://", f"http://{credentials.username}:{credentials.password}@")


def targets(socks: SocksProxy) -> list[tuple[str, str, int]]:
    return [(seen.target, seen.headers.get("address", ""), seen.answer) for seen in socks.seen]


async def test_chromium_and_curl_speak_to_the_test_server(browser: Browser, lab: Lab) -> None:
    async with SocksProxy() as socks:
        context = await browser.new_context(proxy={"server": socks.server, "bypass": "<-loopback>"})
        try:
            page = await context.new_page()
            await page.goto(lab.base + "/ok")
            assert await page.text_content("#ok") == "the allowed site"
        finally:
            await context.close()
        # Chromium sends even an address as a name (its SOCKS5 resolves on the proxy side)
        assert (f"127.0.0.1:{lab.port}", "name", 200) in targets(socks)
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the password exchange was not checked against it")
    async with SocksProxy(credentials=CREDENTIALS) as socks:
        for url, answer in ((socks.url, 0), (socks.server, 97)):  # 97: the proxy refused login
            curl = await asyncio.create_subprocess_exec(
                "curl", "-s", "--proxy", url, lab.base + "/ok", stdout=asyncio.subprocess.PIPE
            )
            out, _ = await curl.communicate()
            assert curl.returncode == answer, out
            assert (b"the allowed site" in out) is (answer == 0)


async def test_the_egress_proxy_chains_chromium_to_a_socks5_upstream(
    browser: Browser,
    egress: EgressProxy,
    lab: Lab,
    tls_site: TlsSite,
    tls_context: ssl.SSLContext,
) -> None:
    async with SocksProxy(credentials=CREDENTIALS) as socks:
        session = Session("exec-socks", socks.url)
        proxy = via(egress, session)
        context = await browser.new_context(proxy=egress.playwright_proxy(egress.register(session)))
        try:
            page = await context.new_page()
            await page.goto(lab.base + "/ok")
            assert await page.text_content("#ok") == "the allowed site"
        finally:
            await context.close()
        async with httpx.AsyncClient(proxy=proxy, verify=tls_context) as http:
            secure = await http.get(f"https://pinned.test:{tls_site.port}/")
            assert secure.text == f"secure pinned.test:{tls_site.port}"
            assert tls_site.names[-1] == "pinned.test"  # TLS still for the name
            refused = await http.get(lab.at("rebind.test", "/socks"))
            assert refused.status_code == 403
        seen = targets(socks)
        assert (f"127.0.0.1:{lab.port}", "ipv4", 200) in seen
        assert (f"127.0.0.1:{tls_site.port}", "ipv4", 200) in seen
        assert all(kind == "ipv4" for _, kind, _ in seen)  # the checked address, never a name
    assert lab.canary.hits == 0


async def test_the_pinned_transport_tunnels_through_socks5_to_ipv4_and_ipv6(
    lab: Lab, resolver: Resolver
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nsix!")
        await writer.drain()
        writer.close()

    six = await asyncio.start_server(answer, "::1", 0)
    port = six.sockets[0].getsockname()[1]
    policy = NetworkPolicy(allow=["127.0.0.1/32", "::1/128"])
    async with six, SocksProxy(credentials=CREDENTIALS) as socks:
        transport = PinnedTransport(policy, socks.url, resolver=resolver)
        async with httpx.AsyncClient(transport=transport, timeout=10) as http:
            assert "the allowed site" in (await http.get(lab.base + "/ok")).text
            assert (await http.get(f"http://[::1]:{port}/")).text == "six!"
            with pytest.raises(Exception, match="loopback"):
                await http.get(lab.at("rebind.test", "/socks"))
        assert targets(socks) == [
            (f"127.0.0.1:{lab.port}", "ipv4", 200),
            (f"[::1]:{port}", "ipv6", 200),
        ]
    assert lab.canary.hits == 0


@pytest.mark.parametrize("renderer", ["browser", "http"])
async def test_a_failing_socks5_proxy_tells_the_cause_only_when_trusted(
    egress: EgressProxy, policy: NetworkPolicy, lab: Lab, renderer: str
) -> None:
    async with (
        SocksProxy(credentials=CREDENTIALS) as locked,
        SocksProxy(mode="deny") as denying,
    ):
        cases = [
            (locked.server, "accepts none of the authentication methods offered"),
            (locked.server.replace("://", "://user:wrong@"), "refused the user name and password"),
            (denying.url, "answered 2 (connection not allowed by its rules)"),
        ]
        for url, cause in cases:
            for trusted in (False, True):
                message = await _failure(egress, policy, Proxy(url, trusted=trusted), lab, renderer)
                assert (cause in message) is trusted, message
                assert message.endswith(UNREACHABLE) is not trusted, message


async def _failure(
    egress: EgressProxy, policy: NetworkPolicy, proxy: Proxy, lab: Lab, renderer: str
) -> str:
    """What loading the allowed site through `proxy` says, in the renderer's path."""
    session = Session("exec-fail", proxy.url, trusted=proxy.trusted)
    if renderer == "browser":
        async with httpx.AsyncClient(proxy=via(egress, session)) as http:
            answer = await http.get(lab.base + "/ok")
        assert answer.status_code == 502
        return answer.text.split(": ", 1)[1].strip()
    transport = PinnedTransport(policy, session=session)
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.ProxyError) as failed:
            await http.get(lab.base + "/ok")
    return str(failed.value)


class Script:
    """A wire that plays back a proxy's answers and records what was sent."""

    def __init__(self, *answers: bytes) -> None:
        self.sent: list[bytes] = []
        self._answers = list(answers)

    async def send(self, data: bytes) -> None:
        self.sent.append(data)

    async def receive(self, limit: int) -> bytes:
        if not self._answers:
            return b""
        head, rest = self._answers[0][:limit], self._answers[0][limit:]
        if rest:
            self._answers[0] = rest
        else:
            self._answers.pop(0)
        return head


async def test_the_socks5_handshake_byte_by_byte() -> None:
    proxy = Proxy("socks5://ü:pw@proxy.test:1080")
    bound_name = bytes([5, 0, 0, 3, 4]) + b"host" + b"\x01\xbb"  # a name as bound address
    wire = Script(b"\x05\x02", b"\x01\x00", bound_name)
    await open_tunnel(proxy, wire, ip_address("2001:db8::1"), 443)
    user = "ü".encode()
    assert wire.sent == [
        b"\x05\x02\x00\x02",
        bytes([1, len(user), *user, 2]) + b"pw",
        b"\x05\x01\x00\x04" + ip_address("2001:db8::1").packed + b"\x01\xbb",
    ]
    for answers, says in (
        ((b"HTTP/1.1 400 Bad Request\r\n\r\n",), "does not speak SOCKS5"),
        ((b"\x05\xff",), "none of the authentication methods offered (no authentication, user"),
        ((b"\x05\x02", b"\x01\x01"), "refused the user name and password"),
        ((b"\x05\x00", b"\x05\x05\x00\x01"), "answered 5 (connection refused)"),
        ((b"\x05\x00", b"\x05\x00\x00\x09"), "unknown address type"),
        ((b"\x05\x00", b"\x05\x00"), "broke off the SOCKS5 handshake"),
    ):
        with pytest.raises(TunnelFailed, match=re.escape(says)):
            await open_tunnel(proxy, Script(*answers), ip_address("192.0.2.1"), 80)
