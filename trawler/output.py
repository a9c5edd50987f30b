"""Row files: the sink `trawler run --output FILE` plugs in, chosen by the file's extension.

`.jsonl` / `.ndjson` stream one object per line as rows arrive; `.csv` and `.json` need every
row first (the CSV header is the union of all keys), so they buffer and write on `close()`.
CSV cells are made by `engine.rows.Cells`: lists joined, formulas neutralised.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from rich.table import Table
from rich.text import Text

from engine import Event, RowEmitted, RunFinished
from engine.rows import Cells, dumps, union_keys

SUPPORTED_EXTENSIONS = (".csv", ".json", ".jsonl", ".ndjson")
PREVIEW_ROWS = 10
# A preview cell is one glance, not the value: long text would push the other columns away.
PREVIEW_CELL_CHARS = 60
_SHOWN = Cells(keep_formulas=True)  # the preview shows values, it is no file to open


def write_csv(
    path: Path, rows: Callable[[], Iterable[Mapping[str, Any]]], cells: Cells | None = None
) -> None:
    """Write rows as CSV to `path` (whole or not at all), the header the union of their keys.

    `rows()` is called twice, for the header and for the rows, so rows read back from a file
    never all sit in memory.
    """
    cells = cells or Cells()
    columns = union_keys(rows())
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        if columns:
            writer = csv.writer(out, lineterminator="\n")
            # with "\n" as the line end the writer leaves a lone "\r" unquoted, which readers
            # take for a line break: such a row is written with every field quoted
            quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
            for values in _lines(columns, rows(), cells):
                (quoted if any("\r" in v for v in values) else writer).writerow(values)
    os.replace(partial, path)


def _lines(
    columns: list[str], rows: Iterable[Mapping[str, Any]], cells: Cells
) -> Iterator[list[str]]:
    yield [cells.text(column) for column in columns]
    for row in rows:
        yield [cells.text(row.get(column)) for column in columns]


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

    def __init__(self, path: Path, cells: Cells | None = None) -> None:
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_EXTENSIONS:
            supported = ", ".join(SUPPORTED_EXTENSIONS)
            msg = f"cannot write rows to {path}: unknown extension, use one of {supported}"
            raise ValueError(msg)
        self.path = path
        self.cells = cells or Cells()
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
            write_csv(self.path, lambda: self._buffer, self.cells)
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
    text = _SHOWN.plain(value).replace("\n", " ")
    if len(text) > PREVIEW_CELL_CHARS:
        text = text[: PREVIEW_CELL_CHARS - 1] + "…"
    return Text(text)
