"""Load run: form posters and API clients against `dsr serve`, beside `/healthz`.

For each database (SQLite, PostgreSQL) a fresh `dsr serve` (web, scheduler and worker in
one process, mail to a recording relay of its own process) takes for `--seconds`:

- `--posters` form posters, each from its own loopback address (127.0.x.y, as
  bench/bench_form.py does) that it leaves for a new one after the per-IP limit's worth of
  posts, so the limit is not what is measured;
- `--same-address` posters more, all from ONE address, posting as fast as they can;
- `--api-clients` API clients with a token: list and detail reads, and creates;
- a few `/healthz` clients, measured in the same run.

Then, once the outbox is empty, it checks (exit 1 on any violation): no 5xx and no
transport error; every accepted post (303) and every API create (201) is exactly one
ticket, a refused post none; each ticket has exactly one `received` (verification) mail,
sent, at the relay exactly once; the one-address posters got no more than the limit
through. It prints throughput and p50/p95/p99 per stream.

    python -m soak.load [--seconds 60] [--database sqlite|postgresql|both]
"""

import argparse
import asyncio
import contextlib
import itertools
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.requests.views import PER_IP
from soak import common
from soak.relay import read_log

LIMIT = PER_IP[0]  # accepted form posts per address and hour
SAME_ADDRESS = "127.0.250.1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Options:
    """What one run does; the defaults are `make soak`'s."""

    seconds: float = 60.0
    posters: int = 50
    same_address: int = 4
    api_clients: int = 50
    health_clients: int = 5
    create_share: float = 0.2  # of API calls; the rest are reads
    drain_seconds: float = 180.0  # for the outbox to send every queued mail
    seed: int = 1


@dataclass
class Stream:
    """One kind of request: latencies of answered calls, status codes, failures."""

    name: str
    latencies: list[float] = field(default_factory=list)
    codes: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)  # by exception

    async def call(
        self, client: httpx.AsyncClient, method: str, url: str, **kwargs: object
    ) -> httpx.Response | None:
        """One timed request; None when it got no answer."""
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            self.transport_errors[type(exc).__name__] += 1
            return None
        self.latencies.append(time.perf_counter() - started)
        self.codes[response.status_code] += 1
        return response


@dataclass
class Outcome:
    """What the clients were told: accepted and refused emails, created tickets."""

    accepted: list[str] = field(default_factory=list)  # form posts answered 303
    refused: list[str] = field(default_factory=list)  # answered anything else
    created: list[str] = field(default_factory=list)  # API creates answered 201
    same_address_accepted: int = 0
    same_address_posted: int = 0
    references: list[str] = field(default_factory=list)


def _addresses() -> Iterator[str]:
    for third in range(1, 250):
        for fourth in range(2, 252):
            yield f"127.0.{third}.{fourth}"


class _Emails:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self, kind: str) -> str:
        return f"load.{kind}.{next(self._counter)}@example.com"


async def _form_session(
    base: str, address: str, stream: Stream
) -> tuple[httpx.AsyncClient, str] | None:
    """A client posting from `address`, and the form's CSRF token."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    client = httpx.AsyncClient(transport=transport, base_url=base, timeout=120)
    page = await stream.call(client, "GET", "/request")
    match = _CSRF.search(page.text) if page is not None else None
    if match is None:
        await client.aclose()
        return None
    return client, match.group(1)


def _form(token: str, email: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "location": "eea",
        "type": "access",
        "email": email,
        "name": "Load Person",
    }


async def poster(
    base: str,
    addresses: Iterator[str],
    emails: _Emails,
    streams: dict[str, Stream],
    outcome: Outcome,
    stop_at: float,
) -> None:
    """Post forms, moving to a fresh address after the limit's worth of posts."""
    while time.monotonic() < stop_at:
        session = await _form_session(base, next(addresses), streams["form GET"])
        if session is None:
            continue
        client, token = session
        try:
            for _ in range(LIMIT):
                if time.monotonic() >= stop_at:
                    return
                email = emails.next("form")
                response = await streams["form POST"].call(
                    client, "POST", "/request", data=_form(token, email)
                )
                code = response.status_code if response is not None else 0
                (outcome.accepted if code == 303 else outcome.refused).append(email)
        finally:
            await client.aclose()


async def same_address_poster(
    base: str,
    emails: _Emails,
    streams: dict[str, Stream],
    outcome: Outcome,
    stop_at: float,
) -> None:
    """Post from the one shared address until the time is up."""
    session = await _form_session(base, SAME_ADDRESS, streams["form GET"])
    if session is None:
        return
    client, token = session
    try:
        while time.monotonic() < stop_at:
            email = emails.next("same")
            response = await streams["one-IP POST"].call(
                client, "POST", "/request", data=_form(token, email)
            )
            outcome.same_address_posted += 1
            if response is not None and response.status_code == 303:
                outcome.same_address_accepted += 1
                outcome.accepted.append(email)
            else:
                outcome.refused.append(email)
    finally:
        await client.aclose()


async def api_client(
    base: str,
    token: str,
    emails: _Emails,
    streams: dict[str, Stream],
    outcome: Outcome,
    rng: random.Random,
    share: float,
    stop_at: float,
) -> None:
    """Read the queue and tickets, and create tickets, with an API token."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        while time.monotonic() < stop_at:
            if rng.random() < share:
                email = emails.next("api")
                body = {"type": "access", "email": email, "name": "Api Person"}
                response = await streams["API create"].call(
                    client, "POST", "/api/v1/requests", json=body
                )
                if response is not None and response.status_code == 201:
                    outcome.created.append(email)
                    outcome.references.append(response.json()["reference"])
            elif outcome.references and rng.random() < 0.5:
                reference = rng.choice(outcome.references)
                await streams["API read"].call(
                    client, "GET", f"/api/v1/requests/{reference}"
                )
            else:
                await streams["API read"].call(
                    client, "GET", "/api/v1/requests", params={"limit": 20}
                )


async def health(base: str, stream: Stream, stop_at: float) -> None:
    """GET /healthz back to back."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while time.monotonic() < stop_at:
            await stream.call(client, "GET", "/healthz")


async def load(
    base: str, token: str, options: Options
) -> tuple[dict[str, Stream], Outcome, float]:
    """Every stream at once for `options.seconds`; the streams, outcome and seconds."""
    names = (
        "form POST",
        "one-IP POST",
        "form GET",
        "API read",
        "API create",
        "/healthz",
    )
    streams = {name: Stream(name) for name in names}
    outcome, emails, addresses = Outcome(), _Emails(), _addresses()
    rng = random.Random(options.seed)
    started = time.monotonic()
    stop_at = started + options.seconds
    await asyncio.gather(
        *(
            poster(base, addresses, emails, streams, outcome, stop_at)
            for _ in range(options.posters)
        ),
        *(
            same_address_poster(base, emails, streams, outcome, stop_at)
            for _ in range(options.same_address)
        ),
        *(
            api_client(
                base,
                token,
                emails,
                streams,
                outcome,
                rng,
                options.create_share,
                stop_at,
            )
            for _ in range(options.api_clients)
        ),
        *(
            health(base, streams["/healthz"], stop_at)
            for _ in range(options.health_clients)
        ),
    )
    return streams, outcome, time.monotonic() - started


EXPECTED = {
    "form POST": {303, 429},
    "one-IP POST": {303, 429},
    "form GET": {200},
    "API read": {200},
    "API create": {201},
    "/healthz": {200},
}


async def fetch(url: str, query: str) -> list[tuple[object, ...]]:
    """Rows of a query on the app database, SQLite or PostgreSQL."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]

        def read() -> list[tuple[object, ...]]:
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
                return list(db.execute(query))

        return await asyncio.to_thread(read)
    server, name = url.rsplit("/", 1)
    connection = await common.connect(server, name)
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


async def wait_drained(url: str, seconds: float) -> float | None:
    """Seconds until no mail is queued any more; None if some still is after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        rows = await fetch(url, "SELECT count(*) FROM message WHERE state = 'queued'")
        if rows[0][0] == 0:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    return None


def check_streams(streams: dict[str, Stream]) -> list[str]:
    """No 5xx, no transport error, no answer a stream should never get."""
    problems = []
    for stream in streams.values():
        server_errors = sum(n for code, n in stream.codes.items() if code >= 500)
        if server_errors:
            problems.append(f"{stream.name}: {server_errors} answers 5xx")
        if stream.transport_errors:
            problems.append(
                f"{stream.name}: transport errors {dict(stream.transport_errors)}"
            )
        odd = {
            code: n
            for code, n in stream.codes.items()
            if code not in EXPECTED[stream.name] and code < 500
        }
        if odd:
            problems.append(f"{stream.name}: unexpected answers {odd}")
    return problems


async def check_tickets(
    url: str, outcome: Outcome, relay_log: Path
) -> tuple[list[str], int]:
    """Accepted posts and creates are one ticket each with one received mail, sent once."""
    problems = []
    tickets = await fetch(url, "SELECT id, lower(subject_email) FROM dsr_request")
    per_email = Counter(str(email) for _, email in tickets)
    for label, emails, expected in (
        ("accepted post", outcome.accepted, 1),
        ("API create", outcome.created, 1),
        ("refused post", outcome.refused, 0),
    ):
        wrong = [email for email in emails if per_email[email] != expected]
        if wrong:
            problems.append(
                f"{len(wrong)} of {len(emails)} {label}s have not {expected} ticket(s)"
            )
    if len(tickets) != len(outcome.accepted) + len(outcome.created):
        problems.append(
            f"{len(tickets)} tickets for {len(outcome.accepted)} posts and {len(outcome.created)} creates"
        )
    mails = await fetch(
        url,
        "SELECT request_id, message_id, state FROM message"
        " WHERE direction = 'out' AND kind = 'received'",
    )
    per_ticket = Counter(request_id for request_id, _, _ in mails)
    without = [ident for ident, _ in tickets if per_ticket[ident] != 1]
    if without:
        problems.append(f"{len(without)} tickets have not exactly one received mail")
    unsent = [message_id for _, message_id, state in mails if state != "sent"]
    if unsent:
        problems.append(f"{len(unsent)} received mails not sent")
    relayed = Counter(mail.message_id.strip("<>") for mail in read_log(relay_log))
    missing = [
        message_id for _, message_id, _ in mails if relayed[str(message_id)] == 0
    ]
    if missing:
        problems.append(f"{len(missing)} received mails never reached the relay")
    twice = sum(n - 1 for n in relayed.values() if n > 1)
    if twice:
        problems.append(f"{twice} mails reached the relay more than once")
    return problems, len(mails)


@contextlib.contextmanager
def relay_process(port: int, log: Path) -> Iterator[None]:
    """The recording relay in a process of its own."""
    relay = subprocess.Popen(  # noqa: S603 - this interpreter, our module
        [sys.executable, "-m", "soak.relay", str(port), str(log)],
        cwd=common.ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert relay.stdout is not None
        if relay.stdout.readline().strip() != "relay ready":
            raise RuntimeError("the relay did not start")
        yield
    finally:
        relay.terminate()
        relay.wait(timeout=10)
        if relay.stdout is not None:
            relay.stdout.close()


async def one_database(kind: str, options: Options) -> tuple[list[str], Outcome]:
    """A load run on one database: the violations found, and what clients were told."""
    print(
        f"== load on {kind}: {options.posters} posters (+{options.same_address} from one"
        f" address), {options.api_clients} API clients, {options.health_clients}"
        f" /healthz clients, {options.seconds:.0f} s"
    )
    server, name = common.pg_server(), f"dsr_soak_load_{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory(prefix="dsr-soak-load-") as tmp:
        folder = Path(tmp)
        if kind == "sqlite":
            url = f"sqlite+aiosqlite:///{folder / 'dsr.db'}"
        else:
            url = await common.create_database(server, name)
        try:
            return await _serve_and_load(folder, url, kind, options)
        finally:
            if kind != "sqlite":
                await common.drop_database(server, name)


async def _serve_and_load(
    folder: Path, url: str, kind: str, options: Options
) -> tuple[list[str], Outcome]:
    wiring = common.Wiring.fresh()
    relay_port, web_port, base = wiring.relay_port, wiring.web_port, wiring.base
    env = wiring.env(folder, url)
    (folder / "var").mkdir()
    token = await common.prepare(env)
    relay_log = folder / "relay.jsonl"
    with relay_process(relay_port, relay_log):
        web = common.Process("serve", ["serve", "--port", str(web_port)], env)
        try:
            await common.wait_healthy(base, web)
            streams, outcome, seconds = await load(base, token, options)
            drained = await wait_drained(url, options.drain_seconds)
        finally:
            web.stop()
        problems = check_streams(streams)
        if drained is None:
            problems.append(
                f"mail still queued {options.drain_seconds:.0f} s after the load"
            )
        found, mails = await check_tickets(url, outcome, relay_log)
        problems += found
    if outcome.same_address_accepted > LIMIT:
        problems.append(
            f"one address: {outcome.same_address_accepted} posts accepted, limit {LIMIT}"
        )
    for stream in streams.values():
        print(common.stream_line(stream.name, stream.latencies, seconds))
    errors = sum(n for s in streams.values() for c, n in s.codes.items() if c >= 500)
    print(
        f"{kind}: 5xx {errors} | tickets {len(outcome.accepted) + len(outcome.created)}"
        f" = {len(outcome.accepted)} posts accepted + {len(outcome.created)} API creates"
        f" | received mails {mails}, outbox drained"
        f" {'never' if drained is None else f'in {drained:.1f} s'} after the load"
        f" | one address: {outcome.same_address_accepted} accepted of"
        f" {outcome.same_address_posted} posts (limit {LIMIT})"
    )
    for problem in problems:
        print(f"VIOLATION ({kind}): {problem}", file=sys.stderr)
    if problems:  # the server's log, to find out why
        kept = (
            Path(tempfile.gettempdir()) / f"dsr-soak-logs-load-{secrets.token_hex(3)}"
        )
        shutil.copytree(folder / "logs", kept)
        print(f"the server's log is in {kept}", file=sys.stderr)
    return problems, outcome


async def main(options: Options, databases: list[str]) -> int:
    """The load run on each database; 0 when every check held."""
    problems = []
    for kind in databases:
        problems += (await one_database(kind, options))[0]
    return 1 if problems else 0


def cli() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=Options.seconds)
    parser.add_argument("--posters", type=int, default=Options.posters)
    parser.add_argument("--api-clients", type=int, default=Options.api_clients)
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql", "both"), default="both"
    )
    args = parser.parse_args()
    options = Options(
        seconds=args.seconds, posters=args.posters, api_clients=args.api_clients
    )
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    sys.exit(asyncio.run(main(options, kinds)))


if __name__ == "__main__":
    cli()
