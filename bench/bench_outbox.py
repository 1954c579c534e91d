"""Outbox throughput: queue N mails in the app database and drain them to a local relay.

Goal (issue 8): at least 2,000 mails a minute per process to a relay on loopback. The relay
is aiosmtpd in a process of its own (as a real relay would be), so it does not compete with
the outbox for this interpreter. Prints, for SQLite and (when it is reachable) PostgreSQL in
database `dsr_bench_outbox`: mails/minute with the outbox runs back to back, mails/minute
when the `outbox` job starts them on its 15 s ticks (what a worker delivers), and the
relay's message and connection counts. Asserts nothing.

    python bench/bench_outbox.py [--mails 2000] [--db sqlite --db postgresql]
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrations
from app.db import session_scope
from app.mail import outbox
from app.mail.models import Message, MessageState
from app.mail.transport import SmtpTransport
from app.main import make_app_sessionmaker
from app.settings import Security, Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.*, run as a script
from bench.figures import emit

PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
# `make bench` runs apart from a hand-run copy of this script (bench/run.py).
PG_DATABASE = "dsr_bench_outbox" + os.environ.get("BENCH_DB_SUFFIX", "")
PRIVACY = Path(__file__).parents[1] / "privacy.example.yaml"
JOB_SECONDS = 15  # the `outbox` job's interval (app/mail/jobs.py)

# The relay: accepts everything, counts messages and connections, reports on stdin's end.
RELAY = """
import socket, sys
from aiosmtpd.controller import Controller

class Counter:
    def __init__(self):
        self.messages, self.peers = 0, set()

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.peers.add(session.peer)
        return "250 OK"

with socket.socket() as probe:  # Controller needs a real port to check it is up
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
counter = Counter()
controller = Controller(counter, hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
sys.stdin.read()
controller.stop()
print(counter.messages, len(counter.peers), flush=True)
"""

CONTEXT = {
    "verify_url": "https://desk.example.com/verify/abc",
    "code": "7K3MQ9",
    "code_url": "https://desk.example.com/verify",
    "expires_on": date(2026, 6, 8),
    "closes_on": date(2026, 6, 15),
    "due_on": date(2026, 7, 1),
    "reference": "DSR-BENCH234",
    "request_type": "access",
    "regulation": "gdpr",
    "subject_name": "Bench Person",
}


async def _fill(settings: Settings, count: int) -> None:
    maker = make_app_sessionmaker(settings)
    try:
        async with session_scope(maker) as session:
            for n in range(count):
                await outbox.queue(
                    session,
                    settings=settings,
                    template="verify",
                    to=f"person{n}@example.com",
                    context=CONTEXT,
                )
    finally:
        await maker.kw["bind"].dispose()


async def _drain(settings: Settings) -> list[tuple[float, int]]:
    """Run the outbox back to back until nothing is due; (seconds, sent) of each run."""
    maker = make_app_sessionmaker(settings)
    transport = SmtpTransport(settings)
    runs: list[tuple[float, int]] = []
    try:
        while True:
            started = time.perf_counter()
            run = await outbox.deliver_due(maker, transport)
            if run.sent + run.retrying + run.failed == 0:
                break
            runs.append((time.perf_counter() - started, run.sent))
        async with maker() as session:
            query = select(func.count()).where(Message.state == MessageState.QUEUED)
            left = (await session.execute(query)).scalar_one()
        if left:
            print(f"   {left} mails still queued")
    finally:
        await maker.kw["bind"].dispose()
    return runs


def _on_schedule(runs: list[tuple[float, int]]) -> float:
    """Seconds the same runs take when the `outbox` job starts them on its 15 s ticks."""
    clock = 0.0
    for seconds, _ in runs:
        tick = -(-clock // JOB_SECONDS) * JOB_SECONDS  # a busy job skips ticks
        clock = tick + seconds
    return clock


async def _fresh_pg() -> str | None:
    admin = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"'))
            await connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    except OSError as exc:
        print(f"   PostgreSQL not reachable ({exc}); skipped")
        return None
    finally:
        await admin.dispose()
    return f"{PG_SERVER}/{PG_DATABASE}"


def _settings(url: str, data_dir: Path, port: int) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings init option
        database_url=url,
        data_dir=data_dir,
        secret_key="bench-secret-key-that-is-long-enough-0123456789",  # noqa: S106
        privacy_file=PRIVACY,
        connectors_file=data_dir / "connectors.yaml",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=Security.NONE,
    )


def _one(backend: str, count: int, root: Path) -> None:
    if backend == "sqlite":
        url: str | None = f"sqlite+aiosqlite:///{root / 'dsr.db'}"
    else:
        url = asyncio.run(_fresh_pg())
    if url is None:
        for way in ("back to back", f"on the job's {JOB_SECONDS} s ticks"):
            emit(
                f"outbox mails per minute, {backend}, {way}",
                None,
                "mails/min",
                ">= 2000",
                "not measured: PostgreSQL is not reachable",
            )
        return
    migrations.upgrade(url)
    relay = subprocess.Popen(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", RELAY],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert relay.stdin is not None
    assert relay.stdout is not None
    try:
        port = int(relay.stdout.readline())
        settings = _settings(url, root / "var", port)
        asyncio.run(_fill(settings, count))
        runs = asyncio.run(_drain(settings))
    finally:
        relay.stdin.close()
        received, connections = (int(v) for v in relay.stdout.readline().split())
        relay.wait(timeout=10)
    sent = sum(count for _, count in runs)
    busy = sum(seconds for seconds, _ in runs)
    print(
        f"{backend:>10}: {sent:,} mails in {len(runs)} runs,"
        f" relay got {received:,} over {connections} connections\n"
        f"{'':>12}back to back: {busy:.2f} s = {sent / busy * 60:,.0f} mails/minute\n"
        f"{'':>12}on the job's {JOB_SECONDS} s ticks:"
        f" {sent / _on_schedule(runs) * 60:,.0f} mails/minute"
    )
    detail = f"{sent:,} mails in {len(runs)} runs over {connections} connections"
    emit(
        f"outbox mails per minute, {backend}, back to back",
        sent / busy * 60,
        "mails/min",
        ">= 2000",
        detail,
    )
    emit(
        f"outbox mails per minute, {backend}, on the job's {JOB_SECONDS} s ticks",
        sent / _on_schedule(runs) * 60,
        "mails/min",
        ">= 2000",
        detail,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument(
        "--db", action="append", choices=("sqlite", "postgresql"), default=None
    )
    args = parser.parse_args()
    for backend in args.db or ["sqlite", "postgresql"]:
        with tempfile.TemporaryDirectory(prefix="dsr-bench-outbox-") as folder:
            _one(backend, args.mails, Path(folder))


if __name__ == "__main__":
    main()
