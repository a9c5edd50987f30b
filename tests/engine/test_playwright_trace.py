"""The Playwright trace of a run at trace level "full": recorded once, whatever the outcome."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from typing import Any

import pytest

from engine import Event, ListSink, RunFinished, TraceRecorded
from engine.renderers import redact_trace
from tests.engine.conftest import RunBot, bot, node

SECRET = "hunter2-Shh"


def traces(sink: ListSink) -> list[TraceRecorded]:
    return [e for e in sink.events if isinstance(e, TraceRecorded)]


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def entries(data: bytes) -> dict[str, bytes]:
    """The trace zip's files; a valid Playwright trace has its action log in `trace.trace`."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        found = {name: archive.read(name) for name in archive.namelist()}
    assert "trace.trace" in found
    return found


def click_missing(trace: str) -> dict[str, Any]:
    return bot(
        node("open", "navigate", url="{{site}}/lab/clicks"),
        node("press", "click", selector="#missing"),
        node("after", "extract", mode="single", fields=[{"name": "h", "selector": "h1"}]),
        timeouts={"navigation_ms": 3000, "action_ms": 300, "selector_ms": 300},
        trace=trace,
    )


async def test_a_full_trace_run_records_one_playwright_trace(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/clicks"),
        node("press", "click", selector="#target"),
        trace="full",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    [trace] = traces(sink)
    assert kinds(sink.events)[-2:] == ["TraceRecorded", "RunFinished"]
    files = entries(trace.data)
    actions = files["trace.trace"].decode()
    assert '"click"' in actions
    assert "/lab/clicks" in actions
    assert any(name.startswith("resources/") for name in files)  # DOM snapshots, screenshots


async def test_a_failed_run_still_records_its_trace(run_bot: RunBot) -> None:
    finished, sink = await run_bot(click_missing("full"))
    assert finished.status == "failed"
    plain, plain_sink = await run_bot(click_missing("steps"))
    assert (finished.status, finished.error) == (plain.status, plain.error)
    assert finished.error
    assert "node 'press' (click) failed" in finished.error
    assert traces(plain_sink) == []
    [trace] = traces(sink)
    assert kinds(sink.events)[-2:] == ["TraceRecorded", "RunFinished"]
    assert '"click"' in entries(trace.data)["trace.trace"].decode()


async def test_a_cancelled_run_still_records_its_trace(run_bot: RunBot) -> None:
    cancel = asyncio.Event()
    document = bot(
        node("open", "navigate", url="{{site}}/lab/clicks"),
        node("stay", "wait", mode="time", ms=30_000, timeout_ms=60_000),
        trace="full",
    )
    asyncio.get_running_loop().call_later(1.5, cancel.set)
    finished, sink = await run_bot(document, cancel=cancel)
    assert finished.status == "cancelled"
    [trace] = traces(sink)
    assert kinds(sink.events)[-2:] == ["TraceRecorded", "RunFinished"]
    entries(trace.data)


@pytest.mark.parametrize("trace", ["none", "errors", "steps"])
async def test_no_playwright_trace_below_full(run_bot: RunBot, trace: str) -> None:
    document = bot(node("open", "navigate", url="{{site}}/lab/clicks"), trace=trace)
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert traces(sink) == []


async def test_no_playwright_trace_without_the_browser(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/clicks"), trace="full", renderer="http"
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert traces(sink) == []
    assert isinstance(sink.events[-1], RunFinished)


async def test_secret_variables_are_redacted_from_the_trace(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/form"),
        node("fill", "fill", selector="#q", text="{{password}}"),
        node("go", "click", selector="#go"),
        node("echo", "extract", mode="single", fields=[{"name": "echo", "selector": "#echo"}]),
        node("login", "navigate", url="{{site}}/login"),
        node("user", "fill", selector="#username", text="demo"),
        node("password", "fill", selector="#password", text="{{password}}", press="Enter"),
        trace="full",
    )
    document["variables"] = {"password": {"value": SECRET, "secret": True}}
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"echo": f"{SECRET}|r"}]  # the page did get the secret
    [trace] = traces(sink)
    files = entries(trace.data)
    assert not [name for name, content in files.items() if SECRET.encode() in content]
    assert "•••" in files["trace.trace"].decode()
    assert any(b"password=\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2" in c for c in files.values())
    for name in ("trace.trace", "trace.network"):
        for line in files[name].decode().splitlines():
            json.loads(line)


def test_redact_trace_keeps_the_logs_parseable_and_images_as_they_are() -> None:
    image = b"\x89PNG\r\n\x1a\n\xff a-secret"
    source = io.BytesIO()
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("trace.trace", '{"type":"action","params":{"value":"a-secret"}}\n')
        archive.writestr("trace.network", '{"url":"https://x.test/?q=a-secret"}\n')
        archive.writestr("resources/body.dat", "user=demo&password=a-secret")
        archive.writestr("resources/shot.png", image)
    redacted = entries(redact_trace(source.getvalue(), lambda s: s.replace("a-secret", "•••")))
    assert json.loads(redacted["trace.trace"]) == {"type": "action", "params": {"value": "•••"}}
    assert json.loads(redacted["trace.network"]) == {"url": "https://x.test/?q=•••"}
    assert redacted["resources/body.dat"].decode() == "user=demo&password=•••"
    assert redacted["resources/shot.png"] == image
