"""`EgressProxy` in front of real Chromium: every way a page can reach the canary is refused at
connect time and reported, the allowed site is still served; credentials, upstream chaining."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page

from proxies import UNREACHABLE, Credentials, EgressProxy, NetworkPolicy
from tests.proxies.conftest import Refusals, Session, TlsSite
from tests.proxies.servers import LoopbackProxy
from tests.site.canary import (
    CANARY_HOST,
    PAGES,
    PUBLIC,
    REDIRECTS,
    SPELLING,
    SPELLINGS,
    Lab,
    Resolver,
)


@pytest.fixture
def refusals() -> Refusals:
    return Refusals()


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(
        {
            "rebind.test": [PUBLIC, CANARY_HOST],
            "flip.test": ["127.0.0.1"],
            "pinned.test": ["127.0.0.1"],
        },
        later={"flip.test": [CANARY_HOST]},
    )


@pytest.fixture
async def egress(
    policy: NetworkPolicy, refusals: Refusals, resolver: Resolver
) -> AsyncIterator[EgressProxy]:
    async with EgressProxy(policy, on_refused=refusals, resolver=resolver) as proxy:
        yield proxy


@pytest.fixture
def session() -> Session:
    return Session("exec-1")


@pytest.fixture
async def page(browser: Browser, egress: EgressProxy, session: Session) -> AsyncIterator[Page]:
    """A page whose context sends everything through the egress proxy as `session`."""
    context = await browser.new_context(proxy=egress.playwright_proxy(egress.register(session)))
    try:
        yield await context.new_page()
    finally:
        await context.close()


def via(egress: EgressProxy, credentials: Credentials) -> str:
    """The egress proxy URL with the credentials in it, as httpx takes it."""
    return egress.url.replace("http://", f"http://{credentials.username}:{credentials.password}@")


async def test_the_allowed_site_is_served(
    page: Page, lab: Lab, refusals: Refusals, session: Session
) -> None:
    response = await page.goto(lab.base + "/ok")
    assert response is not None
    assert response.status == 200
    assert await page.text_content("#ok") == "the allowed site"
    assert await page.evaluate("fetch('/ok').then(r => r.status)") == 200
    assert refusals.seen == []
    assert session.refusals == []
    assert lab.canary.hits == 0


@pytest.mark.parametrize(("host", "rule"), list(SPELLINGS.items()))
async def test_navigating_to_the_canary_is_refused_in_every_spelling(
    page: Page, lab: Lab, refusals: Refusals, session: Session, host: str, rule: str
) -> None:
    response = await page.goto(lab.at(host, "/hit/navigation"))
    assert response is not None
    assert response.status == 403
    assert await response.header_value("x-trawler-refused") == rule
    session_id, target, refusal = await refusals.wait(lambda r: "/hit/navigation" in r[1])
    assert (session_id, refusal.rule) == ("exec-1", rule)
    assert session.refusals == [(target, refusal)]
    assert lab.canary.hits == 0
    assert lab.hits["navigation"] == 0  # 0.0.0.0 would have reached the site on 127.0.0.1


@pytest.mark.parametrize("status", REDIRECTS)
async def test_a_redirect_from_the_allowed_site_to_the_canary_is_refused(
    page: Page, lab: Lab, refusals: Refusals, status: int
) -> None:
    marker = f"/redirect-{status}"
    response = await page.goto(lab.redirect(lab.canary_url(marker), status))
    assert response is not None
    assert response.status == 403
    _, target, refusal = await refusals.wait(lambda r: marker in r[1])
    assert target == lab.canary_url(marker)
    assert refusal.rule == "loopback"
    assert lab.canary.hits == 0


@pytest.mark.parametrize("vector", list(PAGES))
async def test_a_page_of_the_allowed_site_cannot_reach_the_canary(
    page: Page, lab: Lab, refusals: Refusals, vector: str
) -> None:
    marker = f"/{vector}"
    url = lab.at(SPELLING.get(vector, CANARY_HOST), marker)
    await page.goto(lab.page(PAGES[vector].format(url=url)))
    _, target, refusal = await refusals.wait(lambda r: r[1].endswith(marker))
    assert target.endswith(f":{lab.port}{marker}")
    assert (refusal.rule, refusal.address) in {
        ("loopback", "127.0.0.2"),
        ("loopback", "::ffff:7f00:2"),
    }
    assert lab.canary.hits == 0


async def test_a_websocket_to_the_canary_is_refused(
    page: Page, lab: Lab, refusals: Refusals
) -> None:
    await page.goto(lab.page("<title>ws</title>"))
    closed = await page.evaluate(
        """url => new Promise(resolve => {
             const socket = new WebSocket(url);
             socket.onopen = () => resolve('open');
             socket.onclose = () => resolve('closed');
           })""",
        f"ws://{CANARY_HOST}:{lab.port}/socket",
    )
    assert closed == "closed"
    _, _target, refusal = await refusals.wait(lambda r: r[1] == f"{CANARY_HOST}:{lab.port}")
    assert refusal.rule == "loopback"
    assert lab.canary.hits == 0


async def test_a_name_answering_public_first_and_the_canary_second_is_refused(
    page: Page, lab: Lab, refusals: Refusals, resolver: Resolver
) -> None:
    marker = "/rebind"
    await page.goto(lab.page(f"<img src='{lab.at('rebind.test', marker)}'>"))
    _, target, refusal = await refusals.wait(lambda r: r[1].endswith(marker))
    assert target == lab.at("rebind.test", marker)
    assert refusal.rule == "loopback"
    assert "rebind.test resolves to 127.0.0.2" in refusal.message
    assert resolver.calls["rebind.test"] == 1
    assert lab.canary.hits == 0


async def test_each_connection_goes_to_the_address_it_checked(
    page: Page, lab: Lab, resolver: Resolver
) -> None:
    # the resolver answers the allowed address once, then the canary: a proxy that resolved
    # again to connect would land on the canary (same port, 127.0.0.2)
    response = await page.goto(lab.at("flip.test", "/ok"))
    assert response is not None
    assert response.status == 200
    assert await page.text_content("#ok") == "the allowed site"
    assert resolver.calls["flip.test"] >= 1
    assert lab.canary.hits == 0


async def test_requests_need_the_credentials_of_a_registered_session(
    egress: EgressProxy, lab: Lab
) -> None:
    async with httpx.AsyncClient(proxy=egress.url) as http:
        response = await http.get(lab.base + "/ok")
    assert response.status_code == 407
    assert response.headers["proxy-authenticate"] == 'Basic realm="trawler egress"'
    first, second = Session("a"), Session("b")
    with egress.registered(first) as credentials:
        async with httpx.AsyncClient(proxy=via(egress, credentials)) as http:
            assert (await http.get(lab.base + "/ok")).status_code == 200
        wrong = Credentials(credentials.username, "not-the-password")
        async with httpx.AsyncClient(proxy=via(egress, wrong)) as http:
            assert (await http.get(lab.base + "/ok")).status_code == 407
        other = egress.register(second)
        async with httpx.AsyncClient(proxy=via(egress, other)) as http:
            assert (await http.get(lab.canary_url("/second"))).status_code == 403
        assert [t for t, _ in second.refusals] == [lab.canary_url("/second")]
        assert first.refusals == []
    async with httpx.AsyncClient(proxy=via(egress, credentials)) as http:
        assert (await http.get(lab.base + "/ok")).status_code == 407  # unregistered
    assert lab.canary.hits == 0


def test_the_playwright_settings_send_loopback_through_the_proxy(egress: EgressProxy) -> None:
    credentials = Credentials("user", "secret")
    assert egress.playwright_proxy(credentials) == {
        "server": egress.url,
        "username": "user",
        "password": "secret",
        "bypass": "<-loopback>",
    }


async def test_a_connect_to_the_canary_is_refused(
    egress: EgressProxy, lab: Lab, refusals: Refusals, session: Session
) -> None:
    async with httpx.AsyncClient(proxy=via(egress, egress.register(session))) as http:
        with pytest.raises(httpx.ProxyError, match="403"):
            await http.get(f"https://{CANARY_HOST}:{lab.port}/")
    assert refusals.seen[-1][1:] == (f"{CANARY_HOST}:{lab.port}", session.refusals[-1][1])
    assert lab.canary.hits == 0


async def test_https_through_connect_keeps_the_name_for_tls(
    egress: EgressProxy, session: Session, tls_site: TlsSite, tls_context: ssl.SSLContext
) -> None:
    proxy = via(egress, egress.register(session))
    async with httpx.AsyncClient(proxy=proxy, verify=tls_context) as http:
        response = await http.get(f"https://pinned.test:{tls_site.port}/")
    assert response.text == f"secure pinned.test:{tls_site.port}"
    assert tls_site.names[-1] == "pinned.test"


async def test_requests_chain_through_the_sessions_upstream(
    egress: EgressProxy,
    lab: Lab,
    browser: Browser,
    tls_site: TlsSite,
    tls_context: ssl.SSLContext,
) -> None:
    async with LoopbackProxy("up", credentials=("user", "pw")) as upstream:
        session = Session("exec-up", upstream.url)
        credentials = egress.register(session)
        async with httpx.AsyncClient(proxy=via(egress, credentials), verify=tls_context) as http:
            assert "the allowed site" in (await http.get(lab.base + "/ok")).text
            secure = await http.get(f"https://pinned.test:{tls_site.port}/")
            assert secure.text == f"secure pinned.test:{tls_site.port}"
            tunnels = [(seen.method, seen.target, seen.answer) for seen in upstream.seen]
            assert tunnels == [  # to the checked address, never to the name
                ("CONNECT", f"127.0.0.1:{lab.port}", 200),
                ("CONNECT", f"127.0.0.1:{tls_site.port}", 200),
            ]
            assert session.asked == ["127.0.0.1", "pinned.test"]
            refused = await http.get(lab.canary_url("/upstream"))
            assert refused.status_code == 403
            assert refused.headers["x-trawler-refused"] == "loopback"
            with pytest.raises(httpx.ProxyError, match="403"):
                await http.get(f"https://rebind.test:{lab.port}/")
        assert len(upstream.seen) == 2  # the policy refused before any upstream was contacted
        assert session.asked == ["127.0.0.1", "pinned.test"]
        assert [r.rule for _, r in session.refusals] == ["loopback", "loopback"]

        context = await browser.new_context(proxy=egress.playwright_proxy(credentials))
        try:
            page = await context.new_page()
            response = await page.goto(lab.base + "/ok")
            assert response is not None
            assert response.status == 200
            assert await page.text_content("#ok") == "the allowed site"
        finally:
            await context.close()
        assert any(seen.target == f"127.0.0.1:{lab.port}" for seen in upstream.seen[2:])

        wrong = Session("exec-wrong", upstream.server)  # no credentials for the upstream
        async with httpx.AsyncClient(proxy=via(egress, egress.register(wrong))) as http:
            failed = await http.get(lab.base + "/ok")
        assert failed.status_code == 502
        assert failed.text.strip().endswith(UNREACHABLE)  # an account's: not what answered
        assert "answered" not in failed.text
        trusted = Session("exec-trusted", upstream.server, trusted=True)
        async with httpx.AsyncClient(proxy=via(egress, egress.register(trusted))) as http:
            failed = await http.get(lab.base + "/ok")
        assert failed.status_code == 502
        assert "answered 407" in failed.text  # the deployment's: the cause, for its operator
    assert lab.canary.hits == 0


async def test_malformed_requests_get_400(egress: EgressProxy, session: Session) -> None:
    credentials = egress.register(session)
    token = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    auth = f"Proxy-Authorization: Basic {token}\r\n"
    for request in (
        "nonsense\r\n\r\n",
        f"GET /origin-form HTTP/1.1\r\nHost: example.com\r\n{auth}\r\n",
        f"CONNECT example.com HTTP/1.1\r\n{auth}\r\n",
        f"GET ftp://example.com/ HTTP/1.1\r\n{auth}\r\n",
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", int(egress.url.rsplit(":")[-1]))
        writer.write(request.encode())
        answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 400 "), (request, answer)


async def test_stopping_ends_open_tunnels(
    policy: NetworkPolicy, lab: Lab, session: Session
) -> None:
    egress = EgressProxy(policy)
    await egress.start()
    credentials = egress.register(session)
    token = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    reader, writer = await asyncio.open_connection("127.0.0.1", int(egress.url.rsplit(":")[-1]))
    authorization = f"Proxy-Authorization: Basic {token}\r\n"
    writer.write(f"CONNECT 127.0.0.1:{lab.port} HTTP/1.1\r\n{authorization}\r\n".encode())
    assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 200 Connection established\r\n\r\n"
    await egress.stop()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    with pytest.raises(RuntimeError, match="not started"):
        egress.url  # noqa: B018


async def test_a_name_that_does_not_resolve_gets_502(
    egress: EgressProxy, session: Session, refusals: Refusals
) -> None:
    async with httpx.AsyncClient(proxy=via(egress, egress.register(session))) as http:
        response = await http.get("http://nowhere.test/")
    assert response.status_code == 502
    assert response.headers["x-trawler-failed"] == "1"
    assert "could not resolve host nowhere.test" in response.text
    assert session.failures == [("http://nowhere.test/", response.text.split(": ", 1)[1].strip())]
    assert refusals.seen == []
