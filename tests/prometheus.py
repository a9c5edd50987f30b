"""Reading a Prometheus exposition (an API's /metrics, a worker's) in tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


@dataclass(frozen=True)
class Scraped:
    """One scrape: its text and its samples."""

    text: str
    samples: list[Sample]

    @classmethod
    def parse(cls, text: str) -> Scraped:
        samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
        return cls(text, samples)

    def value(self, name: str, **labels: str) -> float | None:
        """The sum of the samples called `name` whose labels include `labels`; None if none."""
        found = [
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]
        return sum(found) if found else None

    def labels(self, name: str) -> set[str]:
        """The label names the samples called `name` carry."""
        return {label for s in self.samples if s.name == name for label in s.labels}

    def names(self) -> set[str]:
        """Every name a query may use: each sample's, and each family's from its TYPE line
        with the series names its type makes (a family without samples yet included)."""
        found = {s.name for s in self.samples}
        for line in self.text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split()
                found.add(name)
                suffixes = {
                    "counter": ("_total",),
                    "histogram": ("_bucket", "_count", "_sum"),
                    "summary": ("_count", "_sum"),
                }.get(kind, ())
                found.update(name.removesuffix("_total") + suffix for suffix in suffixes)
        return found


def scrape(url: str) -> Scraped:
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return Scraped.parse(answer.text)


async def scrape_until(
    url: str, check: Callable[[Scraped], bool], *, within: float = 60, every: float = 0.2
) -> Scraped:
    """Scrape `url` until `check` holds for the answer; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            scraped = await asyncio.to_thread(scrape, url)
            if check(scraped):
                return scraped
        except httpx.TransportError:
            scraped = None  # not listening yet
        if time.monotonic() > deadline:
            text = scraped.text if scraped else "(nothing answered)"
            raise AssertionError(f"{url} never showed what was expected:\n{text[-4000:]}")
        await asyncio.sleep(every)
