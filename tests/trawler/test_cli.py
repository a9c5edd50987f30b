"""The `trawler` command as a user runs it: a real process, real Chromium, the fixture site."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.engine.conftest import bot, node
from tests.site.llm import ModelServer
from trawler.demo_site import DemoSite
from trawler.demo_site.catalog import ORDERS, PAGE_COUNT, PRODUCTS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAME = [{"name": "name", "selector": "a.title"}]


def trawler(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trawler", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_bot(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "bot.json"
    path.write_text(json.dumps(document))
    return path


def test_run_writes_csv_and_a_replay(site: DemoSite, tmp_path: Path) -> None:
    out, trace = tmp_path / "rows.csv", tmp_path / "replay"
    result = trawler(
        "run", EXAMPLES / "shop-catalog.json", "--var", f"site={site.base_url}",
        "--out", out, "--trace", trace,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == [p.name for p in PRODUCTS]
    assert list(rows[0]) == ["name", "price", "category", "rating", "in_stock", "url"]
    assert rows[0]["url"] == f"{site.base_url}/product/{PRODUCTS[0].id}"
    assert float(rows[0]["price"]) == float(PRODUCTS[0].price)
    run = json.loads((trace / "run.json").read_text())
    assert run["status"] == "succeeded"
    assert run["totals"]["rows"] == len(PRODUCTS)
    assert all(step["screenshot"] for step in run["steps"])  # --trace asks for screenshots
    assert (trace / run["steps"][0]["screenshot"]).read_bytes().startswith(b"\x89PNG")
    assert (trace / "replay.html").exists()
    assert "replay:" in result.stderr
    assert "succeeded" in result.stderr
    stopped = f"stopped: no next page after page {PAGE_COUNT}"  # on the step line, in run.json
    assert any(
        " ok pages (paginate)" in line and stopped in line for line in result.stderr.splitlines()
    )
    assert [step["note"] for step in run["steps"] if step["note"]] == [stopped]


def test_run_csv_neutralises_formulas_and_joins_lists(site: DemoSite, tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://evil.example","x")'
    query = urlencode({"text": formula, "times": 1, "tail": "", "items": 2})
    document = bot(
        node("open", "navigate", url=f"{site.base_url}/lab/repeat?{query}"),
        node(
            "cells",
            "extract",
            item_selector="ul.longs",
            fields=[
                {"name": "cells", "selector": "li", "many": True},
                {"name": "n", "selector": "li", "value": "attr:data-n", "transforms": ["number"]},
            ],
        ),
        renderer="http",
    )
    path = write_bot(tmp_path, document)
    out = tmp_path / "rows.csv"
    result = trawler("run", path, "--out", out)
    assert result.returncode == 0, result.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == [{"cells": f"'{formula}; {formula}", "n": "1.0"}]
    result = trawler("run", path, "--out", out, "--keep-formulas", "--list-separator", " | ")
    assert result.returncode == 0, result.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == [{"cells": f"{formula} | {formula}", "n": "1.0"}]


def test_rows_go_to_stdout_as_json_lines_without_out(site: DemoSite) -> None:
    result = trawler(
        "run", EXAMPLES / "shop-catalog.json", "--var", f"site={site.base_url}",
        "--renderer", "http",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(PRODUCTS)
    assert rows[-1]["name"] == PRODUCTS[-1].name


def test_failed_run_exits_1_and_keeps_partial_rows(site: DemoSite, tmp_path: Path) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("items", "extract", item_selector="li.product", fields=NAME),
        node("broken", "navigate", url="{{site}}/lab/error500"),
        renderer="http",
    )
    document["variables"] = {"site": site.base_url}
    out = tmp_path / "rows.jsonl"
    result = trawler("run", write_bot(tmp_path, document), "--out", out)
    assert result.returncode == 1
    assert "HTTP 500" in result.stderr
    assert "broken" in result.stderr
    assert len(out.read_text().splitlines()) == 10


def test_invalid_bot_exits_2_naming_the_node(tmp_path: Path) -> None:
    document = {"nodes": [{"id": "open", "type": "navigate", "data": {}}]}
    path = write_bot(tmp_path, document)
    for command in ("run", "validate"):
        result = trawler(command, path)
        assert result.returncode == 2
        assert "node 'open', field 'data.url': Field required" in result.stderr


@pytest.mark.parametrize("length", [1_000, 10_000])
def test_validate_refuses_an_oversized_bot(tmp_path: Path, length: int) -> None:
    first = node("n0", "navigate", url="https://example.test/")
    rest = [node(f"n{i}", "set_variable", name="x", value=i) for i in range(1, length)]
    path = write_bot(tmp_path, bot(first, *rest))
    result = trawler("validate", path)
    assert result.returncode == 2, result.stderr
    assert f"the bot has {length} nodes; at most 500 are allowed" in " ".join(result.stderr.split())


def test_validate_refuses_an_unknown_version(tmp_path: Path) -> None:
    path = write_bot(
        tmp_path, bot(node("open", "navigate", url="https://a.test/")) | {"version": 999}
    )
    result = trawler("validate", path)
    assert result.returncode == 2
    assert "field 'version': unsupported document version 999: this trawler reads version 1" in (
        " ".join(result.stderr.split())
    )


def test_malformed_json_and_missing_file_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"nodes": [}')
    result = trawler("run", broken)
    assert result.returncode == 2
    assert "malformed JSON" in result.stderr
    result = trawler("run", tmp_path / "absent.json")
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_bad_out_extension_exits_2(tmp_path: Path) -> None:
    result = trawler("run", EXAMPLES / "shop-catalog.json", "--out", tmp_path / "rows.txt")
    assert result.returncode == 2
    assert "rows.txt" in result.stderr


def test_validate_the_examples() -> None:
    for path in EXAMPLES.glob("*.json"):
        result = trawler("validate", path)
        assert result.returncode == 0, result.stderr
        assert "valid" in result.stderr


def test_schema() -> None:
    result = trawler("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert "ExtractNode" in schema["$defs"]
    result = trawler("schema", "--node", "paginate")
    assert json.loads(result.stdout)["title"] == "PaginateParams"
    assert trawler("schema", "--node", "nope").returncode == 2


def test_headed_runs_in_a_window(site: DemoSite, tmp_path: Path) -> None:
    assert shutil.which("Xvfb"), "Xvfb is missing: `make test` installs it (apt-get install xvfb)"
    read, write = os.pipe()  # Xvfb picks a free display and writes its number here
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as numbers:
            display = ":" + numbers.readline().strip()
        out = tmp_path / "orders.csv"
        result = subprocess.run(
            [sys.executable, "-m", "trawler", "run", str(EXAMPLES / "login-orders.json"),
             "--headed", "--var", f"site={site.base_url}", "--out", str(out)],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "DISPLAY": display},
        )  # fmt: skip
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        assert [r["order"] for r in csv.DictReader(handle)] == [o.id for o in ORDERS]


def test_headed_without_a_display_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = trawler("run", EXAMPLES / "shop-catalog.json", "--headed")
    assert result.returncode == 2
    assert "--headed needs a display" in result.stderr


@pytest.mark.parametrize("bad", ["novalue", "=x"])
def test_bad_var_is_a_usage_error(bad: str) -> None:
    result = trawler("run", EXAMPLES / "shop-catalog.json", "--var", bad)
    assert result.returncode == 2
    assert "NAME=VALUE" in result.stderr


def test_demo_runs_every_example(tmp_path: Path) -> None:
    result = trawler("demo", "--output", tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    examples = sorted(EXAMPLES.glob("*.json"))
    assert f"{len(examples)} of {len(examples)} example bots succeeded" in result.stdout
    for path in examples:
        assert (tmp_path / f"{path.stem}-replay" / "replay.html").exists()
    with (tmp_path / "login-orders.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 3


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_still_writes_its_rows(
    site: DemoSite, tmp_path: Path, signum: signal.Signals
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("items", "extract", item_selector="li.product", fields=NAME),
        node("linger", "wait", mode="time", ms=60_000),
    )
    document["variables"] = {"site": site.base_url}
    out = tmp_path / "rows.csv"
    command = [sys.executable, "-m", "trawler", "run", str(write_bot(tmp_path, document))]
    with subprocess.Popen([*command, "--out", str(out)], stderr=subprocess.PIPE, text=True) as run:
        assert run.stderr is not None
        for line in run.stderr:  # one plain line per finished step when not on a terminal
            if "items (extract)" in line:
                break
        run.send_signal(signum)
        assert run.wait(timeout=30) == 1
        assert "cancelled" in run.stderr.read()
    with out.open(newline="") as handle:
        assert [r["name"] for r in csv.DictReader(handle)] == [p.name for p in PRODUCTS[:10]]


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "trawler.db"
    result = trawler("migrate", "--url", f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(database)) as connection:
        tables = {r[0] for r in connection.execute("select name from sqlite_master")}
    assert {"users", "bots", "executions", "result_rows", "alembic_version"} <= tables


def test_run_a_bot_that_asks_a_model(
    site: DemoSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """examples/models/shop.json against a local server speaking Ollama's API, as the README's
    manual check does against a real one."""
    expected = [
        {"name": p.name, "price": float(p.price), "category": p.category, "in_stock": p.stock > 0}
        for p in PRODUCTS[:10]
    ]
    server = ModelServer().start()
    try:
        server.answer("Copper Kettle", {"rows": expected})
        monkeypatch.setenv("TRAWLER_LLM__OLLAMA_URL", server.url)
        out = tmp_path / "rows.json"
        trace = tmp_path / "replay"
        result = trawler(
            "run", EXAMPLES / "models" / "shop.json", "--var", f"site={site.base_url}",
            "--out", out, "--trace", trace,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert json.loads(out.read_text()) == expected
        steps = json.loads((trace / "run.json").read_text())["steps"]
        llm = next(step["llm"] for step in steps if step["node_id"] == "products")
        assert (llm["model"], llm["calls"]) == ("llama3.2", 1)
        assert "products (llm_extract)" in result.stderr
        assert "llama3.2: 1 call(s)" in result.stderr
        assert "llm tokens" in result.stderr
        [chat] = server.chats()
        assert "Each list item is one product." in chat["messages"][0]["content"]
        assert "Infinite scroll" not in chat["messages"][1]["content"]  # only ul.products
    finally:
        server.stop()


HEAVY = ("engine", "playwright", "openai", "instructor", "fastapi", "sqlalchemy", "dramatiq")
IMPORTED = """
import json, sys
from trawler.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        (["--help"], set()),
        (["run", "--help"], set()),
        (["validate", str(EXAMPLES / "shop-catalog.json")], {"engine", "playwright"}),
    ],
)
def test_a_command_imports_only_what_it_uses(args: list[str], loaded: set[str]) -> None:
    """Starting took 4-5 s when every command imported the API, the worker and the model
    clients; `--help` now imports none of them, `validate` the engine alone."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORTED, *args], capture_output=True, text=True, check=True
    )
    modules = set(json.loads(result.stderr.splitlines()[-1]))
    assert modules & set(HEAVY) == loaded


def test_run_lists_with_the_engines_separator() -> None:
    from engine.rows import LIST_SEPARATOR

    assert f"[default: {LIST_SEPARATOR}]" in trawler("run", "--help").stdout
