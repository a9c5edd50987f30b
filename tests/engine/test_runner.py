"""The runner's policies (retries, on-error, limits, cancellation, time limit, variables) and
bad inputs (unknown host, refused connection, a page that never loads, HTTP 500, empty
selectors, a huge page), on real Chromium and over plain HTTP."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
import uuid
from typing import Any

import psutil
import pytest

from browser_pool import BrowserPool
from engine import (
    Event,
    LogEmitted,
    RowEmitted,
    StepFinished,
    StepStarted,
    WorkflowInvalid,
    load_workflow,
)
from engine.workflow import MAX_NODES
from tests.engine.conftest import FAST, RunBot, bot, logged, messages, node
from tests.site.lab import CP1252_TEXT
from trawler.demo_site import DemoSite
from trawler.demo_site.catalog import CATEGORIES, PRODUCTS, page_of

RENDERERS = pytest.mark.parametrize("renderer", ["browser", "http"])

NAMES = [{"name": "name", "selector": "a.title"}]


def names(products: Any) -> list[dict[str, Any]]:
    return [{"name": p.name} for p in products]


def steps_of(sink: Any, node_id: str) -> list[StepFinished]:
    return [s for s in sink.steps if s.node_id == node_id]


# --- retries ---------------------------------------------------------------------------------


@RENDERERS
@pytest.mark.parametrize(("retries", "status"), [(2, "succeeded"), (1, "failed")])
async def test_retries_on_a_flaky_page(
    run_bot: RunBot, renderer: str, retries: int, status: str
) -> None:
    document = bot(
        node(
            "open",
            "navigate",
            url="{{site}}/lab/flaky?key={{key}}&fail=2",
            retries=retries,
            retry_delay_ms=10,
        ),
        node("read", "extract", mode="single", fields=[{"name": "ok", "selector": "p.ok"}]),
        renderer=renderer,
        transient_retries=0,  # the node's own retries, not the loads tried again by default
    )
    finished, sink = await run_bot(document, key=uuid.uuid4().hex)
    assert finished.status == status, finished.error
    [step] = steps_of(sink, "open")
    assert step.attempts == retries + 1
    assert logged(sink, "attempt 1 failed: HTTP 503 at", "warning")
    if status == "succeeded":
        assert step.error is None
        assert sink.rows == [{"ok": "ok after 2"}]
    else:
        assert step.status == "failed"
        assert step.error
        assert "HTTP 503" in step.error
        assert finished.error
        assert "node 'open' (navigate) failed: HTTP 503 at" in finished.error
        assert sink.rows == []


OK = [{"name": "ok", "selector": "p.ok"}]


@RENDERERS
async def test_a_transient_failure_is_loaded_again_by_default_and_said(
    run_bot: RunBot, renderer: str, site: DemoSite
) -> None:
    """Two 503s in a row: loaded again after 1 s and 2 s, one attempt of the step, a note."""
    document = bot(
        node("open", "navigate", url="{{site}}/lab/flaky?key={{key}}&fail=2"),
        node("read", "extract", mode="single", fields=[{"name": "ok", "selector": "p.ok"}]),
        renderer=renderer,
    )
    key = uuid.uuid4().hex
    started = time.monotonic()
    finished, sink = await run_bot(document, key=key)
    assert finished.status == "succeeded", finished.error
    assert time.monotonic() - started >= 3  # waited 1 s, then 2 s
    assert sink.rows == [{"ok": "ok after 2"}]
    [step] = steps_of(sink, "open")
    url = f"{site.base_url}/lab/flaky?key={key}&fail=2"
    assert (step.attempts, step.note) == (1, f"loaded {url} on attempt 3 of 3")
    assert messages(sink, "warning") == [
        f"HTTP 503 at {url}; loading it again in 1 s (2/3)",
        f"HTTP 503 at {url}; loading it again in 2 s (3/3)",
    ]


async def test_loads_go_again_after_retry_after_and_give_up_when_told(
    run_bot: RunBot, site: DemoSite
) -> None:
    url = "{{site}}/lab/flaky?key={{key}}&fail=3&retry_after=0"
    finished, sink = await run_bot(
        bot(node("open", "navigate", url=url), transient_retries=1), key=(key := uuid.uuid4().hex)
    )
    assert finished.status == "failed"
    [step] = steps_of(sink, "open")
    loaded = f"{site.base_url}/lab/flaky?key={key}&fail=3&retry_after=0"
    assert step.error == f"HTTP 503 at {loaded}"
    assert step.note == f"gave up on {loaded} after 2 loads"
    assert messages(sink, "warning") == [f"HTTP 503 at {loaded}; loading it again in 0 s (2/2)"]


async def test_a_missing_page_is_not_loaded_again(run_bot: RunBot, site: DemoSite) -> None:
    finished, sink = await run_bot(bot(node("open", "navigate", url="{{site}}/no-such-page")))
    assert finished.status == "failed"
    [step] = steps_of(sink, "open")
    assert (step.error, step.note) == (f"HTTP 404 at {site.base_url}/no-such-page", None)
    assert not messages(sink, "warning")


async def test_a_crawl_goes_past_pages_that_fail_once(run_bot: RunBot) -> None:
    """Every page of a paginate answers 503 first: the crawl still reads them all, and its
    step says what it went through and why it stopped."""
    document = bot(
        node(
            "pages",
            "paginate",
            mode="url_template",
            url_template="{{site}}/lab/flaky?key={{key}}-{{page}}&fail=1&retry_after=0",
            max_pages=3,
        ),
        node("read", "extract", mode="single", fields=[*OK, {"name": "n", "template": "{{page}}"}]),
        edges=[("pages", "read", "body")],
    )
    finished, sink = await run_bot(document, key=uuid.uuid4().hex)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"ok": "ok after 1", "n": str(n)} for n in (1, 2, 3)]
    [step] = steps_of(sink, "pages")
    assert step.note is not None
    assert step.note.count("on attempt 2 of 3") == 3
    assert step.note.endswith("stopped: max_pages 3 reached")


# --- on_error --------------------------------------------------------------------------------


def failing_on_page_3(extract_first: bool) -> dict[str, Any]:
    """Pages 1.. of the shop; on page 3 the body loads /lab/error500 (on_error fail)."""
    edges: list[tuple[str, ...]] = [("pages", "test", "body"), ("test", "boom", "true")]
    if extract_first:
        edges = [("pages", "items", "body"), ("items", "test"), *edges[1:]]
    else:
        edges.append(("test", "items", "false"))
    return bot(
        node(
            "pages",
            "paginate",
            mode="url_template",
            url_template="{{site}}/shop?page={{page}}",
            max_pages=100,
        ),
        node("test", "condition", variable="page", op="eq", value=3),
        node("boom", "navigate", url="{{site}}/lab/error500"),
        node("items", "extract", item_selector="li.product", fields=NAMES),
        edges=edges,
    )


@pytest.mark.parametrize(("extract_first", "kept"), [(False, 20), (True, 30)])
async def test_on_error_fail_keeps_the_rows_found_before(
    run_bot: RunBot, site: DemoSite, extract_first: bool, kept: int
) -> None:
    finished, sink = await run_bot(failing_on_page_3(extract_first))
    assert finished.status == "failed"
    assert finished.error == (
        f"node 'boom' (navigate) failed: HTTP 500 at {site.base_url}/lab/error500"
    )
    assert sink.rows == names(PRODUCTS[:kept])
    assert finished.rows == kept
    assert not finished.retryable  # the bot's failure: running it again changes nothing
    [boom] = steps_of(sink, "boom")
    assert boom.status == "failed"
    assert boom.html
    assert "Something broke on purpose" in boom.html  # trace "errors"
    assert boom.screenshot
    assert boom.screenshot.startswith(b"\x89PNG")


async def test_a_browser_killed_mid_run_fails_the_run_as_retryable(
    run_bot: RunBot, site: DemoSite
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/paced?pages=20&delay_ms=150"),
        node("pages", "paginate", next_selector="a.next", max_pages=20),
        node("rows", "extract", item_selector="li.row", fields=[{"name": "row"}]),
        edges=[("open", "pages"), ("pages", "rows", "body")],
    )

    class KillAfterSixRows:
        async def emit(self, event: Event) -> None:
            if isinstance(event, RowEmitted) and event.seq == 6:
                for child in psutil.Process().children(recursive=True):
                    if "chrom" in child.name() or "headless" in child.name():
                        child.kill()

    finished, sink = await run_bot(document, sink=KillAfterSixRows())
    assert finished.status == "failed"
    assert finished.retryable, finished.error
    assert len(sink.rows) >= 6  # what was found before the crash is kept


def for_each_failing_on(product_id: str, on_error: str, concurrency: int = 4) -> dict[str, Any]:
    """Product pages of /shop page 1; the check fails on one product's page."""
    return bot(
        node("open", "navigate", url="{{site}}/shop"),
        node(
            "each",
            "for_each",
            selector="li.product",
            link="a.title",
            fields=NAMES,
            concurrency=concurrency,
        ),
        node(
            "check",
            "wait",
            selector=f'article[data-id="{product_id}"]',
            state="detached",
            on_error=on_error,
        ),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "each"), ("each", "check", "body"), ("check", "detail")],
        timeouts={**FAST, "action_ms": 300},
    )


async def test_on_error_skip_skips_that_item_only(run_bot: RunBot) -> None:
    bad = PRODUCTS[2]
    finished, sink = await run_bot(for_each_failing_on(bad.id, "skip"))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"name": p.name, "sku": p.sku} for p in page_of(1) if p is not bad]
    assert logged(sink, "node 'check' (wait) failed", "warning")
    assert logged(sink, "on_error=skip", "warning")
    assert [s.status for s in steps_of(sink, "check")].count("failed") == 1
    assert len(steps_of(sink, "detail")) == 9


async def test_on_error_continue_runs_the_next_node(run_bot: RunBot) -> None:
    bad = PRODUCTS[2]
    finished, sink = await run_bot(for_each_failing_on(bad.id, "continue"))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"name": p.name, "sku": p.sku} for p in page_of(1)]
    assert logged(sink, "on_error=continue", "warning")


async def test_on_error_fail_in_a_for_each_body_fails_the_run(run_bot: RunBot) -> None:
    # one item at a time, so that exactly the items before the failing one have finished
    finished, sink = await run_bot(for_each_failing_on(PRODUCTS[2].id, "fail", concurrency=1))
    assert finished.status == "failed"
    assert finished.error
    assert finished.error.startswith("node 'check' (wait) failed")
    assert sink.rows == [{"name": p.name, "sku": p.sku} for p in PRODUCTS[:2]]


@RENDERERS
@pytest.mark.parametrize("on_error", ["skip", "fail"])
async def test_for_each_items_that_do_not_load(
    run_bot: RunBot, site: DemoSite, renderer: str, on_error: str
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/big?n=3"),
        node("each", "for_each", selector="li.item", on_error=on_error),
        node("detail", "extract", mode="single", fields=[{"name": "h", "selector": "h1"}]),
        edges=[("open", "each"), ("each", "detail", "body")],
        renderer=renderer,
    )
    finished, sink = await run_bot(document)
    assert sink.rows == []
    if on_error == "skip":
        assert finished.status == "succeeded", finished.error
        skipped = sorted(m for m in messages(sink, "warning") if m.startswith("skipped item"))
        assert skipped == [
            f"skipped item: HTTP 404 at {site.base_url}/lab/item/{i}" for i in (1, 2, 3)
        ]
    else:
        assert finished.status == "failed"
        assert finished.error
        assert "(for_each): HTTP 404 at" in finished.error


# --- limits ----------------------------------------------------------------------------------


def shop_pages(**settings: Any) -> dict[str, Any]:
    return bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("pages", "paginate", next_selector="a.next"),
        node("items", "extract", item_selector="li.product", fields=NAMES),
        edges=[("open", "pages"), ("pages", "items", "body")],
        **settings,
    )


@RENDERERS
async def test_max_rows(run_bot: RunBot, renderer: str) -> None:
    finished, sink = await run_bot(shop_pages(max_rows=15, renderer=renderer))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == names(PRODUCTS[:15])
    assert finished.rows == 15
    assert logged(sink, "stopped: max_rows 15 reached")


@RENDERERS
async def test_max_pages(run_bot: RunBot, renderer: str) -> None:
    finished, sink = await run_bot(shop_pages(max_pages=3, renderer=renderer))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == names(PRODUCTS[:30])
    assert finished.pages == 3
    assert logged(sink, "stopped: max_pages 3 reached")


async def test_max_rows_inside_for_each(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("each", "for_each", selector="li.product", link="a.title", concurrency=4),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "each"), ("each", "detail", "body")],
        max_rows=5,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"sku": p.sku} for p in PRODUCTS[:5]]
    assert logged(sink, "stopped: max_rows 5 reached")


@RENDERERS
async def test_for_each_keeps_items_whose_link_is_not_a_page(
    run_bot: RunBot, renderer: str
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/mixed-links"),
        node("each", "for_each", selector="li.entry", fields=[{"name": "entry", "selector": "a"}]),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "each"), ("each", "detail", "body")],
        renderer=renderer,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"entry": "Entry 0", "sku": PRODUCTS[0].sku},
        {"entry": "Entry 1"},
        {"entry": "Entry 2"},
        {"entry": "Entry 3"},
        {"entry": "Entry 4", "sku": PRODUCTS[1].sku},
    ]
    assert logged(sink, "item 2 has no link to open ('javascript:void(0)')")


async def test_condition_on_a_loop_variable(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("each", "for_each", selector="li.product", link="a.title", limit=3),
        node("later", "condition", variable="item.index", op="gt", value=0),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "each"), ("each", "later", "body"), ("later", "detail", "true")],
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"sku": p.sku} for p in PRODUCTS[1:3]]  # the first item has index 0


async def test_concurrent_items_keep_their_own_variables(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("each", "for_each", selector="li.product", link="a.title", concurrency=4, limit=8),
        node("remember", "set_variable", name="sku", from_page={"name": "x", "selector": "dd.sku"}),
        node("pause", "wait", mode="time", ms=200),
        node("use", "set_variable", name="again", value="{{sku}}"),
        node(
            "detail",
            "extract",
            mode="single",
            fields=[
                {
                    "name": "from_variable",
                    "selector": "h1.none",
                    "transforms": [{"op": "default", "value": "{{again}}"}],
                },
                {"name": "from_page", "selector": "dd.sku"},
            ],
        ),
        edges=[
            ("open", "each"),
            ("each", "remember", "body"),
            ("remember", "pause"),
            ("pause", "use"),
            ("use", "detail"),
        ],
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert [r["from_variable"] for r in sink.rows] == [p.sku for p in PRODUCTS[:8]]
    assert [r["from_page"] for r in sink.rows] == [p.sku for p in PRODUCTS[:8]]


@RENDERERS
async def test_a_page_that_trickles_in_forever(run_bot: RunBot, renderer: str) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/trickle"),
        renderer=renderer,
        timeouts={"navigation_ms": 1500, "selector_ms": 200},
    )
    finished, _ = await run_bot(document)
    assert finished.status == "failed"
    assert finished.error is not None
    assert "did not finish loading" in finished.error
    assert "/lab/trickle" in finished.error


@RENDERERS
@pytest.mark.parametrize("where", ["", "?header=1"], ids=["meta", "header"])
async def test_charset_declared_in_a_meta_tag_or_the_header(
    run_bot: RunBot, renderer: str, where: str
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/cp1252" + where),
        node("title", "extract", mode="single", fields=[{"name": "h", "selector": "h1"}]),
        renderer=renderer,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"h": CP1252_TEXT}]


@RENDERERS
async def test_cookies_a_page_sets_go_with_the_next_requests(
    run_bot: RunBot, renderer: str
) -> None:
    document = bot(
        node("first", "navigate", url="{{site}}/lab/cookie"),
        node("before", "extract", mode="single", fields=[{"name": "before", "selector": ".seen"}]),
        node("again", "navigate", url="{{site}}/lab/cookie"),
        node("after", "extract", mode="single", fields=[{"name": "after", "selector": ".seen"}]),
        renderer=renderer,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"before": "none", "after": "earlier"}]


async def test_pages_of_a_timed_out_loop_free_their_slots(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node(
            "slow", "for_each", selector="li.product", link="a.title", limit=2,
            timeout_ms=1500, on_error="continue",
        ),
        node("linger", "wait", mode="time", ms=5000),
        node("each", "for_each", selector="li.product", link="a.title", limit=3),
        edges=[("open", "slow"), ("slow", "linger", "body"), ("slow", "each")],
    )  # fmt: skip
    async with BrowserPool(max_pages=3) as pool:
        finished, sink = await run_bot(document, pool=pool)
        assert finished.status == "succeeded", finished.error
        assert [s.status for s in steps_of(sink, "slow")] == ["failed"]
        assert [s.status for s in steps_of(sink, "each")] == ["succeeded"]
        assert pool.slots._value == 3  # every page given back


async def test_nested_for_each_never_holds_every_page(run_bot: RunBot) -> None:
    document = bot(
        node("home", "navigate", url="{{site}}/"),
        node(
            "categories",
            "for_each",
            selector="ul.categories li",
            fields=[{"name": "category", "selector": "a"}],
            concurrency=8,
        ),
        node("products", "for_each", selector="li.product", link="a.title", concurrency=4),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[
            ("home", "categories"),
            ("categories", "products", "body"),
            ("products", "detail", "body"),
        ],
    )
    async with BrowserPool(max_pages=4) as pool:
        finished, sink = await run_bot(document, pool=pool)
    assert finished.status == "succeeded", finished.error
    expected = [(p.category, p.sku) for c in CATEGORIES for p in PRODUCTS if p.category == c]
    assert [(r["category"], r["sku"]) for r in sink.rows] == expected
    assert logged(sink, "concurrency 8 lowered to 2: the body has a for_each")


@RENDERERS
async def test_max_pages_inside_for_each_keeps_the_pages_loaded(
    run_bot: RunBot, renderer: str
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("each", "for_each", selector="li.product", link="a.title", concurrency=4),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "each"), ("each", "detail", "body")],
        max_pages=4,
        renderer=renderer,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert finished.pages == 4
    assert sink.rows == [{"sku": p.sku} for p in PRODUCTS[:3]]
    assert logged(sink, "stopped: max_pages 4 reached")


# --- cancellation and the run's time limit ---------------------------------------------------


class CancelAfter:
    """A sink that requests cancellation once it has seen `rows` rows."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.cancel = asyncio.Event()

    async def emit(self, event: Event) -> None:
        if isinstance(event, RowEmitted) and event.seq >= self.rows:
            self.cancel.set()


@RENDERERS
async def test_cancel_mid_run_keeps_the_rows(run_bot: RunBot, renderer: str) -> None:
    stopper = CancelAfter(10)
    finished, sink = await run_bot(
        shop_pages(renderer=renderer), cancel=stopper.cancel, sink=stopper
    )
    assert finished.status == "cancelled"
    assert finished.error == "cancelled on request"
    assert sink.rows == names(page_of(1))


async def test_cancel_inside_for_each(run_bot: RunBot) -> None:
    stopper = CancelAfter(3)
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("each", "for_each", selector="li.product", link="a.title", concurrency=1),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "each"), ("each", "detail", "body")],
    )
    finished, sink = await run_bot(document, cancel=stopper.cancel, sink=stopper)
    assert finished.status == "cancelled", finished.error
    assert sink.rows == [{"sku": p.sku} for p in PRODUCTS[:3]]


@pytest.mark.parametrize(("stop", "max_rows"), [("cancel", None), ("time", None), ("cancel", 2)])
async def test_a_stopped_for_each_keeps_the_rows_of_its_finished_items(
    run_bot: RunBot, stop: str, max_rows: int | None
) -> None:
    """Items that finished while an earlier one still loads hold their rows back, to keep
    the page's order; a cancel request or the run's time limit must not throw them away (and
    max_rows, met while they go out, keeps the stop a stop)."""
    cancel = asyncio.Event()
    quick = PRODUCTS[:3]  # after /lab/slow on the page, which never finishes loading
    document = bot(
        node("open", "navigate", url="{{site}}/lab/slow-first"),
        node("each", "for_each", selector="li.entry", link="a", concurrency=4),
        node("detail", "extract", mode="single", fields=SKU),
        edges=[("open", "each"), ("each", "detail", "body")],
        timeouts={**FAST, "navigation_ms": 60_000, "run_ms": 10_000 if stop == "time" else None},
        max_rows=max_rows,
    )

    class CancelOnceTheyFinished:
        def __init__(self) -> None:
            self.finished = 0

        async def emit(self, event: Event) -> None:
            if isinstance(event, StepFinished) and event.node_id == "detail":
                self.finished += 1
                if self.finished == len(quick) and stop == "cancel":
                    cancel.set()

    watcher = CancelOnceTheyFinished()
    finished, sink = await run_bot(document, cancel=cancel, sink=watcher)
    assert watcher.finished == len(quick)  # the slow item never got that far
    assert finished.status == ("cancelled" if stop == "cancel" else "timed_out"), finished.error
    kept = quick[:max_rows]
    assert sink.rows == [{"sku": p.sku} for p in kept]
    assert finished.rows == len(kept)


async def test_a_step_stopped_in_its_retry_wait_still_ends(run_bot: RunBot) -> None:
    """The run's time limit during the wait before a retry: the step is reported stopped,
    not left running in the replay."""
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("press", "click", selector="#missing", retries=3, retry_delay_ms=60_000),
        timeouts={**FAST, "action_ms": 500, "run_ms": 10_000},
    )
    finished, sink = await run_bot(document)
    assert finished.status == "timed_out", finished.error
    assert logged(sink, "attempt 1 failed")  # then the wait the time limit cut short
    assert [(s.status, s.error) for s in steps_of(sink, "press")] == [("skipped", "stopped")]


async def test_log_lines_queued_when_a_step_is_stopped_are_kept(run_bot: RunBot) -> None:
    """The time limit strikes while the step's log lines are being handed on: the ones not
    handed on yet go out at the run's end rather than being lost."""

    class SlowLogs:
        async def emit(self, event: Event) -> None:
            if isinstance(event, LogEmitted) and event.message.startswith("attempt 1 failed"):
                await asyncio.sleep(60)  # a stuck sink: the time limit comes meanwhile

    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("press", "click", selector="#missing", retries=2, retry_delay_ms=1),
        timeouts={**FAST, "action_ms": 300, "run_ms": 8000},
    )
    finished, sink = await run_bot(document, sink=SlowLogs())
    assert finished.status == "timed_out", finished.error
    assert logged(sink, "attempt 1 failed")
    assert logged(sink, "attempt 2 failed")


async def test_cancel_stops_a_running_step(run_bot: RunBot) -> None:
    cancel = asyncio.Event()
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("items", "extract", item_selector="li.product", fields=NAMES),
        node("pause", "wait", mode="time", ms=60_000),
    )

    class CancelInPause:
        """Cancels 0.3 s into the pause, however long the steps before it took."""

        async def emit(self, event: Event) -> None:
            if isinstance(event, StepStarted) and event.node_id == "pause":
                asyncio.get_running_loop().call_later(0.3, cancel.set)

    started = time.monotonic()
    finished, sink = await run_bot(document, cancel=cancel, sink=CancelInPause())
    print(f"cancelled after {time.monotonic() - started:.1f} s")
    assert finished.status == "cancelled"
    assert [s.status for s in steps_of(sink, "pause")] == ["skipped"]
    assert sink.rows == names(page_of(1))
    assert time.monotonic() - started < 30  # not the minute the wait asked for


async def test_cancel_stops_a_for_each_without_body(run_bot: RunBot) -> None:
    cancel = asyncio.Event()
    document = bot(
        node("open", "navigate", url="{{site}}/lab/delayed"),
        node("each", "for_each", selector="li.product", link="a.title"),
    )
    cancel.set()  # requested before the first page: nothing runs
    finished, sink = await run_bot(document, cancel=cancel)
    assert finished.status == "cancelled"
    assert sink.steps == []


async def test_secrets_are_redacted_when_url_encoded(run_bot: RunBot) -> None:
    document = bot(node("open", "navigate", url="{{site}}/shop?key={{key}}&page=1"))
    document["variables"] = {"key": {"value": "p@ss word!/ключ", "secret": True}}
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    urls = [s.url or "" for s in sink.steps]
    assert urls == [urls[0]]
    assert "•••" in urls[0]
    assert "ss" not in urls[0].split("key=")[1]


@RENDERERS
async def test_run_time_limit(run_bot: RunBot, renderer: str) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("items", "extract", item_selector="li.product", fields=NAMES),
        node("pause", "wait", mode="time", ms=60_000),
        node("never", "extract", mode="single", fields=NAMES),
        timeouts={**FAST, "run_ms": 1500},
        renderer=renderer,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "timed_out"
    assert finished.error == "the run exceeded its time limit of 1500 ms"
    assert sink.rows == names(page_of(1))
    assert not steps_of(sink, "never")
    assert [(s.status, s.error) for s in steps_of(sink, "pause")] == [("skipped", "stopped")]


async def test_run_time_limit_while_for_each_items_are_loading(run_bot: RunBot) -> None:
    # every item's body loads a page that never finishes: the limit cuts the loads short
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("each", "for_each", selector="li.product", link="a.title", concurrency=4),
        node("slow", "navigate", url="{{site}}/lab/slow?item={{item.index}}"),
        edges=[("open", "each"), ("each", "slow", "body")],
        timeouts={**FAST, "navigation_ms": 30_000, "run_ms": 4000},
    )
    started = time.perf_counter()
    finished, sink = await run_bot(document)
    print(f"timed out and closed in {time.perf_counter() - started:.2f} s")
    assert finished.status == "timed_out"
    assert sink.rows == []
    assert {s.status for s in steps_of(sink, "slow")} == {"skipped"}  # no load finished


# --- variables -------------------------------------------------------------------------------


async def test_overrides_replace_document_variables(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop?page={{number}}"),
        node("items", "extract", item_selector="li.product", fields=NAMES),
        node("note", "set_variable", name="unused", value="{{extra}}"),
        renderer="http",
    )
    document["variables"] = {"number": 1}
    finished, sink = await run_bot(document, number="3", extra="only given on the command line")
    assert finished.status == "succeeded", finished.error
    assert sink.rows == names(page_of(3))


async def test_an_unset_environment_variable_is_a_clear_error(
    run_bot: RunBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"TRAWLER_TEST_UNSET_{uuid.uuid4().hex[:8].upper()}"
    monkeypatch.delenv(name, raising=False)
    document = bot(node("open", "navigate", url="{{site}}/shop?page={{number}}"))
    document["variables"] = {"number": {"env": name}}
    finished, sink = await run_bot(document)
    assert finished.status == "failed"
    assert (
        finished.error == f"variable 'number' reads environment variable {name}, which is not set"
    )
    assert sink.steps == []

    monkeypatch.setenv(name, "2")
    document = bot(
        node("open", "navigate", url="{{site}}/shop?page={{number}}"),
        node("items", "extract", item_selector="li.product", fields=NAMES),
        renderer="http",
    )
    document["variables"] = {"number": {"env": name}}
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == names(page_of(2))


# --- bad inputs ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def assert_navigation_fails(run_bot: RunBot, document: dict[str, Any], *texts: str) -> None:
    finished, sink = await run_bot(document)
    assert finished.status == "failed"
    assert finished.error
    for text in texts:
        assert text in finished.error, finished.error
    [step] = steps_of(sink, "open")
    assert step.status == "failed"
    assert step.error
    assert step.error in finished.error
    print(finished.error)


@RENDERERS
async def test_unknown_host(run_bot: RunBot, renderer: str) -> None:
    url = "http://no-such-host.invalid/"
    document = bot(node("open", "navigate", url=url), renderer=renderer)
    await assert_navigation_fails(
        run_bot, document, "could not resolve host no-such-host.invalid", url
    )


@RENDERERS
async def test_connection_refused(run_bot: RunBot, renderer: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/shop"
    document = bot(node("open", "navigate", url=url), renderer=renderer)
    await assert_navigation_fails(run_bot, document, "connection refused by 127.0.0.1", url)


@RENDERERS
async def test_a_page_that_never_finishes_loading(run_bot: RunBot, renderer: str) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/slow"),
        timeouts={**FAST, "navigation_ms": 1000},
        renderer=renderer,
    )
    await assert_navigation_fails(
        run_bot, document, "did not finish loading", "within 1 s", "/lab/slow"
    )


@RENDERERS
async def test_http_500(run_bot: RunBot, site: DemoSite, renderer: str) -> None:
    document = bot(node("open", "navigate", url="{{site}}/lab/error500"), renderer=renderer)
    await assert_navigation_fails(run_bot, document, f"HTTP 500 at {site.base_url}/lab/error500")


@RENDERERS
async def test_a_selector_that_matches_nothing(run_bot: RunBot, renderer: str) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("items", "extract", item_selector="li.no-such-item", fields=NAMES),
        node("one", "extract", mode="single", fields=[{"name": "x", "selector": "#no-such"}]),
        timeouts={**FAST, "selector_ms": 200},
        renderer=renderer,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert logged(sink, "item_selector 'li.no-such-item' matched nothing", "warning")
    assert logged(sink, "fields matched nothing: x", "warning")
    assert sink.rows == [{"x": None}]


@RENDERERS
async def test_a_page_with_50000_items(run_bot: RunBot, renderer: str) -> None:
    n = 50_000
    document = bot(
        node("open", "navigate", url="{{site}}/lab/big?n={{n}}"),
        node(
            "items",
            "extract",
            item_selector="li.item",
            fields=[
                {"name": "n", "selector": ".n", "transforms": [{"op": "number", "integer": True}]},
                {"name": "link", "selector": "a", "value": "attr:href"},
            ],
        ),
        timeouts={**FAST, "navigation_ms": 30_000},
        renderer=renderer,
    )
    started = time.perf_counter()
    finished, sink = await run_bot(document, n=str(n))
    elapsed = time.perf_counter() - started
    print(f"{renderer}: {n} rows in {elapsed:.2f} s (run {finished.duration_ms / 1000:.2f} s)")
    assert finished.status == "succeeded", finished.error
    assert finished.rows == len(sink.rows) == n
    assert sink.rows[0] == {"n": 1, "link": "/lab/item/1"}
    assert sink.rows[-1] == {"n": n, "link": f"/lab/item/{n}"}
    assert [row["n"] for row in sink.rows] == list(range(1, n + 1))


@RENDERERS
async def test_the_alert_and_popup_loop(run_bot: RunBot, renderer: str) -> None:
    # leaving a page that opens dialogs all the time must not wedge the navigation
    rounds = 5
    nodes = []
    for n in range(rounds):
        nodes += [
            node(f"alerts{n}", "navigate", url="{{site}}/lab/alerts"),
            node(f"content{n}", "wait", selector="#content"),
            node(
                f"read{n}",
                "extract",
                mode="single",
                fields=[{"name": "text", "selector": "#content"}],
            ),
            node(f"shop{n}", "navigate", url="{{site}}/shop"),
            node(f"items{n}", "extract", item_selector="li.product", fields=NAMES),
        ]
    finished, sink = await run_bot(bot(*nodes, renderer=renderer))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"text": "Still here", **row} for row in names(page_of(1))] * rounds
    if renderer == "browser":
        assert logged(sink, "alert dialog accepted: 'hi'")
        assert logged(sink, "closed a pop-up")


# --- trace levels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("renderer", "trace", "screenshots", "snapshots"),
    [
        ("browser", "none", False, False),
        ("browser", "errors", False, False),
        ("browser", "steps", True, False),
        ("browser", "full", True, True),
        ("http", "steps", False, True),
    ],
)
async def test_trace_levels(
    run_bot: RunBot, renderer: str, trace: str, screenshots: bool, snapshots: bool
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("items", "extract", item_selector="li.product", fields=NAMES),
        renderer=renderer,
        trace=trace,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert [s.screenshot is not None for s in sink.steps] == [screenshots] * 2
    assert [s.html is not None for s in sink.steps] == [snapshots] * 2
    if screenshots:
        assert all(s.screenshot and s.screenshot.startswith(b"\x89PNG") for s in sink.steps)
    if snapshots:
        assert all(s.html and 'li class="product"' in s.html for s in sink.steps)


async def test_a_chain_at_the_node_limit_runs_without_deep_recursion(run_bot: RunBot) -> None:
    steps = [node(f"n{i}", "set_variable", name="last", value=i) for i in range(1, MAX_NODES)]
    document = bot(node("n0", "navigate", url="{{site}}/lab/paged"), *steps, renderer="http")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # well under the chain's length: the walk must not recurse
    try:
        finished, sink = await run_bot(document)
    finally:
        sys.setrecursionlimit(limit)
    assert finished.status == "succeeded", finished.error
    assert finished.steps == MAX_NODES
    assert [s.node_id for s in sink.steps][-2:] == [f"n{MAX_NODES - 2}", f"n{MAX_NODES - 1}"]


# --- de-duplication ----------------------------------------------------------------------------

SKU = [{"name": "sku", "selector": ".sku"}]


def _two_loops_over_one_list(**second: Any) -> dict[str, Any]:
    return bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("first", "for_each", selector="li.product", link="a.title", fields=NAMES),
        node("sku1", "extract", mode="single", fields=SKU),
        node("again", "navigate", url="{{site}}/shop"),
        node("second", "for_each", selector="li.product", link="a.title", fields=NAMES, **second),
        node("sku2", "extract", mode="single", fields=SKU),
        edges=[
            ("open", "first"),
            ("first", "sku1", "body"),
            ("first", "again"),
            ("again", "second"),
            ("second", "sku2", "body"),
        ],
    )


async def test_a_for_each_opens_a_page_once_per_run(run_bot: RunBot) -> None:
    finished, sink = await run_bot(_two_loops_over_one_list())
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"name": p.name, "sku": p.sku} for p in page_of(1)]
    assert not steps_of(sink, "sku2")
    [second] = steps_of(sink, "second")
    assert second.note == "10 of 10 items left out: their page was already opened"

    finished, sink = await run_bot(_two_loops_over_one_list(skip_seen=False))
    assert sink.rows == [{"name": p.name, "sku": p.sku} for p in page_of(1)] * 2


async def test_rows_repeating_the_unique_fields_are_dropped(run_bot: RunBot) -> None:
    fields = [*NAMES, {"name": "category", "selector": ".category"}]
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("items", "extract", item_selector="li.product", fields=fields),
        node("again", "extract", item_selector="li.product", fields=fields),
        unique_rows=["category"],
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    categories = list(dict.fromkeys(p.category for p in page_of(1)))
    assert [row["category"] for row in sink.rows] == categories
    assert finished.rows == len(categories)
    assert logged(sink, f"{20 - len(categories)} rows dropped: same category as an earlier row")


async def test_a_for_each_loops_over_links_gathered_on_every_page(run_bot: RunBot) -> None:
    """Links collected over a paginate's pages, opened afterwards by one for_each."""
    link = [*NAMES, {"name": "url", "selector": "a.title", "value": "attr:href"}]
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("pages", "paginate", next_selector="a.next", max_pages=2),
        node("gather", "extract", item_selector="li.product", fields=link, collect_as="links"),
        node("each", "for_each", items="links"),
        node("sku", "extract", mode="single", fields=SKU),
        edges=[
            ("open", "pages"),
            ("pages", "gather", "body"),
            ("pages", "each"),
            ("each", "sku", "body"),
        ],
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"name": p.name, "sku": p.sku} for p in page_of(1) + page_of(2)]


def test_a_for_each_takes_a_selector_or_items() -> None:
    with pytest.raises(WorkflowInvalid) as caught:
        load_workflow(bot(node("each", "for_each", items="nowhere")))
    assert [str(i) for i in caught.value.issues] == [
        "node 'each', field 'data.items': variable 'nowhere' is never defined"
    ]
    with pytest.raises(WorkflowInvalid) as caught:
        load_workflow(bot(node("each", "for_each", selector="li", items="x")))
    assert "give either selector (items on the page) or items (a variable)" in str(caught.value)


class _SlowOnce:
    """A sink that stalls once, on the third row: a database that is slow to take it."""

    def __init__(self) -> None:
        self.rows = 0

    async def emit(self, event: Event) -> None:
        if isinstance(event, RowEmitted):
            self.rows += 1
            if self.rows == 3:
                await asyncio.sleep(5)


async def test_a_step_whose_rows_went_out_is_not_retried(run_bot: RunBot) -> None:
    """Timed out while its rows were being handed on: a retry would send them twice, so the
    step fails with the rows it sent, once each, and says why it was not retried."""
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node(
            "products",
            "extract",
            mode="list",
            item_selector="li.product",
            fields=[{"name": "name", "selector": "a.title"}],
            retries=2,
            retry_delay_ms=10,
            timeout_ms=1500,
        ),
        renderer="http",
    )
    finished, sink = await run_bot(document, sink=_SlowOnce())
    assert finished.status == "failed"
    [step] = steps_of(sink, "products")
    assert (step.status, step.attempts) == ("failed", 1)
    assert step.error == "node timed out after 1.5 s"
    names = [row["name"] for row in sink.rows]
    assert len(names) == 3
    assert len(set(names)) == 3
    assert logged(sink, "not retried: its rows went out already", "warning")


async def test_a_page_that_failed_to_load_is_not_counted_as_opened(
    run_bot: RunBot, site: DemoSite
) -> None:
    """A for_each that skipped an item whose page did not load leaves the URL to a later one."""
    document = bot(
        node("first", "for_each", items="links", on_error="skip"),
        node("read1", "extract", mode="single", fields=OK),
        node("second", "for_each", items="links"),
        node("read2", "extract", mode="single", fields=OK),
        edges=[("first", "read1", "body"), ("first", "second"), ("second", "read2", "body")],
        transient_retries=0,
    )
    url = f"{site.base_url}/lab/flaky?key={uuid.uuid4().hex}&fail=1"
    finished, sink = await run_bot(document, links=[url])
    assert finished.status == "succeeded", finished.error
    assert logged(sink, "skipped item: HTTP 503 at", "warning")
    assert sink.rows == [{"ok": "ok after 1"}]
    [second] = steps_of(sink, "second")
    assert (second.rows, second.note) == (1, None)  # opened, not left out as seen
