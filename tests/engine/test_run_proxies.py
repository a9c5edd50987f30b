"""Runs through the proxy rotator: each new connection of a run (the browser's through the
egress proxy, the HTTP renderer's through the pinned transport) goes through the upstream the
rotator picks; a dead proxy rests and the retry goes through another; a challenge page counts
as a block; a bot can ask for tags or go direct. Real proxy servers on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from engine import ListSink, Network, RunFinished, load_workflow, run
from proxies import EgressProxy, Proxy, ProxyRotator
from tests.conftest import SITE_NETWORK
from tests.engine.conftest import bot, node
from tests.proxies.servers import EchoTarget, LoopbackProxy

RENDERERS = ["browser", "http"]


async def _run(document: dict[str, Any], rotator: ProxyRotator) -> tuple[RunFinished, ListSink]:
    sink = ListSink()
    async with EgressProxy(SITE_NETWORK.policy) as egress:
        finished = await run(load_workflow(document), sink, network=Network.of(egress, rotator))
    return finished, sink


def _tunnels(proxy: LoopbackProxy, target: EchoTarget) -> int:
    """Connections `proxy` opened to `target` for the run."""
    return sum(1 for seen in proxy.served if seen.target == f"127.0.0.1:{target.port}")


def _title(name: str) -> dict[str, Any]:
    return node(name, "extract", mode="single", fields=[{"name": "title", "selector": "title"}])


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_a_runs_connections_take_turns_over_the_proxies(renderer: str) -> None:
    async with (
        LoopbackProxy("a") as a,
        LoopbackProxy("b", credentials=("user", "p@ss")) as b,
        EchoTarget() as target,
    ):
        rotator = ProxyRotator([Proxy(a.url), Proxy(b.url)])
        pages = [f"{target.base_url}/page-{i}" for i in range(4)]
        nodes = [node(f"open-{i}", "navigate", url=url) for i, url in enumerate(pages)]
        finished, sink = await _run(bot(*nodes, _title("read"), renderer=renderer), rotator)
        assert finished.status == "succeeded", finished.error
        assert sink.rows == [{"title": "/page-3"}]
        # the target closes every connection, so each page took a new one, through a and b
        # in turn; every connection the target saw came through one of them
        assert _tunnels(a, target) >= 2
        assert _tunnels(b, target) >= 2
        assert _tunnels(a, target) + _tunnels(b, target) == len(target.seen)
        assert [seen.answer for seen in b.seen] == [200] * len(b.seen)  # b's credentials sent
        stats = {s.proxy.url: s for s in rotator.stats()}
        assert stats[a.url].uses + stats[b.url].uses == len(target.seen)


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_a_dead_proxy_rests_and_the_retry_goes_through_another(renderer: str) -> None:
    async with (
        LoopbackProxy("dead", mode="drop") as dead,
        LoopbackProxy("good") as good,
        EchoTarget() as target,
    ):
        rotator = ProxyRotator([Proxy(dead.url), Proxy(good.url)])
        document = bot(
            node("open", "navigate", url=f"{target.base_url}/page", retries=2, retry_delay_ms=10),
            _title("read"),
            renderer=renderer,
        )
        finished, sink = await _run(document, rotator)
        assert finished.status == "succeeded", finished.error
        assert sink.rows == [{"title": "/page"}]
        opened = next(step for step in sink.steps if step.node_id == "open")
        assert opened.attempts == 2
        retried = [log.message for log in sink.logs if "attempt 1 failed" in log.message]
        assert len(retried) == 1
        assert f"proxy {dead.server}" in retried[0], retried[0]
        assert dead.seen  # it was tried, and answered nothing
        stats = {s.proxy.url: s for s in rotator.stats()}
        assert stats[dead.url].failures >= 1
        assert stats[dead.url].cooling_until is not None
        assert stats[good.url].successes >= 1
        assert target.via("/page") == ["direct"] * len(target.seen)  # tunnels add no header


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_a_challenge_page_counts_as_a_block_of_its_proxy(renderer: str) -> None:
    async with LoopbackProxy("only") as only, EchoTarget() as target:
        rotator = ProxyRotator([Proxy(only.url)], disable_after=3)
        document = bot(
            node("open", "navigate", url=f"{target.base_url}/challenge"), renderer=renderer
        )
        finished, sink = await _run(document, rotator)
        assert finished.status == "succeeded", finished.error
        warned = [log.message for log in sink.logs if "challenge page" in log.message]
        assert len(warned) == 1
        assert "rests" in warned[0]
        assert rotator.stats()[0].blocked == 1


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_a_bot_asks_for_tags_or_goes_direct(renderer: str) -> None:
    async with LoopbackProxy("dc", mode="deny") as dc, EchoTarget() as target:
        rotator = ProxyRotator([Proxy(dc.url, tags={"datacenter"})])
        wants = bot(
            node("open", "navigate", url=f"{target.base_url}/tagged"),
            renderer=renderer,
            proxy={"tags": ["residential"]},
        )
        finished, sink = await _run(wants, rotator)
        assert finished.status == "failed"
        error = sink.steps[0].error or ""
        assert "no proxy has the tags residential" in error, error
        assert target.seen == []

        direct = bot(
            node("open", "navigate", url=f"{target.base_url}/direct"),
            _title("read"),
            renderer=renderer,
            proxy={"mode": "none"},
        )
        finished, sink = await _run(direct, rotator)
        assert finished.status == "succeeded", finished.error
        assert sink.rows == [{"title": "/direct"}]
        assert dc.seen == []
