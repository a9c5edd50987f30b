"""Bots under the network policy: every way a bot can point at the canary on 127.0.0.2 fails
or is refused at connect time, the step says which rule refused it, and the allowed site
(127.0.0.1) is still served — through the browser's egress proxy and the pinned HTTP client.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine import ListSink, Network, RunFinished, load_workflow, run
from proxies import EgressProxy, NetworkPolicy
from tests.conftest import SITE_NETWORK
from tests.engine.conftest import bot, node
from tests.site.canary import (
    CANARY_HOST,
    PAGES,
    PUBLIC,
    REDIRECTS,
    SPELLINGS,
    WEBRTC,
    Lab,
    Resolver,
    UdpCanary,
    page_nodes,
    redirect_nodes,
    spelling_nodes,
)

OK = [{"ok": "the allowed site"}]


def _tail(lab: Lab) -> list[dict[str, Any]]:
    """The allowed site, read after everything refused before it."""
    return [
        node("ok", "navigate", url=f"{lab.base}/ok"),
        node("read", "extract", mode="single", fields=[{"name": "ok", "selector": "#ok"}]),
    ]


async def _run(
    document: dict[str, Any], network: Network = SITE_NETWORK
) -> tuple[RunFinished, ListSink]:
    sink = ListSink()
    finished = await run(load_workflow(document), sink, network=network)
    return finished, sink


def _errors(sink: ListSink) -> dict[str, str | None]:
    return {step.node_id: step.error for step in sink.steps}


@pytest.mark.parametrize("renderer", ["browser", "http"])
async def test_every_spelling_of_the_canary_fails_the_step_with_its_rule(
    lab: Lab, renderer: str
) -> None:
    finished, sink = await _run(bot(*spelling_nodes(lab), *_tail(lab), renderer=renderer))
    assert finished.status == "succeeded", finished.error
    errors = _errors(sink)
    for i, (host, rule) in enumerate(SPELLINGS.items()):
        error = errors[f"at-{i}"]
        assert error is not None, host
        assert f"(rule {rule!r})" in error, (host, error)
        assert "network policy refuses" in error
    assert sink.rows == OK
    assert lab.canary.hits == 0
    assert not [name for name in lab.hits if name.startswith("at-")]  # 0.0.0.0 reached no one


@pytest.mark.parametrize("renderer", ["browser", "http"])
async def test_a_redirect_to_the_canary_names_the_rule_and_the_page(
    lab: Lab, renderer: str
) -> None:
    finished, sink = await _run(bot(*redirect_nodes(lab), *_tail(lab), renderer=renderer))
    assert finished.status == "succeeded", finished.error
    for status in REDIRECTS:
        error = _errors(sink)[f"hop-{status}"]
        assert error is not None
        assert "127.0.0.2 is a loopback address" in error
        assert "(rule 'loopback')" in error
        assert f"(loading {lab.base}/redirect?status={status}" in error
        assert "HTTP 403" not in error
    # a refused step is not retried: the same request would be refused again
    assert all(step.attempts == 1 for step in sink.steps)
    assert sink.rows == OK
    assert lab.canary.hits == 0


async def test_what_a_page_loads_from_the_canary_is_refused_and_logged_on_its_step(
    lab: Lab,
) -> None:
    finished, sink = await _run(bot(*page_nodes(lab, 600), *_tail(lab), renderer="browser"))
    assert finished.status == "succeeded", finished.error
    refused = [log for log in sink.logs if log.message.startswith("request refused: ")]
    for vector in PAGES:
        found = [
            log
            for log in refused
            if log.message.endswith(f"/{vector}") or f"/{vector}:" in log.message
        ]
        assert found, f"no refusal logged for {vector}: {[log.message for log in refused]}"
        assert "(rule 'loopback')" in found[0].message
        assert found[0].step is not None
        if vector != "service-worker":  # a service worker may fetch after its page's steps
            assert found[0].node_id in (f"page-{vector}", f"wait-{vector}"), found[0]
    assert sink.rows == OK
    assert lab.canary.hits == 0


async def test_a_name_resolving_public_then_canary_is_refused_on_the_resolved_address(
    lab: Lab,
) -> None:
    policy = SITE_NETWORK.policy
    resolver = Resolver({"rebind.test": [PUBLIC, CANARY_HOST]})
    async with EgressProxy(policy, resolver=resolver) as egress:
        finished, sink = await _run(
            bot(
                node("rebind", "navigate", url=lab.at("rebind.test", "/hit/rebind")),
                renderer="browser",
            ),
            Network.of(egress),
        )
    assert finished.status == "failed"
    error = _errors(sink)["rebind"]
    assert error is not None
    assert "rebind.test resolves to 127.0.0.2" in error, error
    assert resolver.calls["rebind.test"] == 1
    assert lab.canary.hits == 0


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "view-source:http://127.0.0.1/",
        "chrome://version",
        "javascript:alert(1)",
        "data:text/html,<p>hi</p>",
    ],
)
async def test_schemes_that_read_local_things_are_refused_before_anything_loads(
    url: str,
) -> None:
    finished, sink = await _run(bot(node("open", "navigate", url=url), renderer="browser"))
    assert finished.status == "failed"
    error = _errors(sink)["open"]
    assert error is not None
    assert "scheme, which bots may not open" in error


async def test_by_default_a_run_reaches_no_private_address(lab: Lab) -> None:
    sink = ListSink()
    finished = await run(
        load_workflow(bot(node("ok", "navigate", url=f"{lab.base}/ok"), renderer="http")), sink
    )
    assert finished.status == "failed"
    assert "points at 127.0.0.1, a loopback address" in (finished.error or "")
    private = Network(NetworkPolicy(allow_private_networks=True))
    finished, sink = await _run(bot(*_tail(lab), renderer="http"), private)
    assert sink.rows == OK
    # metadata stays refused whatever else is open
    finished, sink = await _run(
        bot(node("meta", "navigate", url="http://169.254.169.254/latest/"), renderer="http"),
        private,
    )
    assert "(rule 'metadata')" in (_errors(sink)["meta"] or "")


async def test_a_page_that_keeps_trying_cannot_flood_the_log(lab: Lab) -> None:
    script = (
        "<script>for (let i = 0; i < 40; i++) "
        f"fetch('{lab.canary_url('/flood')}?' + i).catch(() => null)</script>"
    )
    finished, sink = await _run(
        bot(
            node("flood", "navigate", url=lab.page(script)),
            node("settle", "wait", mode="time", ms=1500),
            renderer="browser",
        )
    )
    assert finished.status == "succeeded", finished.error
    refused = [log for log in sink.logs if log.message.startswith("request refused: ")]
    assert len(refused) == 20
    assert [log.message for log in sink.logs if "counted, not logged" in log.message]
    assert "40 requests refused in all" in [log.message for log in sink.logs]
    assert lab.canary.hits == 0


@pytest.mark.parametrize("host", [CANARY_HOST, "127.0.0.1"])
async def test_webrtc_sends_no_udp_past_the_egress_proxy(lab: Lab, host: str) -> None:
    """A page's STUN, TURN and ICE checks would be UDP straight from Chromium, around the
    egress proxy and its policy: none leaves, whether the page script or a bot's evaluate asks."""
    canary = UdpCanary(host)
    probe = WEBRTC.format(host=canary.host, port=canary.port)
    try:
        finished, sink = await _run(
            bot(
                node("open", "navigate", url=lab.page(f"<script>({probe})()</script>")),
                node("probe", "evaluate", expression=probe, save_as="candidates"),
                *_tail(lab),
            )
        )
    finally:
        canary.close()
    assert finished.status == "succeeded", finished.error
    assert sink.rows == OK
    assert canary.packets == []
