"""Throughput of the demo catalog: trawler's renderers against bare Playwright and bare httpx.

Every figure is a ratio against a baseline measured in the same command, on the same machine,
against the same local demo shop: the absolute numbers depend on the machine, the ratios less so.

    python -m bench [--repeat 3] [--out bench/out/latest.json]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil
from playwright.async_api import Route, async_playwright
from selectolax.lexbor import LexborHTMLParser

from bench import LOOPBACK
from browser_pool import LAUNCH_ARGS, BrowserPool, find_chromium
from engine import ListSink, load_workflow, run
from trawler.demo_site import PAGE_SIZE, PRODUCTS, DemoSite

CONCURRENCY = 4
LIST_PAGES = -(-len(PRODUCTS) // PAGE_SIZE)
PAGES = LIST_PAGES + len(PRODUCTS)


def catalog_bot(base: str, renderer: str, executable: str | None = None) -> dict[str, Any]:
    """Every list page, and every product page opened from it: the whole catalog."""
    return {
        "name": "bench catalog",
        "settings": {"renderer": renderer, "concurrency": CONCURRENCY, "block": ["images"]},
        "nodes": [
            {"id": "open", "type": "navigate", "data": {"url": f"{base}/shop"}},
            {"id": "pages", "type": "paginate", "data": {"next_selector": "a.next"}},
            {
                "id": "each",
                "type": "for_each",
                "data": {
                    "selector": "li.product",
                    "link": "a.title",
                    "fields": [{"name": "name", "selector": "a.title"}],
                },
            },
            {
                "id": "detail",
                "type": "extract",
                "data": {
                    "mode": "single",
                    "fields": [
                        {"name": "sku", "selector": "dd.sku"},
                        {"name": "price", "selector": ".price", "transforms": ["number"]},
                    ],
                },
            },
        ],
        "edges": [
            {"source": "open", "target": "pages"},
            {"source": "pages", "target": "each", "sourceHandle": "body"},
            {"source": "each", "target": "detail", "sourceHandle": "body"},
        ],
    }


@dataclass
class Sample:
    name: str
    seconds: float
    pages: int
    python_cpu: float
    browser_cpu: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _children_cpu() -> float:
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


async def measure(name: str, work: Callable[[], Awaitable[int]]) -> Sample:
    """Wall time, our process's CPU, and the CPU of Chromium and the driver (its children)."""
    me = psutil.Process()
    cpu_before = me.cpu_times()
    start = time.perf_counter()
    browser_cpu = 0.0
    stop = asyncio.Event()

    async def watch_children() -> None:  # children exit before we can read them at the end
        nonlocal browser_cpu
        while not stop.is_set():
            browser_cpu = max(browser_cpu, _children_cpu())
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch_children())
    pages = await work()
    stop.set()
    await watcher
    seconds = time.perf_counter() - start
    cpu_after = me.cpu_times()
    python_cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    return Sample(name, seconds, pages, python_cpu, browser_cpu)


def _urls(base: str) -> list[str]:
    lists = [f"{base}/shop?page={n}" for n in range(1, LIST_PAGES + 1)]
    return lists + [f"{base}/product/{p.id}" for p in PRODUCTS]


async def bare_playwright(base: str, executable: Path, route: bool = False) -> int:
    """The floor for the browser renderer: load each page and read its HTML, nothing else.

    Images are blocked through DevTools, as the pool does, or with `route` through
    `page.route`, which sends every request through the driver (for comparison)."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=list(LAUNCH_ARGS))
        context = await browser.new_context()
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(url: str) -> None:
            async with limit:
                page = await context.new_page()
                if route:
                    await page.route("**/*", _abort_images)
                else:
                    session = await context.new_cdp_session(page)
                    await session.send("Network.enable")
                    await session.send("Network.setBlockedURLs", {"urls": ["*.svg*"]})
                await page.goto(url)
                LexborHTMLParser(await page.content()).css_first("h1")
                await page.close()

        await asyncio.gather(*(one(u) for u in _urls(base)))
        await browser.close()
    return PAGES


async def _abort_images(route: Route) -> None:
    if route.request.resource_type == "image":
        await route.abort()
    else:
        await route.continue_()


async def bare_httpx(base: str) -> int:
    """The floor for the HTTP renderer: fetch and parse each page."""
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient() as client:

        async def one(url: str) -> None:
            async with limit:
                response = await client.get(url)
                LexborHTMLParser(response.text).css_first("h1")

        await asyncio.gather(*(one(u) for u in _urls(base)))
    return PAGES


async def trawler_run(base: str, renderer: str, executable: Path | None = None) -> int:
    workflow = load_workflow(catalog_bot(base, renderer))
    sink = ListSink()
    async with BrowserPool(executable=executable) as pool:
        finished = await run(workflow, sink, pool=pool, network=LOOPBACK)
    assert finished.status == "succeeded", finished.error
    assert len(sink.rows) == len(PRODUCTS), len(sink.rows)
    return finished.pages


async def python_share(base: str) -> dict[str, float]:
    """Where the Python process spends its CPU during a browser run, by package (cProfile)."""
    profiler = cProfile.Profile()
    profiler.enable()
    await trawler_run(base, "browser")
    profiler.disable()
    totals: dict[str, float] = {}
    for (filename, _, function), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        path = filename.replace("\\", "/")
        if "poll" in function and filename == "~":
            continue  # the event loop waiting for Chromium and the site: idle, not work
        if "/playwright/" in path:
            owner = "playwright client"
        elif any(f"/{p}/" in path for p in ("engine", "browser_pool", "trawler", "proxies")):
            owner = "trawler (ours)"
        elif "/selectolax/" in path or "/parsel/" in path or "/lxml/" in path:
            owner = "parsing (selectolax, parsel)"
        elif "/asyncio/" in path or "/selectors.py" in path:
            owner = "asyncio event loop"
        else:
            owner = "driver pipe I/O, JSON, built-ins"
        totals[owner] = totals.get(owner, 0.0) + row[2]  # tottime: time in the function itself
    return totals


async def main(repeat: int) -> list[dict[str, Any]]:
    shell = find_chromium(headless=True)
    full = find_chromium(headless=False)
    if shell is None or full is None:
        raise SystemExit("no Chromium: run `make test` or `make demo` first")
    cases: dict[str, Callable[[str], Awaitable[int]]] = {
        "playwright (bare)": lambda b: bare_playwright(b, shell),
        "playwright, page.route blocking": lambda b: bare_playwright(b, shell, route=True),
        "trawler browser": lambda b: trawler_run(b, "browser"),
        "trawler browser, full chromium": lambda b: trawler_run(b, "browser", full),
        "httpx (bare)": bare_httpx,
        "trawler http": lambda b: trawler_run(b, "http"),
        "trawler auto": lambda b: trawler_run(b, "auto"),
    }
    samples: dict[str, list[Sample]] = {name: [] for name in cases}
    with DemoSite() as site:
        for _ in range(repeat):
            for name, case in cases.items():
                samples[name].append(await measure(name, partial(case, site.base_url)))
        share = await python_share(site.base_url)
    best = {name: min(runs, key=lambda s: s.seconds) for name, runs in samples.items()}
    baselines = {"trawler": "playwright (bare)", "http": "httpx (bare)"}
    print(
        f"{PAGES} pages per run (5 list + 45 product pages), concurrency {CONCURRENCY}, "
        f"best of {repeat}; time ratio against the baseline in the same run\n"
    )
    header = ("case", "pages/s", "wall s", "ratio", "py cpu s", "chromium cpu s", "python %")
    print(f"{header[0]:34} " + " ".join(f"{h:>9}" for h in header[1:]))
    rows = []
    for name, sample in best.items():
        base = baselines["http"] if ("http" in name or "auto" in name) else baselines["trawler"]
        ratio = sample.seconds / best[base].seconds
        total_cpu = sample.python_cpu + sample.browser_cpu
        ours = 100 * sample.python_cpu / total_cpu if total_cpu else 0.0
        median = statistics.median(s.seconds for s in samples[name])
        figures = (sample.pages_per_second, sample.seconds, ratio, sample.python_cpu)
        print(
            f"{name:34} "
            + " ".join(f"{f:9.2f}" for f in figures)
            + f" {sample.browser_cpu:9.2f} {ours:8.0f}%"
        )
        rows.append(
            {
                **asdict(sample),
                "pages_per_second": sample.pages_per_second,
                "ratio_to_baseline": ratio,
                "baseline": base,
                "median_seconds": median,
            }
        )
    total = sum(share.values())
    print("\nPython CPU of one trawler browser run, by package (cProfile, own time):")
    for owner, seconds in sorted(share.items(), key=lambda kv: -kv[1]):
        print(f"  {owner:30} {seconds:6.2f} s  {100 * seconds / total:5.1f}%")
    return rows


def write(rows: list[dict[str, Any]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/out/latest.json"))
    args = parser.parse_args()
    write(asyncio.run(main(args.repeat)), args.out)
    print(f"\nwritten to {args.out}")
