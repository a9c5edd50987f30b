"""A bot's browser options through a whole run: tracker blocking before any connection is made,
and stealth values that differ from run to run."""

from __future__ import annotations

import pytest

from browser_pool import BrowserPool
from engine import ListSink, Network, load_workflow, run
from proxies import EgressProxy
from tests.conftest import SITE_NETWORK
from tests.engine.conftest import bot, node
from tests.site.canary import CANARY_HOST, Lab, Resolver
from tests.site.lab import TRACKER_PIXELS, TRACKER_URLS
from trawler.demo_site import DemoSite

TRACKER_HOSTS = {url.split("/")[2] for url in (*TRACKER_URLS, *TRACKER_PIXELS)}


@pytest.mark.parametrize("block", [["trackers"], []])
async def test_blocked_trackers_never_reach_the_network(
    site: DemoSite, lab: Lab, block: list[str]
) -> None:
    # every tracker name resolves to the canary: a request that got as far as a connection
    # is refused by the egress proxy and logged, so the log shows what left the browser
    resolver = Resolver({host: [CANARY_HOST] for host in TRACKER_HOSTS})
    document = bot(
        node("assets", "navigate", url=f"{site.base_url}/lab/assets"),
        node("settle", "wait", mode="time", ms=800),
        renderer="browser",
        block=block,
    )
    sink = ListSink()
    async with EgressProxy(SITE_NETWORK.policy, resolver=resolver) as egress:
        finished = await run(load_workflow(document), sink, network=Network.of(egress))
    assert finished.status == "succeeded", finished.error
    refused = {
        host
        for log in sink.logs
        if log.message.startswith("request refused: ")
        for host in TRACKER_HOSTS
        if host in log.message
    }
    assert refused == (set() if block else TRACKER_HOSTS)
    assert sum(resolver.calls.values()) == (0 if block else len(TRACKER_HOSTS))
    assert lab.canary.hits == 0


IDENTITY = (
    "<p id=who></p><script>document.getElementById('who').textContent = "
    "[navigator.userAgent, navigator.webdriver, innerWidth, navigator.language, "
    "Intl.DateTimeFormat().resolvedOptions().timeZone].join('|')</script>"
)


async def test_stealth_gives_each_run_another_identity(lab: Lab) -> None:
    document = bot(
        node("open", "navigate", url=lab.page(IDENTITY)),
        node("read", "extract", mode="single", fields=[{"name": "who", "selector": "#who"}]),
        renderer="browser",
        stealth={"locales": ["de-DE", "fr-FR"], "timezones": ["Europe/Berlin", "Asia/Tokyo"]},
    )
    seen = []
    async with BrowserPool() as pool:
        for _ in range(2):
            sink = ListSink()
            finished = await run(load_workflow(document), sink, pool=pool, network=SITE_NETWORK)
            assert finished.status == "succeeded", finished.error
            seen.append(sink.rows[0]["who"].split("|"))
        major = (await pool.browser()).version.split(".")[0]
    first, second = seen
    assert first[0] != second[0]  # another desktop Chrome
    for agent, webdriver, width, *_ in seen:
        assert "HeadlessChrome" not in agent
        assert f"Chrome/{major}.0.0.0" in agent
        assert webdriver == "false"
        assert int(width) >= 1280
    assert {first[2], second[2]} != {"1280"}  # not the bot's default viewport
    assert [first[3], second[3]] == ["de-DE", "fr-FR"]
    assert [first[4], second[4]] == ["Europe/Berlin", "Asia/Tokyo"]
