"""Engine fixtures: build a bot against the fixture site and run it with an in-memory sink."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from browser_pool import BrowserPool
from engine import FanoutSink, ListSink, Models, RunFinished, Sink, load_workflow, run
from tests.conftest import SITE_NETWORK
from tests.site.lab import start_site
from trawler.demo_site import DemoSite

RunBot = Callable[..., Awaitable[tuple[RunFinished, ListSink]]]

FAST = {"navigation_ms": 3000, "action_ms": 3000, "selector_ms": 500}
"""Timeouts small enough that a test waiting on something absent stays quick."""


def bot(
    *nodes: dict[str, Any], edges: Sequence[tuple[str, ...]] | None = None, **settings: Any
) -> dict[str, Any]:
    """A bot document: nodes as given, chained in order unless `edges` are given.

    Timeouts default to `FAST`; pass `timeouts=` to change them.
    """
    ids = [n["id"] for n in nodes]
    if edges is None:
        edges = list(itertools.pairwise(ids))
    return {
        "name": "test",
        "settings": {"timeouts": FAST, **settings},
        "nodes": list(nodes),
        "edges": [
            {"source": e[0], "target": e[1], **({"sourceHandle": e[2]} if len(e) > 2 else {})}
            for e in edges
        ],
    }


def node(node_id: str, type_: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "data": data}


def messages(sink: ListSink, level: str | None = None) -> list[str]:
    """The run's log messages, of one level if given."""
    return [e.message for e in sink.logs if level is None or e.level == level]


def logged(sink: ListSink, text: str, level: str | None = None) -> bool:
    """Whether some log message (of `level`, if given) contains `text`."""
    return any(text in message for message in messages(sink, level))


@pytest.fixture
def run_bot(site: DemoSite) -> RunBot:
    """Validate and run a bot document; `{{site}}` is the fixture site's base URL.

    Keyword arguments are `--var` style overrides, except `cancel`, `pool` and `sink`, which
    go to `engine.run` (a given sink receives every event too), as do `models`.
    """

    async def runner(
        document: dict[str, Any],
        *,
        cancel: asyncio.Event | None = None,
        pool: BrowserPool | None = None,
        sink: Sink | None = None,
        models: Models | None = None,
        **variables: Any,
    ) -> tuple[RunFinished, ListSink]:
        document = {
            **document,
            "variables": {"site": site.base_url, **document.get("variables", {})},
        }
        workflow = load_workflow(document, extra_variables=set(variables))
        events = ListSink()
        target: Sink = events if sink is None else FanoutSink(events, sink)
        finished = await run(
            workflow,
            target,
            variables=variables,
            cancel=cancel,
            pool=pool,
            network=SITE_NETWORK,
            models=models,
        )
        return finished, events

    return runner


@pytest.fixture(scope="session")
def other_site() -> Iterator[DemoSite]:
    """A second fixture site, on another port: another origin than `site`."""
    server = start_site()
    try:
        yield server
    finally:
        server.stop()


def path_to(html: str, css: str) -> list[dict[str, Any]]:
    """The element's path as the extension sends it: tag, id, classes, attributes, position."""
    node = LexborHTMLParser(html).css_first(css)
    assert node is not None
    path: list[dict[str, Any]] = []
    while node is not None and node.tag and not node.tag.startswith("-"):
        parent = node.parent
        siblings = (
            [n for n in parent.iter() if n.tag and not n.tag.startswith("-")] if parent else []
        )
        attributes = dict(node.attributes)
        classes = (attributes.pop("class", None) or "").split()
        path.append(
            {
                "tag": node.tag,
                "id": attributes.pop("id", None),
                "classes": classes,
                "attributes": {k: v or "" for k, v in attributes.items()},
                "index": next((i for i, n in enumerate(siblings, 1) if n.mem_id == node.mem_id), 1),
            }
        )
        node = parent
    return path[::-1]
