"""Row files: the sink `trawler run --output FILE` plugs in, chosen by the file's extension.

`.jsonl` / `.ndjson` stream one object per line as rows arrive; `.csv` and `.json` need every
row first (the CSV header is the union of all keys), so they buffer and write on `close()`.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from rich.table import Table
from rich.text import Text

from engine import Event, RowEmitted, RunFinished
from engine.rows import csv_cell, dumps, union_keys

SUPPORTED_EXTENSIONS = (".csv", ".json", ".jsonl", ".ndjson")
PREVIEW_ROWS = 10
# A preview cell is one glance, not the value: long text would push the other columns away.
PREVIEW_CELL_CHARS = 60


def rows_to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Render rows as CSV text with a header made of the union of their keys."""
    columns = union_keys(rows)
    if not columns:
        return ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8", newline="")
    os.replace(partial, path)


class RowFileSink:
    """Writes the rows of a run to `path`, in the format its extension names.

    `close()` writes what was collected even when the run failed; the file is also complete as
    soon as `RunFinished` arrives.
    """

    def __init__(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_EXTENSIONS:
            supported = ", ".join(SUPPORTED_EXTENSIONS)
            msg = f"cannot write rows to {path}: unknown extension, use one of {supported}"
            raise ValueError(msg)
        self.path = path
        self.format = suffix.lstrip(".")
        self.count = 0
        self.head: list[dict[str, Any]] = []
        """The first `PREVIEW_ROWS` rows, for a preview at the end of the run."""
        self._streaming = suffix in (".jsonl", ".ndjson")
        self._buffer: list[dict[str, Any]] = []
        self._stream: IO[str] | None = None
        self._closed = False

    async def emit(self, event: Event) -> None:
        if isinstance(event, RowEmitted):
            self._add(event.data)
        elif isinstance(event, RunFinished):
            await self.close()

    async def close(self) -> None:
        """Write everything collected so far and release the file; calling it again is a no-op."""
        if self._closed:
            return
        self._closed = True
        if self._streaming:
            self._open_stream().close()
        elif self.format == "csv":
            _write_atomically(self.path, rows_to_csv(self._buffer))
        else:
            _write_atomically(self.path, dumps(self._buffer, indent=2) + "\n")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _add(self, row: dict[str, Any]) -> None:
        if self._closed:
            msg = f"row {self.count + 1} arrived after {self.path} was closed"
            raise RuntimeError(msg)
        self.count += 1
        if len(self.head) < PREVIEW_ROWS:
            self.head.append(row)
        if self._streaming:
            stream = self._open_stream()
            stream.write(dumps(row) + "\n")
            stream.flush()
        else:
            self._buffer.append(row)

    def _open_stream(self) -> IO[str]:
        if self._stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = self.path.open("w", encoding="utf-8", newline="")
        return self._stream


def rows_preview_table(rows: Sequence[Mapping[str, Any]], limit: int = PREVIEW_ROWS) -> Table:
    """Build a table of the first `limit` rows; scraped text is shown literally, never as markup."""
    shown = rows[:limit]
    title = f"first {len(shown)} of {len(rows)} rows" if len(rows) > len(shown) else None
    table = Table(title=title, show_lines=False, header_style="bold")
    columns = union_keys(shown)
    for column in columns:
        table.add_column(Text(column), overflow="ellipsis", max_width=PREVIEW_CELL_CHARS)
    for row in shown:
        cells = [_preview_cell(row.get(column)) for column in columns]
        table.add_row(*cells)
    return table


def _preview_cell(value: Any) -> Text:
    if value is None:
        return Text("—", style="dim")
    text = csv_cell(value).replace("\n", " ")
    if len(text) > PREVIEW_CELL_CHARS:
        text = text[: PREVIEW_CELL_CHARS - 1] + "…"
    return Text(text)
