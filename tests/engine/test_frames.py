"""Nodes acting inside frames (the `frame` field), in real Chromium on /lab/frames."""

from __future__ import annotations

from typing import Any

import pytest

from engine import ListSink, WorkflowInvalid, load_workflow, run
from tests.conftest import SITE_NETWORK
from tests.engine.conftest import RunBot, bot, node
from tests.site.canary import Lab
from trawler.demo_site import DemoSite

ROW_FIELDS = [
    {"name": "name", "selector": ".name"},
    {"name": "url", "selector": "a", "value": "attr:href", "transforms": ["absolute_url"]},
]


def _bot(*nodes: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return bot(node("open", "navigate", url="{{site}}/lab/frames"), *nodes, **settings)


def _rows(frame: str | list[str]) -> dict[str, Any]:
    return node("rows", "extract", item_selector=".row", fields=ROW_FIELDS, frame=frame)


@pytest.mark.parametrize("renderer", ["browser", "auto"])
async def test_extract_reads_a_frame_with_its_links_resolved_against_the_frame(
    run_bot: RunBot, site: DemoSite, renderer: str
) -> None:
    finished, sink = await run_bot(_bot(_rows("#stock"), renderer=renderer))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"name": "Framed A", "url": f"{site.base_url}/lab/framed/item/1"},
        {"name": "Framed B", "url": f"{site.base_url}/lab/framed/item/2"},
    ]


async def test_nested_frames_are_a_list_outermost_first(run_bot: RunBot, site: DemoSite) -> None:
    finished, sink = await run_bot(_bot(_rows(["#stock", "iframe#inner"])))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"name": "Inner A", "url": f"{site.base_url}/lab/framed/deep/1"},
        {"name": "Inner B", "url": f"{site.base_url}/lab/framed/deep/2"},
    ]


async def test_a_srcdoc_frame_resolves_links_against_its_page(
    run_bot: RunBot, site: DemoSite
) -> None:
    finished, sink = await run_bot(_bot(_rows("xpath://iframe[@id='inline']")))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"name": "Inline row", "url": f"{site.base_url}/lab/inline"}]


async def test_fill_click_wait_and_evaluate_act_inside_a_frame(run_bot: RunBot) -> None:
    document = _bot(
        node("fill", "fill", selector="#q", text="hello", frame="#stock"),
        node("click", "click", selector="#go", frame="#stock"),
        node("wait", "wait", selector="#echo:has-text('echo:')", frame="#stock"),
        node(
            "mark",
            "evaluate",
            expression="document.getElementById('echo').dataset.at = location.pathname",
            frame="#stock",
        ),
        node(
            "read",
            "extract",
            mode="single",
            fields=[
                {"name": "echo", "selector": "#echo"},
                {"name": "at", "selector": "#echo", "value": "attr:data-at"},
            ],
            frame="#stock",
        ),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"echo": "echo:hello", "at": "/lab/framed/stock"}]


@pytest.mark.parametrize(
    ("frame", "field", "problem"),
    [
        ("#nope", "frame", "no element matches '#nope' on {page} (waited 500 ms)"),
        (
            ["#stock", "#nope"],
            "frame[1]",
            "no element matches '#nope' in frame {site}/lab/framed/stock on {page}",
        ),
        ("#not-a-frame", "frame", "'#not-a-frame' matches a <div>, not an <iframe> or <frame>"),
    ],
)
async def test_a_missing_frame_fails_the_step_and_keeps_the_rows(
    run_bot: RunBot, site: DemoSite, frame: str | list[str], field: str, problem: str
) -> None:
    document = _bot(
        node("top", "extract", item_selector=".row", fields=ROW_FIELDS[:1]),
        node("framed", "extract", item_selector=".row", fields=ROW_FIELDS, frame=frame),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "failed"
    page = f"{site.base_url}/lab/frames"
    expected = problem.format(page=page, site=site.base_url)
    assert finished.error is not None
    assert finished.error.startswith(f"node 'framed' (extract) failed: field {field!r}: {expected}")
    assert page in finished.error
    assert sink.rows == [{"name": "Top row"}]


async def test_a_frame_on_a_refused_address_is_entered_but_never_reached(lab: Lab) -> None:
    # the frame's document loads through the egress proxy like any other: refused, the frame
    # holds Chromium's error page, and the canary hears nothing
    html = f"<iframe id='c' src='{lab.canary_url('/framed')}'></iframe>"
    document = bot(
        node("open", "navigate", url=lab.page(html)),
        node("rows", "extract", item_selector=".row", fields=ROW_FIELDS, frame="#c"),
        renderer="browser",
    )
    sink = ListSink()
    finished = await run(load_workflow(document), sink, network=SITE_NETWORK)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == []
    assert any(log.message.startswith("request refused: ") for log in sink.logs)
    assert lab.canary.hits == 0


def test_the_http_renderer_refuses_a_frame() -> None:
    document = _bot(_rows("#stock"), node("go", "click", selector="#go"), renderer="http")
    with pytest.raises(WorkflowInvalid) as caught:
        load_workflow({**document, "variables": {"site": "http://127.0.0.1"}})
    assert [(i.node_id, i.field) for i in caught.value.issues] == [
        ("go", "type"),
        ("rows", "data.frame"),
    ]
    assert "a frame can only be entered in the browser" in str(caught.value)


def test_frame_selectors_are_validated_by_their_place() -> None:
    document = _bot(
        _rows(["#stock", "div["]),
        node("n2", "click", selector="#go", frame="a[href"),
        node("n3", "hover", selector="#go", frame=["#stock", " "]),
        node("n4", "wait", selector="#go", frame=[]),
    )
    with pytest.raises(WorkflowInvalid) as caught:
        load_workflow({**document, "variables": {"site": "http://127.0.0.1"}})
    found = sorted((i.node_id, i.field, i.message.split(":")[0]) for i in caught.value.issues)
    assert found == [
        ("n2", "data.frame", "invalid CSS selector 'a[href'"),
        ("n3", "data.frame", "a frame selector is blank"),
        ("n4", "data.frame", "give a selector, or a list of selectors for nested frames"),
        ("rows", "data.frame[1]", "invalid CSS selector 'div['"),
    ]
