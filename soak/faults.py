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
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from soak import common
from soak.chaos import (
    HOOK_TIMEOUT,
    KILL_REASONS,
    AppDb,
    Fleet,
    Options,
    Run,
    Trigger,
    cuts,
    outage,
    random_kills,
    store_kills,
)
from soak.checks import audit_ok, check_hook, check_mail, check_tasks, near
from soak.hook import Hook, serving
from soak.relay import Relay
from soak.store import DATASET, check_store, seed_store

HOOK_SECRET = "soak-webhook-secret-0123456789"
_TOKEN = re.compile(r"/verify/([A-Za-z0-9_\-]+)")


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
            common.phase("store seeded")
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
    wiring = common.Wiring.fresh()
    relay_port, web_port, base = wiring.relay_port, wiring.web_port, wiring.base
    env = wiring.env(folder, app_url, privacy_file=str(folder / "privacy.yaml"))
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
        token = await common.prepare(env)
        common.phase("app database migrated, agent token made")
        await asyncio.to_thread(relay.start)
        web = common.Process(
            "web", ["serve", "--no-worker", "--port", str(web_port)], env
        )
        fleet = Fleet(env, run.rng, options.workers)
        fleet_ref.append(fleet)
        server, app_name = app_url.rsplit("/", 1)
        app_db = AppDb(server, app_name)
        stop = asyncio.Event()
        supervisor = asyncio.create_task(fleet.supervise(stop))
        try:
            async with store_kills(run, store_url, app_db, fleet, triggers["store"]):
                await common.wait_healthy(base, web)
                common.phase("web answers")
                await fleet.wait_ready()
                common.phase("workers ready")
                yield Stage(env, base, token, web, fleet, relay, hook, app_db, triggers)
        finally:
            stop.set()
            await supervisor
            await app_db.close()
            web.stop()
            fleet.stop()
            await asyncio.to_thread(relay.stop)


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
    common.phase("every ticket approved")
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
    common.phase("faults over")
    statuses = await wait_completed(stage.app_db, run, options.tickets)
    recovery = time.monotonic() - faults_end
    common.phase("tickets completed, outbox empty")
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
    stray = [e for e in run.server_errors if not near(run.cuts, e[0], 1.0)]
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
