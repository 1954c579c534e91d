"""Benchmark approve -> completed: one access request, answered by the running worker.

The store is a SQLite shop where the person owns 1,201 rows (one user, 1,200 orders)
among `--others` other people's rows, read by the `sql` connector. Two figures per
database:

- work: the fan-out run and the results step called back to back on an approved
  ticket (no worker running) - the time the answer itself takes;
- approve -> completed: the app runs its worker in-process (`dsr serve`); a ticket is
  approved and the clock stops when its status reads `completed`. With PostgreSQL a
  second figure approves through another sessionmaker (a separate web process), which
  only PostgreSQL LISTEN/NOTIFY can announce.

Goal: approve -> completed <= 2x work.

    python bench/bench_latency.py [--rounds 3] [--others 20000] [--database sqlite]
    python bench/bench_latency.py --database postgresql \
        [--server postgresql+asyncpg://postgres@127.0.0.1:5432]
"""

import argparse
import asyncio
import contextlib
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import migrations
from app.enums import Channel, Regulation, RequestType, Status
from app.fanout import runner
from app.fanout.config import FanoutRuntime, load_runtime
from app.flows import intake, review
from app.flows.answer import answer_ready
from app.main import create_app, make_app_sessionmaker
from app.requests.models import DsrRequest
from app.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.*, run as a script
from bench.figures import emit

EMAIL = "bench.person@example.com"
HASH_KEY = "bench-hash-key-0123456789"
DATASET = """
tables:
  users:
    identity: {email: email}
    primary_key: id
    erase: {update: {email: hash, name: "null"}}
  orders:
    primary_key: id
    references: {user_id: users.id}
    erase: {update: {address: redact}}
"""
PRIVACY = Path(__file__).parents[1] / "privacy.example.yaml"
POLL_SECONDS = 0.005


def make_store(path: Path, others: int) -> None:
    """The person (user 1) with 1,200 orders; `others` rows of other people beside."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL "
            "REFERENCES users(id), address TEXT, total REAL);"
            "CREATE INDEX ix_users_email ON users (lower(email));"
            "CREATE INDEX ix_orders_user ON orders (user_id);"
        )
        people = max(others // 10, 1)
        db.execute("INSERT INTO users VALUES (1, ?, 'Bench Person')", (EMAIL,))
        db.executemany(
            "INSERT INTO users VALUES (?, ?, ?)",
            ((n, f"other{n}@example.com", f"Other {n}") for n in range(2, people + 2)),
        )
        db.executemany(
            "INSERT INTO orders VALUES (?, 1, ?, 9.5)",
            ((n, f"{n} Main St") for n in range(1, 1201)),
        )
        db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, 5)",
            (
                (1200 + n, 2 + n % people, f"{n} Side St")
                for n in range(1, others - people + 1)
            ),
        )
        db.commit()


async def approve(maker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Open a pre-verified access request and approve it; return the ticket's id."""
    async with maker() as session:
        dsr = await intake.create_request(
            session,
            type=RequestType.ACCESS,
            regulation=Regulation.GDPR,
            email=EMAIL,
            channel=Channel.STAFF,
            actor="bench",
            settings=settings,
            identity_verified=True,
        )
        await review.approve(session, dsr, actor="bench")
        await session.commit()
    assert dsr.id is not None
    return dsr.id


async def status_of(maker: async_sessionmaker[AsyncSession], ident: int) -> Status:
    """The ticket's status, read fresh."""
    async with maker() as session:
        query = sa.select(DsrRequest.status).where(DsrRequest.id == ident)
        status: Status = (await session.execute(query)).scalar_one()
        return status


async def work_once(settings: Settings, runtime: FanoutRuntime) -> float:
    """Approve, then run the fan-out and the results step directly; the seconds taken."""
    maker = make_app_sessionmaker(settings, runtime)
    try:
        ident = await approve(maker, settings)
        started = time.perf_counter()
        await runner.run_due(maker, runtime, data_dir=settings.data_dir)
        await answer_ready(maker, settings=settings)
        elapsed = time.perf_counter() - started
        if await status_of(maker, ident) is not Status.COMPLETED:
            raise RuntimeError("the direct run did not complete the ticket")
    finally:
        await maker.kw["bind"].dispose()
    return elapsed


async def latency(
    settings: Settings, runtime: FanoutRuntime, rounds: int, *, remote: bool
) -> list[float]:
    """Approve -> completed with the worker running in the app's process."""
    app = create_app(settings, run_worker=True, runtime=runtime)
    # `remote`: approve through sessions of their own, as a web process apart would.
    web = make_app_sessionmaker(settings, runtime) if remote else None
    seconds = []
    async with app.router.lifespan_context(app):
        maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
        for _ in range(rounds + 1):  # the first one warms up
            started = time.perf_counter()
            ident = await approve(web or maker, settings)
            # Watched from outside, as a person reloading the ticket would: polling the
            # status every 5 ms is the measurement, not synchronisation.
            while await status_of(maker, ident) is not Status.COMPLETED:  # noqa: ASYNC110
                await asyncio.sleep(POLL_SECONDS)
            seconds.append(time.perf_counter() - started)
    if web is not None:
        await web.kw["bind"].dispose()
    return seconds[1:]


async def _admin(server: str, statement: str) -> None:
    import asyncpg  # PostgreSQL only

    dsn = server.replace("postgresql+asyncpg", "postgresql") + "/postgres"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def app_database(kind: str, server: str, folder: Path) -> Iterator[str]:
    """A migrated, empty app database: a SQLite file or a throwaway PostgreSQL one."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'dsr.db'}"
        migrations.upgrade(url)
        yield url
        return
    name = f"dsr_bench_latency_{secrets.token_hex(4)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        url = f"{server}/{name}"
        migrations.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--others", type=int, default=20000)
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql"), default="sqlite"
    )
    parser.add_argument(
        "--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dsr-bench-latency-") as name:
        folder = Path(name)
        make_store(folder / "shop.db", args.others)
        (folder / "shop.yaml").write_text(DATASET)
        (folder / "connectors.yaml").write_text(
            "connectors:\n  - name: shop\n    type: sql\n"
            f"    url: 'sqlite:///{folder / 'shop.db'}'\n"
            f"    dataset: shop.yaml\n    hash_key: {HASH_KEY}\n"
        )
        with app_database(args.database, args.server, folder) as url:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]  # pydantic-settings init option
                database_url=url,
                data_dir=folder / "var",
                secret_key=SecretStr("bench-secret-key-0123456789-0123456789"),
                connectors_file=folder / "connectors.yaml",
                privacy_file=PRIVACY,
            )
            runtime = load_runtime(settings, {})
            asyncio.run(work_once(settings, runtime))  # warm-up
            work = [
                asyncio.run(work_once(settings, runtime)) for _ in range(args.rounds)
            ]
            waits = {
                "in-process": asyncio.run(
                    latency(settings, runtime, args.rounds, remote=False)
                )
            }
            if args.database == "postgresql":
                waits["other process"] = asyncio.run(
                    latency(settings, runtime, args.rounds, remote=True)
                )
    base = statistics.median(work)
    print(
        f"{args.database}: work (fan-out + results, back to back) median {base:.3f} s "
        f"(best {min(work):.3f}, worst {max(work):.3f})"
    )
    for label, values in waits.items():
        middle = statistics.median(values)
        print(
            f"{args.database}: approve -> completed, approved {label}: median "
            f"{middle:.3f} s (best {min(values):.3f}, worst {max(values):.3f}) = "
            f"{middle / base:.2f}x work (goal <= 2x; {args.rounds} tickets after a "
            "warm-up)"
        )
        emit(
            f"approve → completed ÷ the work itself, {args.database}, approved {label}",
            middle / base,
            "x",
            "<= 2",
            f"{middle:.3f} s beside {base:.3f} s of work, medians of {args.rounds}",
        )


if __name__ == "__main__":
    main()
