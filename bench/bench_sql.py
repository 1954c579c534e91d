"""Benchmark the SQL connector on PostgreSQL against hand-written SQL.

Creates database `dsr_bench` with one person owning `--rows` rows across orders,
order_items and events (10 % / 30 % / 60 %), plus 1,000 other people owning a tenth as much.
Measures SqlConnector.access (rows/s, peak RSS) beside `COPY (same query) TO STDOUT`, then
SqlConnector.erase beside equivalent hand-written statements (data recreated in between).

    python bench/bench_sql.py [--rows 1000000] [--server postgresql://postgres@127.0.0.1:5432]
"""

import argparse
import asyncio
import hashlib
import hmac
import os
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

import asyncpg
import psutil
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from connectors.base import Subject
from connectors.sql import SqlConfig, SqlConnector
from connectors.sql.schema import reflect
from connectors.sql.statements import Statements

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.*, run as a script
from bench.figures import emit

# `make bench` runs apart from a hand-run copy of this script (bench/run.py).
DB = "dsr_bench" + os.environ.get("BENCH_DB_SUFFIX", "")
EMAIL = "Bench.Person@Example.com"
HASH_KEY = "bench-hash-key-0123456789"
OTHERS = 1000
DATASET = """
tables:
  users:
    identity: {email: email}
    primary_key: id
    erase: {update: {email: hash, name: "null", phone: "null"}}
  orders:
    references: {user_id: users.id}
    erase: {update: {shipping_address: redact}}
  order_items:
    references: {order_id: orders.id}
    erase: delete
  events:
    references: {user_id: users.id}
    erase: delete
"""
SCHEMA = """
DROP TABLE IF EXISTS order_items, events, orders, users;
CREATE TABLE users (id int PRIMARY KEY, email varchar(255) NOT NULL, name varchar(100),
                    phone varchar(30));
CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users(id),
                     shipping_address varchar(200), total numeric(10,2) NOT NULL);
CREATE TABLE order_items (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders(id),
                          sku varchar(40) NOT NULL);
CREATE TABLE events (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users(id),
                     kind varchar(40) NOT NULL, at timestamptz NOT NULL, ip varchar(45));
"""


def _fill_statements(rows: int) -> list[str]:
    """Person 1 owns `rows` rows; 1,000 others own rows / 10 between them."""
    orders, items, events = (
        rows // 10,
        rows * 3 // 10,
        rows - rows // 10 - rows * 3 // 10,
    )
    o2, i2, e2 = max(orders // 10, 1), max(items // 10, 1), max(events // 10, 1)
    return [
        f"INSERT INTO users VALUES (1, '{EMAIL}', 'Bench Person', '+1-555-0100')",
        "INSERT INTO users SELECT g, 'other' || g || '@example.com', 'Other ' || g, NULL "
        f"FROM generate_series(2, {OTHERS + 1}) g",
        f"INSERT INTO orders SELECT g, 1, g || ' Main St', 9.50 FROM generate_series(1, {orders}) g",
        f"INSERT INTO orders SELECT {orders} + g, 2 + g % {OTHERS}, g || ' Side St', 5 "
        f"FROM generate_series(1, {o2}) g",
        f"INSERT INTO order_items SELECT g, 1 + (g - 1) % {orders}, 'SKU-' || g "
        f"FROM generate_series(1, {items}) g",
        f"INSERT INTO order_items SELECT {items} + g, {orders} + 1 + (g - 1) % {o2}, 'SKU' "
        f"FROM generate_series(1, {i2}) g",
        "INSERT INTO events SELECT g, 1, 'login', now(), '192.0.2.1' "
        f"FROM generate_series(1, {events}) g",
        f"INSERT INTO events SELECT {events} + g, 2 + g % {OTHERS}, 'login', now(), NULL "
        f"FROM generate_series(1, {e2}) g",
        "CREATE INDEX ON users (lower(email))",
        "CREATE INDEX ON orders (user_id)",
        "CREATE INDEX ON order_items (order_id)",
        "CREATE INDEX ON events (user_id)",
        "ANALYZE",
    ]


async def _create_database(server: str) -> None:
    admin = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        exists = await connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB}
        )
        if not exists:
            await connection.execute(sa.text(f'CREATE DATABASE "{DB}"'))
    await admin.dispose()


async def _load(dsn: str, rows: int) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(SCHEMA)
        for statement in _fill_statements(rows):
            await connection.execute(statement)
    finally:
        await connection.close()
    return time.perf_counter() - started


def _rss_mib() -> tuple[float, float]:
    """(current RSS, peak RSS since start) in MiB."""
    current = psutil.Process().memory_info().rss / 2**20
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _bench_access(connector: SqlConnector) -> tuple[int, float, float]:
    """Print and return the rows read, the seconds taken and the peak RSS in MiB."""
    before, peak_before = _rss_mib()
    started = time.perf_counter()
    count = 0
    async for _record in connector.access(Subject(email=EMAIL.lower())):
        count += 1
    elapsed = time.perf_counter() - started
    _, peak = _rss_mib()
    print(
        f"access  SqlConnector.access : {count:>9,} rows in {elapsed:6.2f} s "
        f"= {count / elapsed:>9,.0f} rows/s"
    )
    print(
        f"        RSS before {before:.0f} MiB (peak so far {peak_before:.0f} MiB), "
        f"peak after access {peak:.0f} MiB"
    )
    return count, elapsed, peak


async def _access_queries(server: str, connector: SqlConnector) -> list[str]:
    engine = create_async_engine(f"{server}/{DB}".replace("://", "+asyncpg://", 1))
    async with engine.connect() as connection:
        tables = await connection.run_sync(reflect, connector.dataset, None)
    await engine.dispose()
    statements = Statements(connector.dataset, tables, EMAIL.lower())
    dialect = pg_asyncpg.dialect()
    return [
        str(
            statements.access(name).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True}
            )
        )
        for name in connector.dataset.order
    ]


async def _bench_copy(dsn: str, queries: list[str]) -> float:
    """Print and return the seconds `COPY` takes to send the same rows."""
    received = 0

    async def sink(chunk: bytes) -> None:
        nonlocal received
        received += len(chunk)

    connection = await asyncpg.connect(dsn)
    started = time.perf_counter()
    count = 0
    try:
        for query in queries:
            status = await connection.copy_from_query(query, output=sink)
            count += int(status.split()[-1])
    finally:
        await connection.close()
    elapsed = time.perf_counter() - started
    print(
        f"        COPY (same) TO STDOUT  : {count:>9,} rows in {elapsed:6.2f} s "
        f"= {count / elapsed:>9,.0f} rows/s ({received / 2**20:.0f} MiB of text)"
    )
    return elapsed


async def _hand_erase(dsn: str) -> dict[str, int]:
    reach_users = "SELECT id FROM users WHERE lower(email) = lower($1)"
    reach_orders = f"SELECT id FROM orders WHERE user_id IN ({reach_users})"
    connection = await asyncpg.connect(dsn)
    counts: dict[str, int] = {}
    try:
        async with connection.transaction():
            for table, sql in (
                (
                    "order_items",
                    f"DELETE FROM order_items WHERE order_id IN ({reach_orders})",
                ),
                ("events", f"DELETE FROM events WHERE user_id IN ({reach_users})"),
                (
                    "orders",
                    "UPDATE orders SET shipping_address = '[erased]' "
                    f"WHERE user_id IN ({reach_users})",
                ),
            ):
                counts[table] = int((await connection.execute(sql, EMAIL)).split()[-1])
            people = await connection.fetch(
                "SELECT id, email FROM users WHERE lower(email) = lower($1)", EMAIL
            )
            for person in people:
                digest = hmac.new(
                    HASH_KEY.encode(), person["email"].encode(), hashlib.sha256
                )
                await connection.execute(
                    "UPDATE users SET email = $1, name = NULL, phone = NULL WHERE id = $2",
                    digest.hexdigest(),
                    person["id"],
                )
            counts["users"] = len(people)
    finally:
        await connection.close()
    return counts


async def _timed(label: str, work: Awaitable[dict[str, int]]) -> float:
    started = time.perf_counter()
    counts = await work
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    print(f"erase   {label:<22} : {total:>9,} rows in {elapsed:6.2f} s  {dict(counts)}")
    return elapsed


async def main(rows: int, server: str) -> None:
    dsn = f"{server}/{DB}"
    await _create_database(server.replace("://", "+asyncpg://", 1))
    print(
        f"loading {rows:,} rows for one person (+{rows // 10:,} for {OTHERS:,} others)..."
    )
    print(f"load    generate_series        : {await _load(dsn, rows):6.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        dataset = Path(folder) / "bench.yaml"
        dataset.write_text(DATASET)
        config = SqlConfig(
            name="bench",
            type="sql",
            url=dsn,
            dataset=dataset,
            hash_key=HASH_KEY,
            timeout=60,
        )
        connector = SqlConnector(config, name="bench")
        try:
            count, access, peak = await _bench_access(connector)
            copy = await _bench_copy(dsn, await _access_queries(server, connector))
            erase = await _timed("SqlConnector.erase", _erase_counts(connector))
            await _load(dsn, rows)
            hand = await _timed("hand-written SQL", _hand_erase(dsn))
        finally:
            await connector.aclose()
    size = f"{count:,} rows of one person on PostgreSQL"
    emit(
        "SQL access ÷ COPY of the same queries",
        access / copy,
        "x",
        None,
        f"{size}: {access:.2f} s beside {copy:.2f} s",
    )
    emit("SQL access peak RSS", peak, "MiB", "< 200", size)
    emit(
        "SQL erasure ÷ hand-written SQL",
        erase / hand,
        "x",
        None,
        f"the same rows: {erase:.2f} s beside {hand:.2f} s",
    )


async def _erase_counts(connector: SqlConnector) -> dict[str, int]:
    return dict((await connector.erase(Subject(email=EMAIL.lower()))).erased)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.server))
