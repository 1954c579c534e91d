"""The transition table is the only way a ticket's status changes, and every move is audited."""

import asyncio
import itertools

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.errors import InvalidTransition
from app.requests import lifecycle
from app.requests import service as requests_service
from app.requests.enums import Status
from tests.factories import make_request

ALLOWED = {
    ("unverified", "pending_review"),
    ("unverified", "closed"),
    ("unverified", "canceled"),
    ("pending_review", "in_progress"),
    ("pending_review", "denied"),
    ("pending_review", "canceled"),
    ("in_progress", "completed"),
    ("in_progress", "action_required"),
    ("in_progress", "canceled"),
    ("action_required", "in_progress"),
    ("action_required", "canceled"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Status, Status)))
def test_transition_table_matches_the_architecture(
    current: Status, target: Status
) -> None:
    assert lifecycle.can_transition(current, target) == ((current, target) in ALLOWED)


def test_status_cannot_be_assigned_outside_the_lifecycle() -> None:
    dsr = lifecycle.new_ticket(Status.UNVERIFIED, reference="DSR-22222222")
    with pytest.raises(RuntimeError, match=r"only by app\.requests\.lifecycle"):
        dsr.status = Status.COMPLETED


def test_tickets_start_only_unverified_or_pending_review() -> None:
    with pytest.raises(ValueError, match="cannot start as completed"):
        lifecycle.new_ticket(Status.COMPLETED)


async def test_transition_writes_an_event_in_the_same_transaction(
    session: AsyncSession,
) -> None:
    dsr = await make_request(session, identity_verified=True)
    await lifecycle.transition(
        session, dsr, Status.IN_PROGRESS, actor="staff:a@example.com"
    )
    await session.rollback()
    await session.refresh(dsr)
    assert dsr.status == Status.PENDING_REVIEW
    assert [event.kind for event in await audit.timeline(session, dsr)] == ["created"]


async def test_illegal_transition_raises_and_changes_nothing(
    session: AsyncSession,
) -> None:
    dsr = await make_request(session)
    with pytest.raises(InvalidTransition):
        await lifecycle.transition(session, dsr, Status.COMPLETED, actor="system")
    assert dsr.status == Status.UNVERIFIED
    assert len(await audit.timeline(session, dsr)) == 1


async def test_final_states_set_closed_at(session: AsyncSession) -> None:
    dsr = await make_request(session)
    await lifecycle.transition(
        session, dsr, Status.CLOSED, actor="system", reason="unverified"
    )
    assert dsr.closed_at is not None
    event = (await audit.timeline(session, dsr))[-1]
    assert event.data == {"from": "unverified", "to": "closed"}
    assert event.personal == {"reason": "unverified"}


@pytest.mark.pg
async def test_a_locked_ticket_makes_a_concurrent_action_wait_and_see_the_change(
    app: FastAPI, session: AsyncSession
) -> None:
    dsr = await make_request(session, identity_verified=True)
    maker = app.state.sessionmaker
    async with maker() as first:
        mine = await requests_service.require_request(first, dsr.reference, lock=True)

        async def other_approval() -> str:
            async with maker() as second:
                theirs = await requests_service.require_request(
                    second, dsr.reference, lock=True
                )
                try:
                    await requests_service.approve(
                        second, theirs, actor="staff:b@example.com"
                    )
                except InvalidTransition:
                    return "refused"
                await second.commit()
                return "approved"

        waiting = asyncio.create_task(other_approval())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # held by our row lock
        await requests_service.approve(first, mine, actor="staff:a@example.com")
        await first.commit()
    assert await waiting == "refused"  # it saw the approval, not a stale pending_review
