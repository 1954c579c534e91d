"""SQLite's one write lock: this process's writers queue for it instead of starving."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.db import make_engine

WRITERS = 20
HOLD = 0.05  # seconds each writer keeps its transaction open after its first write


async def test_concurrent_writers_all_commit_past_a_short_busy_timeout(
    tmp_path: Path,
) -> None:
    # Together the writers hold the lock ~1 s, twice SQLite's busy timeout here: left to
    # SQLite's own polling, the last ones fail with "database is locked".
    engine = make_engine(
        f"sqlite+aiosqlite:///{tmp_path}/w.db", connect_args={"timeout": 0.5}
    )
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER)"))

    async def writer(n: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            await asyncio.sleep(HOLD)
            await connection.execute(text("SELECT count(*) FROM t"))

    try:
        await asyncio.gather(*(writer(n) for n in range(WRITERS)))
        async with engine.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM t"))).scalar()
    finally:
        await engine.dispose()
    assert count == WRITERS


async def test_a_failed_write_lets_the_next_writer_in(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/w.db")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER UNIQUE)"))
        await connection.execute(text("INSERT INTO t VALUES (1)"))
    try:
        # Each duplicate rolls back; a write lock still held would stall the next writer.
        for _ in range(3):
            with pytest.raises(IntegrityError, match="UNIQUE"):
                async with engine.begin() as connection:
                    await connection.execute(text("INSERT INTO t VALUES (1)"))
        async with asyncio.timeout(5):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        await engine.dispose()
