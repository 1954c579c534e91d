"""Alembic environment: runs migrations through the app's async engine."""

import asyncio
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

from app.db import make_engine
from app.migrations import include_object_for
from app.tables import metadata

config = context.config


def _render_item(
    kind: str, item: Any, _context: AutogenContext
) -> str | Literal[False]:
    # Scripts use plain SQLAlchemy types, so they never depend on SQLModel internals.
    if kind == "type" and isinstance(item, AutoString):
        return repr(sa.String(length=item.length)).replace("String", "sa.String")
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name
        == "sqlite",  # SQLite needs table rebuilds
        compare_type=True,
        render_item=_render_item,
        include_object=include_object_for(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `dsr db upgrade`")
asyncio.run(_run_async())
