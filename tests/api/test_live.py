"""Live progress over Server-Sent Events and a WebSocket, fed by a real worker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.api.conftest import ApiUser
from tests.worker.conftest import Processes, paced_bot
from trawler.demo_site import DemoSite


async def test_sse_follows_a_run_from_queued_to_finished(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    client = await new_user()
    bot = (
        await client.post("/bots", json={"name": "b", "workflow": paced_bot(site, pages=3)})
    ).json()
    execution = (await client.post(f"/bots/{bot['id']}/execute")).json()["execution_id"]
    events: list[tuple[str, dict[str, Any]]] = []
    async with client.stream("GET", f"/executions/{execution}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
                if name == "state":
                    processes.start("worker")  # only now: the stream sees the whole run
    names = [name for name, _ in events]
    assert names[0] == "state"
    assert events[0][1]["status"] == "queued"
    assert "step_started" in names
    assert "step_finished" in names
    assert names[-1] == "finished"
    assert events[-1][1] == {
        "type": "finished",
        "status": "succeeded",
        "rows": 9,
        "pages": 3,
        "error": None,
    }
    assert max(e["rows"] for n, e in events if n == "progress") == 9


async def test_websocket_needs_a_token_and_ends_with_the_finish(
    new_user: ApiUser, processes: Processes, site: DemoSite, api_url: str
) -> None:
    client = await new_user()
    token = client.headers["Authorization"].removeprefix("Bearer ")
    bot = (
        await client.post("/bots", json={"name": "b", "workflow": paced_bot(site, pages=2)})
    ).json()
    execution = (await client.post(f"/bots/{bot['id']}/execute")).json()["execution_id"]
    ws_url = api_url.replace("http", "ws") + f"/api/v1/executions/{execution}/ws"
    # refused before the handshake completes: the server answers 403
    stranger = (await new_user()).headers["Authorization"].removeprefix("Bearer ")
    for bad in ("forged", stranger):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{ws_url}?token={bad}"):
                pass
        assert refused.value.response.status_code == 403

    processes.start("worker")
    received = []
    async with connect(f"{ws_url}?token={token}") as socket:
        async for message in socket:
            received.append(json.loads(message))
    assert received[0]["type"] in ("state", "finished")
    assert received[-1]["type"] == "finished"
    assert received[-1]["status"] == "succeeded"
