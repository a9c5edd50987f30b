"""`make demo`: the demo shop on loopback, every example bot run against it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from rich.rule import Rule

from engine import WorkflowInvalid
from trawler.demo_site import DemoSite
from trawler.runbot import load_bot, run_bot
from trawler.settings import Settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_demo(output: Path, examples: Path = EXAMPLES) -> int:
    """Run every example; 0 when all succeeded. Rows and replays are written under `output`."""
    console = Console()
    bots = sorted(examples.glob("*.json"))
    if not bots:
        console.print(f"[red]no example bots in {examples}[/]")
        return 1
    failures = 0
    with DemoSite() as site:
        console.print(f"demo shop running on {site.base_url}")
        # the shop is on loopback, which bots may not reach by default: allow its address only
        settings = Settings(allowed_networks=[urlsplit(site.base_url).hostname or ""])
        variables = {"site": site.base_url}
        for path in bots:
            console.print(Rule(path.name))
            try:
                workflow = load_bot(path, variables=variables, trace=True)
            except WorkflowInvalid as exc:
                console.print(f"[red]{exc}[/]", markup=False)
                failures += 1
                continue
            console.print(f"[bold]{workflow.name}[/]")
            finished = asyncio.run(
                run_bot(
                    workflow,
                    settings=settings,
                    console=console,
                    out=output / f"{path.stem}.csv",
                    trace_dir=output / f"{path.stem}-replay",
                    variables=variables,
                    rows_to_stdout=False,
                )
            )
            failures += finished.status != "succeeded"
    console.print(Rule())
    console.print(
        f"{len(bots) - failures} of {len(bots)} example bots succeeded; output in {output}/"
    )
    return 1 if failures else 0
