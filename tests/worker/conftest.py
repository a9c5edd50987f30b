"""Worker fixtures: a migrated PostgreSQL database, a Redis database of our own, seeded bots,
an in-process runtime, and real `trawler worker` / `trawler scheduler` processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

import store
from browser_pool import BrowserPool
from proxies import EgressProxy, ProxySettings
from tests.conftest import SITE_NETWORK, free_port
from tests.engine.conftest import FAST, bot, node
from trawler.demo_site import DemoSite
from worker import Rotators, Runtime, WorkerSettings, make_broker
from worker.dispatch import WORKERS_KEY

# Quick enough for tests: a dead worker's lease runs out in 3 s, cancellation is seen in 0.3 s.
FAST_WORKER = WorkerSettings(
    threads=2,
    lease=timedelta(seconds=3),
    heartbeat=timedelta(seconds=0.3),
    retry_backoff=timedelta(seconds=0.2),
    flush_interval=timedelta(seconds=0.2),
    redelivery_after=timedelta(seconds=3),
)
WORKER_SECRET = "test-secret-key-for-workers"
WORKER_ENV = {
    "TRAWLER_WORKER__THREADS": "2",
    "TRAWLER_WORKER__LEASE": "PT3S",
    "TRAWLER_WORKER__HEARTBEAT": "PT0.3S",
    "TRAWLER_WORKER__RETRY_BACKOFF": "PT0.2S",
    "TRAWLER_WORKER__FLUSH_INTERVAL": "PT0.2S",
    "TRAWLER_WORKER__REDELIVERY_AFTER": "PT3S",
    "TRAWLER_SCHEDULER__TICK": "PT0.2S",
    "TRAWLER_SCHEDULER__REQUEUE_AFTER": "PT2S",
    "TRAWLER_LOG_LEVEL": "INFO",
    # no metrics port unless a test asks for one: processes of parallel tests would contend
    "TRAWLER_WORKER__METRICS_PORT": "0",
    "TRAWLER_SCHEDULER__METRICS_PORT": "0",
}


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[store.Database]:
    db = store.Database(db_url)
    try:
        yield db
    finally:
        await db.dispose()


def paced_bot(
    site: DemoSite, *, pages: int = 4, delay_ms: int = 100, **settings: Any
) -> dict[str, Any]:
    """A bot reading `pages` pages of three rows, each page served after `delay_ms`."""
    document = bot(
        node(
            "open", "navigate", url=f"{site.base_url}/lab/paced?pages={pages}&delay_ms={delay_ms}"
        ),
        node("pages", "paginate", next_selector="a.next", max_pages=pages),
        node(
            "rows",
            "extract",
            item_selector="li.row",
            fields=[{"name": "row", "selector": None}],
        ),
        edges=[("open", "pages"), ("pages", "rows", "body")],
        **settings,
    )
    document["settings"].setdefault("timeouts", FAST)
    return document


def paced_rows(pages: int) -> list[dict[str, str]]:
    return [{"row": f"Row {page}.{i}"} for page in range(1, pages + 1) for i in (1, 2, 3)]


async def seed(
    db: store.Database,
    document: dict[str, Any],
    *,
    plan: str = "free",
    trigger: store.Trigger = store.Trigger.MANUAL,
    queued: bool = True,
) -> tuple[uuid.UUID, uuid.UUID]:
    """A user with a bot holding `document`; returns (bot id, execution id) — the execution
    queued unless `queued` is False (then the second id is the bot version's)."""
    async with db.transaction() as session:
        user = store.User(email=f"{uuid.uuid4().hex}@example.com", password_hash="x", plan=plan)
        session.add(user)
        await session.flush()
        bot_row = store.Bot(user_id=user.id, name="test", current_version=1)
        session.add(bot_row)
        await session.flush()
        version = store.BotVersion(bot_id=bot_row.id, version=1, workflow=document)
        session.add(version)
        await session.flush()
        if not queued:
            return bot_row.id, version.id
        execution = await store.create_execution(session, version, user.id, trigger, now=now())
        return bot_row.id, execution.id


async def load(db: store.Database, execution_id: uuid.UUID) -> store.Execution:
    async with db.transaction() as session:
        return await session.get_one(store.Execution, execution_id, populate_existing=True)


async def rows_of(db: store.Database, execution_id: uuid.UUID) -> list[dict[str, Any]]:
    from sqlalchemy import select

    async with db.transaction() as session:
        found = await session.scalars(
            select(store.ResultRow)
            .where(store.ResultRow.execution_id == execution_id)
            .order_by(store.ResultRow.seq)
        )
        return [row.data for row in found]


async def wait_status(
    db: store.Database,
    execution_id: uuid.UUID,
    statuses: tuple[store.ExecutionStatus, ...] = store.FINISHED,
    timeout: float = 60,
) -> store.Execution:
    """Poll the store until the execution reaches one of `statuses`."""
    deadline = time.monotonic() + timeout
    while True:
        execution = await load(db, execution_id)
        if execution.status in statuses:
            return execution
        if time.monotonic() > deadline:
            pytest.fail(f"execution {execution_id} still {execution.status} after {timeout} s")
        await asyncio.sleep(0.1)


@pytest.fixture
async def runtime(db_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """What a worker process holds, built in the test's event loop."""
    egress = EgressProxy(SITE_NETWORK.policy)
    await egress.start()
    rt = Runtime(
        settings=FAST_WORKER,
        db=store.Database(db_url),
        artifacts=store.LocalArtifacts(tmp_path / "artifacts"),
        pool=BrowserPool(max_pages=4),
        egress=egress,
        rotators=Rotators(ProxySettings()),
        secrets=store.SecretBox.from_secrets(WORKER_SECRET),
        redis=aioredis.Redis.from_url(redis_url),
        broker=make_broker(redis_url),
    )
    try:
        yield rt
    finally:
        await rt.aclose()
        rt.broker.close()


class Processes:
    """Starts trawler service processes; each is stopped (then killed) at teardown."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, command: str, **env: str) -> subprocess.Popen[bytes]:
        return self.start_args([command], **env)

    def start_ready_worker(self, timeout: float = 60) -> subprocess.Popen[bytes]:
        """A `trawler worker` that has booted: Chromium is up and it beats in Redis."""
        with redis.Redis.from_url(self.env["TRAWLER_REDIS_URL"]) as client:
            before = client.zcard(WORKERS_KEY)
            process = self.start("worker")
            deadline = time.monotonic() + timeout
            while client.zcard(WORKERS_KEY) <= before:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the worker did not boot:\n{self.output(process)}")
                time.sleep(0.1)
        return process

    def start_args(self, args: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"{args[0]}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "trawler", *args],
                env={**os.environ, **self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: Chromium goes with it
            )
        self.started.append(process)
        return process

    def output(self, process: subprocess.Popen[bytes]) -> str:
        index = self.started.index(process)
        return next(self.logs.glob(f"*-{index}.log")).read_text(errors="replace")

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and everything it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
            self.kill(process)


@pytest.fixture
def processes(db_url: str, redis_url: str, tmp_path: Path) -> Iterator[Processes]:
    env = {
        **WORKER_ENV,
        "TRAWLER_DATABASE_URL": db_url,
        "TRAWLER_REDIS_URL": redis_url,
        "TRAWLER_ARTIFACTS__PATH": str(tmp_path / "artifacts"),
        "TRAWLER_SECRET_KEY": WORKER_SECRET,
    }
    running = Processes(env, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class PrivateRedis:
    """A Redis server of this test only, kept in memory, so restarting it harms nobody else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        """Stop and start again; like a Redis without persistence, every message is lost."""
        self.stop()
        self.start()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return found[-1].parent


class PrivatePostgres:
    """A PostgreSQL cluster of this test only (trust auth, no fsync), safe to restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="trawler-pg-"))
        self.bin = _postgres_bin()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # PostgreSQL refuses to run as root: as root, run it as the postgres user
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")

    def _pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [
                *self.prefix,
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-w",
                "-l",
                str(self.dir / "log"),
                "-o",
                options,
                *args,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        subprocess.run(
            [
                *self.prefix,
                str(self.bin / "initdb"),
                "-D",
                str(self.dir / "data"),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._pg_ctl("start")

    def outage(self, seconds: float) -> None:
        """Stop (cutting every connection), stay down for `seconds`, start again."""
        self._pg_ctl("stop", "-m", "fast")
        time.sleep(seconds)  # the outage itself
        self._pg_ctl("start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        store.upgrade(server.url)
        yield server
    finally:
        server.stop()
