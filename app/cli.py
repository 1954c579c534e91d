"""The `dsr` command line: serve, worker, database, staff, audit and jobs.

Each command imports what it needs when it runs: `dsr --help` and the small commands must
not pay for the web app, the database drivers and every domain (seconds of CPU each time).
Only typer, the standard library and `app.enums` load at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from app.enums import Regulation, Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from app.audit.service import BrokenLink
    from app.fanout.config import FanoutRuntime
    from app.mail.imap import FetchResult
    from app.settings import Settings

T = TypeVar("T")

# Plain Click help: the rich one shows a `<bool>` type beside every flag and costs a
# tenth of a second to import; completion scripts are not offered.
_PLAIN: dict[str, Any] = {
    "no_args_is_help": True,
    "rich_markup_mode": None,
    "pretty_exceptions_enable": False,
}
cli = typer.Typer(
    help="DSR Desk: data-subject requests, end to end.", add_completion=False, **_PLAIN
)
db_cli = typer.Typer(help="The app's database.", **_PLAIN)
staff_cli = typer.Typer(help="Staff accounts and API tokens.", **_PLAIN)
audit_cli = typer.Typer(help="The audit trail.", **_PLAIN)
jobs_cli = typer.Typer(help="The scheduler's jobs.", **_PLAIN)
connectors_cli = typer.Typer(
    help="Connectors to the systems holding personal data.", **_PLAIN
)
mail_cli = typer.Typer(help="The support@ mailbox.", **_PLAIN)
requests_cli = typer.Typer(help="Request records.", **_PLAIN)
for name, group in (
    ("db", db_cli),
    ("staff", staff_cli),
    ("audit", audit_cli),
    ("jobs", jobs_cli),
    ("connectors", connectors_cli),
    ("mail", mail_cli),
    ("requests", requests_cli),
):
    cli.add_typer(group, name=name)


@cli.callback()
def _quiet_by_default() -> None:
    from app.logging import configure_logging

    # Commands print their own results; logs are warnings only, on stderr (serve and worker
    # raise the level to INFO).
    configure_logging("WARNING")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"dsr: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    from pydantic import ValidationError

    from app.settings import load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = (
            "DSR_" + "_".join(str(part) for part in error["loc"]).upper()
            if error["loc"]
            else "settings"
        )
        _fail(f"configuration error: {field}: {error['msg']}")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    from sqlalchemy.exc import DBAPIError

    from app.errors import DsrError

    try:
        return asyncio.run(_settled(coro))
    except DsrError as exc:
        _fail(exc.detail)
    except DBAPIError as exc:
        # One line, not a traceback: the file cannot be opened, no such database, ...
        _fail(f"database error: {exc.orig or exc}")
    except ConnectionError as exc:
        _fail(f"cannot reach the database: {exc}")


async def _settled(coro: Coroutine[Any, Any, T]) -> T:
    """Await `coro`; after a database error, let aiosqlite's threads finish first.

    A SQLite file that cannot be opened leaves aiosqlite's worker thread to post its
    last result to the loop; once `asyncio.run` has closed the loop that post raises
    in the thread, which prints a traceback above the CLI's one line.
    """
    from sqlalchemy.exc import DBAPIError

    try:
        return await coro
    except DBAPIError:
        await asyncio.to_thread(_join_sqlite_threads)
        raise


def _join_sqlite_threads() -> None:
    import threading

    for thread in threading.enumerate():
        # Python names a thread after its target: "Thread-3 (_connection_worker_thread)".
        if (
            thread is not threading.current_thread()
            and "_connection_worker_thread" in thread.name
        ):
            thread.join(timeout=2)


async def _schema_problem(settings: Settings) -> str | None:
    from app import migrations
    from app.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        return await migrations.schema_problem(engine)
    finally:
        await engine.dispose()


def _require_current_schema(settings: Settings) -> None:
    try:
        problem = _run(_schema_problem(settings))
    except OSError as exc:
        _fail(f"cannot reach the database: {exc}")
    if problem:
        _fail(problem)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Web only; run `dsr worker` apart.")
    ] = False,
) -> None:
    """Serve the web app (and, unless --no-worker, the scheduler and task worker)."""
    import uvicorn

    from app.logging import configure_logging
    from app.main import create_app

    settings = _settings()
    configure_logging()
    _require_current_schema(settings)
    _require_privacy(settings)
    runtime = _fanout_runtime(settings)
    _require_notices_reach(settings, runtime)
    _require_free_port(host, port, "the web app")
    if settings.inbound_smtp_port:
        _require_free_port(host, settings.inbound_smtp_port, "the SMTP receiver")
    app = create_app(
        settings, run_worker=not no_worker, smtp_host=host, runtime=runtime
    )
    # Our own request log (app.access) redacts tokens and personal values; uvicorn's would not.
    # Forwarded headers are the app's to read (DSR_TRUSTED_PROXIES): uvicorn's own handling
    # would believe any local process claiming to be a proxy.
    uvicorn.run(app, host=host, port=port, access_log=False, proxy_headers=False)


def heartbeat_file(settings: Settings) -> Path:
    """This host's worker heartbeat in DSR_DATA_DIR: one per host (container), so that on a
    shared data directory one worker that beats does not make a hung one look healthy."""
    import socket

    return settings.data_dir / f"worker-{socket.gethostname()}.heartbeat"


@cli.command()
def worker(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only check: exit 0 if a worker using this data dir beat within the"
            " last 90 seconds, else 1 (a container health check).",
        ),
    ] = False,
) -> None:
    """Run the scheduler and fan-out worker only (scale out: many against one PostgreSQL)."""
    settings = _settings()
    if check:
        _check_heartbeat(heartbeat_file(settings))
        return
    from app.jobs import JobContext, Worker
    from app.logging import configure_logging

    configure_logging()
    _require_current_schema(settings)
    _require_privacy(settings)
    runtime = _fanout_runtime(settings)
    _require_notices_reach(settings, runtime)

    async def main() -> None:
        maker = _app_sessionmaker(settings, runtime)
        runner = Worker(
            JobContext(settings, maker),
            heartbeat_file=heartbeat_file(settings),
        )
        await runner.start()
        typer.echo(f"dsr worker: {len(runner.jobs)} jobs scheduled", err=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def _check_heartbeat(path: Path) -> None:
    import time

    from app.heartbeat import fresh

    if not fresh(path, now=time.time()):
        _fail(f"no worker heartbeat in {path} within the last 90 seconds")
    typer.echo("worker alive")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    from app import migrations

    settings = _settings()
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(settings.database_url)
    typer.echo(f"database at {migrations.head_revision()}")


def _in_session(work: Callable[[AsyncSession], Coroutine[Any, Any, T]]) -> T:
    # Staff and audit commands need no connectors: a broken connectors.yaml must not
    # lock an admin out of `dsr staff add`.
    from app.db import session_scope
    from app.main import make_app_sessionmaker

    settings = _settings()
    _require_current_schema(settings)

    async def main() -> T:
        maker = make_app_sessionmaker(settings)
        try:
            async with session_scope(maker) as session:
                return await work(session)
        finally:
            await maker.kw["bind"].dispose()

    return _run(main())


@staff_cli.command("add")
def staff_add(
    email: str,
    role: Annotated[Role, typer.Option(help="admin, agent or viewer.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a staff account; the password is read from stdin, or generated and printed once."""
    from app.staff import service as staff_service

    given = (
        "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.readline().strip()
    )
    password = given or staff_service.generate_password()

    async def work(session: AsyncSession) -> None:
        await staff_service.add_staff(
            session, email=email, role=role, password=password, name=name, actor="cli"
        )

    _in_session(work)
    typer.echo(f"created {role} {email}")
    if not given:
        typer.echo(f"password (shown once): {password}")


@staff_cli.command("token")
def staff_token(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    days: Annotated[
        int | None,
        typer.Option(
            min=1, max=3650, help="Lifetime in days (default DSR_TOKEN_DAYS)."
        ),
    ] = None,
) -> None:
    """Create an API token; stdout is the token alone (only its hash is stored)."""
    from app.staff import service as staff_service

    lifetime = days or _settings().token_days

    async def work(session: AsyncSession) -> tuple[str, str]:
        staff = await staff_service.require_staff(session, email)
        token, row = await staff_service.create_token(
            session, staff, name=name, days=lifetime, actor="cli"
        )
        assert row.expires_at is not None  # noqa: S101 - set on creation
        return token, f"token {row.id} expires {row.expires_at:%Y-%m-%d %H:%M} UTC"

    token, expiry = _in_session(work)
    typer.echo(token)
    typer.echo(expiry, err=True)


@staff_cli.command("tokens")
def staff_tokens(email: str) -> None:
    """List a person's API tokens: id, name, created, last used, expiry, state."""
    from app.db import utcnow
    from app.staff import service as staff_service

    async def work(session: AsyncSession) -> list[str]:
        staff = await staff_service.require_staff(session, email)
        now, lines = utcnow(), []
        for row in await staff_service.tokens_of(session, staff):
            state = staff_service.token_state(row, now=now)
            lines.append(
                "\t".join(
                    (
                        str(row.id),
                        row.name,
                        f"{row.created_at:%Y-%m-%d}",
                        f"{row.last_used_at:%Y-%m-%d %H:%M}"
                        if row.last_used_at
                        else "-",
                        f"{row.expires_at:%Y-%m-%d}" if row.expires_at else "never",
                        state,
                    )
                )
            )
        return lines

    lines = _in_session(work)
    typer.echo("id\tname\tcreated\tlast used\texpires\tstate")
    for line in lines:
        typer.echo(line)


@staff_cli.command("revoke")
def staff_revoke(token_id: int) -> None:
    """Revoke one API token (by the id `dsr staff tokens` shows); it stops working at once."""
    from app.staff import service as staff_service

    async def work(session: AsyncSession) -> None:
        await staff_service.revoke_token(session, token_id, actor="cli")

    _in_session(work)
    typer.echo(f"revoked token {token_id}")


@staff_cli.command("deactivate")
def staff_deactivate(email: str) -> None:
    """Deactivate a staff account: no more log-ins, its sessions ended, every token revoked."""
    from app.staff import service as staff_service

    async def work(session: AsyncSession) -> None:
        await staff_service.deactivate(session, email, actor="cli")

    _in_session(work)
    typer.echo(f"deactivated {email}")


@staff_cli.command("list")
def staff_list() -> None:
    """List staff accounts: email, role, name, active or deactivated."""
    from app.staff import service as staff_service

    async def work(session: AsyncSession) -> list[str]:
        return [
            f"{staff.email}\t{staff.role}\t{staff.name or '-'}\t"
            + ("active" if staff.active else "deactivated")
            for staff in await staff_service.list_staff(session)
        ]

    typer.echo("email\trole\tname\tstate")
    for line in _in_session(work):
        typer.echo(line)


@staff_cli.command("role")
def staff_role(
    email: str,
    role: Annotated[Role, typer.Argument(help="admin, agent or viewer.")],
) -> None:
    """Give a staff account another role (the last active admin keeps theirs)."""
    from app.staff import service as staff_service

    async def work(session: AsyncSession) -> None:
        await staff_service.change_role(session, email, role, actor="cli")

    _in_session(work)
    typer.echo(f"{email} is now {role}")


@staff_cli.command("password")
def staff_password(email: str) -> None:
    """Reset a staff password: read from stdin, or generated and printed once."""
    from app.staff import service as staff_service

    given = (
        "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.readline().strip()
    )

    async def work(session: AsyncSession) -> str:
        _, password = await staff_service.reset_password(
            session, email, actor="cli", password=given or None
        )
        return password

    password = _in_session(work)
    typer.echo(f"password reset for {email}")
    if not given:
        typer.echo(f"password (shown once): {password}")


@audit_cli.command("verify")
def audit_verify(
    reference: Annotated[
        str | None, typer.Argument(help="One ticket; all by default.")
    ] = None,
) -> None:
    """Check the audit hash chains; exit 1 naming the first broken link."""
    from app.requests import tickets

    async def work(session: AsyncSession) -> tuple[int, list[BrokenLink]]:
        return await tickets.verify_audit(session, reference)

    checked, broken = _in_session(work)
    if reference and checked == 0:
        _fail(f"no request {reference}")
    for link in broken:
        typer.echo(f"broken: {link}", err=True)
    if broken:
        raise typer.Exit(1)
    chains = "audit chain" if checked == 1 else "audit chains"
    typer.echo(f"ok: {checked} {chains} intact")


@jobs_cli.command("list")
def jobs_list() -> None:
    """List the scheduler's jobs and their triggers."""
    from app.jobs import load_jobs

    jobs = load_jobs()
    if not jobs:
        typer.echo("no jobs registered yet")
    settings = _settings()
    for registered in jobs.values():
        trigger = registered.trigger_for(settings)
        woken = f" or when woken ({registered.wake_on})" if registered.wake_on else ""
        typer.echo(f"{registered.name}\t{trigger}{woken}\t{registered.description}")


@jobs_cli.command("run")
def jobs_run(name: str) -> None:
    """Run one job now, by the name `dsr jobs list` shows."""
    from app.jobs import JobContext, load_jobs, run_job

    jobs = load_jobs()
    if name not in jobs:
        _fail(f"no job {name!r} (known: {', '.join(sorted(jobs))})", code=2)
    settings = _settings()
    _require_current_schema(settings)

    async def main() -> None:
        maker = _app_sessionmaker(settings)
        try:
            await run_job(name, JobContext(settings, maker))
        finally:
            await maker.kw["bind"].dispose()

    _run(main())
    typer.echo(f"ran {name}")


@connectors_cli.command("list")
def connectors_list() -> None:
    """Show the configured connectors: name, type, capabilities, enabled."""
    runtime = _fanout_runtime()
    if not runtime.connectors:
        typer.echo(f"no connectors configured ({runtime.source})")
    for spec in runtime.connectors.values():
        actions = ",".join(sorted(spec.actions))
        state = "enabled" if spec.enabled else "disabled"
        typer.echo(f"{spec.name}\t{spec.type_name}\t{actions}\t{state}")


@connectors_cli.command("test")
def connectors_test(
    name: Annotated[
        str | None, typer.Argument(help="One connector; all enabled by default.")
    ] = None,
) -> None:
    """Check connectors' credentials and reachability; exit 1 if any check fails."""
    from app.fanout.checks import check_connectors
    from app.privacy import PrivacyFileError

    settings = _settings()
    runtime = _fanout_runtime(settings)
    if name is not None and runtime.get(name) is None:
        known = ", ".join(runtime.connectors) or "none"
        _fail(f"no connector {name!r} in {runtime.source} (configured: {known})")
    if not runtime.connectors:
        typer.echo(f"no connectors configured ({runtime.source})")
    results = _run(check_connectors(runtime, name))
    for result in results:
        if result.skipped:
            typer.echo(f"skipped\t{result.name}\t(disabled)")
        elif result.ok:
            typer.echo(f"ok\t{result.name}")
        else:
            typer.echo(f"FAILED\t{result.name}\t{result.error}")
    try:
        notice = _unreached_notice(settings, runtime)
    except PrivacyFileError:
        notice = None  # not written yet: `dsr serve` says what is wrong with it
    if notice is not None:
        typer.echo(f"FAILED\tprivacy\t{notice}")
    if notice is not None or not all(result.ok for result in results):
        raise typer.Exit(1)


def _fanout_runtime(settings: Settings | None = None) -> FanoutRuntime:
    """The connectors of connectors.yaml; a bad file is one line and exit 1."""
    from app.fanout.config import ConnectorsFileError, load_runtime
    from app.settings import process_environment

    settings = settings or _settings()
    try:
        return load_runtime(settings, process_environment())
    except ConnectorsFileError as exc:
        _fail(str(exc))


def _app_sessionmaker(
    settings: Settings, runtime: FanoutRuntime | None = None
) -> async_sessionmaker[AsyncSession]:
    from app.main import make_app_sessionmaker

    if runtime is None:
        runtime = _fanout_runtime(settings)
    return make_app_sessionmaker(settings, runtime)


def _require_free_port(host: str, port: int, what: str) -> None:
    """Say in one line that a port is taken, before uvicorn or aiosmtpd print a traceback."""
    import errno
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As asyncio binds its servers: a port left in TIME_WAIT is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                _fail(f"port {port} on {host} ({what}) is in use by another process")
            _fail(f"cannot listen on {host}:{port} ({what}): {exc.strerror or exc}")


def _require_notices_reach(settings: Settings, runtime: FanoutRuntime) -> None:
    """Production refuses to start when an erasure notice names no configured connector;
    elsewhere (a demo, a first try) it is one warning line."""
    from app.settings import Environment

    problem = _unreached_notice(settings, runtime)
    if problem is None:
        return
    if settings.env is Environment.PRODUCTION:
        _fail(problem)
    typer.echo(f"dsr: warning: {problem}", err=True)


def _unreached_notice(settings: Settings, runtime: FanoutRuntime) -> str | None:
    """One line on the erasure notices that name a connector connectors.yaml lacks."""
    from app.privacy import facts_for

    facts = facts_for(settings.privacy_file)
    missing = facts.notices_without_connector(runtime.connectors.keys())
    if not missing:
        return None
    name, connector = missing[0]
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    return (
        f"{settings.privacy_file}: recipient {name!r} is told of erasures by connector"
        f" {connector!r}, which {runtime.source} does not configure{more}"
    )


def _require_privacy(settings: Settings) -> None:
    """privacy.yaml must be valid before the app answers anyone (Art. 15 facts, authority)."""
    from app.privacy import PrivacyFileError, facts_for

    try:
        facts_for(settings.privacy_file)
    except PrivacyFileError as exc:
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        _fail(exc.problems[0] + more)


@mail_cli.command("fetch")
def mail_fetch() -> None:
    """Poll the IMAP mailbox once; exit 1 if it cannot be reached or a message failed."""
    from app.flows.inbound import ingest
    from app.mail.imap import fetch_once

    settings = _settings()
    _require_current_schema(settings)

    async def main() -> FetchResult:
        maker = _app_sessionmaker(settings)
        try:
            return await fetch_once(maker, settings, ingest_func=ingest)
        finally:
            await maker.kw["bind"].dispose()

    result = _run(main())
    typer.echo(
        f"fetched {result.fetched}: {result.ingested} ingested, {result.duplicates} duplicates,"
        f" {result.rejected} rejected, {result.errors} errors"
    )
    if result.errors:
        raise typer.Exit(1)


@mail_cli.command("ingest")
def mail_ingest(
    files: Annotated[list[Path], typer.Argument(help="Raw RFC 5322 messages (.eml).")],
    received_at: Annotated[
        datetime | None,
        typer.Option(
            "--received-at",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"],
            help="When they reached the mailbox, e.g. 2026-03-02T09:00:00+0000"
            " (default: each message's topmost Received: header, else now).",
        ),
    ] = None,
) -> None:
    """Ingest raw .eml messages as if they arrived at support@."""
    from app.flows.inbound import ingest
    from app.mail.arrival import from_received_header

    settings = _settings()
    _require_current_schema(settings)
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        _fail(f"no such file: {missing[0]}")

    async def main() -> int:
        maker = _app_sessionmaker(settings)
        rejected = 0
        try:
            for path in files:
                raw = path.read_bytes()
                outcome = await ingest(
                    maker,
                    raw,
                    settings=settings,
                    source="cli",
                    received_at=received_at or from_received_header(raw),
                )
                detail = outcome.reference or outcome.reason or ""
                typer.echo(f"{path}: {outcome.kind} {detail}".rstrip())
                rejected += outcome.kind == "rejected"
        finally:
            await maker.kw["bind"].dispose()
        return rejected

    if _run(main()):
        raise typer.Exit(1)


@requests_cli.command("export-csv")
def requests_export_csv(
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Received on or after."),
    ] = None,
) -> None:
    """Write the request log (facts only, no message text) as CSV to stdout."""
    import csv

    from app.audit import service as audit
    from app.requests.records import LOG_COLUMNS, request_log

    async def work(session: AsyncSession) -> None:
        writer = csv.writer(sys.stdout)
        writer.writerow(LOG_COLUMNS)
        rows = 0
        async for row in request_log(session, since=since.date() if since else None):
            writer.writerow(row)
            rows += 1
        # Who took a copy of the request log, and how much of it: kept like any event.
        await audit.record_in(
            session,
            "records",
            "request_log_exported",
            actor="cli",
            data={"since": since.date().isoformat() if since else None, "rows": rows},
        )

    _in_session(work)


@cli.command()
def metrics(
    year: Annotated[
        int, typer.Option(help="Calendar year of receipt.", min=2000, max=2100)
    ],
    regulation: Annotated[
        Regulation | None, typer.Option(help="Only this law.")
    ] = None,
) -> None:
    """Yearly metrics per request type: received, complied, denied, median days."""
    from app.requests.records import yearly_metrics

    async def work(session: AsyncSession) -> None:
        rows = await yearly_metrics(session, year=year, regulation=regulation)
        typer.echo("type\treceived\tcomplied\tdenied\tmedian_days")
        for row in rows:
            median = "" if row.median_days is None else f"{row.median_days:g}"
            typer.echo(
                f"{row.type}\t{row.received}\t{row.complied}\t{row.denied}\t{median}"
            )

    _in_session(work)


@cli.command()
def demo() -> None:
    """Seed a demo admin, demo requests and (without connectors.yaml) demo connectors."""
    from app.demo import seed, write_demo_connectors

    settings = _settings()
    if not settings.is_dev:
        _fail(
            "dsr demo is for development only: it creates a demo admin and connectors"
        )
    if write_demo_connectors(settings.data_dir, settings.connectors_file):
        typer.echo(f"wrote {settings.connectors_file} with demo connectors")
    for line in _in_session(lambda session: seed(session, settings)):
        typer.echo(line)


def main() -> None:
    """Entry point of the `dsr` console script."""
    cli()
