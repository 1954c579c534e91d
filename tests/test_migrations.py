"""Migrations build the schema from empty, and the models do not drift from them."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.migrations import head_revision, include_object_for, schema_problem
from app.tables import metadata


async def test_upgrade_from_empty_reaches_head(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.engine
    assert await schema_problem(engine) is None
    assert head_revision() is not None


async def test_autogenerate_finds_no_drift(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.engine
    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes, so Alembic skips those of the models
        # there, saying so; they are the PostgreSQL-only ones (compared on PostgreSQL).
        warnings.filterwarnings(
            "ignore",
            message="autogenerate skipping metadata-specified expression-based index",
        )
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync,
                        opts={
                            "compare_type": True,
                            "include_object": include_object_for(sync.dialect.name),
                        },
                    ),
                    metadata,
                )
            )
    assert diff == []
