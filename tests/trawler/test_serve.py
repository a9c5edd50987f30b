"""`trawler serve` with nothing configured: SQLite, the in-process queue, one process."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.prometheus import Scraped
from tests.worker.conftest import paced_bot, paced_rows
from trawler.demo_site import DemoSite


async def test_serve_runs_a_bot_end_to_end_on_sqlite_with_nothing_else(
    tmp_path: Path, site: DemoSite
) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TRAWLER_REDIS_URL", "TRAWLER_DATABASE_URL")
    }
    env.update(
        TRAWLER_API__SECURE_COOKIES="false",
        TRAWLER_WORKER__FLUSH_INTERVAL="PT0.2S",
    )
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "trawler", "serve", "--port", str(port)],
        cwd=tmp_path,  # the defaults: ./trawler.db, ./artifacts, ./trawler.secret
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30) as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{base}/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                await asyncio.sleep(0.1)
            credentials = {"email": "solo@example.com", "password": "s3cret-pass"}
            assert (await client.post("/auth/register", json=credentials)).status_code == 201
            token = (await client.post("/auth/login", json=credentials)).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            bot = (
                await client.post(
                    "/bots", json={"name": "paced", "workflow": paced_bot(site, pages=3)}
                )
            ).json()
            execution = (await client.post(f"/bots/{bot['id']}/execute")).json()["execution_id"]
            finished = None
            async with client.stream("GET", f"/executions/{execution}/events") as events:
                async for line in events.aiter_lines():
                    if line.startswith("data: "):
                        finished = json.loads(line.removeprefix("data: "))
            assert finished is not None
            assert finished["type"] == "finished"
            assert finished["status"] == "succeeded", finished
            rows = await client.get(f"/executions/{execution}/result", params={"format": "csv"})
            assert list(csv.DictReader(io.StringIO(rows.text))) == paced_rows(3)
            # a selector test goes through the in-process queue to the worker's browser
            probed = await client.post(
                "/selectors/test", json={"url": f"{site.base_url}/shop", "selectors": ["h1"]}
            )
            assert probed.status_code == 200, probed.text
            assert probed.json()["selectors"][0]["count"] == 1
            # one registry: the in-process worker's and scheduler's metrics on the API's
            scraped = Scraped.parse((await client.get(f"{base}/metrics")).text)
            assert (
                scraped.value("trawler_worker_executions_finished_total", status="succeeded") == 1
            )
            assert scraped.value("trawler_worker_pages_total") == 3
            assert scraped.value("trawler_browser_pool_browsers", state="alive") == 1
            assert scraped.value("trawler_workers_alive") == 1
            assert scraped.value("trawler_executions", status="succeeded") == 1
            assert scraped.value("trawler_queue_depth", queue="executions") == 0
            assert scraped.value("trawler_scheduler_schedules_fired_total") == 0
            posted = {"method": "POST", "route": "/api/v1/bots", "status": "201"}
            assert scraped.value("trawler_api_requests_total", **posted) == 1
        assert (tmp_path / "trawler.db").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            code = server.wait(10)
        log.close()
    assert code == 0, (tmp_path / "serve.log").read_text()[-3000:]
    # stderr is no terminal: JSON lines, uvicorn's access log included
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines()]
    assert any(line["logger"] == "uvicorn.access" for line in lines)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # Chromium went with it
        alive = subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True)
        if not alive.stdout.strip():
            break
        await asyncio.sleep(0.2)
    assert not alive.stdout.strip(), alive.stdout
