"""Headers with {{variables}} and http_credentials, in Chromium and over plain HTTP: what the
site receives, what it refuses, which origin gets them, and that secrets stay out of events."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from engine import ListSink, StepFinished, StepStarted
from tests.engine.conftest import RunBot, bot, messages, node
from tests.engine.test_playwright_trace import entries, traces
from trawler.demo_site import DEMO_PASSWORD, DEMO_USERNAME, DemoSite

RENDERERS = ["browser", "http"]
TOKEN = "tok-5e1f9a"


def texts(sink: ListSink) -> list[str]:
    """Every log message, error, step URL and HTML snapshot of a run."""
    found = [sink.finished.error or "", *messages(sink)]
    for event in sink.events:
        if isinstance(event, StepStarted | StepFinished):
            found.append(event.url or "")
        if isinstance(event, StepFinished):
            found += [event.error or "", event.html or ""]
    return found


def step(sink: ListSink, node_id: str) -> StepFinished:
    return next(s for s in sink.steps if s.node_id == node_id)


def fields(*names: str) -> list[dict[str, Any]]:
    return [{"name": name, "selector": f"#h-{name}"} for name in names]


MEMBERS = [{"name": "who", "selector": "p.who"}, {"name": "scheme", "selector": "p.scheme"}]


def members(url: str = "{{site}}/basic", **settings: Any) -> dict[str, Any]:
    """A bot that reads the members page at `url`."""
    return bot(
        node("open", "navigate", url=url, retries=2, retry_delay_ms=10),
        node("read", "extract", mode="single", fields=MEMBERS),
        **settings,
    )


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_header_values_expand_variables(run_bot: RunBot, renderer: str) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/headers"),
        node("read", "extract", mode="single", fields=fields("x-tenant", "authorization")),
        renderer=renderer,
        headers={"X-Tenant": "{{tenant}}-{{region}}", "Authorization": "Bearer {{token}}"},
    )
    document["variables"] = {"tenant": "acme", "token": {"value": TOKEN}}
    finished, sink = await run_bot(document, region="eu")  # a run-time value too
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"x-tenant": "acme-eu", "authorization": f"Bearer {TOKEN}"}]


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_a_secret_header_value_stays_out_of_events_and_traces(
    run_bot: RunBot, renderer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAWLER_TEST_TOKEN", TOKEN)
    # each of these would put the header's value into a message (evaluate: in the browser)
    echo = node(
        "echo", "evaluate", expression="document.querySelector('#h-authorization').textContent"
    )
    document = bot(
        node("open", "navigate", url="{{site}}/lab/headers"),
        *([echo] if renderer == "browser" else []),
        node("gone", "navigate", url="{{site}}/nowhere/{{token}}"),
        renderer=renderer,
        headers={"Authorization": "Bearer {{token}}"},
        trace="full",  # HTML snapshots (the page shows the header) and the Playwright trace
    )
    document["variables"] = {"token": {"env": "TRAWLER_TEST_TOKEN", "secret": True}}
    finished, sink = await run_bot(document)
    assert finished.status == "failed"
    assert "HTTP 404" in (finished.error or "")
    assert "evaluate returned 'Bearer •••'" in messages(sink) or renderer == "http"
    assert '<p id="h-authorization">Bearer •••</p>' in (step(sink, "open").html or "")
    found = texts(sink)
    assert not [text for text in found if TOKEN in text]
    for trace in traces(sink):
        assert not [name for name, data in entries(trace.data).items() if TOKEN.encode() in data]
    assert len(traces(sink)) == (1 if renderer == "browser" else 0)


async def test_a_header_value_with_a_line_break_fails_the_run(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/headers"),
        renderer="http",
        headers={"X-Tenant": "{{tenant}}"},
    )
    finished, sink = await run_bot(document, tenant="acme\r\nX-Admin: yes")
    assert finished.status == "failed"
    assert finished.error == "header 'X-Tenant' has a line break once its variables are in"
    assert sink.steps == []  # before any request


# --- http_credentials ------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("path", ["basic", "digest"])
async def test_http_credentials_open_a_protected_page(
    run_bot: RunBot, site: DemoSite, renderer: str, path: str
) -> None:
    document = members(
        f"{{{{site}}}}/{path}",
        renderer=renderer,
        http_credentials={"username": "{{user}}", "password": "{{password}}"},
        trace="full",
    )
    document["variables"] = {"user": "demo", "password": {"value": DEMO_PASSWORD, "secret": True}}
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"who": DEMO_USERNAME, "scheme": path.title()}]
    basic = base64.b64encode(f"{DEMO_USERNAME}:{DEMO_PASSWORD}".encode())
    for trace in traces(sink):  # what the browser sent, Authorization header included
        files = entries(trace.data)
        assert not [name for name, data in files.items() if DEMO_PASSWORD.encode() in data]
        assert not [name for name, data in files.items() if basic in data]


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("path", ["basic", "digest"])
async def test_refused_credentials_fail_at_once_without_the_password(
    run_bot: RunBot, site: DemoSite, renderer: str, path: str
) -> None:
    wrong = "not-the-pass-7"
    document = members(
        f"{{{{site}}}}/{path}",
        renderer=renderer,
        http_credentials={"username": "demo", "password": wrong},  # no secret variable either
        trace="full",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "failed"
    error = (
        f"HTTP 401 at {site.base_url}/{path}: the site refused the http_credentials of user "
        f"'demo' ({path.title()})"
    )
    assert finished.error == f"node 'open' (navigate) failed: {error}"
    assert step(sink, "open").attempts == 1  # the same password again would not do better
    assert not [text for text in texts(sink) if wrong in text]


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_a_protected_page_without_credentials_says_what_is_missing(
    run_bot: RunBot, site: DemoSite, renderer: str
) -> None:
    finished, _ = await run_bot(members(renderer=renderer))
    assert finished.status == "failed"
    assert finished.error == (
        f"node 'open' (navigate) failed: HTTP 401 at {site.base_url}/basic: the site asks for "
        "a user name and password (Basic); set settings.http_credentials"
    )


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("target", ["{{other}}/basic", "{{site}}/lab/redirect?to={{other}}/basic"])
async def test_http_credentials_go_only_to_their_origin(
    run_bot: RunBot, site: DemoSite, other_site: DemoSite, renderer: str, target: str
) -> None:
    # the other site takes the same user: had it been given the credentials, it would let in
    document = bot(
        node("mine", "navigate", url="{{site}}/basic"),
        node("read", "extract", mode="single", fields=MEMBERS),
        node("theirs", "navigate", url=target),
        renderer=renderer,
        http_credentials={"username": "demo", "password": DEMO_PASSWORD, "origin": site.base_url},
    )
    finished, sink = await run_bot(document, other=other_site.base_url)
    assert sink.rows == [{"who": DEMO_USERNAME, "scheme": "Basic"}]
    assert finished.status == "failed"
    assert finished.error == (
        f"node 'theirs' (navigate) failed: HTTP 401 at {other_site.base_url}/basic: the site asks "
        f"for a user name and password (Basic); settings.http_credentials are only for "
        f"{site.base_url}"
    )


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("path", ["basic", "digest"])
async def test_an_origin_that_took_the_credentials_gets_them_at_once(
    run_bot: RunBot, site: DemoSite, renderer: str, path: str
) -> None:
    document = bot(
        *(node(f"open{n}", "navigate", url=f"{{{{site}}}}/{path}?n={n}") for n in range(3)),
        node("read", "extract", mode="single", fields=MEMBERS),
        renderer=renderer,
        http_credentials={"username": "demo", "password": DEMO_PASSWORD},
    )
    site.state.reset(f"{path}:")
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"who": DEMO_USERNAME, "scheme": path.title()}]
    # one challenge, then three pages at the first try (Chromium caches them the same way)
    assert (site.state.count(f"{path}:401"), site.state.count(f"{path}:200")) == (1, 3)
