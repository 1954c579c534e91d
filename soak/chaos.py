"""The faults of the fault run: worker kills, connection cuts and a relay outage.

Faults are counted, not timed: they are spread over the run by the number of approved
tickets, and a kill waits until both workers are steady, so a slow machine gets the same
faults, only later, and they never pile up.
"""

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from soak import common
from soak.hook import Faults
from soak.relay import Relay

HOOK_TIMEOUT = 5.0  # the webhook connector's timeout; a stall lasts longer
KILL_REASONS = ("random", "store", "hook", "mail")


@dataclass
class Options:
    """What one run does; the defaults are `make soak`'s."""

    tickets: int = 120
    workers: int = 2
    others: int = 30  # people in the store who ask nothing: their rows must stay
    spread: float = 90.0  # seconds over which tickets are created
    # Counts, not rates: spread over the run, and a random kill only takes a worker that
    # has been up a few seconds, so a slow machine gets the same faults, only later.
    random_kills: int = 6
    effect_kills: int = 2  # per kind of effect in `kill_after`
    kill_after: tuple[str, ...] = ("store", "hook", "mail")
    first_kill_after: tuple[float, float] = (3.0, 10.0)  # seconds into the run
    cuts: int = 6
    outage_seconds: float = 20.0
    faults: Faults = field(
        default_factory=lambda: Faults(
            error=0.08, throttle=0.08, stall=0.05, stall_seconds=HOOK_TIMEOUT + 1.5
        )
    )
    bound: float = 600.0  # seconds after the faults stop for every ticket to complete
    seed: int = 1


@dataclass(frozen=True, slots=True)
class Kill:
    """A SIGKILL the run sent."""

    at: float
    pid: int
    reason: str


class Trigger:
    """Allows a few kills of one kind, spaced out, while the faults are on and both
    workers are steady (so kills never pile up on a slow machine)."""

    def __init__(
        self,
        count: int,
        rng: random.Random,
        on: threading.Event,
        first: tuple[float, float],
        steady: Callable[[], bool],
    ) -> None:
        self.remaining, self._rng, self._on = count, rng, on
        self._next = time.monotonic() + rng.uniform(*first)
        self._steady = steady
        self._lock = threading.Lock()

    def fire(self) -> bool:
        """True when this effect should be followed by a kill."""
        with self._lock:
            if not self._on.is_set() or self.remaining <= 0:
                return False
            if time.monotonic() < self._next or not self._steady():
                return False
            self.remaining -= 1
            self._next = time.monotonic() + self._rng.uniform(5, 15)
            return True


class Fleet:
    """The workers: killed by the run, restarted by the supervisor."""

    def __init__(self, env: dict[str, str], rng: random.Random, workers: int) -> None:
        self.env, self.rng = env, rng
        self.kills: list[Kill] = []
        self.unexpected: list[str] = []
        self.restarts = 0
        self._lock = threading.Lock()
        self._killed: set[int] = set()
        self.slots = [self._start(slot) for slot in range(workers)]

    def _start(self, slot: int) -> common.Process:
        name = f"worker{slot}-{self.restarts}"
        return common.Process(name, ["worker"], self.env)

    def pids(self, up_for: float | None = None) -> list[int]:
        """The live workers' process ids (only those scheduling jobs for `up_for` s)."""
        with self._lock:
            live = [p for p in self.slots if p.alive and p.pid not in self._killed]
        if up_for is None:
            return [p.pid for p in live]
        now = time.monotonic()
        return [p.pid for p in live if (p.ready_at() or now + 1) <= now - up_for]

    def steady(self, up_for: float = 2.0) -> bool:
        """True when every worker has been scheduling jobs for `up_for` seconds."""
        return len(self.pids(up_for)) == len(self.slots)

    async def wait_ready(self, seconds: float = 120) -> None:
        """Wait until both workers schedule jobs (the run starts in a steady state)."""
        deadline = time.monotonic() + seconds
        while not self.steady(0.0):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            await asyncio.sleep(0.1)

    def kill(self, pid: int, reason: str) -> None:
        """SIGKILL one worker now (any thread)."""
        with self._lock:
            target = next((p for p in self.slots if p.pid == pid), None)
            if target is None or pid in self._killed:
                return
            self._killed.add(pid)
            target.kill()
            self.kills.append(Kill(time.monotonic(), pid, reason))

    async def supervise(self, stop: asyncio.Event) -> None:
        """Restart dead workers after a pause; note deaths the run did not cause."""
        dead_since: dict[int, float] = {}
        while not stop.is_set():
            for slot, process in enumerate(list(self.slots)):
                if process.alive:
                    continue
                if process.pid not in self._killed and process.pid not in dead_since:
                    self.unexpected.append(f"{process.name} exited by itself")
                since = dead_since.setdefault(process.pid, time.monotonic())
                if time.monotonic() - since >= self.rng.uniform(0.5, 2.0):
                    self.restarts += 1
                    process.stop()  # reaps it and closes its log
                    fresh = self._start(slot)
                    with self._lock:
                        self.slots[slot] = fresh
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        """Stop every worker."""
        for process in self.slots:
            process.stop()


class AppDb:
    """The run's own connection to the app database, exempt from the cuts."""

    def __init__(self, server: str, name: str) -> None:
        self.server, self.name = server, name
        self._connection: asyncpg.Connection | None = None

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Run a query, reconnecting once if the connection went away."""
        for attempt in range(2):
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await common.connect(
                        self.server,
                        self.name,
                        server_settings={"application_name": "soak"},
                    )
                return list(await self._connection.fetch(query, *args))
            except (asyncpg.PostgresConnectionError, OSError):
                self._connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            await self._connection.close()


@dataclass
class Run:
    """Everything one run observed."""

    options: Options
    rng: random.Random
    store_name: str
    faults_on: threading.Event = field(default_factory=threading.Event)
    cuts: list[float] = field(default_factory=list)
    outages: int = 0
    server_errors: list[tuple[float, str, int]] = field(default_factory=list)
    approved_at: dict[str, float] = field(default_factory=dict)  # reference -> epoch
    references: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def check(self, ok: bool, message: str) -> None:
        """Record a violated invariant."""
        if not ok:
            self.violations.append(message)


def _milestones(run: Run, count: int) -> list[int]:
    """Approved-ticket counts at which `count` faults of one kind happen, spread evenly."""
    tickets = run.options.tickets
    return [max(1, round((n + 1) * tickets / (count + 1))) for n in range(count)]


async def _approved(run: Run, count: int) -> None:
    while len(run.approved_at) < count:  # noqa: ASYNC110 - a counter of the run
        await asyncio.sleep(0.2)


async def random_kills(fleet: Fleet, run: Run) -> None:
    """SIGKILL a steady worker as the tickets progress."""
    for milestone in _milestones(run, run.options.random_kills):
        await _approved(run, milestone)
        up_for = run.rng.uniform(2.0, 6.0)
        while not fleet.steady(up_for):  # noqa: ASYNC110 - the workers' logs
            await asyncio.sleep(0.2)
        fleet.kill(run.rng.choice(fleet.pids()), "random")


async def cuts(app_db: AppDb, run: Run) -> None:
    """Terminate every connection to the app database but the run's own, as tickets
    progress."""
    for milestone in _milestones(run, run.options.cuts):
        await _approved(run, milestone)
        await asyncio.sleep(run.rng.uniform(0.0, 2.0))
        await app_db.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND application_name <> 'soak'"
            " AND pid <> pg_backend_pid()",
            app_db.name,
        )
        run.cuts.append(time.monotonic())


async def outage(relay: Relay, run: Run) -> None:
    """Stop the relay once, a third into the run, then start it again."""
    if run.options.outage_seconds <= 0:
        return
    await _approved(run, run.options.tickets // 3)
    await asyncio.to_thread(relay.stop)
    run.outages += 1
    await asyncio.sleep(run.options.outage_seconds)
    await asyncio.to_thread(relay.start)


@contextlib.asynccontextmanager
async def store_kills(
    run: Run, store_url: str, app_db: AppDb, fleet: Fleet, trigger: Trigger
) -> AsyncIterator[None]:
    """Kill the worker that erased a person the moment the store committed it."""
    server, name = store_url.rsplit("/", 1)
    listener = await common.connect(server, name)
    pending: set[asyncio.Task[None]] = set()

    async def kill_holder(email: str) -> None:
        # The erasing connection is closed by now (the connector pools none): the
        # task's lease names the worker that ran it.
        rows = await app_db.fetch(
            "SELECT t.lease_owner FROM connector_task t JOIN dsr_request r"
            " ON r.id = t.request_id WHERE r.subject_email = $1"
            " AND t.connector = 'store'",
            email,
        )
        holder = rows[0]["lease_owner"] if rows else None
        if holder:
            fleet.kill(int(holder.split(":")[1]), "store")

    def erased(*args: Any) -> None:
        if trigger.fire():
            task = asyncio.create_task(kill_holder(args[3]))
            pending.add(task)
            task.add_done_callback(pending.discard)

    await listener.add_listener("soak_erased", erased)
    try:
        yield
    finally:
        await asyncio.gather(*pending, return_exceptions=True)
        await listener.close()
