"""The audit hash chain detects altered, removed and reordered events."""

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from app.audit import service as audit
from app.cli import cli
from app.flows import review
from app.requests import tickets
from app.settings import Settings
from tests.factories import make_request


async def _ticket_with_history(session: AsyncSession) -> str:
    made = await make_request(session, identity_verified=True)
    async with tickets.edit(session, made.reference) as dsr:
        await review.add_note(session, dsr, actor="staff:a@example.com", text="first")
        await review.approve(session, dsr, actor="staff:a@example.com")
    await session.commit()
    return dsr.reference


async def test_intact_chain_verifies(session: AsyncSession) -> None:
    reference = await _ticket_with_history(session)
    checked, broken = await tickets.verify_audit(session, reference)
    assert (checked, broken) == (1, [])


async def test_altered_fact_is_named(session: AsyncSession) -> None:
    reference = await _ticket_with_history(session)
    await session.execute(
        text("UPDATE event SET actor = 'staff:mallory@example.com' WHERE seq = 2")
    )
    await session.commit()
    _, broken = await tickets.verify_audit(session, reference)
    assert [(link.seq, "altered" in link.reason) for link in broken] == [(2, True)]


async def test_altered_personal_value_is_caught(session: AsyncSession) -> None:
    reference = await _ticket_with_history(session)
    await session.execute(
        text("""UPDATE event SET personal = '{"text": "forged"}' WHERE seq = 2""")
    )
    await session.commit()
    _, broken = await tickets.verify_audit(session, reference)
    assert broken[0].seq == 2
    assert "personal value" in broken[0].reason


async def test_removed_events_are_caught(session: AsyncSession) -> None:
    reference = await _ticket_with_history(session)
    await session.execute(text("DELETE FROM event WHERE seq = 2"))
    await session.commit()
    _, broken = await tickets.verify_audit(session, reference)
    assert broken[0].seq == 2
    assert "missing" in broken[0].reason


async def test_truncated_tail_is_caught(session: AsyncSession) -> None:
    reference = await _ticket_with_history(session)
    last = (await session.execute(text("SELECT max(seq) FROM event"))).scalar_one()
    await session.execute(text("DELETE FROM event WHERE seq = :last"), {"last": last})
    await session.commit()
    _, broken = await tickets.verify_audit(session, reference)
    assert "removed at the end" in broken[0].reason


async def test_purged_personal_values_keep_the_chain_valid(
    session: AsyncSession,
) -> None:
    reference = await _ticket_with_history(session)
    await session.execute(text("UPDATE event SET personal = '{}'"))
    await session.commit()
    assert (await tickets.verify_audit(session, reference))[1] == []


async def _dsr(settings: Settings, *args: str) -> Result:
    """Run the CLI in-process (in a thread: it starts its own event loop)."""
    env = {
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": settings.secret(),
        "DSR_DATA_DIR": str(settings.data_dir),
    }
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)


async def test_cli_verify_exits_1_naming_the_first_broken_link(
    session: AsyncSession, settings: Settings
) -> None:
    reference = await _ticket_with_history(session)
    ok = await _dsr(settings, "audit", "verify")
    assert ok.exit_code == 0, ok.stderr
    assert "ok: 1 audit chain intact" in ok.stdout
    await session.execute(
        text("UPDATE event SET data = '{\"tampered\": true}' WHERE seq = 1")
    )
    await session.commit()
    tampered = await _dsr(settings, "audit", "verify", reference)
    assert tampered.exit_code == 1
    assert f"{reference} event #1" in tampered.stderr


async def test_a_chain_that_is_about_no_ticket_verifies_and_catches_tampering(
    session: AsyncSession,
) -> None:
    await audit.record_in(session, "staff", "logged_in", actor="staff:a@example.com")
    await audit.record_in(session, "staff", "logged_out", actor="staff:a@example.com")
    await session.commit()
    assert await audit.verify(session) == (1, [])
    await session.execute(
        text("UPDATE event SET kind = 'role_changed' WHERE chain = 'staff' AND seq = 1")
    )
    await session.commit()
    _, broken = await audit.verify(session)
    assert [(link.chain, link.seq) for link in broken] == [("staff", 1)]


async def test_deleting_a_chains_head_row_is_caught(session: AsyncSession) -> None:
    reference = await _ticket_with_history(session)
    await session.execute(text("DELETE FROM audit_chain"))
    await session.commit()
    _, broken = await tickets.verify_audit(session)
    assert [(link.name, "head" in link.reason) for link in broken] == [
        (reference, True)
    ]
