"""`PinnedTransport`: httpx connects only to checked addresses, keeps Host/SNI and certificate
checks for the name, checks every redirect hop, and tunnels to the address through a proxy."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest

from proxies import UNREACHABLE, NetworkPolicy, NetworkRefused, PinnedTransport, Proxy
from tests.proxies.conftest import TlsSite
from tests.proxies.servers import LoopbackProxy
from tests.site.canary import PUBLIC, Lab, Resolver


def client(
    policy: NetworkPolicy,
    *,
    resolver: Resolver | None = None,
    proxy: Proxy | str | httpx.Proxy | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    transport = PinnedTransport(policy, proxy, resolver=resolver, verify=verify)
    return httpx.AsyncClient(transport=transport, timeout=10)


async def test_the_allowed_site_is_fetched(lab: Lab, policy: NetworkPolicy) -> None:
    async with client(policy) as http:
        response = await http.get(lab.base + "/ok")
    assert response.status_code == 200
    assert "the allowed site" in response.text
    assert lab.canary.hits == 0


@pytest.mark.parametrize(
    ("host", "rule"),
    [
        ("127.0.0.2", "loopback"),
        ("127.2", "loopback"),
        ("2130706434", "loopback"),
        ("0x7f000002", "loopback"),
        ("017700000002", "loopback"),
        ("[::ffff:127.0.0.2]", "loopback"),
        ("[::ffff:7f00:2]", "loopback"),
        ("[::1]", "loopback"),
        ("localhost", "loopback"),
        ("0.0.0.0", "unspecified"),
    ],
)
async def test_the_canary_is_refused_in_every_spelling(
    lab: Lab, policy: NetworkPolicy, host: str, rule: str
) -> None:
    async with client(policy) as http:
        with pytest.raises(NetworkRefused) as refused:
            await http.get(lab.at(host, "/transport"))
    assert refused.value.rule == rule
    named = refused.value.refusal.address or host  # localhost is refused by its name
    assert named in str(refused.value)
    assert lab.canary.hits == 0


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_the_canary_is_refused(
    lab: Lab, policy: NetworkPolicy, status: int
) -> None:
    async with client(policy) as http:
        first = await http.get(lab.redirect(lab.canary_url("/redirected"), status))
        assert first.status_code == status  # the allowed hop itself is served
        with pytest.raises(NetworkRefused) as refused:
            await http.get(
                lab.redirect(lab.canary_url("/redirected"), status), follow_redirects=True
            )
    assert refused.value.rule == "loopback"
    assert lab.canary.hits == 0


async def test_a_name_answering_public_first_and_the_canary_second_is_refused(
    lab: Lab, policy: NetworkPolicy
) -> None:
    resolver = Resolver({"rebind.test": [PUBLIC, "127.0.0.2"]})
    async with client(policy, resolver=resolver) as http:
        with pytest.raises(NetworkRefused) as refused:
            await http.get(lab.at("rebind.test", "/dns"))
    assert refused.value.rule == "loopback"
    assert "rebind.test resolves to 127.0.0.2" in str(refused.value)
    assert resolver.calls["rebind.test"] == 1
    assert lab.canary.hits == 0


async def test_the_checked_address_is_the_one_connected_to(lab: Lab, policy: NetworkPolicy) -> None:
    # a rebinding resolver: the allowed address first, the canary on every later question
    resolver = Resolver({"flip.test": ["127.0.0.1"]}, later={"flip.test": ["127.0.0.2"]})
    async with client(policy, resolver=resolver) as http:
        response = await http.get(lab.at("flip.test", "/ok"))
        again = await http.get(lab.at("flip.test", "/ok"))  # the pooled, pinned connection
    assert response.status_code == again.status_code == 200
    assert "the allowed site" in response.text
    assert resolver.calls["flip.test"] == 1
    async with client(policy, resolver=resolver) as http:
        with pytest.raises(NetworkRefused):
            await http.get(lab.at("flip.test", "/ok"))  # a new connection asks again
    assert lab.canary.hits == 0


async def test_a_name_that_does_not_resolve_is_a_connect_error(policy: NetworkPolicy) -> None:
    async with client(policy, resolver=Resolver({})) as http:
        with pytest.raises(httpx.ConnectError, match=r"could not resolve host nowhere\.test"):
            await http.get("http://nowhere.test/")


async def test_tls_keeps_sni_and_certificate_checks_for_the_name(
    policy: NetworkPolicy, tls_site: TlsSite, tls_context: ssl.SSLContext
) -> None:
    resolver = Resolver({"pinned.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]})
    async with client(policy, resolver=resolver, verify=tls_context) as http:
        response = await http.get(f"https://pinned.test:{tls_site.port}/")
        assert response.text == f"secure pinned.test:{tls_site.port}"
        assert tls_site.names[-1] == "pinned.test"
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await http.get(f"https://wrong.test:{tls_site.port}/")
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await http.get(f"https://127.0.0.1:{tls_site.port}/")


async def test_through_an_upstream_proxy_the_tunnel_goes_to_the_checked_address(
    lab: Lab, policy: NetworkPolicy, tls_site: TlsSite, tls_context: ssl.SSLContext
) -> None:
    resolver = Resolver({"pinned.test": ["127.0.0.1"], "rebind.test": [PUBLIC, "127.0.0.2"]})
    async with LoopbackProxy("up", credentials=("user", "p@ss word")) as upstream:
        async with client(
            policy, proxy=upstream.url, resolver=resolver, verify=tls_context
        ) as http:
            response = await http.get(lab.base + "/ok")
            assert "the allowed site" in response.text
            secure = await http.get(f"https://pinned.test:{tls_site.port}/")
            assert secure.text == f"secure pinned.test:{tls_site.port}"
            assert tls_site.names[-1] == "pinned.test"
            tunnels = [(seen.method, seen.target, seen.answer) for seen in upstream.seen]
            assert tunnels == [
                ("CONNECT", f"127.0.0.1:{lab.port}", 200),
                ("CONNECT", f"127.0.0.1:{tls_site.port}", 200),
            ]
            for url in (lab.canary_url("/via-upstream"), lab.at("rebind.test", "/dns")):
                with pytest.raises(NetworkRefused):
                    await http.get(url)
            assert len(upstream.seen) == 2  # refused before the upstream was contacted
        proxy = httpx.Proxy(upstream.server, auth=("user", "p@ss word"))
        async with client(policy, proxy=proxy) as http:
            assert (await http.get(lab.base + "/ok")).status_code == 200
        async with client(policy, proxy=upstream.server) as http:  # an account's: one message
            with pytest.raises(httpx.ProxyError) as failed:
                await http.get(lab.base + "/ok")
            assert str(failed.value).endswith(UNREACHABLE)
            assert "answered" not in str(failed.value)
        trusted = Proxy(upstream.server, trusted=True)  # the deployment's: the cause
        async with client(policy, proxy=trusted) as http:
            with pytest.raises(httpx.ProxyError, match="answered 407"):
                await http.get(lab.base + "/ok")
    assert lab.canary.hits == 0


async def test_a_kept_alive_connection_the_server_closed_is_not_reused(
    policy: NetworkPolicy,
) -> None:
    # the server answers as if keeping the connection, then closes it: the pool must see the
    # closed socket while the connection is idle and open a new one, not fail the next request
    connections = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, client(policy) as http:
        for _ in range(3):
            response = await http.get(f"http://127.0.0.1:{port}/")
            assert response.text == "ok"
            await asyncio.sleep(0.05)  # the close reaches the idle connection
    assert connections == 3


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("socks5h://127.0.0.1:1080", "use socks5://"),
        ("socks4://127.0.0.1:1080", "use socks5://"),
        ("ftp://127.0.0.1:21", "not one of http, https, socks5"),
    ],
)
def test_an_upstream_speaks_http_connect_or_socks5(
    policy: NetworkPolicy, url: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        PinnedTransport(policy, proxy=url)
