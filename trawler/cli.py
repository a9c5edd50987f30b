"""`trawler …`: run, validate and inspect bots on one machine."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

# Commands import what they use when they run: the engine, the API and the worker take
# seconds to import, and `--help` or `validate` need none or one of them.
if TYPE_CHECKING:
    from engine import WorkflowInvalid
    from trawler.settings import Settings

app = typer.Typer(
    help="trawler: build a bot once, run it on real Chromium, get clean rows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _variables(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--var")
        out[name.strip()] = value
    return out


def _report_invalid(console: Console, path: Path, exc: WorkflowInvalid) -> None:
    console.print(f"[bold red]invalid bot[/] {path}:", highlight=False)
    for issue in exc.issues:
        console.print(f"  - {issue}", markup=False, highlight=False)


@app.command("run")
def run_command(
    bot: Annotated[Path, typer.Argument(help="The bot's JSON file.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write rows to .csv, .jsonl or .json.")
    ] = None,
    trace: Annotated[
        Path | None, typer.Option(help="Write a replay folder (steps, screenshots, replay.html).")
    ] = None,
    var: Annotated[list[str], typer.Option("--var", help="Set a variable: NAME=VALUE.")] = [],  # noqa: B006
    renderer: Annotated[
        str | None, typer.Option(help="Override the bot's renderer: browser, http or auto.")
    ] = None,
    headed: Annotated[bool, typer.Option(help="Show the browser window.")] = False,
    keep_formulas: Annotated[
        bool,
        typer.Option(
            help="CSV: write text starting with = + - @ (a formula to a spreadsheet) as "
            "scraped, without the single quote put before it."
        ),
    ] = False,
    list_separator: Annotated[
        str,
        typer.Option(help="CSV: what joins the items of a list in one cell (engine.rows)."),
    ] = "; ",
) -> None:
    """Run a bot: live progress, a summary, rows to a file (or JSON lines on stdout)."""
    from engine import WorkflowInvalid
    from engine.rows import Cells
    from trawler.runbot import load_bot, run_bot
    from trawler.settings import Settings

    console = Console(stderr=True)
    variables = _variables(var)
    if headed and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        console.print("[red]--headed needs a display[/]: DISPLAY is not set (try xvfb-run)")
        raise typer.Exit(EXIT_INVALID)
    if out is not None and out.suffix.lower() not in (".csv", ".jsonl", ".ndjson", ".json"):
        console.print(f"[red]cannot write rows to {out}[/]: use .csv, .jsonl or .json")
        raise typer.Exit(EXIT_INVALID)
    try:
        workflow = load_bot(bot, renderer=renderer, variables=variables, trace=trace is not None)
    except WorkflowInvalid as exc:
        _report_invalid(console, bot, exc)
        raise typer.Exit(EXIT_INVALID) from None
    finished = asyncio.run(
        run_bot(
            workflow,
            settings=Settings(),
            console=console,
            out=out,
            trace_dir=trace,
            variables=variables,
            headed=headed,
            cells=Cells(keep_formulas=keep_formulas, list_separator=list_separator),
        )
    )
    if finished.status != "succeeded":
        raise typer.Exit(EXIT_FAILED)


@app.command()
def validate(bot: Annotated[Path, typer.Argument(help="The bot's JSON file.")]) -> None:
    """Check a bot without running it; every problem names its node and field."""
    from engine import WorkflowInvalid
    from trawler.runbot import load_bot

    console = Console(stderr=True)
    try:
        workflow = load_bot(bot)
    except WorkflowInvalid as exc:
        _report_invalid(console, bot, exc)
        raise typer.Exit(EXIT_INVALID) from None
    console.print(
        f"[green]valid[/]: {workflow.name!r}, {len(workflow.nodes)} nodes, "
        f"{len(workflow.edges)} edges, renderer {workflow.settings.renderer}"
    )


@app.command()
def schema(
    node: Annotated[
        str | None, typer.Option(help="Only this node kind's parameters, e.g. extract.")
    ] = None,
) -> None:
    """Print the JSON Schema of a bot document (one sub-schema per node kind)."""
    from engine import KINDS, json_schema

    if node is None:
        document = json_schema()
    elif node in KINDS:
        document = KINDS[node].params.model_json_schema()
    else:
        Console(stderr=True).print(f"unknown node kind {node!r}; known: {', '.join(KINDS)}")
        raise typer.Exit(EXIT_INVALID)
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    url: Annotated[
        str | None, typer.Option(help="Database URL; default TRAWLER_DATABASE_URL.")
    ] = None,
) -> None:
    """Upgrade the database schema (PostgreSQL or the embedded SQLite file)."""
    from store import upgrade
    from trawler.settings import Settings

    target = url or Settings().database_url
    upgrade(target, revision)
    Console(stderr=True).print(f"database migrated to {revision}")


users = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(users, name="user")


@users.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The account's email.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="TRAWLER_NEW_USER_PASSWORD",
            help="Asked for when not given (or set TRAWLER_NEW_USER_PASSWORD).",
        ),
    ],
    plan: Annotated[str, typer.Option(help="free, starter, pro or enterprise.")] = "free",
) -> None:
    """Create an account (for a first admin, or where registration is closed); the email and
    password must be ones registering would accept."""
    from api import check_password, normalize_email
    from trawler.services import create_user
    from trawler.settings import Settings

    settings = Settings()
    if plan not in settings.api.plans:
        known = ", ".join(settings.api.plans)
        raise typer.BadParameter(f"unknown plan {plan!r} (one of {known})", param_hint="--plan")
    try:
        email = normalize_email(email)
    except ValueError as exc:
        raise typer.BadParameter(f"{email!r}: {exc}", param_hint="--email") from None
    try:
        check_password(password)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--password") from None
    try:
        user_id = asyncio.run(create_user(settings, email, password, plan))
    except ValueError as exc:
        Console(stderr=True).print(f"[bold red]{exc}[/]")
        raise typer.Exit(EXIT_FAILED) from None
    Console(stderr=True).print(f"created {email} ({plan}): {user_id}")


def _service_settings() -> Settings:
    """The settings of a long-running service, its logging set up from them."""
    from trawler.logs import configure_logging
    from trawler.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


@app.command()
def worker() -> None:
    """Run executions from the Redis queues until SIGTERM (see TRAWLER_WORKER__*)."""
    from trawler.services import worker_config
    from worker import run_worker

    run_worker(worker_config(_service_settings()))


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
) -> None:
    """Serve the REST API (/api/v1, docs at /docs) until SIGTERM."""
    import uvicorn

    from api import create_app
    from trawler.services import api_config

    settings = _service_settings()
    uvicorn.run(
        create_app(api_config(settings)),
        host=host,
        port=port,
        proxy_headers=True,
        log_config=None,  # uvicorn's records go through ours (JSON lines)
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
) -> None:
    """The API, a worker and the scheduler in one process: SQLite and an in-process queue
    unless TRAWLER_DATABASE_URL / TRAWLER_REDIS_URL say otherwise."""
    from trawler.serve import serve as run_all

    run_all(_service_settings(), host=host, port=port)


@app.command()
def scheduler() -> None:
    """Fire cron schedules and reap stalled executions until SIGTERM (see TRAWLER_SCHEDULER__*)."""
    from trawler import services
    from worker import serve_scheduler

    asyncio.run(serve_scheduler(services.scheduler(_service_settings())))


@app.command("demo-site")
def demo_site(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
) -> None:
    """Serve the bundled demo shop on loopback until Ctrl-C."""
    from trawler.demo_site import DemoSite

    site = DemoSite(port=port)
    Console(stderr=True).print(f"demo shop on http://127.0.0.1:{port}/ (Ctrl-C stops it)")
    site.serve_forever()


@app.command(hidden=True)
def demo(
    output: Annotated[Path, typer.Option(help="Where rows and replays go.")] = Path("demo-output"),
) -> None:
    """Start the demo shop, run every example bot against it, print rows and replays, stop."""
    from trawler.demo import run_demo

    raise typer.Exit(run_demo(output))
