"""The trace folder, run.json and the replay viewer (escaping, and in real Chromium)."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import struct
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.async_api import Browser

from api.viewer import SNAPSHOT_CSP, render_replay, script_json
from engine import load_workflow
from engine import run as run_workflow
from engine.events import (
    Event,
    Highlight,
    LogEmitted,
    RowEmitted,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TraceRecorded,
)
from engine.rows import Cells
from tests.conftest import SITE_NETWORK
from tests.engine.conftest import bot, node
from tests.site.canary import Lab
from trawler.demo_site import DemoSite
from trawler.trace import TraceSink

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EVIL = "</script><script>alert(1)</script>"
SNAPSHOT = (
    "<!DOCTYPE html><html><head><title>page</title></head>"
    "<body><h1>Books</h1><script>document.title = 'ran'</script></body></html>"
)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


SHOT_1 = png(64, 40, (49, 87, 213))
NOTE = "gave up on https://books.test/catalogue/page-2.html after 3 loads"
SHOT_3 = png(64, 40, (192, 38, 45))


def run_events(status: str = "failed") -> list[Event]:
    url = "https://books.test/catalogue/page-1.html"
    return [
        RunStarted(name="books", renderer="browser", at=AT),
        StepStarted(step=1, node_id="open", node_type="navigate", url=url, at=AT),
        LogEmitted(level="info", message="navigated", at=AT, node_id="open", step=1),
        StepFinished(
            step=1,
            node_id="open",
            node_type="navigate",
            status="succeeded",
            url=url,
            duration_ms=812.5,
            screenshot=SHOT_1,
            html=SNAPSHOT,
        ),
        StepStarted(step=2, node_id="items", node_type="extract", url=url, at=AT),
        RowEmitted(seq=1, data={"title": "A Light", "price": 51.77}, node_id="items", step=2),
        RowEmitted(seq=2, data={"title": EVIL, "tags": ["a", "b"]}, node_id="items", step=2),
        StepFinished(
            step=2,
            node_id="items",
            node_type="extract",
            status="succeeded",
            url=url,
            duration_ms=41.0,
            rows=2,
            matches=("article.product_pod", "h3 a"),
        ),
        StepStarted(step=3, node_id="next", node_type="paginate", url=url, at=AT),
        LogEmitted(level="warning", message="retrying\u2028now", at=AT, node_id="next", step=3),
        StepFinished(
            step=3,
            node_id="next",
            node_type="paginate",
            status="failed",
            url=url,
            duration_ms=30000.0,
            attempts=2,
            error="Timeout 30000ms exceeded waiting for li.next a",
            note=NOTE,
            screenshot=SHOT_3,
        ),
        LogEmitted(level="error", message="run failed", at=AT),
        RunFinished(
            status=status,  # type: ignore[arg-type]
            rows=2,
            pages=1,
            steps=3,
            duration_ms=30900.0,
            at=AT,
            error="step next failed" if status == "failed" else None,
        ),
    ]


async def traced(directory: Path, events: list[Event], **options: Any) -> TraceSink:
    sink = TraceSink(directory, **options)
    for event in events:
        await sink.emit(event)
    await sink.close()
    return sink


async def test_trace_folder_layout(tmp_path: Path) -> None:
    sink = await traced(tmp_path / "trace", run_events())
    root = tmp_path / "trace"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == [
        "events.jsonl",
        "html",
        "html/step-0001.html",
        "replay.html",
        "rows.csv",
        "rows.jsonl",
        "run.json",
        "screenshots",
        "screenshots/step-0001.png",
        "screenshots/step-0003.png",
    ]
    assert sink.replay_path == root / "replay.html"
    assert (root / "screenshots/step-0001.png").read_bytes() == SHOT_1
    assert (root / "screenshots/step-0003.png").read_bytes() == SHOT_3
    snapshot = (root / "html/step-0001.html").read_text(encoding="utf-8")
    assert snapshot.startswith(
        '<!DOCTYPE html><base href="https://books.test/catalogue/page-1.html">'
    )
    assert f'content="{SNAPSHOT_CSP}"' in snapshot
    assert snapshot.endswith(SNAPSHOT[len("<!DOCTYPE html>") :])
    assert [json.loads(line) for line in (root / "rows.jsonl").read_text().splitlines()] == [
        {"title": "A Light", "price": 51.77},
        {"title": EVIL, "tags": ["a", "b"]},
    ]


async def test_rows_csv_holds_every_row_with_formulas_neutralised(tmp_path: Path) -> None:
    rows = [{"name": f"=cmd|' /C calc'!A{i}", "n": -i, "tags": ["+a", "b"]} for i in range(3)]
    others: list[Event] = [e for e in run_events() if not isinstance(e, RowEmitted)]
    at = next(i for i, e in enumerate(others) if isinstance(e, StepFinished) and e.step == 2)
    emitted: list[Event] = [
        RowEmitted(seq=i + 1, data=r, node_id="items", step=2) for i, r in enumerate(rows)
    ]
    events = others[:at] + emitted + others[at:]
    await traced(tmp_path, events, embed_rows=1)
    assert (tmp_path / "rows.csv").read_text(encoding="utf-8") == (
        "name,n,tags\n"
        "'=cmd|' /C calc'!A0,0,'+a; b\n"
        "'=cmd|' /C calc'!A1,-1,'+a; b\n"
        "'=cmd|' /C calc'!A2,-2,'+a; b\n"
    )  # every row, though the replay embeds one; numbers untouched
    kept = tmp_path / "kept"
    await traced(kept, events, cells=Cells(keep_formulas=True))
    assert (kept / "rows.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "=cmd|' /C calc'!A0,0,+a; b"
    )


async def test_events_jsonl_holds_every_event_with_artifact_paths(tmp_path: Path) -> None:
    events = run_events()
    await traced(tmp_path, events)
    records = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [r["event"] for r in records] == [type(e).__name__ for e in events]
    assert records[0] == {
        "event": "RunStarted",
        "name": "books",
        "renderer": "browser",
        "at": "2025-03-01T12:00:00+00:00",
    }
    assert records[3]["screenshot"] == "screenshots/step-0001.png"
    assert records[3]["html"] == "html/step-0001.html"
    assert records[7]["screenshot"] is None
    assert records[7]["matches"] == ["article.product_pod", "h3 a"]


async def test_run_json(tmp_path: Path) -> None:
    await traced(tmp_path, run_events())
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    at = "2025-03-01T12:00:00+00:00"
    url = "https://books.test/catalogue/page-1.html"
    common = {"url": url, "started_at": at}
    assert run == {
        "version": 1,
        "name": "books",
        "renderer": "browser",
        "status": "failed",
        "error": "step next failed",
        "started_at": at,
        "finished_at": at,
        "totals": {"rows": 2, "pages": 1, "steps": 3, "failed_steps": 1, "duration_ms": 30900.0},
        "steps": [
            {
                "step": 1,
                "node_id": "open",
                "node_type": "navigate",
                **common,
                "status": "succeeded",
                "duration_ms": 812.5,
                "rows": 0,
                "attempts": 1,
                "error": None,
                "note": None,
                "llm": None,
                "screenshot": "screenshots/step-0001.png",
                "html": "html/step-0001.html",
                "matches": [],
                "highlights": [],
                "logs": [{"level": "info", "message": "navigated", "at": at}],
            },
            {
                "step": 2,
                "node_id": "items",
                "node_type": "extract",
                **common,
                "status": "succeeded",
                "duration_ms": 41.0,
                "rows": 2,
                "attempts": 1,
                "error": None,
                "note": None,
                "llm": None,
                "screenshot": None,
                "html": None,
                "matches": ["article.product_pod", "h3 a"],
                "highlights": [],
                "logs": [],
            },
            {
                "step": 3,
                "node_id": "next",
                "node_type": "paginate",
                **common,
                "status": "failed",
                "duration_ms": 30000.0,
                "rows": 0,
                "attempts": 2,
                "error": "Timeout 30000ms exceeded waiting for li.next a",
                "note": NOTE,
                "llm": None,
                "screenshot": "screenshots/step-0003.png",
                "html": None,
                "matches": [],
                "highlights": [],
                "logs": [{"level": "warning", "message": "retrying\u2028now", "at": at}],
            },
        ],
        "logs": [
            {"level": "error", "message": "run failed", "at": at, "node_id": None, "step": None}
        ],
        "rows": [
            {"seq": 1, "step": 2, "node_id": "items", "data": {"title": "A Light", "price": 51.77}},
            {"seq": 2, "step": 2, "node_id": "items", "data": {"title": EVIL, "tags": ["a", "b"]}},
        ],
        "rows_embedded": 2,
        "rows_csv": "rows.csv",
        "playwright_trace": None,
    }


async def test_a_crashed_run_still_gets_run_json_and_replay(tmp_path: Path) -> None:
    sink = TraceSink(tmp_path)
    for event in run_events()[:9]:
        await sink.emit(event)
    await sink.close()
    await sink.close()
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "incomplete"
    assert run["totals"]["rows"] == 2
    assert run["steps"][-1]["status"] == "unfinished"
    assert sink.replay_path.is_file()


async def test_a_new_run_replaces_the_previous_one(tmp_path: Path) -> None:
    await traced(tmp_path, run_events())
    (tmp_path / "notes.txt").write_text("mine")
    events = [e for e in run_events("succeeded") if getattr(e, "step", None) != 3]
    await traced(tmp_path, events)
    assert not (tmp_path / "screenshots/step-0003.png").exists()
    assert (tmp_path / "screenshots/step-0001.png").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert len((tmp_path / "events.jsonl").read_text().splitlines()) == len(events)
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "succeeded"


def playwright_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("trace.trace", '{"type":"context-options"}\n')
    return out.getvalue()


HIGHLIGHTS = (
    Highlight("article.product_pod", 24, ((0.1, 0.25, 0.2, 0.5), (0.35, 0.25, 0.2, 0.75))),
    Highlight("h3 a", 0),
)


def with_highlights_and_trace(events: list[Event], trace: bytes) -> list[Event]:
    """`events` with highlights on step 2 and a Playwright trace before `RunFinished`."""
    changed: list[Event] = []
    for event in events:
        if isinstance(event, StepFinished) and event.step == 2:
            event = dataclasses.replace(event, screenshot=SHOT_1, highlights=HIGHLIGHTS)
        if isinstance(event, RunFinished):
            changed.append(TraceRecorded(data=trace, at=AT))
        changed.append(event)
    return changed


async def test_highlights_and_the_playwright_trace(tmp_path: Path) -> None:
    trace = playwright_zip()
    await traced(tmp_path, with_highlights_and_trace(run_events(), trace))
    assert (tmp_path / "trace.zip").read_bytes() == trace
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert run["playwright_trace"] == "trace.zip"
    assert run["steps"][1]["highlights"] == [
        {
            "selector": "article.product_pod",
            "count": 24,
            "boxes": [[0.1, 0.25, 0.2, 0.5], [0.35, 0.25, 0.2, 0.75]],
        },
        {"selector": "h3 a", "count": 0, "boxes": []},
    ]
    assert run["steps"][0]["highlights"] == []
    records = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert records[7]["highlights"] == run["steps"][1]["highlights"]
    assert records[-2] == {"event": "TraceRecorded", "data": "trace.zip", "at": AT.isoformat()}
    # a later run without a Playwright trace leaves no stale one behind
    await traced(tmp_path, run_events())
    assert not (tmp_path / "trace.zip").exists()
    assert json.loads((tmp_path / "run.json").read_text())["playwright_trace"] is None


async def test_a_traced_bot_run_writes_highlights_and_trace_zip(
    tmp_path: Path, site: DemoSite
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/static-list"),
        node(
            "items", "extract", item_selector=".card", fields=[{"name": "card", "selector": "h2"}]
        ),
        trace="full",
    )
    document["variables"] = {"site": site.base_url}
    sink = TraceSink(tmp_path)
    finished = await run_workflow(load_workflow(document), sink, network=SITE_NETWORK)
    assert finished.status == "succeeded", finished.error
    run_json = json.loads(sink.run_path.read_text(encoding="utf-8"))
    assert run_json["playwright_trace"] == "trace.zip"
    with zipfile.ZipFile(tmp_path / "trace.zip") as archive:
        assert "trace.trace" in archive.namelist()
    [highlight] = run_json["steps"][1]["highlights"]
    assert (highlight["selector"], highlight["count"]) == (".card", 12)
    assert highlight["boxes"]
    assert all(len(box) == 4 and 0 <= min(box) <= max(box) <= 1 for box in highlight["boxes"])
    assert sink.replay_path.is_file()


async def test_replay_escapes_hostile_text_and_embeds_screenshots(tmp_path: Path) -> None:
    sink = await traced(tmp_path, run_events())
    page = sink.replay_path.read_text(encoding="utf-8")
    assert EVIL not in page
    assert "alert(1)" in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    assert "\u2028" not in page
    assert "retrying\\u2028now" in page
    assert page.count("</script>") == 2  # the data element and the viewer's own script
    assert "data:image/png;base64," + base64.b64encode(SHOT_1).decode() in page
    assert "data:image/png;base64," + base64.b64encode(SHOT_3).decode() in page
    assert "default-src 'none'; img-src data:; style-src 'unsafe-inline'" in page


def test_script_json_round_trips() -> None:
    value = {"a": "<&>\u2028\u2029</script>", "b": [1, None, True]}
    encoded = script_json(value)
    assert not set("<>&\u2028\u2029") & set(encoded)
    assert json.loads(encoded) == value


def test_render_replay_without_screenshots() -> None:
    run = {"name": "x", "steps": [{"step": 1, "screenshot": "screenshots/step-0001.png"}]}
    page = render_replay(run, embed=lambda path: None)
    assert "base64," not in page
    assert '"screenshots": {}' in page


async def selected(page: Any) -> int:
    buttons = page.locator(".step")
    for index in range(await buttons.count()):
        if await buttons.nth(index).get_attribute("aria-current") == "true":
            return index
    return -1


async def test_replay_in_chromium(tmp_path: Path, browser: Browser) -> None:
    sink = await traced(tmp_path, run_events())
    page = await browser.new_page(accept_downloads=True)
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.goto(sink.replay_path.as_uri())
        assert await page.title() == "books · trawler replay"
        assert await page.locator(".step").count() == 3
        assert await selected(page) == 0
        assert await page.locator("#step-title").text_content() == "Step 1 · open"
        assert await page.locator("#step-shot img").is_visible()
        await page.keyboard.press("ArrowDown")
        assert await selected(page) == 1
        assert await page.locator("#step-title").text_content() == "Step 2 · items"
        assert await page.locator("#step-shot img").count() == 0
        await page.keyboard.press("j")
        assert await selected(page) == 2
        assert await page.locator("#step-error").text_content() == (
            "Timeout 30000ms exceeded waiting for li.next a"
        )
        facts = await page.locator("#step-facts > *").all_text_contents()
        assert facts[facts.index("Note") + 1] == NOTE
        await page.keyboard.press("ArrowDown")  # stays on the last step
        assert await selected(page) == 2
        await page.keyboard.press("k")
        assert await selected(page) == 1
        cells = await page.locator("#rows-table tbody td").all_text_contents()
        assert EVIL in cells
        async with page.expect_download() as info:
            await page.click("#download-csv")
        download = await info.value
        csv_text = Path(await download.path()).read_text(encoding="utf-8")
        assert csv_text == f"title,price,tags\nA Light,51.77,\n{EVIL},,a; b\n"
        assert dialogs == []
        assert errors == []
    finally:
        await page.close()


async def test_snapshot_scripts_do_not_run(tmp_path: Path, browser: Browser) -> None:
    await traced(tmp_path, run_events())
    page = await browser.new_page()
    try:
        await page.route("https://books.test/**", lambda route: route.abort())
        await page.goto((tmp_path / "html/step-0001.html").as_uri())
        assert await page.locator("h1").text_content() == "Books"
        assert await page.title() == "page"
    finally:
        await page.close()


async def test_a_snapshot_opened_from_disk_fetches_nothing_and_stays(
    tmp_path: Path, browser: Browser, lab: Lab
) -> None:
    """No meta refresh, no remote image, style sheet or font: opening it tells no one."""
    hostile = (
        f"<!DOCTYPE html><html><head><meta http-equiv=Refresh content='0; url={lab.base}/hit/go'>"
        f'<META HTTP-EQUIV="refresh" CONTENT="1">'
        f"<link rel=stylesheet href='{lab.base}/hit/css'><title>page</title>"
        f"<style>@font-face {{ font-family: f; src: url({lab.base}/hit/font) }}"
        f" body {{ font-family: f; background: url({lab.base}/hit/bg) }}</style></head>"
        f"<body><h1>Books</h1><img src='{lab.base}/hit/img'><img src='/hit/relative'>"
        f"<video src='{lab.base}/hit/video' autoplay></video></body></html>"
    )
    events = [
        dataclasses.replace(event, html=hostile) if isinstance(event, StepFinished) else event
        for event in run_events()
    ]
    await traced(tmp_path, events)
    page = await browser.new_page()
    try:
        snapshot = (tmp_path / "html/step-0001.html").as_uri()
        await page.goto(snapshot)
        await page.wait_for_timeout(2500)  # both refreshes were due by now
        assert page.url == snapshot
        assert await page.locator("h1").text_content() == "Books"
    finally:
        await page.close()
    assert not lab.hits
