"""The staff queue and request page with 100,000 tickets in PostgreSQL: page time beside SQL.

Fills database `dsr_bench_queue` (dropped and migrated first; `--url` for another, never the
test suite's) with `--tickets` tickets spread over two years (a fifth of them open), one
admin, and one ticket with 200 timeline events and 50 messages. Then, logged in as the admin
through the app's own log-in form, it requests each page `--rounds` times in-process (ASGI,
so no socket is measured) and prints the median server time beside the time its SQL
statements took (summed from SQLAlchemy's cursor events on the app's engine): the goal is a
page at most 3 times its SQL. Last, EXPLAIN ANALYZE of each page's slowest statement shows
which index serves it.

    python bench/bench_queue.py [--tickets 100000] [--rounds 20] [--url postgresql+asyncpg://...]

Prints figures, asserts nothing.
"""

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrations
from app.enums import Channel, Regulation, RequestType, Status
from app.flows import intake, review
from app.mail.models import Direction, Message, MessageState
from app.main import create_app
from app.requests import tickets
from app.requests.reference import new_reference
from app.settings import Settings
from app.staff import service as staff_service
from app.staff.models import Role

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.*, run as a script
from bench.figures import emit

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
# `make bench` runs apart from a hand-run copy of this script (bench/run.py).
SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "")
DEFAULT_URL = os.environ.get("BENCH_QUEUE_URL", f"{SERVER}/dsr_bench_queue{SUFFIX}")
ADMIN, PASSWORD = "bench-admin@example.com", "bench password 0123456789"
# Status mix of a desk that has run for two years: most tickets are closed.
STATUSES = [
    (Status.COMPLETED, 55),
    (Status.DENIED, 5),
    (Status.CLOSED, 12),
    (Status.CANCELED, 3),
    (Status.UNVERIFIED, 5),
    (Status.PENDING_REVIEW, 8),
    (Status.IN_PROGRESS, 9),
    (Status.ACTION_REQUIRED, 3),
]
OUTCOMES = {
    Status.COMPLETED: "complied",
    Status.DENIED: "denied",
    Status.CLOSED: "unverified",
    Status.CANCELED: "canceled",
}


def _in_thread(work: Any) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(work).result()


async def _reset(url: str) -> None:
    server, name = url.rsplit("/", 1)
    admin = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        if not await connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ):
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def _rows(count: int, now: datetime) -> list[tuple[Any, ...]]:
    rng = random.Random(42)
    statuses = [status for status, weight in STATUSES for _ in range(weight)]
    kinds, laws = list(RequestType), list(Regulation)
    references: set[str] = set()
    rows = []
    for n in range(count):
        reference = new_reference()
        while reference in references:
            reference = new_reference()
        references.add(reference)
        status = rng.choice(statuses)
        received = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        if status not in OUTCOMES:  # open ones are recent
            received = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
        due = received + timedelta(days=30)
        closed = (
            received + timedelta(days=rng.randrange(1, 40))
            if status in OUTCOMES
            else None
        )
        email = f"person{n}@example.com"
        rows.append(
            (
                reference,
                rng.choice(kinds).value,
                rng.choice(laws).value,
                status.value,
                rng.choice(list(Channel)).value,
                email,
                email,
                f"Person {n}",
                "en",
                received,
                due,
                closed,
                OUTCOMES.get(status),
                False,
                False,
                received,
                received,
            )
        )
    return rows


COLUMNS = (
    "reference",
    "type",
    "regulation",
    "status",
    "channel",
    "subject_email",
    "subject_email_key",
    "subject_name",
    "language",
    "received_at",
    "due_at",
    "closed_at",
    "outcome",
    "escalated",
    "unread",
    "created_at",
    "updated_at",
)


async def _fill(url: str, count: int) -> float:
    started = time.perf_counter()
    dsn = url.replace("+asyncpg", "")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "dsr_request", records=_rows(count, datetime.now(UTC)), columns=COLUMNS
        )
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _heavy_ticket(app: Any, settings: Settings) -> str:
    """A ticket with 200 timeline events and 50 messages, made through the services."""
    async with app.state.sessionmaker() as session:
        dsr = await intake.create_request(
            session,
            type=RequestType.ACCESS,
            regulation=Regulation.GDPR,
            email="heavy@example.com",
            channel=Channel.STAFF,
            actor="bench",
            settings=settings,
            identity_verified=True,
        )
        await session.commit()
        reference = dsr.reference
        async with tickets.edit(session, reference) as held:
            for n in range(200 - 3):  # creation already wrote a few events
                await review.add_note(session, held, actor="bench", text=f"Note {n}")
            for n in range(50):
                incoming = n % 2 == 0
                session.add(
                    Message(
                        request_id=held.id,
                        direction=Direction.IN if incoming else Direction.OUT,
                        message_id=f"<bench-{n}@example.com>",
                        subject=f"Re: [{reference}] your request",
                        from_address="heavy@example.com"
                        if incoming
                        else "privacy@localhost",
                        to_address="privacy@localhost"
                        if incoming
                        else "heavy@example.com",
                        peer="heavy@example.com",
                        text=f"Message {n}\n" + "Some text of the thread. " * 20,
                        state=MessageState.RECEIVED if incoming else MessageState.SENT,
                    )
                )
        await session.commit()
    return reference


class SqlTimer:
    """Sums the time of every statement the app's engine runs (cursor events)."""

    def __init__(self, engine: Any) -> None:
        self.seconds, self.statements = 0.0, []
        self._started: dict[int, float] = {}
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.seconds, self.statements = 0.0, []

    def _before(
        self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any
    ) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(
        self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any
    ) -> None:
        took = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        self.seconds += took
        self.statements.append((took, statement, params))


async def _log_in(client: httpx.AsyncClient) -> None:
    page = (await client.get("/login")).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("no log-in form at /login")
    answer = await client.post(
        "/login",
        data={"email": ADMIN, "password": PASSWORD, "csrf_token": found.group(1)},
    )
    if answer.status_code != 303:
        raise SystemExit(f"log-in failed: {answer.status_code}")


LISTING = "FROM dsr_request"  # the page's own list of tickets (beside its counts)


class PageMissing(Exception):
    """The page is not there (yet): reported, not measured."""


async def _measure(
    client: httpx.AsyncClient, timer: SqlTimer, path: str, rounds: int
) -> tuple[float, float, int, tuple[float, str, Any], tuple[float, str, Any] | None]:
    pages, sqls, slowest = [], [], (0.0, "", None)
    for n in range(rounds + 3):
        timer.reset()
        started = time.perf_counter()
        answer = await client.get(path)
        took = time.perf_counter() - started
        if answer.status_code != 200:
            raise PageMissing(f"{path} answered {answer.status_code}")
        if n >= 3:  # the first rounds warm caches and prepared statements
            pages.append(took)
            sqls.append(timer.seconds)
            slowest = max([slowest, *timer.statements], key=lambda each: each[0])
    listing = next(
        (
            each
            for each in timer.statements
            if LISTING in each[1] and "LIMIT" in each[1]
        ),
        None,
    )
    return (
        statistics.median(pages),
        statistics.median(sqls),
        len(timer.statements),
        slowest,
        listing,
    )


async def _explain(url: str, statement: str, params: Any) -> list[str]:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, *(params or ())
        )
    finally:
        await connection.close()
    return [row[0] for row in rows]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args()
    if args.url.rsplit("/", 1)[-1] in {"test", "postgres"}:
        raise SystemExit("refusing to reset the test suite's or the server's database")
    await _reset(args.url)
    _in_thread(lambda: migrations.upgrade(args.url))
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=args.url,
            data_dir=Path(folder),
            secret_key="bench-secret-key-0123456789-0123456789-abcdef",  # noqa: S106 - a throwaway database
            privacy_file=ROOT / "privacy.example.yaml",
            connectors_file=Path(folder) / "connectors.yaml",
        )
        filled = await _fill(args.url, args.tickets)
        print(f"filled {args.tickets:,} tickets in {filled:.1f} s")
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            async with app.state.sessionmaker() as session:
                await staff_service.add_staff(
                    session, email=ADMIN, role=Role.ADMIN, password=PASSWORD
                )
                await session.commit()
            heavy = await _heavy_ticket(app, settings)
            # What autovacuum does on a live desk: statistics, and the visibility map
            # that lets counts read the status index alone.
            async with app.state.engine.connect() as connection:
                autocommit = await connection.execution_options(
                    isolation_level="AUTOCOMMIT"
                )
                await autocommit.execute(text("VACUUM ANALYZE"))
            timer = SqlTimer(app.state.engine)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench.test"
            ) as client:
                await _log_in(client)
                pages = [
                    ("queue, default view", "/queue"),
                    ("queue, status filter", "/queue?status=pending_review"),
                    ("queue, search by email", "/queue?q=person4242%40example.com"),
                    ("queue, search by reference", f"/queue?q={heavy}"),
                    ("request page, 200 events + 50 messages", f"/requests/{heavy}"),
                ]
                print(
                    f"\n{'page':<40} {'page ms':>8} {'SQL ms':>8} {'ratio':>6} {'stmts':>6}"
                )
                slow_ones = []
                for name, path in pages:
                    try:
                        page, sql, count, slowest, listing = await _measure(
                            client, timer, path, args.rounds
                        )
                    except PageMissing as exc:
                        print(f"{name:<40} not measured: {exc}")
                        emit(
                            f"{name} ÷ its SQL",
                            None,
                            "x",
                            "<= 3",
                            f"not measured: {exc}",
                        )
                        continue
                    ratio = page / sql if sql else float("inf")
                    print(
                        f"{name:<40} {page * 1000:>8.1f} {sql * 1000:>8.1f}"
                        f" {ratio:>6.1f} {count:>6}"
                    )
                    emit(
                        f"{name} ÷ its SQL",
                        ratio if sql else None,
                        "x",
                        "<= 3",
                        f"{args.tickets:,} tickets on PostgreSQL: {page * 1000:.1f} ms beside "
                        f"{sql * 1000:.1f} ms of SQL ({count} statements), medians of {args.rounds}",
                    )
                    slow_ones.append((f"{name}: slowest statement", slowest))
                    if listing is not None and listing[1] != slowest[1]:
                        slow_ones.append((f"{name}: the list of tickets", listing))
            for name, (took, statement, params) in slow_ones:
                print(f"\n-- {name} ({took * 1000:.1f} ms)")
                print(re.sub(r"\s+", " ", statement)[:300])
                for line in await _explain(args.url, statement, params):
                    print("   ", line)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
