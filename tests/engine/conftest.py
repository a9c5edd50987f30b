"""Engine fixtures: build a bot against the fixture site and run it with an in-memory sink."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest

from engine import ListSink, RunFinished, load_workflow, run
from trawler.demo_site import DemoSite

RunBot = Callable[..., Awaitable[tuple[RunFinished, ListSink]]]


def bot(
    *nodes: dict[str, Any], edges: Sequence[tuple[str, ...]] | None = None, **settings: Any
) -> dict[str, Any]:
    """A bot document: nodes as given, chained in order unless `edges` are given."""
    ids = [n["id"] for n in nodes]
    if edges is None:
        edges = list(itertools.pairwise(ids))
    return {
        "name": "test",
        "settings": settings,
        "nodes": list(nodes),
        "edges": [
            {"source": e[0], "target": e[1], **({"sourceHandle": e[2]} if len(e) > 2 else {})}
            for e in edges
        ],
    }


def node(node_id: str, type_: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "data": data}


@pytest.fixture
def run_bot(site: DemoSite) -> RunBot:
    """Validate and run a bot document; `{{site}}` is the fixture site's base URL."""

    async def runner(document: dict[str, Any], **variables: Any) -> tuple[RunFinished, ListSink]:
        document = {
            **document,
            "variables": {"site": site.base_url, **document.get("variables", {})},
        }
        workflow = load_workflow(document, extra_variables=set(variables))
        sink = ListSink()
        finished = await run(workflow, sink, variables=variables)
        return finished, sink

    return runner
