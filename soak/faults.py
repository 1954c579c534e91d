"""Fault run: erasures on PostgreSQL through web + two workers while things break.

`dsr serve --no-worker` and two `dsr worker`s share one PostgreSQL app database. Each
ticket (created through the API, verified by the emailed link, approved through the API)
erases a person in a SQL store (its own PostgreSQL database, 301 rows per person) and at a
flaky webhook (soak/hook.py: 500s, 429s with Retry-After, stalls past the timeout). Mail
goes to a recording relay (soak/relay.py). While tickets flow, the run:

- kills a worker with SIGKILL at random moments, and right after each kind of effect: a
  store erasure committed (a trigger's NOTIFY), a webhook erasure answered, a mail accepted
  by the relay; a supervisor restarts killed workers;
- terminates the app database's connections (`pg_terminate_backend`, never a restart);
- stops the relay for a while, then starts it again.

After recovery it checks (exit 1 on any violation): every ticket completed within the
bound; each person's store rows gone, erased by exactly one committed transaction, other
people's rows intact; one webhook effect per ticket, every repeated call explained by a
fault answer, a kill or a connection cut just after it; erasure counts true (or flagged
`count_unknown`); every mail the app sent at the relay, each ticket's received, verified
and erasure_done among them, every duplicate explained by a kill of its sender just after
the relay accepted it; no task, results work or mail left running or queued; no worker
exit that the run did not cause; `dsr audit verify` passes. It prints one line of figures.

    python -m soak.faults [--tickets 120] [--spread 90] [--seed 1]
"""

import argparse
import asyncio
import contextlib
import random
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from soak import common
from soak.hook import Faults, Hook, serving
from soak.relay import Relay

ROWS_PER_PERSON = 301  # 1 person, 200 orders, 100 order lines
STORE_SCHEMA = """
CREATE TABLE people (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE TABLE orders (id serial PRIMARY KEY,
                     person_id integer NOT NULL REFERENCES people(id),
                     address text, total numeric);
CREATE TABLE order_lines (id serial PRIMARY KEY,
                          order_id integer NOT NULL REFERENCES orders(id), item text);
CREATE INDEX ON people (lower(email));
CREATE INDEX ON orders (person_id);
CREATE INDEX ON order_lines (order_id);
-- Who erased whom, written by the erasing transaction itself: a row exists only once it
-- committed, and the NOTIFY arrives the moment it does.
CREATE TABLE erase_log (email text NOT NULL,
                        at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION log_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO erase_log (email) VALUES (OLD.email);
  PERFORM pg_notify('soak_erased', OLD.email);
  RETURN OLD;
END $$;
CREATE TRIGGER people_erased AFTER DELETE ON people
  FOR EACH ROW EXECUTE FUNCTION log_erasure();
"""
STORE_SEED = """
INSERT INTO people SELECT g, 'soak.person' || g || '@example.com', 'Soak Person ' || g
  FROM generate_series(1, $1::int) g;
INSERT INTO orders (person_id, address, total)
  SELECT p, g || ' Harbour Road', 9.5 FROM generate_series(1, $1::int) p,
  generate_series(1, 200) g;
INSERT INTO order_lines (order_id, item) SELECT id, 'item' FROM orders WHERE id % 2 = 0;
"""
DATASET = """\
tables:
  people: {identity: {email: email}, primary_key: id, erase: delete}
  orders: {primary_key: id, references: {person_id: people.id}, erase: delete}
  order_lines: {primary_key: id, references: {order_id: orders.id}, erase: delete}
"""
HOOK_SECRET = "soak-webhook-secret-0123456789"
HOOK_TIMEOUT = 5.0
# How close after an event a kill or a cut must come to explain a repeat.
WINDOW_SECONDS = 2.0
KILL_REASONS = ("random", "store", "hook", "mail")
_TOKEN = re.compile(r"/verify/([A-Za-z0-9_\-]+)")


@dataclass
class Options:
    """What one run does; the defaults are `make soak`'s."""

    tickets: int = 120
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
    """The two workers: killed by the run, restarted by the supervisor."""

    def __init__(self, env: dict[str, str], rng: random.Random) -> None:
        self.env, self.rng = env, rng
        self.kills: list[Kill] = []
        self.unexpected: list[str] = []
        self.restarts = 0
        self._lock = threading.Lock()
        self._killed: set[int] = set()
        self.slots = [self._start(slot) for slot in range(2)]

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
        return [p.pid for p in live if (p.ready_at() or now) <= now - up_for]

    def steady(self, up_for: float = 2.0) -> bool:
        """True when both workers have been scheduling jobs for `up_for` seconds."""
        return len(self.pids(up_for)) == len(self.slots)

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


async def seed_store(server: str, name: str, people: int) -> None:
    """The store's tables, its erasure log and `people` people of 301 rows each."""
    store = await common.connect(server, name)
    try:
        await store.execute(STORE_SCHEMA)
        for statement in STORE_SEED.strip().split(";\n"):
            if "$1" in statement:
                await store.execute(statement, people)
            else:
                await store.execute(statement)
    finally:
        await store.close()


def write_config(folder: Path, store_url: str, hook_url: str) -> None:
    """connectors.yaml (store, hook), the dataset and a privacy.yaml naming the store."""
    (folder / "store.yaml").write_text(DATASET)
    (folder / "connectors.yaml").write_text(
        "connectors:\n"
        f"  - {{name: store, type: sql, url: '{store_url}', dataset: store.yaml}}\n"
        f"  - {{name: hook, type: webhook, url: '{hook_url}', secret: {HOOK_SECRET},"
        f" timeout: {HOOK_TIMEOUT}, actions: [erase]}}\n"
    )
    privacy = (common.ROOT / "privacy.example.yaml").read_text()
    (folder / "privacy.yaml").write_text(
        privacy.replace("{connector: demo_app}", "{connector: store}")
    )


class Api:
    """The ticket driver's client: retries what a connection cut answered with a 5xx."""

    def __init__(self, base: str, token: str, run: Run) -> None:
        self.run = run
        self.client = httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    async def call(
        self, method: str, path: str, json: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One call, repeated after a 5xx or a transport error (each 5xx is kept)."""
        for _ in range(30):
            try:
                response = await self.client.request(method, path, json=json)
            except httpx.TransportError:
                await asyncio.sleep(0.5)
                continue
            if response.status_code < 500:
                return response
            label = re.sub(r"DSR-[A-Z0-9]+|/verify/\S+", "…", path)
            self.run.server_errors.append(
                (time.monotonic(), f"{method} {label}", response.status_code)
            )
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{method} {path} kept failing")


async def drive_ticket(
    index: int, api: Api, relay: Relay, run: Run, delay: float
) -> None:
    """Create, verify by the emailed link, and approve one erasure request."""
    await asyncio.sleep(delay)
    created = await api.call(
        "POST",
        "/api/v1/requests",
        {
            "type": "erasure",
            "email": f"soak.person{index}@example.com",
            "name": f"Soak Person {index}",
        },
    )
    if created.status_code != 201:
        raise RuntimeError(f"create answered {created.status_code}: {created.text}")
    reference = created.json()["reference"]
    run.references.append(reference)
    token = await _verification_token(relay, reference)
    confirmed = await api.call("POST", f"/verify/{token}")
    if confirmed.status_code != 200:
        raise RuntimeError(f"verify answered {confirmed.status_code}")
    approved = await api.call("POST", f"/api/v1/requests/{reference}/approve", {})
    if approved.status_code == 409:  # a repeated approve after a cut: check it took
        state = (await api.call("GET", f"/api/v1/requests/{reference}")).json()
        if state["status"] == "pending_review":
            raise RuntimeError(f"approve of {reference} refused: {approved.text}")
    elif approved.status_code != 200:
        raise RuntimeError(f"approve answered {approved.status_code}")
    run.approved_at[reference] = time.time()


async def _verification_token(relay: Relay, reference: str) -> str:
    # The mail may wait out a relay outage; the run's bound applies.
    while (mail := relay.find(reference, "received")) is None:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    match = _TOKEN.search(mail.text)
    if match is None:
        raise RuntimeError("the received mail has no verification link")
    return match.group(1)


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


async def wait_completed(app_db: AppDb, run: Run, count: int) -> dict[str, int]:
    """Wait (up to the bound) until `count` tickets are completed; the final counts."""
    deadline = time.monotonic() + run.options.bound
    while True:
        rows = await app_db.fetch(
            "SELECT status, count(*) AS n FROM dsr_request GROUP BY status"
        )
        statuses = {row["status"]: row["n"] for row in rows}
        queued = await app_db.fetch(
            "SELECT count(*) AS n FROM message WHERE state = 'queued'"
        )
        if statuses.get("completed", 0) == count and queued[0]["n"] == 0:
            return statuses
        if time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(1)


def _near(moments: list[float], at: float, before: float = 0.0) -> bool:
    return any(at - before <= moment <= at + WINDOW_SECONDS for moment in moments)


async def check_store(server: str, store_name: str, run: Run) -> None:
    """Every subject's rows gone by one committed erasure; everyone else's intact."""
    store = await common.connect(server, store_name)
    try:
        subjects = run.options.tickets
        left = await store.fetchval(
            "SELECT count(*) FROM people WHERE id <= $1", subjects
        )
        orders = await store.fetchval(
            "SELECT count(*) FROM orders WHERE person_id <= $1", subjects
        )
        others = await store.fetchval(
            "SELECT count(*) FROM people WHERE id > $1", subjects
        )
        lines = await store.fetchval("SELECT count(*) FROM order_lines")
        erasures = await store.fetch(
            "SELECT email, count(*) AS n FROM erase_log GROUP BY email"
        )
    finally:
        await store.close()
    run.check(left == 0 and orders == 0, f"store: {left} people, {orders} orders left")
    run.check(others == run.options.others, f"store: {others} other people left")
    run.check(lines == run.options.others * 100, f"store: {lines} order lines left")
    counts = {row["email"]: row["n"] for row in erasures}
    run.check(len(counts) == subjects, f"store: {len(counts)} people erased")
    twice = [email for email, n in counts.items() if n != 1]
    run.check(not twice, f"store: {len(twice)} people erased more than once")


async def check_hook(hook: Hook, fleet: Fleet, app_db: AppDb, run: Run) -> Counter[str]:
    """One effect per ticket; each repeated call explained. The repeats by reason.

    A repeat is explained by the fake's own fault answer (500, 429, stall), by a kill of
    the caller or a connection cut just after a `done`, or by the caller having timed
    out on a `done` that came late (a starved worker: its task recorded more timeouts
    than the fake stalled).
    """
    rows = await app_db.fetch(
        "SELECT r.reference, count(*) AS n FROM event e JOIN dsr_request r"
        " ON r.id = e.request_id WHERE e.kind = 'task_retry_scheduled'"
        " AND e.data::text LIKE '%hook%' AND (e.data::text LIKE '%timed out%'"
        " OR e.personal::text LIKE '%timed out%') GROUP BY r.reference"
    )
    timeouts = Counter({row["reference"]: row["n"] for row in rows})
    calls: dict[str, list[Any]] = {}
    for call in hook.snapshot():
        calls.setdefault(call.reference, []).append(call)
    run.check(
        set(hook.effects) == {f"{ref}:hook:erase" for ref in run.references},
        f"webhook: {len(hook.effects)} effects for {len(run.references)} tickets",
    )
    repeats: Counter[str] = Counter()
    for reference, made in calls.items():
        run.check(made[-1].answer == "done", f"webhook: {reference} ended without done")
        late = timeouts[reference] - sum(call.answer == "stall" for call in made)
        for call in made[:-1]:
            why = _why_repeated(call, fleet, run)
            if why == "unexplained" and late > 0:
                why, late = "late", late - 1
            repeats[why] += 1
            if why == "unexplained":
                run.violations.append(
                    f"webhook: repeat unexplained: {_describe(f'{call.reference} {call.answer}', call.pid, call.at, fleet, run)}"
                )
    return repeats


def _why_repeated(call: Any, fleet: Fleet, run: Run) -> str:
    if call.answer != "done":
        return str(call.answer)
    if _killed_near(fleet, call.pid, call.at, before=HOOK_TIMEOUT):
        return "kill"
    if _near(run.cuts, call.at):
        return "cut"
    return "unexplained"


def _describe(label: str, pid: int | None, at: float, fleet: Fleet, run: Run) -> str:
    """Where an event stands among the kills and cuts, for a violation."""
    kills = [f"{kill.pid} {kill.at - at:+.2f}s" for kill in fleet.kills]
    cuts = [f"{cut - at:+.2f}s" for cut in run.cuts]
    return f"{label} (pid {pid}); kills {kills}; cuts {cuts}"


async def check_tasks(app_db: AppDb, run: Run) -> int:
    """Counts true or flagged; nothing left running. How many were `count_unknown`."""
    tasks = await app_db.fetch(
        "SELECT connector, status, counts, count_unknown FROM connector_task"
    )
    run.check(
        len(tasks) == 2 * run.options.tickets, f"tasks: {len(tasks)} for the tickets"
    )
    truth = {"store": ROWS_PER_PERSON, "hook": 1}
    unknown = 0
    for task in tasks:
        run.check(
            task["status"] == "succeeded",
            f"a {task['connector']} task is {task['status']}",
        )
        counts = task["counts"]
        total = sum((counts if isinstance(counts, dict) else _json(counts)).values())
        expected = truth[task["connector"]]
        if task["count_unknown"]:
            unknown += 1
            run.check(
                total <= expected, f"{task['connector']}: {total} > {expected} erased"
            )
        else:
            run.check(
                total == expected, f"{task['connector']}: {total} != {expected} erased"
            )
    for table in ("connector_task", "results_work"):
        running = await app_db.fetch(
            f"SELECT count(*) AS n FROM {table} WHERE status = 'running'"
        )
        run.check(running[0]["n"] == 0, f"{table}: {running[0]['n']} left running")
    return unknown


def _json(value: str) -> dict[str, int]:
    import json

    loaded: dict[str, int] = json.loads(value)
    return loaded


async def check_mail(app_db: AppDb, relay: Relay, fleet: Fleet, run: Run) -> int:
    """Every sent mail at the relay; each duplicate explained. How many duplicates."""
    rows = await app_db.fetch(
        "SELECT m.message_id, m.kind, m.state, r.reference FROM message m"
        " LEFT JOIN dsr_request r ON r.id = m.request_id WHERE m.direction = 'out'"
    )
    accepted = relay.snapshot()
    seen = Counter(mail.message_id.strip("<>") for mail in accepted)
    unsent = [row for row in rows if row["state"] != "sent"]
    run.check(not unsent, f"mail: {len(unsent)} messages not sent")
    lost = [row for row in rows if row["message_id"] not in seen]
    run.check(not lost, f"mail: {len(lost)} sent messages never reached the relay")
    kinds = {
        (row["reference"], row["kind"]) for row in rows if row["message_id"] in seen
    }
    for reference in run.references:
        for kind in ("received", "verified", "erasure_done"):
            run.check((reference, kind) in kinds, f"mail: no {kind} for {reference}")
    duplicates = 0
    first: dict[str, Any] = {}
    for mail in accepted:
        if mail.message_id not in first:
            first[mail.message_id] = mail
            continue
        duplicates += 1
        earlier = first[mail.message_id]
        run.check(
            _killed_near(fleet, earlier.sender_pid, earlier.at, before=1.0),
            f"mail: {mail.message_id} sent twice without its sender dying in between:"
            f" {_describe('first copy', earlier.sender_pid, earlier.at, fleet, run)};"
            f" again {mail.at - earlier.at:.1f} s"
            f" later by pid {mail.sender_pid}",
        )
    return duplicates


def _killed_near(fleet: Fleet, pid: int | None, at: float, before: float) -> bool:
    """Whether the process that did something at `at` was killed just around then.

    A worker killed while its request was in flight is gone by the time the fake looks
    for the socket's owner (pid None): then any kill just before counts.
    """
    if pid is None:
        return any(at - WINDOW_SECONDS <= kill.at <= at + 0.5 for kill in fleet.kills)
    return _near([kill.at for kill in fleet.kills if kill.pid == pid], at, before)


def audit_ok(env: dict[str, str], run: Run) -> None:
    """`dsr audit verify` exits 0."""
    try:
        common.run_dsr(["audit", "verify"], env)
    except RuntimeError as exc:
        run.violations.append(f"audit: {exc}")


@dataclass
class Stage:
    """The running pieces of one run."""

    env: dict[str, str]
    base: str
    token: str
    web: common.Process
    fleet: Fleet
    relay: Relay
    hook: Hook
    app_db: AppDb
    triggers: dict[str, Trigger]


@dataclass
class Report:
    """The figures of one run and the invariants it found violated."""

    tickets: int
    kills: Counter[str]
    cuts: int
    outages: int
    server_errors: int
    duplicates: int
    repeats: Counter[str]
    count_unknown: int
    max_wait: float
    recovery: float
    wall: float
    violations: list[str]
    logs: Path | None = None  # kept when an invariant was violated

    def line(self) -> str:
        """The one line of figures."""
        kills = ", ".join(f"{k} {self.kills[k]}" for k in KILL_REASONS)
        why = ", ".join(f"{k} {n}" for k, n in sorted(self.repeats.items()))
        return (
            f"faults: tickets {self.tickets} | kills {sum(self.kills.values())} ({kills})"
            f" | cuts {self.cuts} | relay outages {self.outages}"
            f" | 5xx at cuts {self.server_errors} | duplicate mails {self.duplicates}"
            f" | webhook repeats {sum(self.repeats.values())} ({why or 'none'})"
            f" | count_unknown {self.count_unknown}"
            f" | max approve->completed {self.max_wait:.1f} s"
            f" | recovery {self.recovery:.1f} s | wall {self.wall:.1f} s"
        )


async def main(options: Options) -> Report:
    """One fault run, on databases of its own that it drops afterwards."""
    server, tag = common.pg_server(), secrets.token_hex(3)
    app_name, store_name = f"dsr_soak_app_{tag}", f"dsr_soak_store_{tag}"
    started = time.monotonic()
    run = Run(options, random.Random(options.seed), store_name)
    with tempfile.TemporaryDirectory(prefix="dsr-soak-faults-") as name:
        try:
            app_url = await common.create_database(server, app_name)
            store_url = await common.create_database(server, store_name)
            await seed_store(server, store_name, options.tickets + options.others)
            async with staged(run, Path(name), app_url, store_url) as stage:
                report = await faults_and_checks(run, stage)
            if report.violations:  # the processes' logs, to find out why
                report.logs = Path(tempfile.gettempdir()) / f"dsr-soak-logs-{tag}"
                shutil.copytree(Path(name) / "logs", report.logs)
        finally:
            await common.drop_database(server, app_name)
            await common.drop_database(server, store_name)
    report.wall = time.monotonic() - started
    return report


@contextlib.asynccontextmanager
async def staged(
    run: Run, folder: Path, app_url: str, store_url: str
) -> AsyncIterator[Stage]:
    """The fakes, the web process and the workers, wired to kill after effects."""
    options = run.options
    relay_port, web_port = common.free_port(), common.free_port()
    base = f"http://127.0.0.1:{web_port}"
    env = common.app_env(
        folder,
        app_url,
        smtp_host="127.0.0.1",
        smtp_port=str(relay_port),
        smtp_security="none",
        base_url=base,
        privacy_file=str(folder / "privacy.yaml"),
    )
    fleet_ref: list[Fleet] = []

    def owner(port: int) -> int | None:
        return common.socket_owner(port, fleet_ref[0].pids()) if fleet_ref else None

    triggers = {
        kind: Trigger(
            options.effect_kills if kind in options.kill_after else 0,
            random.Random(options.seed + n),
            run.faults_on,
            options.first_kill_after,
            lambda: bool(fleet_ref) and fleet_ref[0].steady(),
        )
        for n, kind in enumerate(KILL_REASONS[1:])
    }

    def after_mail(port: int) -> tuple[int | None, Callable[[], None] | None]:
        pid = owner(port)
        if pid is not None and triggers["mail"].fire():
            return pid, lambda: fleet_ref[0].kill(pid, "mail")
        return pid, None

    def after_hook(pid: int | None) -> None:
        if pid is not None and triggers["hook"].fire():
            fleet_ref[0].kill(pid, "hook")

    relay = Relay(relay_port, hook=after_mail)
    hook = Hook(
        HOOK_SECRET,
        options.faults,
        random.Random(options.seed),
        owner=owner,
        answered=after_hook,
    )
    with serving(hook) as hook_url:
        write_config(folder, store_url.replace("+asyncpg", ""), hook_url)
        common.run_dsr(["db", "upgrade"], env)
        token = common.api_token(env)
        await asyncio.to_thread(relay.start)
        web = common.Process(
            "web", ["serve", "--no-worker", "--port", str(web_port)], env
        )
        fleet = Fleet(env, run.rng)
        fleet_ref.append(fleet)
        server, app_name = app_url.rsplit("/", 1)
        app_db = AppDb(server, app_name)
        stop = asyncio.Event()
        supervisor = asyncio.create_task(fleet.supervise(stop))
        try:
            async with store_kills(run, store_url, app_db, fleet, triggers["store"]):
                await common.wait_healthy(base, web)
                yield Stage(env, base, token, web, fleet, relay, hook, app_db, triggers)
        finally:
            stop.set()
            await supervisor
            await app_db.close()
            web.stop()
            fleet.stop()
            await asyncio.to_thread(relay.stop)


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


async def faults_and_checks(run: Run, stage: Stage) -> Report:
    """Drive the tickets through the faults, wait for recovery, check everything."""
    options = run.options
    api = Api(stage.base, stage.token, run)
    run.faults_on.set()
    chaos = [
        asyncio.create_task(random_kills(stage.fleet, run)),
        asyncio.create_task(cuts(stage.app_db, run)),
    ]
    relay_outage = asyncio.create_task(outage(stage.relay, run))
    gap = options.spread / max(options.tickets, 1)
    await asyncio.gather(
        *(
            drive_ticket(n + 1, api, stage.relay, run, n * gap)
            for n in range(options.tickets)
        )
    )
    await api.client.aclose()
    # Every ticket is approved: the scheduled faults finish, and the effect kills get
    # a little more time to find their effect.
    await asyncio.gather(*chaos, relay_outage)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(  # noqa: ASYNC110 - the fakes' counters
        t.remaining for t in stage.triggers.values()
    ):
        await asyncio.sleep(0.5)
    run.faults_on.clear()
    faults_end = time.monotonic()
    statuses = await wait_completed(stage.app_db, run, options.tickets)
    recovery = time.monotonic() - faults_end
    run.check(
        statuses.get("completed", 0) == options.tickets,
        f"tickets: {statuses} after {options.bound:.0f} s",
    )
    return await _checks(run, stage, recovery)


async def _checks(run: Run, stage: Stage, recovery: float) -> Report:
    closed = await stage.app_db.fetch(
        "SELECT reference, closed_at FROM dsr_request WHERE status = 'completed'"
    )
    waits = [
        row["closed_at"].timestamp() - run.approved_at[row["reference"]]
        for row in closed
        if row["reference"] in run.approved_at
    ]
    await check_store(stage.app_db.server, run.store_name, run)
    repeats = await check_hook(stage.hook, stage.fleet, stage.app_db, run)
    unknown = await check_tasks(stage.app_db, run)
    duplicates = await check_mail(stage.app_db, stage.relay, stage.fleet, run)
    audit_ok(stage.env, run)
    run.check(not stage.fleet.unexpected, f"workers: {stage.fleet.unexpected}")
    run.check(stage.web.alive, "web: exited")
    stray = [e for e in run.server_errors if not _near(run.cuts, e[0], 1.0)]
    run.check(not stray, f"web: 5xx without a connection cut: {stray[:3]}")
    return Report(
        tickets=run.options.tickets,
        kills=Counter(kill.reason for kill in stage.fleet.kills),
        cuts=len(run.cuts),
        outages=run.outages,
        server_errors=len(run.server_errors),
        duplicates=duplicates,
        repeats=repeats,
        count_unknown=unknown,
        max_wait=max(waits, default=float("nan")),
        recovery=recovery,
        wall=0.0,
        violations=run.violations,
    )


def cli() -> None:
    """Parse the options, run, print the figures; exit 1 on a violated invariant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=Options.tickets)
    parser.add_argument("--spread", type=float, default=Options.spread)
    parser.add_argument("--seed", type=int, default=Options.seed)
    args = parser.parse_args()
    options = Options(tickets=args.tickets, spread=args.spread, seed=args.seed)
    report = asyncio.run(main(options))
    print(report.line())
    for violation in report.violations:
        print(f"VIOLATION: {violation}", file=sys.stderr)
    if report.logs:
        print(f"the processes' logs are in {report.logs}", file=sys.stderr)
    sys.exit(1 if report.violations else 0)


if __name__ == "__main__":
    cli()
