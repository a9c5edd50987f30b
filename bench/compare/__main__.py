"""trawler beside the tools its users would otherwise pick, on one catalog of 1,050 pages.

    python -m bench.compare [--repeat 3] [--concurrency 4] [--only TOOL ...]

Each tool runs in a process of its own against the comparison site (its own process too,
serving pre-rendered pages); the bench samples the tool's process tree (Chromium included)
every 0.1 s for peak memory and CPU, checks that exactly the 1,000 expected rows came out, and
prints pages per second of the crawl itself (the tool times it, after its imports; median of
the repeats), peak memory, and trawler's pages/s over each tool's, per kind of renderer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from bench.compare.site import PAGES, PRODUCTS, product

BROWSER_TOOLS = ("trawler-browser", "playwright", "crawlee-playwright", "scrapy-playwright")
HTTP_TOOLS = ("trawler-http", "httpx", "crawlee-parsel", "scrapy")


@dataclass
class Result:
    tool: str
    kind: str
    pages_per_s: float
    seconds: float
    peak_mb: float
    cpu_s: float


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rss_mb(processes: list[psutil.Process]) -> float:
    total = 0
    for p in processes:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


class Sampler(threading.Thread):
    """The peak RSS of a process and its children, and their CPU time, while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = 0.0
        self.cpu: dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            tree = _tree(self.root)
            self.peak = max(self.peak, _rss_mb(tree))
            for p in tree:
                try:
                    times = p.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                self.cpu[p.pid] = times.user + times.system
            self.done.wait(0.1)


def run_tool(tool: str, base: str, concurrency: int) -> Result:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.compare.tools", tool, base, str(concurrency)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = Sampler(process.pid)
    sampler.start()
    out, err = process.communicate(timeout=1800)
    sampler.done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{tool} failed ({process.returncode}):\n{err[-3000:]}")
    answer = json.loads(out.strip().splitlines()[-1])
    rows, seconds = answer["rows"], answer["seconds"]
    got = sorted((row["sku"], row["name"], row["price"]) for row in rows)
    want = sorted((p["sku"], p["name"], p["price"]) for p in map(product, range(PRODUCTS)))
    if got != want:
        missing = len(set(want) - set(got))
        raise RuntimeError(f"{tool}: {len(rows)} rows, {missing} of the expected ones missing")
    kind = "browser" if tool in BROWSER_TOOLS else "http"
    return Result(tool, kind, PAGES / seconds, seconds, sampler.peak, sum(sampler.cpu.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--out", type=Path, default=Path("bench/out/compare.json"))
    args = parser.parse_args()
    tools = [t for t in (*BROWSER_TOOLS, *HTTP_TOOLS) if not args.only or t in args.only]
    site = subprocess.Popen(
        [sys.executable, "-m", "bench.compare.site", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert site.stdout is not None
        base = site.stdout.readline().strip()
        samples: dict[str, list[Result]] = {tool: [] for tool in tools}
        for _ in range(args.repeat):
            for tool in tools:
                result = run_tool(tool, base, args.concurrency)
                samples[tool].append(result)
                print(f"  {tool:20} {result.pages_per_s:8.1f} pages/s", file=sys.stderr)
    finally:
        site.terminate()
        site.wait(10)
    results = [_median(runs) for runs in samples.values()]
    _print(results, args.concurrency, args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(r) for r in results], indent=2))


def _median(runs: list[Result]) -> Result:
    middle = sorted(runs, key=lambda r: r.pages_per_s)[len(runs) // 2]
    return Result(
        middle.tool,
        middle.kind,
        statistics.median(r.pages_per_s for r in runs),
        statistics.median(r.seconds for r in runs),
        max(r.peak_mb for r in runs),
        middle.cpu_s,
    )


def _print(results: list[Result], concurrency: int, repeat: int) -> None:
    print(
        f"{PAGES} pages ({PAGES - PRODUCTS} list + {PRODUCTS} product pages), concurrency "
        f"{concurrency}, median of {repeat}; ratio: trawler's pages/s over the tool's"
    )
    print(f"{'tool':22}{'pages/s':>9}{'wall s':>9}{'peak MB':>9}{'cpu s':>8}{'trawler x':>11}")
    ours = {r.kind: r for r in results if r.tool.startswith("trawler-")}
    for r in results:
        mine = ours.get(r.kind)
        ratio = f"{mine.pages_per_s / r.pages_per_s:10.2f}" if mine else f"{'-':>10}"
        print(
            f"{r.tool:22}{r.pages_per_s:9.1f}{r.seconds:9.1f}{r.peak_mb:9.0f}{r.cpu_s:8.1f} {ratio}"
        )


if __name__ == "__main__":
    main()
