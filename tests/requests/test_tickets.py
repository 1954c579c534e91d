"""The ticket's unit of work: the only way to a writable ticket, and the races it closes."""

import asyncio

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.db import UnregisteredWrite
from app.enums import Channel, RequestType, Status
from app.flows import intake, verification
from app.identity import service as identity
from app.identity.models import TokenPurpose, VerificationToken
from app.requests import lifecycle, tickets
from app.settings import Settings
from tests.factories import make_request


async def test_setting_a_field_of_a_stored_ticket_outside_edit_raises(
    session: AsyncSession,
) -> None:
    dsr = await make_request(session)
    with pytest.raises(UnregisteredWrite, match="setting details"):
        dsr.details = "changed behind the lock's back"


async def test_an_audit_event_outside_edit_raises(session: AsyncSession) -> None:
    dsr = await make_request(session)
    with pytest.raises(UnregisteredWrite, match="audit event 'note'"):
        await audit.record(session, dsr, "note", actor="staff:a@example.com")


async def test_a_transition_outside_edit_raises(session: AsyncSession) -> None:
    dsr = await make_request(session)
    with pytest.raises(UnregisteredWrite, match="transition"):
        await lifecycle.transition(session, dsr, Status.CLOSED, actor="system")


async def test_the_ticket_stops_being_writable_when_its_transaction_ends(
    session: AsyncSession,
) -> None:
    made = await make_request(session)
    async with tickets.edit(session, made.reference) as dsr:
        dsr.details = "inside"
    await session.commit()
    with pytest.raises(UnregisteredWrite):
        dsr.details = "after the lock is gone"


async def test_a_new_ticket_is_writable_in_the_transaction_that_made_it(
    session: AsyncSession, settings: Settings
) -> None:
    dsr = await intake.create_request(
        session,
        type=RequestType.ACCESS,
        regulation=settings.default_regulation,
        email="new@example.com",
        channel=Channel.STAFF,
        actor="staff:a@example.com",
        settings=settings,
    )
    dsr.details = "written before the commit"
    await audit.record(session, dsr, "note", actor="staff:a@example.com")
    await session.commit()
    assert [event.seq for event in await audit.timeline(session, dsr)] == [1, 2]


async def test_editing_an_unknown_ticket_is_not_found(session: AsyncSession) -> None:
    from app.errors import NotFound

    with pytest.raises(NotFound):
        async with tickets.edit(session, "DSR-ZZZZZZZZ"):
            pass


@pytest.mark.pg
async def test_parallel_wrong_codes_are_each_counted(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    made = await make_request(session)
    async with tickets.edit(session, made.reference) as dsr:
        await identity.issue(session, dsr, TokenPurpose.VERIFY, days=7, with_code=True)
    await session.commit()
    maker = app.state.sessionmaker

    async def guess() -> None:
        async with maker() as guesser:
            await verification.confirm_code(
                guesser, made.reference, "222222", settings=settings
            )
            await guesser.commit()

    await asyncio.gather(*(guess() for _ in range(4)))
    session.expire_all()
    stored = await session.get(VerificationToken, 1)
    assert stored is not None
    assert stored.attempts == 4  # none lost to a concurrent read-modify-write


@pytest.mark.pg
async def test_two_submissions_at_once_both_join_the_open_ticket(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    made = await make_request(session, email="twice@example.com")
    maker = app.state.sessionmaker
    submission = intake.Submission(
        type=RequestType.ACCESS,
        regulation=settings.default_regulation,
        email="twice@example.com",
        channel=Channel.FORM,
    )

    async def submit() -> bool:
        async with maker() as other:
            result = await intake.submit(
                other, submission, settings=settings, actor="requester:form"
            )
            await other.commit()
            return result.joined

    assert await asyncio.gather(submit(), submit()) == [True, True]
    kinds = [event.kind for event in await audit.timeline(session, made)]
    assert kinds.count("duplicate_joined") == 2
    assert (await tickets.verify_audit(session, made.reference))[1] == []
