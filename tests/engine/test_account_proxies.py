"""Runs through an account's own proxies, which are user input: a proxy whose name passed the
save check but answers the canary's address at run time (DNS rebinding) is refused where the
connection is made, in both renderers, and taken out of rotation; a failing one is reported
without anything it answered. Real Chromium, the canary lab, a resolver the test controls."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine import ListSink, Network, RunFinished, load_workflow, run
from proxies import UNREACHABLE, EgressProxy, Proxy, ProxyRotator, check_proxy
from tests.conftest import SITE_NETWORK
from tests.engine.conftest import bot, node
from tests.proxies.servers import LoopbackProxy
from tests.site.canary import CANARY_HOST, PUBLIC, Lab, Resolver

RENDERERS = ["browser", "http"]
POLICY = SITE_NETWORK.policy


async def _run(
    document: dict[str, Any], rotator: ProxyRotator, resolver: Resolver
) -> tuple[RunFinished, ListSink]:
    sink = ListSink()
    async with EgressProxy(POLICY, resolver=resolver) as egress:
        network = Network(POLICY, egress, rotator, resolver)
        finished = await run(load_workflow(document), sink, network=network)
    return finished, sink


def _portless(text: str) -> str:
    """`text` with its port numbers out of the way of a search for a status code."""
    return re.sub(r":\d+", ":PORT", text)


def _reading(lab: Lab, renderer: str, retries: int = 1) -> dict[str, Any]:
    return bot(
        node("open", "navigate", url=f"{lab.base}/ok", retries=retries, retry_delay_ms=10),
        node("read", "extract", mode="single", fields=[{"name": "ok", "selector": "#ok"}]),
        renderer=renderer,
    )


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_a_proxy_name_rebound_to_the_canary_reaches_nothing(lab: Lab, renderer: str) -> None:
    resolver = Resolver({"rebind.test": [PUBLIC]}, later={"rebind.test": [CANARY_HOST]})
    # the canary answers 200 and a body to anything: through it, the page would be its answer
    proxy = Proxy(f"http://rebind.test:{lab.port}")
    assert await check_proxy(POLICY, proxy, resolver) is None  # public when it was saved
    rotator = ProxyRotator([proxy])
    finished, sink = await _run(_reading(lab, renderer), rotator, resolver)
    assert finished.status == "failed"
    error = finished.error or ""
    assert "rebind.test resolves to 127.0.0.2, a loopback address" in error, error
    assert "canary" not in error
    assert "200" not in _portless(error)
    assert sink.rows == []
    [step] = [step for step in sink.steps if step.node_id == "open"]
    assert step.attempts == 2  # the retry found the proxy out of rotation
    assert "1 disabled" in error
    [stats] = rotator.stats()
    assert stats.disabled_reason is not None
    assert "(rule 'loopback')" in stats.disabled_reason
    assert lab.canary.hits == 0


@pytest.mark.parametrize("renderer", RENDERERS)
async def test_a_failing_accounts_proxy_is_reported_without_its_answer(
    lab: Lab, renderer: str
) -> None:
    async with (
        LoopbackProxy("teapot", mode="deny", status=418) as teapot,
        LoopbackProxy("operator", mode="deny", status=418) as operator,
    ):
        account = ProxyRotator([Proxy(teapot.url)])
        finished, _ = await _run(_reading(lab, renderer, 0), account, Resolver({}))
        assert finished.status == "failed"
        error = finished.error or ""
        assert f"through proxy {teapot.server}: {UNREACHABLE}" in error, error
        assert "418" not in _portless(error)
        deployment = ProxyRotator([Proxy(operator.url, trusted=True)])
        finished, _ = await _run(_reading(lab, renderer, 0), deployment, Resolver({}))
        assert "answered 418" in (finished.error or ""), finished.error
    assert lab.canary.hits == 0
