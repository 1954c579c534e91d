"""Migrations build the schema from empty, and the models do not drift from them."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.migrations import head_revision, schema_problem
from app.tables import metadata


async def test_upgrade_from_empty_reaches_head(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.engine
    assert await schema_problem(engine) is None
    assert head_revision() is not None


async def test_autogenerate_finds_no_drift(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.engine
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), metadata
            )
        )
    assert diff == []
