"""Benchmark the fan-out: one ticket, 20 connectors that each take 200 ms.

Prints the wall time of the fan-out run (first claim to the last task result; the results
step that answers the ticket comes after) divided by 200 ms (goal
<= 1.3: the connectors run concurrently and the bookkeeping is small). Uses a test-only
connector type registered through an explicit registry mapping and a migrated SQLite
database in a temporary folder.

    python bench/bench_fanout.py [--connectors 20] [--delay 0.2] [--rounds 5]
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import migrations
from app.enums import Channel, Regulation, RequestType
from app.fanout import runner
from app.fanout.config import RUNTIME_KEY, FanoutRuntime, load_runtime
from app.flows import intake, review
from app.main import make_app_sessionmaker
from app.requests import tickets
from app.settings import Settings
from connectors.base import (
    Capability,
    Connector,
    ConnectorConfig,
    EraseSummary,
    Record,
    Subject,
)
from connectors.registry import load_types

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.*, run as a script
from bench.figures import emit


class SleepyConnector(Connector[ConnectorConfig]):
    """Answers every call after a fixed delay, like a remote API would."""

    capabilities = frozenset(Capability)
    config_model = ConnectorConfig
    delay = 0.2

    async def test(self) -> None:
        await asyncio.sleep(self.delay)

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        await asyncio.sleep(self.delay)
        for n in range(50):
            yield Record("rows", {"n": n, "reference": subject.reference})

    async def erase(self, subject: Subject) -> EraseSummary:
        await asyncio.sleep(self.delay)
        return EraseSummary(erased={"rows": 50})


async def one_ticket(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    runtime: FanoutRuntime,
    kind: RequestType,
) -> tuple[float, str]:
    """Approve one ticket, then run the fan-out; return (seconds, final status)."""
    async with maker() as session:
        dsr = await intake.create_request(
            session,
            type=kind,
            regulation=Regulation.GDPR,
            email="bench.person@example.com",
            channel=Channel.STAFF,
            actor="bench",
            settings=settings,
            identity_verified=True,
        )
        await review.approve(session, dsr, actor="bench")  # plans the tasks
        await session.commit()
    started = time.perf_counter()
    await runner.run_due(maker, runtime, data_dir=settings.data_dir)
    elapsed = time.perf_counter() - started
    async with maker() as session:
        found = await tickets.require(session, dsr.reference)
        return elapsed, found.status.value


async def measure(
    settings: Settings, runtime: FanoutRuntime, kind: RequestType, rounds: int
) -> tuple[list[float], set[str]]:
    """One warm-up ticket, then `rounds` measured ones, in one process like a worker."""
    maker = make_app_sessionmaker(settings)
    maker.configure(info={**maker.kw["info"], RUNTIME_KEY: runtime})
    try:
        await one_ticket(maker, settings, runtime, kind)
        results = [
            await one_ticket(maker, settings, runtime, kind) for _ in range(rounds)
        ]
    finally:
        await maker.kw["bind"].dispose()
    return [seconds for seconds, _ in results], {status for _, status in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connectors", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    SleepyConnector.delay = args.delay
    with tempfile.TemporaryDirectory(prefix="dsr-bench-fanout-") as folder:
        root = Path(folder)
        url = f"sqlite+aiosqlite:///{root / 'dsr.db'}"
        migrations.upgrade(url)
        blocks = "".join(
            f"  - {{name: system{n:02d}, type: sleepy}}\n"
            for n in range(args.connectors)
        )
        (root / "connectors.yaml").write_text(f"connectors:\n{blocks}")
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]  # pydantic-settings init option
            database_url=url,
            data_dir=root,
            secret_key=SecretStr("bench-secret-key-0123456789-0123456789"),
            connectors_file=root / "connectors.yaml",
        )
        registry = load_types({"sleepy": SleepyConnector})
        runtime = load_runtime(settings, {}, registry=registry)
        for kind in (RequestType.ERASURE, RequestType.ACCESS):
            seconds, statuses = asyncio.run(
                measure(settings, runtime, kind, args.rounds)
            )
            ratios = [value / args.delay for value in seconds]
            print(
                f"fan-out {kind.value}: {args.connectors} connectors x "
                f"{args.delay * 1000:.0f} ms -> wall / delay = "
                f"median {statistics.median(ratios):.2f}, best {min(ratios):.2f}, "
                f"worst {max(ratios):.2f} (goal <= 1.3; {args.rounds} tickets after "
                f"a warm-up, from the first claim until every task has its result; tickets "
                f"{', '.join(sorted(statuses))})"
            )
            emit(
                f"fan-out ÷ connector delay, {kind.value}",
                statistics.median(ratios),
                "x",
                "<= 1.3",
                f"{args.connectors} connectors x {args.delay * 1000:.0f} ms, median of "
                f"{args.rounds} (best {min(ratios):.2f}, worst {max(ratios):.2f})",
            )


if __name__ == "__main__":
    main()
