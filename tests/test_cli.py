"""The `dsr` command line, run as a real process."""

import asyncio
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from app.cli import cli
from app.db import utcnow
from app.settings import Settings
from app.staff import service as staff_service
from tests.fixtures.app import cli_env

DSR = Path(sys.executable).parent / "dsr"


async def _dsr(settings: Settings, *args: str, stdin: str = "") -> Result:
    """Run the CLI in-process (in a thread: it starts its own event loop)."""
    env = {
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": settings.secret(),
        "DSR_DATA_DIR": str(settings.data_dir),
    }
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli, list(args), input=stdin, env=env)


async def test_staff_add_reads_the_password_from_stdin(
    settings: Settings, session: AsyncSession
) -> None:
    added = await _dsr(
        settings,
        "staff",
        "add",
        "ops@example.com",
        "--role",
        "admin",
        stdin="a long enough password\n",
    )
    assert added.exit_code == 0, added.stderr
    assert "password" not in added.stdout
    staff = await staff_service.authenticate_password(
        session, "ops@example.com", "a long enough password"
    )
    assert staff is not None
    assert staff.role == "admin"


async def test_staff_add_generates_a_password_when_none_is_given(
    settings: Settings,
) -> None:
    added = await _dsr(settings, "staff", "add", "gen@example.com", "--role", "viewer")
    assert added.exit_code == 0, added.stderr
    assert "password (shown once):" in added.stdout


async def test_staff_token_prints_only_the_token_and_stores_its_hash(
    settings: Settings, session: AsyncSession
) -> None:
    await _dsr(settings, "staff", "add", "api@example.com", "--role", "agent")
    issued = await _dsr(
        settings, "staff", "token", "api@example.com", "--name", "crm-sync"
    )
    assert issued.exit_code == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("dsr_")
    assert "\n" not in token
    stored = (
        await session.execute(text("SELECT token_hash FROM api_token"))
    ).scalar_one()
    assert stored == staff_service.hash_token(token)
    assert token not in stored
    assert (await staff_service.authenticate_token(session, token)) is not None


async def test_staff_token_for_unknown_account_fails(settings: Settings) -> None:
    result = await _dsr(settings, "staff", "token", "nobody@example.com")
    assert result.exit_code == 1
    assert result.stderr.strip() == "dsr: no staff account nobody@example.com"


async def test_duplicate_staff_is_refused_in_one_line(settings: Settings) -> None:
    await _dsr(settings, "staff", "add", "dup@example.com", "--role", "agent")
    again = await _dsr(settings, "staff", "add", "dup@example.com", "--role", "agent")
    assert again.exit_code == 1
    assert len(again.stderr.strip().splitlines()) == 1


async def test_request_log_and_yearly_metrics(
    settings: Settings, session: AsyncSession
) -> None:
    from datetime import UTC, datetime

    from app.enums import DenialReason
    from app.flows import review
    from app.requests import tickets
    from tests.factories import make_request

    done = await make_request(
        session, received_at=datetime(2026, 2, 2, tzinfo=UTC), identity_verified=True
    )
    await make_request(
        session, type="erasure", received_at=datetime(2026, 3, 3, tzinfo=UTC)
    )
    async with tickets.edit(session, done.reference) as dsr:
        await review.cancel(session, dsr, actor="staff:a@example.com", reason="x")
    refused = await make_request(
        session,
        type="rectification",
        received_at=datetime(2026, 4, 4, tzinfo=UTC),
        identity_verified=True,
    )
    async with tickets.edit(session, refused.reference) as dsr:
        await review.deny(
            session,
            dsr,
            actor="staff:a@example.com",
            reason_code=DenialReason.EXCESSIVE,
            message="Fourth identical request this month.",
            settings=settings,
        )
    await session.commit()

    log = await _dsr(settings, "requests", "export-csv", "--since", "2026-03-01")
    assert log.exit_code == 0, log.output
    header, *rows = log.stdout.strip().splitlines()
    assert header.startswith("reference,type,regulation,channel,status,received_at")
    assert len(rows) == 2  # received since March: the erasure and the rectification
    assert ",erasure,gdpr,staff,unverified," in rows[0]
    assert ",rectification,gdpr,staff,denied," in rows[1]
    from app.audit import service as audit

    session.expire_all()
    [exported] = await audit.events_of(session, "records")  # a copy is accounted for
    assert (exported.kind, exported.data) == (
        "request_log_exported",
        {"since": "2026-03-01", "rows": 2},
    )

    figures = await _dsr(settings, "metrics", "--year", "2026")
    assert figures.exit_code == 0, figures.output
    lines = dict(line.split("\t", 1) for line in figures.stdout.strip().splitlines())
    assert lines["access"] == "1\t0\t0\t"  # received, complied, denied, median days
    assert lines["erasure"] == "1\t0\t0\t"
    received, complied, denied, median = lines["rectification"].split("\t")
    assert (received, complied, denied) == ("1", "0", "1"), figures.stdout
    assert float(median) > 200  # received in April, refused now (late November)
    bad = await _dsr(settings, "metrics", "--year", "2026", "--regulation", "martian")
    assert bad.exit_code == 2


async def test_mail_fetch_without_imap_is_one_line(settings: Settings) -> None:
    result = await _dsr(settings, "mail", "fetch")
    assert result.exit_code == 1
    assert result.stderr == "dsr: IMAP polling is off: DSR_IMAP_HOST is not set\n"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///{tmp}/missing/dir/dsr.db",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/dsr_no_such_database",
    ],
)
async def test_a_database_that_cannot_be_opened_is_one_line(
    tmp_path: Path, url: str
) -> None:
    # A real process: a failed SQLite open leaves aiosqlite's thread behind, which an
    # in-process run would see outlive its event loop.
    env = {
        "PATH": "/usr/bin:/bin",
        "DSR_DATABASE_URL": url.format(tmp=tmp_path),
        "DSR_SECRET_KEY": "cli-test-secret-key-that-is-long-enough-0123",
        "DSR_DATA_DIR": str(tmp_path / "var"),
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [str(DSR), "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("dsr: database error: ")
    assert result.stderr.count("\n") == 1


async def test_jobs_run_unknown_is_bad_usage(settings: Settings) -> None:
    result = await _dsr(settings, "jobs", "run", "run_fanout")
    assert result.exit_code == 2
    assert "no job 'run_fanout'" in result.stderr
    assert "fanout" in result.stderr.split("known:")[1]


def test_jobs_list_names_are_the_schedulers(settings: Settings) -> None:
    from app.jobs import JobContext, build_scheduler

    listed = CliRunner().invoke(cli, ["jobs", "list"])
    assert listed.exit_code == 0, listed.output
    names = {line.split("\t")[0] for line in listed.stdout.splitlines()}
    scheduler = build_scheduler(JobContext(settings, None))  # type: ignore[arg-type]  # never run
    # APScheduler logs a job by its name: the same one `dsr jobs list` shows.
    assert {job.name for job in scheduler.get_jobs()} <= names
    assert {"fanout", "outbox", "deadline-sweep"} <= names


def test_help_shows_no_type_beside_flags() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert "--no-worker" in result.stdout
    assert "<bool>" not in result.stdout


def test_the_cli_starts_without_the_web_app_or_the_database_layer() -> None:
    probe = (
        "import sys, app.cli; heavy = ('fastapi', 'sqlalchemy', 'app.main', 'alembic');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


async def test_serve_refuses_an_old_schema(
    settings: Settings, session: AsyncSession
) -> None:
    await session.execute(text("DELETE FROM alembic_version"))
    await session.commit()
    result = await _dsr(settings, "serve", "--port", "0")
    assert result.exit_code == 1
    assert "run `dsr db upgrade`" in result.stderr


def test_bad_setting_is_one_line() -> None:
    result = CliRunner().invoke(
        cli, ["audit", "verify"], env={"DSR_TIMEZONE": "Mars/Olympus"}
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "dsr: configuration error: DSR_TIMEZONE: Value error, unknown timezone 'Mars/Olympus'"
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve"],
        ["worker"],
        ["db", "upgrade"],
        ["staff", "add"],
        ["staff", "token"],
        ["audit", "verify"],
        ["jobs", "list"],
        ["jobs", "run"],
        ["connectors", "test"],
        ["mail", "ingest"],
        ["demo"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


def test_the_console_script_runs() -> None:
    result = subprocess.run(  # noqa: S603 - our own entry point
        [str(DSR), "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0
    assert "audit" in result.stdout


async def test_tokens_expire_list_revoke_and_die_with_their_account(
    settings: Settings, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    from tests.factories import make_staff

    await make_staff(session, email="ops@example.com")
    await session.commit()
    made = await _dsr(settings, "staff", "token", "ops@example.com", "--days", "1")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert re.fullmatch(r"dsr_[\w-]+", token)  # stdout is the token alone
    assert "expires" in made.stderr
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/requests", headers=headers)).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=2)):
        expired = await client.get("/api/v1/requests", headers=headers)
    assert expired.status_code == 401

    second = (await _dsr(settings, "staff", "token", "ops@example.com")).stdout.strip()
    listed = await _dsr(settings, "staff", "tokens", "ops@example.com")
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.stdout.strip().splitlines()[1:]]
    assert [row[-1] for row in rows] == ["active", "active"]
    newest = rows[0][0]
    assert (await _dsr(settings, "staff", "revoke", newest)).exit_code == 0
    revoked = await client.get(
        "/api/v1/requests", headers={"Authorization": f"Bearer {second}"}
    )
    assert revoked.status_code == 401

    third = (await _dsr(settings, "staff", "token", "ops@example.com")).stdout.strip()
    assert (
        await _dsr(settings, "staff", "deactivate", "ops@example.com")
    ).exit_code == 0
    gone = await client.get(
        "/api/v1/requests", headers={"Authorization": f"Bearer {third}"}
    )
    assert gone.status_code == 401
    after = await _dsr(settings, "staff", "tokens", "ops@example.com")
    assert {line.split("\t")[-1] for line in after.stdout.splitlines()[1:]} == {
        "revoked"
    }
    unknown = await _dsr(settings, "staff", "revoke", "999999")
    assert unknown.exit_code == 1
    assert len(unknown.stderr.strip().splitlines()) == 1


def test_demo_refuses_to_run_in_production(settings: Settings) -> None:
    env = {
        "DSR_ENV": "production",
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": "Vq3kT9xZpL2mN8rB4wY7cH1jF6dS0gQe5uA",
        "DSR_SMTP_HOST": "smtp.example.com",
        "DSR_BASE_URL": "https://privacy.example.com",
        "DSR_DATA_DIR": str(settings.data_dir),
    }
    result = CliRunner().invoke(cli, ["demo"], env=env)
    assert result.exit_code == 1
    assert "development only" in result.stderr
    assert not (settings.data_dir / "demo").exists()


CORPUS = Path(__file__).parent / "data" / "mail"


async def _ingested_received_at(
    settings: Settings, session: AsyncSession, raw: bytes, tmp_path: Path, *extra: str
) -> datetime:
    from sqlmodel import select

    from app.requests.models import DsrRequest

    eml = tmp_path / "request.eml"
    eml.write_bytes(raw)
    result = await _dsr(settings, "mail", "ingest", str(eml), *extra)
    assert result.exit_code == 0, result.output
    assert "new_ticket" in result.stdout
    session.expire_all()
    [dsr] = (await session.execute(select(DsrRequest))).scalars()
    return dsr.received_at


async def test_mail_ingest_starts_the_clock_at_the_topmost_received_header(
    settings: Settings, session: AsyncSession, tmp_path: Path
) -> None:
    # The sender's Date: (5 March) is not when it reached us; our server's stamp is.
    received = (
        b"Received: from mx.example.com by mail.example.com; Mon, 9 Mar 2026 08:15:00 +0100\r\n"
        b"Received: from webmail.example.org by mx.example.com; Mon, 2 Mar 2026 07:00:00 +0000\r\n"
    )
    raw = received + (CORPUS / "it_art17_erasure.eml").read_bytes()
    moment = await _ingested_received_at(settings, session, raw, tmp_path)
    assert moment == datetime(2026, 3, 9, 7, 15, tzinfo=UTC)


async def test_mail_ingest_received_at_overrides_the_headers(
    settings: Settings, session: AsyncSession, tmp_path: Path
) -> None:
    raw = (CORPUS / "it_art17_erasure.eml").read_bytes()  # no Received: header at all
    moment = await _ingested_received_at(
        settings, session, raw, tmp_path, "--received-at", "2026-03-04T10:00:00+0000"
    )
    assert moment == datetime(2026, 3, 4, 10, tzinfo=UTC)


async def test_serve_refuses_a_busy_smtp_port_in_one_line(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            ["serve", "--port", "0"],
            env=cli_env(settings, DSR_INBOUND_SMTP_PORT=str(port)),
        )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"dsr: port {port} on 127.0.0.1 (the SMTP receiver) is in use by another process"
    )


async def test_production_refuses_an_erasure_notice_no_connector_gives(
    settings: Settings,
) -> None:
    # The settings' privacy file is privacy.example.yaml: it names the connector demo_app.
    env = cli_env(
        settings,
        DSR_ENV="production",
        DSR_SMTP_HOST="127.0.0.1",
        DSR_BASE_URL="https://privacy.example.com",
        DSR_SECRET_KEY="production-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    )
    for command in (["serve"], ["worker"]):
        result = await asyncio.to_thread(CliRunner().invoke, cli, command, env=env)
        assert result.exit_code == 1, command
        # The last line, after the log line saying there is no connectors.yaml.
        last = result.stderr.splitlines()[-1]
        assert last.startswith("dsr: ")
        assert "connector 'demo_app'" in last


async def test_connectors_test_fails_on_an_erasure_notice_no_connector_gives(
    settings: Settings,
) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["connectors", "test"], env=cli_env(settings)
    )
    assert result.exit_code == 1
    assert "FAILED\tprivacy\t" in result.stdout
    assert "recipient 'Helio Cloud Hosting B.V.'" in result.stdout
