"""The models on the migrated schema: a round trip, idempotent rows, constraints, cascades."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import store
from store import (
    Bot,
    BotVersion,
    Execution,
    ExecutionStatus,
    ExecutionStep,
    ResultRow,
    StepStatus,
    Trigger,
    User,
)

WORKFLOW = {"nodes": [{"id": "n1", "type": "navigate", "data": {"url": "https://example.com"}}]}


async def _owner_with_execution(session: AsyncSession) -> tuple[User, Execution]:
    user = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="x", limits={"rows": 10})
    session.add(user)
    await session.flush()
    bot = Bot(user_id=user.id, name="shop", current_version=1)
    session.add(bot)
    await session.flush()
    version = BotVersion(bot_id=bot.id, version=1, workflow=WORKFLOW)
    session.add(version)
    await session.flush()
    execution = Execution(
        bot_id=bot.id, bot_version_id=version.id, user_id=user.id, trigger=Trigger.MANUAL
    )
    session.add(execution)
    await session.flush()
    return user, execution


def _rows(execution_id: uuid.UUID, seqs: range, tag: str) -> list[dict[str, object]]:
    return [
        {"execution_id": execution_id, "seq": seq, "data": {"n": seq, "tag": tag}, "node_id": "n1"}
        for seq in seqs
    ]


async def _count(session: AsyncSession, model: type[store.Base], **where: object) -> int:
    query = sa.select(sa.func.count()).select_from(model).filter_by(**where)
    return (await session.execute(query)).scalar_one()


async def test_round_trip(pg_engine: AsyncEngine) -> None:
    async with store.session_factory(pg_engine)() as session:
        user, execution = await _owner_with_execution(session)
        session.add(
            ExecutionStep(
                execution_id=execution.id,
                step=1,
                node_id="n1",
                node_type="navigate",
                status=StepStatus.SUCCEEDED,
                duration_ms=12,
            )
        )
        await session.commit()

    async with store.session_factory(pg_engine)() as session:
        loaded = await session.get_one(Execution, execution.id)
        assert loaded.status is ExecutionStatus.QUEUED
        assert loaded.trigger is Trigger.MANUAL
        assert (loaded.attempt, loaded.rows, loaded.cancel_requested) == (0, 0, False)
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at <= datetime.now(UTC)
        version = await session.get_one(BotVersion, loaded.bot_version_id)
        assert version.workflow == WORKFLOW
        assert (await session.get_one(User, user.id)).limits == {"rows": 10}


async def test_result_rows_are_idempotent(pg_engine: AsyncEngine) -> None:
    async with store.session_factory(pg_engine)() as session:
        _, execution = await _owner_with_execution(session)
        upsert = pg_insert(ResultRow).on_conflict_do_nothing(index_elements=["execution_id", "seq"])
        await session.execute(upsert, _rows(execution.id, range(3), "first"))
        # a retried batch overlapping the first one adds only the new row
        await session.execute(upsert, _rows(execution.id, range(2, 4), "retry"))
        await session.commit()

        rows = (
            await session.scalars(
                sa.select(ResultRow).filter_by(execution_id=execution.id).order_by(ResultRow.seq)
            )
        ).all()
        assert [(row.seq, row.data["tag"]) for row in rows] == [
            (0, "first"),
            (1, "first"),
            (2, "first"),
            (3, "retry"),
        ]

        with pytest.raises(IntegrityError):
            await session.execute(sa.insert(ResultRow), _rows(execution.id, range(1), "dup"))
        await session.rollback()


async def test_enum_columns_are_checked(pg_engine: AsyncEngine) -> None:
    async with store.session_factory(pg_engine)() as session:
        _, execution = await _owner_with_execution(session)
        await session.commit()
        with pytest.raises(IntegrityError, match="ck_executions_execution_status"):
            await session.execute(
                sa.text("UPDATE executions SET status = 'lost' WHERE id = :id"),
                {"id": execution.id},
            )
        await session.rollback()


async def test_deleting_a_user_deletes_their_data(pg_engine: AsyncEngine) -> None:
    async with store.session_factory(pg_engine)() as session:
        user, execution = await _owner_with_execution(session)
        other, other_execution = await _owner_with_execution(session)
        for owned in (execution, other_execution):
            await session.execute(pg_insert(ResultRow), _rows(owned.id, range(5), "x"))
        await session.commit()

        await session.delete(user)
        await session.commit()

        for model in (Bot, Execution):
            assert await _count(session, model, user_id=user.id) == 0
            assert await _count(session, model, user_id=other.id) == 1
        assert await _count(session, ResultRow, execution_id=execution.id) == 0
        assert await _count(session, ResultRow, execution_id=other_execution.id) == 5
        assert await _count(session, BotVersion, bot_id=execution.bot_id) == 0


async def test_sqlite_cascades(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'trawler.db'}"
    store.upgrade(url)
    engine = store.create_engine(url)
    try:
        async with store.session_factory(engine)() as session:
            user, execution = await _owner_with_execution(session)
            await session.execute(sa.insert(ResultRow), _rows(execution.id, range(3), "x"))
            await session.commit()
            assert await _count(session, ResultRow, execution_id=execution.id) == 3

            await session.delete(user)
            await session.commit()
            assert await _count(session, Execution, id=execution.id) == 0
            assert await _count(session, ResultRow, execution_id=execution.id) == 0
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_rows_keep_their_key_order(backend: str, pg_url: str, tmp_path: Path) -> None:
    # A download's columns are the keys in the order the bot extracted them, which JSONB
    # would sort shortest first; both the decoded rows and the JSON text keep it.
    url = pg_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'rows.db'}"
    if backend == "sqlite":
        store.upgrade(url)
    engine = store.create_engine(url)
    data = [{"title": f"Lamp {n}", "price": n, "id": f"L{n}", "in_stock": True} for n in range(3)]
    try:
        async with store.session_factory(engine)() as session:
            _, execution = await _owner_with_execution(session)
            await store.save_rows(
                session,
                [
                    {"execution_id": execution.id, "seq": n + 1, "data": row, "node_id": "n1"}
                    for n, row in enumerate(data)
                ],
            )
            await session.commit()
            decoded = [row async for row in store.stream_rows(session, execution.id, batch=2)]
            text = [
                line
                async for batch in store.stream_row_json(session, execution.id, batch=2)
                for line in batch
            ]
        assert [list(row) for row in decoded] == [["title", "price", "id", "in_stock"]] * 3
        assert decoded == data
        assert [json.loads(line) for line in text] == data
        assert [list(json.loads(line)) for line in text] == [list(row) for row in data]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_the_last_execution_of_each_bot(backend: str, pg_url: str, tmp_path: Path) -> None:
    url = pg_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'last.db'}"
    if backend == "sqlite":
        store.upgrade(url)
    engine = store.create_engine(url)

    def run(bot: Bot, minute: int, status: ExecutionStatus, rows: int) -> Execution:
        return Execution(
            bot_id=bot.id,
            bot_version_id=versions[bot.id],
            user_id=bot.user_id,
            trigger=Trigger.MANUAL,
            status=status,
            rows=rows,
            created_at=datetime(2026, 12, 1, 9, minute, tzinfo=UTC),
        )

    try:
        async with store.session_factory(engine)() as session:
            user, older = await _owner_with_execution(session)
            stranger, theirs = await _owner_with_execution(session)
            bots = [Bot(user_id=user.id, name=name, current_version=1) for name in ("a", "b")]
            session.add_all(bots)
            await session.flush()
            session.add_all(BotVersion(bot_id=b.id, version=1, workflow=WORKFLOW) for b in bots)
            await session.flush()
            found = await session.execute(sa.select(BotVersion.bot_id, BotVersion.id))
            versions = dict(found.all())
            ran, idle = bots
            newest = run(ran, 30, ExecutionStatus.RUNNING, 0)
            session.add_all(
                [
                    run(ran, 10, ExecutionStatus.SUCCEEDED, 12),
                    newest,
                    run(ran, 20, ExecutionStatus.FAILED, 3),
                ]
            )
            await session.commit()

            asked = [ran.id, idle.id, older.bot_id, theirs.bot_id]
            last = await store.last_executions(session, user.id, asked)
            assert set(last) == {ran.id, older.bot_id}  # never run, another user's: absent
            assert last[ran.id].id == newest.id
            assert (last[ran.id].status, last[ran.id].rows) == (ExecutionStatus.RUNNING, 0)
            assert last[older.bot_id].id == older.id
            assert await store.last_executions(session, user.id, []) == {}
            assert set(await store.last_executions(session, stranger.id, asked)) == {theirs.bot_id}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_bot_names_and_the_census_of_executions(
    backend: str, pg_url: str, tmp_path: Path
) -> None:
    # both read plain rows by unpacking them (SQLAlchemy 2.1 deprecates `Result.tuples()`,
    # and warnings fail the tests)
    url = pg_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'census.db'}"
    if backend == "sqlite":
        store.upgrade(url)
    engine = store.create_engine(url)
    try:
        async with store.session_factory(engine)() as session:
            before = await store.execution_census(session)
            user, execution = await _owner_with_execution(session)
            stranger, theirs = await _owner_with_execution(session)
            execution.status = ExecutionStatus.RUNNING
            execution.started_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
            await session.commit()

            after = await store.execution_census(session)
            grown = {s: after.by_status[s] - before.by_status[s] for s in ExecutionStatus}
            assert grown == {
                s: {ExecutionStatus.RUNNING: 1, ExecutionStatus.QUEUED: 1}.get(s, 0)
                for s in ExecutionStatus
            }
            assert after.oldest_running_since is not None
            assert after.oldest_running_since <= datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

            asked = [execution.bot_id, theirs.bot_id, uuid.uuid4()]
            assert await store.bot_names(session, user.id, asked) == {execution.bot_id: "shop"}
            assert await store.bot_names(session, stranger.id, asked) == {theirs.bot_id: "shop"}
            assert await store.bot_names(session, user.id, []) == {}
    finally:
        await engine.dispose()
