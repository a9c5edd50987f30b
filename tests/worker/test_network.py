"""The network policy in a real `trawler worker`: its egress proxy refuses every way a bot can
point at the canary, each refusal is stored on its step with the rule, and the allowed site
(the one address the test environment allows) is still served."""

from __future__ import annotations

from sqlalchemy import select

import store
from tests.engine.conftest import bot, node
from tests.site.canary import (
    PAGES,
    REDIRECTS,
    SPELLINGS,
    Lab,
    page_nodes,
    redirect_nodes,
    spelling_nodes,
)
from tests.worker.conftest import Processes, rows_of, seed, wait_status
from worker import enqueue, make_broker


async def test_a_worker_refuses_the_canary_and_serves_the_allowed_site(
    database: store.Database, processes: Processes, redis_url: str, lab: Lab
) -> None:
    nodes = [*spelling_nodes(lab), *redirect_nodes(lab), *page_nodes(lab)]
    nodes += [
        node("settle", "wait", mode="time", ms=1500),
        node("ok", "navigate", url=f"{lab.base}/ok"),
        node("read", "extract", mode="single", fields=[{"name": "ok", "selector": "#ok"}]),
    ]
    _, execution_id = await seed(database, bot(*nodes, renderer="browser", trace="steps"))
    processes.start("worker")
    broker = make_broker(redis_url)
    try:
        enqueue(broker, execution_id)
    finally:
        broker.close()

    execution = await wait_status(database, execution_id, timeout=120)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert await rows_of(database, execution_id) == [{"ok": "the allowed site"}]
    async with database.transaction() as session:
        steps = {
            step.node_id: step
            for step in await session.scalars(
                select(store.ExecutionStep).filter_by(execution_id=execution_id)
            )
        }
        logs = (
            await session.scalars(
                select(store.ExecutionLog)
                .filter_by(execution_id=execution_id)
                .order_by(store.ExecutionLog.id)
            )
        ).all()
    for i, rule in enumerate(SPELLINGS.values()):
        assert f"(rule {rule!r})" in (steps[f"at-{i}"].error or ""), steps[f"at-{i}"].error
    for status in REDIRECTS:
        error = steps[f"hop-{status}"].error or ""
        assert f"/hop-{status}: 127.0.0.2 is a loopback address" in error, error
        assert steps[f"hop-{status}"].attempts == 1
    refused = [log.message for log in logs if log.message.startswith("request refused: ")]
    for vector in PAGES:
        assert any(f"/{vector}" in message for message in refused), (vector, refused)
    assert all("(rule 'loopback')" in message for message in refused)
    assert all(log.step is not None for log in logs if log.message in refused)
    assert lab.canary.hits == 0
