"""Public form posts beside `/healthz`, served by `dsr serve` the way it runs in production.

Goal (issue 8): form posts reach at least 10 % of `/healthz`'s throughput under the same
concurrency. Each client posts from its own loopback address (127.0.0.N), so the per-IP limit
of the form is not what is measured. A round posts, then loads `/healthz`; the figure is the
median of the rounds' ratios, since on a shared machine one phase of a single round can run
20 % slower than the other. Run: `python bench/bench_form.py [--clients 50] [--rounds 3]`.
Prints figures, asserts nothing.
"""

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.*, run as a script
from bench.figures import emit

DSR = Path(sys.executable).parent / "dsr"
PER_ADDRESS = 20  # the form's per-IP limit per hour
SERVE_OPTIONS = os.environ.get("BENCH_SERVE_OPTIONS", "").split()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_up(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not come up")


async def _poster(
    base: str, index: int, latencies: list[float], codes: list[int]
) -> None:
    transport = httpx.AsyncHTTPTransport(
        local_address=f"127.0.{index // 250}.{index % 250 + 2}"
    )
    async with httpx.AsyncClient(
        transport=transport, base_url=base, timeout=120
    ) as client:
        page = (await client.get("/request")).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match is not None
        for n in range(PER_ADDRESS):
            data = {
                "csrf_token": match.group(1),
                "location": "eea",
                "type": "access",
                "email": f"p{index}.{n}@example.com",
                "name": "Bench Person",
            }
            started = time.perf_counter()
            response = await client.post("/request", data=data)
            latencies.append(time.perf_counter() - started)
            codes.append(response.status_code)


async def _health(base: str, count: int, latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(count):
            started = time.perf_counter()
            await client.get("/healthz")
            latencies.append(time.perf_counter() - started)


def _figures(name: str, latencies: list[float], seconds: float) -> float:
    ordered = sorted(latencies)
    rate = len(ordered) / seconds
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    print(
        f"{name:<10} {len(ordered):>6} in {seconds:5.1f} s = {rate:7.1f}/s"
        f"   p50 {p(0.5):6.1f} ms  p95 {p(0.95):6.1f} ms  p99 {p(0.99):6.1f} ms"
    )
    return rate


PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
# `make bench` runs apart from a hand-run copy of this script (bench/run.py).
PG_DATABASE = "dsr_bench_form" + os.environ.get("BENCH_DB_SUFFIX", "")


async def _fresh_postgres() -> str:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"'))
        await connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    await admin.dispose()
    return f"{PG_SERVER}/{PG_DATABASE}"


@dataclass(frozen=True, slots=True)
class Round:
    """One round's throughputs, and the posts not answered with the redirect."""

    form: float
    health: float
    bad: int

    @property
    def ratio(self) -> float:
        return self.form / self.health


async def _round(base: str, clients: int, first: int) -> Round:
    """Post forms from every client at once, then hit /healthz the same way."""
    posts: list[float] = []
    codes: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(_poster(base, first + i, posts, codes) for i in range(clients))
    )
    form_rate = _figures("form POST", posts, time.perf_counter() - started)
    health: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(_health(base, PER_ADDRESS * 5, health) for _ in range(clients))
    )
    health_rate = _figures("/healthz", health, time.perf_counter() - started)
    bad = [code for code in codes if code != 303]
    print(
        f"form / healthz = {form_rate / health_rate:.1%}, median post"
        f" {statistics.median(posts) * 1000:.1f} ms, not answered 303: {len(bad)}"
        f" {sorted(set(bad))}"
    )
    return Round(form_rate, health_rate, len(bad))


async def load(base: str, clients: int, rounds: int) -> list[Round]:
    """Run the rounds, each client of each round from its own address."""
    await _wait_up(base)
    return [await _round(base, clients, n * clients) for n in range(rounds)]


def run(clients: int, rounds: int, database: str) -> None:
    """Serve a fresh database with `dsr serve` (web, scheduler and worker) and load it."""
    print(f"== {database}, {clients} clients")
    with tempfile.TemporaryDirectory() as tmp:
        url = (
            f"sqlite+aiosqlite:///{tmp}/dsr.db"
            if database == "sqlite"
            else asyncio.run(_fresh_postgres())
        )
        env = {
            **os.environ,
            "DSR_DATABASE_URL": url,
            "DSR_DATA_DIR": f"{tmp}/var",
            "DSR_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "DSR_CONNECTORS_FILE": f"{tmp}/none.yaml",
            "DSR_PRIVACY_FILE": str(Path(__file__).parents[1] / "privacy.example.yaml"),
        }
        upgrade = [str(DSR), "db", "upgrade"]
        subprocess.run(upgrade, env=env, check=True, capture_output=True)  # noqa: S603
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            [str(DSR), "serve", "--port", str(port), *SERVE_OPTIONS],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            results = asyncio.run(load(f"http://127.0.0.1:{port}", clients, rounds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    middle = sorted(results, key=lambda r: r.ratio)[len(results) // 2]
    ratios = ", ".join(f"{100 * r.ratio:.1f}" for r in results)
    emit(
        f"form posts ÷ /healthz throughput, {database}",
        100 * middle.ratio,
        "%",
        ">= 10",
        f"median of {len(results)} rounds ({ratios} %); {clients} clients:"
        f" {middle.form:.1f} posts/s beside {middle.health:.1f} /healthz/s;"
        f" {sum(r.bad for r in results)} posts not answered 303",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql", "both"], default="both"
    )
    args = parser.parse_args()
    for name in (
        ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    ):
        run(args.clients, args.rounds, name)
