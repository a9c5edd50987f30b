"""docker-compose.yml's topology without Docker: each trawler service's command, started as a
local process with the environment Compose would give it, against local PostgreSQL and a Redis
started with the compose file's own command line, driven end to end through the API.

What stands in for Docker, and nothing else: a service name resolves to 127.0.0.1 and the port
that service listens on here (Compose's DNS), a named volume is a folder of the test, and the
ports a container listens on privately (the API's 8080, the metrics ports) are free ports of
this machine, since the processes share one network. The image's `trawler` is the venv's.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.api.conftest import wait_finished
from tests.conftest import free_port
from tests.deploy.compose import environment, load
from tests.worker.conftest import paced_bot, paced_rows
from trawler.demo_site import DemoSite

STOP_GRACE = 30.0
"""Compose's default wait between SIGTERM and SIGKILL (the worker's stop_grace_period)."""

# The deployment's .env for the test: what an operator writes, tuned for a test's pace
# (short leases and ticks); the fixture site is on loopback, which bots may not reach otherwise.
TUNING = {
    "TRAWLER_ALLOWED_NETWORKS": '["127.0.0.1"]',
    "TRAWLER_API__SECURE_COOKIES": "false",
    "TRAWLER_API__PLANS": (
        '{"free": {"concurrent_executions": 10, "min_schedule_interval": "PT1M",'
        ' "requests_per_minute": 6000}}'
    ),
    "TRAWLER_WORKER__THREADS": "2",
    "TRAWLER_WORKER__LEASE": "PT3S",
    "TRAWLER_WORKER__HEARTBEAT": "PT0.3S",
    "TRAWLER_WORKER__FLUSH_INTERVAL": "PT0.2S",
    "TRAWLER_WORKER__REDELIVERY_AFTER": "PT3S",
    "TRAWLER_SCHEDULER__TICK": "PT0.5S",
    "TRAWLER_SCHEDULER__REQUEUE_AFTER": "PT5S",
}


@dataclass
class Deployment:
    """The compose file's services as local processes."""

    root: Path
    database_url: str
    dotenv: dict[str, str]
    ports: dict[tuple[str, int], int]
    """(service, port inside its container) → the port it listens on here."""
    started: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.root / ".env").write_text("".join(f"{k}={v}\n" for k, v in self.dotenv.items()))
        self.compose = load(self.dotenv)

    def _resolve(self, value: str) -> str:
        def address(match: re.Match[str]) -> str:
            name, port = match[1], int(match[2])
            return f"127.0.0.1:{self.ports.get((name, port), port)}"

        names = "|".join(map(re.escape, self.compose["services"]))
        return re.sub(rf"(?<=[@/])({names}):(\d+)\b", address, value)

    def command(self, name: str) -> tuple[list[str], dict[str, str]]:
        """The service's command line and environment, as this machine runs them."""
        service = self.compose["services"][name]
        env = {key: self._resolve(value) for key, value in environment(service, self.root).items()}
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if not source.startswith("."):
                folder = self.root / "volumes" / source
                folder.mkdir(parents=True, exist_ok=True)
                env = {key: value.replace(target, str(folder)) for key, value in env.items()}
        argv = list(service["command"])
        assert argv[0] == "trawler", argv
        if "--host" in argv:
            argv[argv.index("--host") + 1] = "127.0.0.1"
        if "--port" in argv:
            at = argv.index("--port") + 1
            argv[at] = str(self.ports[(name, int(argv[at]))])
        return [sys.executable, "-m", "trawler", *argv[1:]], env

    def start(self, name: str, **private: str) -> subprocess.Popen[bytes]:
        """Start one replica of a service; `private` are the settings of ports its container
        would have to itself."""
        argv, env = self.command(name)
        base = {k: v for k, v in os.environ.items() if not k.startswith("TRAWLER_")}
        log = self.root / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv,
                env={**base, **env, **private},
                cwd=self.root,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, process))
        return process

    def output(self, process: subprocess.Popen[bytes]) -> str:
        index = [p for _, p in self.started].index(process)
        name = self.started[index][0]
        return (self.root / f"{name}-{index}.log").read_text(errors="replace")

    @staticmethod
    def stop(process: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> int | None:
        """`docker compose stop`: SIGTERM, then SIGKILL to the group after the grace period."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
        code = process.poll()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        return code

    def stop_all(self) -> None:
        for _, process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in self.started:
            self.stop(process, grace=20)


@pytest.fixture
def redis_service(tmp_path: Path) -> Iterator[int]:
    """Redis started with the compose file's command line (AOF, noeviction), on a free port."""
    command = load({"POSTGRES_PASSWORD": "x", "TRAWLER_SECRET_KEY": "x" * 16})["services"]["redis"][
        "command"
    ]
    port = free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    process = subprocess.Popen(
        [*command, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            != "PONG"
        ):
            assert time.monotonic() < deadline, "redis did not start"
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def deployment(
    new_database: Callable[[], str], redis_service: int, tmp_path: Path
) -> Iterator[Deployment]:
    made = new_database()
    url = make_url(made)
    dotenv = {
        "POSTGRES_USER": str(url.username),
        "POSTGRES_PASSWORD": "compose-test",  # the local server trusts loopback
        "POSTGRES_DB": str(url.database),
        "TRAWLER_SECRET_KEY": "compose-test-secret-key",
        **TUNING,
    }
    ports = {("redis", 6379): redis_service, ("postgres", 5432): url.port or 5432}
    ports[("api", 8080)] = free_port()
    running = Deployment(tmp_path, made, dotenv, ports)
    try:
        yield running
    finally:
        running.stop_all()


def _metrics(port: int, section: str = "WORKER") -> dict[str, str]:
    """The metrics address a container has to itself: here, a port of its own on loopback."""
    prefix = f"TRAWLER_{section}__METRICS_"
    return {f"{prefix}PORT": str(port), f"{prefix}HOST": "127.0.0.1"}


def _gauge(text: str, name: str) -> float:
    found = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else 0.0


async def _until(check: Callable[[], Any], what: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


@pytest.mark.timeout(420)
async def test_compose_services_run_bots_schedules_and_restarts_end_to_end(
    deployment: Deployment, site: DemoSite
) -> None:
    d = deployment
    migrate = d.start("migrate")
    assert migrate.wait(120) == 0, d.output(migrate)
    api = d.start("api")
    worker_ports = [free_port(), free_port()]
    workers = [d.start("worker", **_metrics(port)) for port in worker_ports]
    scheduler = d.start("scheduler", **_metrics(free_port(), "SCHEDULER"))
    base = f"http://127.0.0.1:{d.ports[('api', 8080)]}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def ready() -> bool:
            assert api.poll() is None, d.output(api)
            with contextlib.suppress(httpx.TransportError):
                return (await http.get("/ready")).status_code == 200
            return False

        await _until(ready, "the API is not ready")
        credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": "s3cret-pass"}
        assert (await http.post("/api/v1/auth/register", json=credentials)).status_code == 201
        login = await http.post("/api/v1/auth/login", json=credentials)
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        http.base_url = httpx.URL(f"{base}/api/v1")

        pages = 8
        created = await http.post(
            "/bots", json={"name": "paced", "workflow": paced_bot(site, pages=pages, delay_ms=300)}
        )
        assert created.status_code == 201, created.text
        bot_id = created.json()["id"]
        runs = []
        for _ in range(6):
            started = await http.post(f"/bots/{bot_id}/execute")
            assert started.status_code == 202, started.text
            runs.append(started.json()["execution_id"])

        # two workers, each running executions at once
        async def both_busy() -> bool:
            for worker, port in zip(workers, worker_ports, strict=True):
                assert worker.poll() is None, d.output(worker)
                with contextlib.suppress(httpx.TransportError):
                    metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                    if _gauge(metrics, "trawler_worker_executions_running") >= 1:
                        continue
                return False
            return True

        await _until(both_busy, "both workers did not take executions")

        # restarts midway: a worker hands its running executions back, the scheduler goes away
        # while a schedule is due
        schedule = await http.post(
            "/schedules", json={"bot_id": bot_id, "cron": "* * * * *", "timezone": "UTC"}
        )
        assert schedule.status_code == 201, schedule.text
        assert d.stop(workers[0]) == 0, d.output(workers[0])
        assert d.stop(scheduler) == 0, d.output(scheduler)
        workers[0] = d.start("worker", **_metrics(worker_ports[0]))
        scheduler = d.start("scheduler", **_metrics(free_port(), "SCHEDULER"))

        for run in runs:
            finished = await wait_finished(http, run, within=180)
            assert finished["status"] == "succeeded", finished
            assert finished["rows"] == pages * 3

        # the schedule fires once at the next minute, on the restarted scheduler
        async def fired() -> bool:
            listed = (await http.get("/executions", params={"bot_id": bot_id})).json()["items"]
            return any(e["trigger"] == "schedule" for e in listed)

        await _until(fired, "the schedule did not fire", within=90)
        listed = (await http.get("/executions", params={"bot_id": bot_id})).json()["items"]
        scheduled = [e["id"] for e in listed if e["trigger"] == "schedule"]
        assert len(scheduled) == 1
        assert (await http.post(f"/schedules/{schedule.json()['id']}/toggle")).status_code == 200
        finished = await wait_finished(http, scheduled[0], within=120)
        assert finished["status"] == "succeeded", finished

        # every row once, downloaded as a user would
        for run in [*runs, *scheduled]:
            answer = await http.get(f"/executions/{run}/result", params={"format": "csv"})
            assert answer.status_code == 200
            assert list(csv.DictReader(io.StringIO(answer.text))) == paced_rows(pages)
        answer = await http.get(f"/executions/{runs[0]}/result", params={"format": "json"})
        assert answer.json() == paced_rows(pages)

    # the services' logs are JSON lines carrying the execution they speak of
    logged = "".join(d.output(p) for name, p in d.started if name == "worker")
    assert all(re.search(rf'"execution_id": ?"{run}"', logged) for run in runs)
    with psycopg.connect(d.database_url) as db:
        counted = db.execute(
            "SELECT count(*), count(DISTINCT (execution_id, seq)) FROM result_rows"
        ).fetchone()
    assert counted == (len(runs + scheduled) * pages * 3,) * 2
