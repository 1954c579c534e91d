"""Deadline sweep over many tickets in PostgreSQL: how long a sweep takes when nothing changes.

Goal (issue 5): under 1 s for 1,000,000 tickets. Run: `python bench/bench_sweep.py [--tickets N]`.
Uses its own database `dsr_bench_app` on the local PostgreSQL; prints figures, asserts nothing.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrations
from app.deadlines.sweep import sweep
from app.main import make_app_sessionmaker
from app.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.*, run as a script
from bench.figures import emit

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
# `make bench` runs apart from a hand-run copy of this script (bench/run.py).
DATABASE = "dsr_bench_app" + os.environ.get("BENCH_DB_SUFFIX", "")
NOW = datetime(2026, 6, 1, tzinfo=UTC)

# 95 % closed long ago, the rest open: due far ahead, or already escalated at their stage.
FILL = """
INSERT INTO dsr_request (reference, type, regulation, status, channel, subject_email,
  subject_email_key, language, received_at, due_at, escalated, escalation_stage, unread,
  created_at, updated_at)
SELECT 'DSR-' || lpad(to_hex(n), 8, '0'), 'access', 'gdpr',
  CASE WHEN n % 20 = 0 THEN 'in_progress' ELSE 'completed' END, 'api',
  'p' || n || '@example.com', 'p' || n || '@example.com', 'en',
  CAST(:now AS timestamptz) - interval '40 days', CAST(:now AS timestamptz) + CASE WHEN n % 40 = 0 THEN interval '-3 days'
                                         ELSE interval '60 days' END,
  n % 40 = 0, CASE WHEN n % 40 = 0 THEN 'overdue' END, false,
  CAST(:now AS timestamptz) - interval '40 days', CAST(:now AS timestamptz) - interval '40 days'
FROM generate_series(1, :count) AS n
"""


async def _prepare(count: int) -> str:
    admin = create_async_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}"'))
        await connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    await admin.dispose()
    url = f"{SERVER}/{DATABASE}"
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_async_engine(url)
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(text(FILL), {"now": NOW, "count": count})
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE dsr_request"))
    await engine.dispose()
    print(f"filled {count:,} tickets in {time.perf_counter() - started:.1f} s")
    return url


async def main(count: int) -> None:
    url = await _prepare(count)
    settings = Settings(_env_file=None, database_url=url, secret_key="b" * 40)  # type: ignore[call-arg]
    maker = make_app_sessionmaker(settings)
    sweeps = []
    try:
        for attempt in range(3):
            started = time.perf_counter()
            result = await sweep(maker, settings=settings, now=NOW)
            took = time.perf_counter() - started
            print(
                f"sweep {attempt + 1}: {took * 1000:.0f} ms, escalated {result.at_risk + result.overdue}"
            )
            sweeps.append(took * 1000)
    finally:
        await maker.kw["bind"].dispose()
    emit(
        "deadline sweep when nothing changes",
        statistics.median(sweeps),
        "ms",
        "< 1000",
        f"{count:,} tickets on PostgreSQL, median of 3 sweeps "
        f"({', '.join(f'{each:.0f}' for each in sweeps)} ms)",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args().tickets))
