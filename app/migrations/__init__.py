"""Alembic migrations of the app's own database, and the schema-currency check."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

HERE = Path(__file__).parent
ONLY_ON = (
    "only_on"  # Index(info={ONLY_ON: "postgresql"}): created on that database alone
)


def include_object_for(
    dialect: str,
) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Autogenerate's filter: an index made for another database is not expected here."""

    def include(
        item: Any, name: str | None, kind: str, reflected: bool, other: Any
    ) -> bool:
        wanted = getattr(item, "info", {}).get(ONLY_ON) if kind == "index" else None
        return wanted is None or wanted == dialect

    return include


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our scripts and the given database."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (blocking; runs its own event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def schema_problem(engine: AsyncEngine) -> str | None:
    """Why the database cannot be used by this code, or None when it is current."""
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return None
    if current is None:
        return "the database has no schema yet: run `dsr db upgrade`"
    return f"the database schema is at {current}, this code needs {head}: run `dsr db upgrade`"
