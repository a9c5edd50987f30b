"""A stall of the event loop every run shares is no page's fault: what failed across one is
tried again, once, instead of failing the run."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine import Event, StepStarted, stalls
from tests.engine.conftest import RunBot, bot, logged, node


class Staller:
    """Holds the event loop up for `seconds`, `after` seconds into the step of `node_id`."""

    def __init__(self, node_id: str, *, after: float, seconds: float) -> None:
        self.node_id, self.after, self.seconds = node_id, after, seconds
        self.done = False

    async def emit(self, event: Event) -> None:
        if isinstance(event, StepStarted) and event.node_id == self.node_id and not self.done:
            self.done = True
            asyncio.get_running_loop().call_later(self.after, time.sleep, self.seconds)


def slow_page_bot(**data: object) -> dict[str, object]:
    return bot(
        node("open", "navigate", url="{{site}}/lab/paced?pages=1&delay_ms=300", **data),
        node("rows", "extract", item_selector="li.row", fields=[{"name": "row", "selector": None}]),
        renderer="http",
        timeouts={"navigation_ms": 1000, "action_ms": 1000, "selector_ms": 0},
        transient_retries=0,  # the stall check alone, not a timeout's load tried again
    )


async def test_a_page_load_across_a_stall_is_tried_again(run_bot: RunBot) -> None:
    finished, sink = await run_bot(slow_page_bot(), sink=Staller("open", after=0.1, seconds=2.5))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"row": f"Row 1.{i}"} for i in (1, 2, 3)]
    assert logged(sink, "while the worker was stalled 2 s: once more", "warning")


async def test_a_node_timeout_across_a_stall_is_tried_again(run_bot: RunBot) -> None:
    staller = Staller("open", after=0.1, seconds=2.5)
    finished, sink = await run_bot(slow_page_bot(timeout_ms=1500), sink=staller)
    assert finished.status == "succeeded", finished.error
    assert logged(sink, "while the worker was stalled", "warning")


async def test_without_the_stall_check_the_load_fails(
    run_bot: RunBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the check is for: the same stall fails the run when it is not excused."""
    monkeypatch.setattr(stalls, "STALL", 1000.0)
    finished, _ = await run_bot(slow_page_bot(), sink=Staller("open", after=0.1, seconds=2.5))
    assert finished.status == "failed"


def test_stalls_are_measured_on_the_loop() -> None:
    async def main() -> tuple[float, float]:
        stalls.hold()
        try:
            start = stalls.now()
            await asyncio.sleep(0.3)
            calm = stalls.stalled(start)
            time.sleep(2.4)
            return calm, stalls.stalled(start)
        finally:
            stalls.release()

    calm, stalled = asyncio.run(main())
    assert calm == 0
    assert 2.2 < stalled < 2.7
