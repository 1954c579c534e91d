"""The fault run's verdict: what must hold once every ticket has completed.

Each check records what it finds violated on the run and returns its figures.
"""

from collections import Counter
from typing import Any

from soak import common
from soak.chaos import HOOK_TIMEOUT, AppDb, Fleet, Run
from soak.hook import Hook
from soak.relay import Relay
from soak.store import ROWS_PER_PERSON

# How close after an event a kill or a cut must come to explain a repeat.
WINDOW_SECONDS = 2.0


def near(moments: list[float], at: float, before: float = 0.0) -> bool:
    return any(at - before <= moment <= at + WINDOW_SECONDS for moment in moments)


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
        # A stall answers `done` late: a starved caller may still read it in time.
        run.check(
            made[-1].answer in ("done", "stall"),
            f"webhook: {reference} ended on {made[-1].answer}: {made}",
        )
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
    if _killednear(fleet, call.pid, call.at, before=HOOK_TIMEOUT):
        return "kill"
    if near(run.cuts, call.at):
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
            _killednear(fleet, earlier.sender_pid, earlier.at, before=1.0),
            f"mail: {mail.message_id} sent twice without its sender dying in between:"
            f" {_describe('first copy', earlier.sender_pid, earlier.at, fleet, run)};"
            f" again {mail.at - earlier.at:.1f} s"
            f" later by pid {mail.sender_pid}",
        )
    return duplicates


def _killednear(fleet: Fleet, pid: int | None, at: float, before: float) -> bool:
    """Whether the process that did something at `at` was killed just around then.

    A worker killed while its request was in flight is gone by the time the fake looks
    for the socket's owner (pid None): then any kill just before counts.
    """
    if pid is None:
        return any(at - WINDOW_SECONDS <= kill.at <= at + 0.5 for kill in fleet.kills)
    return near([kill.at for kill in fleet.kills if kill.pid == pid], at, before)


def audit_ok(env: dict[str, str], run: Run) -> None:
    """`dsr audit verify` exits 0."""
    try:
        common.run_dsr(["audit", "verify"], env)
    except RuntimeError as exc:
        run.violations.append(f"audit: {exc}")
