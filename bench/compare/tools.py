"""Each tool scraping the comparison catalog the way its users would write it: walk the 50 list
pages by their "next" link, open every product, extract name, price and SKU. One tool per
process, so its memory (Chromium included) is its own:

    python -m bench.compare.tools TOOL BASE_URL CONCURRENCY

prints one JSON line on standard output: `{"rows": [...], "seconds": crawl time}`. Browser
tools read the JavaScript variant, HTTP tools the static one; every browser tool uses the same
Chromium (`find_chromium`) with the same flags.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench import LOOPBACK

Rows = list[dict[str, str]]
FIELDS = ("name", "price", "sku")


def _chromium() -> str:
    from browser_pool import find_chromium

    return str(find_chromium(headless=True))


def _args() -> list[str]:
    from browser_pool import LAUNCH_ARGS

    return list(LAUNCH_ARGS)


# -- trawler ------------------------------------------------------------------------------


def trawler_bot(base: str, renderer: str, concurrency: int) -> dict[str, Any]:
    variant = "js" if renderer == "browser" else "html"
    fields = [{"name": name, "selector": f".{name}"} for name in FIELDS]
    return {
        "name": "compare catalog",
        "settings": {"renderer": renderer, "concurrency": concurrency, "max_pages": 2000},
        "nodes": [
            {"id": "open", "type": "navigate", "data": {"url": f"{base}/{variant}/list/1"}},
            {
                "id": "pages",
                "type": "paginate",
                "data": {"next_selector": "a.next", "max_pages": 100},
            },
            {
                "id": "each",
                "type": "for_each",
                "data": {"selector": "li.product", "link": "a.title", "fields": []},
            },
            {"id": "detail", "type": "extract", "data": {"mode": "single", "fields": fields}},
        ],
        "edges": [
            {"source": "open", "target": "pages"},
            {"source": "pages", "target": "each", "sourceHandle": "body"},
            {"source": "each", "target": "detail", "sourceHandle": "body"},
        ],
    }


async def trawler(base: str, concurrency: int, renderer: str) -> Rows:
    from browser_pool import BrowserPool
    from engine import ListSink, load_workflow, run

    sink = ListSink()
    workflow = load_workflow(trawler_bot(base, renderer, concurrency))
    async with BrowserPool(max_pages=concurrency + 1) as pool:
        finished = await run(workflow, sink, pool=pool, network=LOOPBACK)
    if finished.status != "succeeded":
        raise RuntimeError(finished.error)
    return [{name: str(row[name]) for name in FIELDS} for row in sink.rows]


# -- bare loops ---------------------------------------------------------------------------


async def _crawl(
    base: str, variant: str, concurrency: int, fetch: Callable[[str], Awaitable[str]]
) -> Rows:
    """List pages in order (each names the next), their products `concurrency` at a time."""
    from selectolax.lexbor import LexborHTMLParser

    rows: Rows = []
    gate = asyncio.Semaphore(concurrency)

    async def detail(url: str) -> None:
        async with gate:
            tree = LexborHTMLParser(await fetch(url))
        found = {name: tree.css_first(f".{name}") for name in FIELDS}
        rows.append({name: node.text() if node else "" for name, node in found.items()})

    tasks: list[asyncio.Task[None]] = []
    url: str | None = f"{base}/{variant}/list/1"
    while url is not None:
        async with gate:
            tree = LexborHTMLParser(await fetch(url))
        links = [a.attributes["href"] for a in tree.css("li.product a.title")]
        tasks += [asyncio.create_task(detail(base + str(href))) for href in links]
        following = tree.css_first("a.next")
        url = base + str(following.attributes["href"]) if following else None
    await asyncio.gather(*tasks)
    return rows


async def playwright(base: str, concurrency: int) -> Rows:
    """Bare Playwright: a page per concurrent slot, reused; the rendered DOM read once."""
    from playwright.async_api import Page, async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=_chromium(), args=_args())
        context = await browser.new_context()
        free: asyncio.Queue[Page] = asyncio.Queue()
        for _ in range(concurrency + 1):
            free.put_nowait(await context.new_page())

        async def fetch(url: str) -> str:
            page = await free.get()
            try:
                await page.goto(url)
                return await page.content()
            finally:
                free.put_nowait(page)

        rows = await _crawl(base, "js", concurrency, fetch)
        await browser.close()
    return rows


async def httpx_(base: str, concurrency: int) -> Rows:
    import httpx

    limits = httpx.Limits(max_connections=concurrency + 1)
    async with httpx.AsyncClient(limits=limits) as client:

        async def fetch(url: str) -> str:
            return (await client.get(url)).text

        return await _crawl(base, "html", concurrency, fetch)


# -- Crawlee ------------------------------------------------------------------------------


async def crawlee(base: str, concurrency: int, kind: str) -> Rows:
    from crawlee import ConcurrencySettings
    from crawlee.storage_clients import MemoryStorageClient

    rows: Rows = []
    settings = ConcurrencySettings(
        min_concurrency=concurrency, desired_concurrency=concurrency, max_concurrency=concurrency
    )
    common: dict[str, Any] = {
        "concurrency_settings": settings,
        "max_request_retries": 1,
        "storage_client": MemoryStorageClient(),
        "configure_logging": False,
    }
    if kind == "playwright":
        from crawlee.crawlers import PlaywrightCrawler, PlaywrightCrawlingContext

        crawler: Any = PlaywrightCrawler(
            headless=True,
            browser_launch_options={"executable_path": _chromium(), "args": _args()},
            **common,
        )

        async def browser_detail(context: PlaywrightCrawlingContext) -> None:
            page = context.page
            rows.append({name: await page.inner_text(f".{name}") for name in FIELDS})

        crawler.router.handler("DETAIL")(browser_detail)

        start = f"{base}/js/list/1"
    else:
        from crawlee.crawlers import ParselCrawler, ParselCrawlingContext

        crawler = ParselCrawler(**common)

        async def parsel_detail(context: ParselCrawlingContext) -> None:
            found = context.selector
            rows.append({name: found.css(f".{name}::text").get() or "" for name in FIELDS})

        crawler.router.handler("DETAIL")(parsel_detail)

        start = f"{base}/html/list/1"

    async def listing(context: Any) -> None:
        await context.enqueue_links(selector="li.product a.title", label="DETAIL")
        await context.enqueue_links(selector="a.next")

    crawler.router.default_handler(listing)

    await crawler.run([start])
    return rows


# -- Scrapy -------------------------------------------------------------------------------


def scrapy(base: str, concurrency: int, browser: bool) -> Rows:
    """Scrapy (static pages), or scrapy-playwright (the JavaScript variant)."""
    import scrapy as scrapy_module
    from scrapy.crawler import CrawlerProcess

    rows: Rows = []
    meta = {"playwright": True} if browser else {}

    class Catalog(scrapy_module.Spider):
        name = "catalog"

        async def start(self) -> Any:
            variant = "js" if browser else "html"
            yield scrapy_module.Request(f"{base}/{variant}/list/1", meta=meta)

        def parse(self, response: Any) -> Any:
            for href in response.css("li.product a.title::attr(href)").getall():
                yield response.follow(href, self.parse_product, meta=meta)
            following = response.css("a.next::attr(href)").get()
            if following:
                yield response.follow(following, self.parse, meta=meta)

        def parse_product(self, response: Any) -> None:
            rows.append({name: response.css(f".{name}::text").get() for name in FIELDS})

    settings: dict[str, Any] = {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "LOG_LEVEL": "ERROR",
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
    }
    if browser:
        settings |= {
            "DOWNLOAD_HANDLERS": {
                "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
                "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            },
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": _chromium(), "args": _args()},
            "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": concurrency,
        }
    process = CrawlerProcess(settings)
    process.crawl(Catalog)
    process.start()
    return rows


TOOLS: dict[str, Callable[[str, int], Rows]] = {
    "trawler-browser": lambda b, c: asyncio.run(trawler(b, c, "browser")),
    "trawler-http": lambda b, c: asyncio.run(trawler(b, c, "http")),
    "playwright": lambda b, c: asyncio.run(playwright(b, c)),
    "httpx": lambda b, c: asyncio.run(httpx_(b, c)),
    "crawlee-playwright": lambda b, c: asyncio.run(crawlee(b, c, "playwright")),
    "crawlee-parsel": lambda b, c: asyncio.run(crawlee(b, c, "parsel")),
    "scrapy-playwright": lambda b, c: scrapy(b, c, browser=True),
    "scrapy": lambda b, c: scrapy(b, c, browser=False),
}


def main() -> None:
    tool, base, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    started = time.perf_counter()  # after the imports: start-up is not the crawl
    rows = TOOLS[tool](base, concurrency)
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
