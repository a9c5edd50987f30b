"""A bot's regular expressions run with a time limit, off the event loop: a pathological pattern
fails its own step, names the node, field and pattern, and never stalls anything else."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta
from typing import Any

import pytest

from engine import Event, StepFinished, StepStarted, patterns
from engine.errors import PatternTooSlow
from engine.transforms import Regex, Replace
from tests.engine.conftest import RunBot, bot, logged, node

# Exponential on the `regex` package too (the issue's `(a+)+$` it happens to match quickly).
SLOW = r"(a|aa)+$"
EVIL = "a" * 40 + "!"


def slow_bot(*, on_error: str = "fail", pattern_ms: int = 200, **data: Any) -> dict[str, Any]:
    """A page of four items of 40 a's and a "!", read through SLOW, then a second page."""
    return bot(
        node("open", "navigate", url="{{site}}/lab/repeat?times=40&items=4"),
        node(
            "names",
            "extract",
            item_selector="li.long",
            on_error=on_error,
            fields=[
                {"name": "n", "selector": None, "value": "attr:data-n"},
                {
                    "name": "word",
                    "selector": None,
                    "transforms": [{"op": "regex", "pattern": SLOW}],
                },
            ],
            **data,
        ),
        node("more", "navigate", url="{{site}}/lab/paged"),
        node("rows", "extract", item_selector="li.row", fields=[{"name": "row", "selector": None}]),
        renderer="http",
        timeouts={
            "navigation_ms": 3000,
            "action_ms": 3000,
            "selector_ms": 0,
            "pattern_ms": pattern_ms,
        },
    )


def test_a_pathological_pattern_stops_at_its_limit_and_says_so() -> None:
    started = time.monotonic()
    with (
        patterns.limited(timedelta(milliseconds=100)),
        pytest.raises(PatternTooSlow) as caught,
    ):
        Regex(pattern=SLOW).run(EVIL, None)
    assert time.monotonic() - started < 1
    assert str(caught.value) == (
        "the pattern '(a|aa)+$' took longer than 100 ms on a value of 41 characters"
    )
    assert str(caught.value.within("word").within("items")) == (
        "field 'items.word': the pattern '(a|aa)+$' took longer than 100 ms on a value of "
        "41 characters"
    )
    with patterns.limited(timedelta(milliseconds=100)), pytest.raises(PatternTooSlow):
        Replace(pattern=SLOW, replacement="x").run(EVIL, None)


def test_the_issues_pattern_on_a_long_value_fails_in_time() -> None:
    # `regex` counts processor time: on a machine busy with other processes the wall clock
    # says more
    started = time.monotonic()
    with patterns.limited(timedelta(milliseconds=200)), pytest.raises(PatternTooSlow):
        Regex(pattern=r"(a+)+$").run("a" * 50_000 + "!", None)
    assert time.monotonic() - started < 5


def test_patterns_are_python_syntax_as_before() -> None:
    assert Regex(pattern=r"(?P<d>\d+)\.(\d+)", group="d").run("v 12.5", None) == "12"
    assert Replace(pattern=r"(\w+)@(\w+)", replacement=r"\2 at \g<1>").run("me@home", None) == (
        "home at me"
    )


class Window:
    """When the step of `node_id` ran, by the monotonic clock."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.start = self.end = 0.0

    async def emit(self, event: Event) -> None:
        if isinstance(event, StepStarted) and event.node_id == self.node_id:
            self.start = time.monotonic()
        elif isinstance(event, StepFinished) and event.node_id == self.node_id:
            self.end = time.monotonic()


async def test_the_event_loop_keeps_ticking_while_a_bad_pattern_runs(run_bot: RunBot) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    window = Window("names")
    ticking = asyncio.create_task(ticker())
    try:
        finished, sink = await run_bot(slow_bot(pattern_ms=1500), sink=window)
    finally:
        ticking.cancel()
    assert finished.status == "failed"
    assert finished.error == (
        "node 'names' (extract) failed: field 'word': the pattern '(a|aa)+$' took longer than "
        "1500 ms on a value of 41 characters"
    )
    (step,) = [s for s in sink.steps if s.node_id == "names"]
    assert step.attempts == 1  # as slow again on a retry: none
    # `regex` counts the processor time of the whole process: other busy threads end the
    # limit sooner by the wall clock, another process's load later
    assert window.end - window.start >= 0.5
    during = [t for t in ticks if window.start <= t <= window.end]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    # the loop ran all along the time the pattern took (frozen, it would show one gap that
    # long; a busy machine makes the odd tick late)
    assert len(during) > 20
    assert max(gaps) < 0.5, max(gaps)


async def test_on_error_continue_goes_on_and_keeps_the_other_rows(run_bot: RunBot) -> None:
    finished, sink = await run_bot(slow_bot(on_error="continue", retries=2))
    assert finished.status == "succeeded"
    # the next node ran; the failed step emitted no half-made rows
    assert sink.rows == [{"row": f"Row 1.{i}"} for i in (1, 2)]
    assert logged(sink, "field 'word': the pattern '(a|aa)+$' took longer than 200 ms", "warning")
    assert logged(sink, "on_error=continue", "warning")


async def test_a_node_timeout_is_kept_while_a_pattern_runs(run_bot: RunBot) -> None:
    started = time.monotonic()
    finished, _ = await run_bot(slow_bot(pattern_ms=20_000, timeout_ms=500))
    assert finished.status == "failed"
    assert finished.error == "node 'names' (extract) failed: node timed out after 0.5 s"
    assert time.monotonic() - started < 5


async def test_a_condition_pattern_is_limited_too(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/paged"),
        node("check", "condition", variable="text", op="matches", value=SLOW),
        node("yes", "set_variable", name="seen", value="yes"),
        node("no", "set_variable", name="seen", value="no"),
        edges=[("open", "check"), ("check", "yes", "true"), ("check", "no", "false")],
        renderer="http",
        timeouts={"navigation_ms": 3000, "pattern_ms": 100},
    )
    document["variables"] = {"text": EVIL}
    finished, _ = await run_bot(document)
    assert finished.status == "failed"
    assert finished.error == (
        "node 'check' (condition) failed: field 'value': the pattern '(a|aa)+$' took longer "
        "than 100 ms on a value of 41 characters"
    )
