"""The transition table is the only way a ticket's status changes, and every move is audited."""

import asyncio
import itertools

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.enums import Outcome, Status
from app.errors import InvalidTransition
from app.flows import review
from app.requests import lifecycle, tickets
from tests.factories import make_request
from tests.fixtures.db import until_lock_waits

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
    made = await make_request(session, identity_verified=True)
    async with tickets.edit(session, made.reference) as dsr:
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
    made = await make_request(session)
    async with tickets.edit(session, made.reference) as dsr:
        with pytest.raises(InvalidTransition):
            await lifecycle.transition(session, dsr, Status.COMPLETED, actor="system")
        assert dsr.status == Status.UNVERIFIED
        assert len(await audit.timeline(session, dsr)) == 1


@pytest.mark.parametrize(
    ("target", "outcome"),
    [
        (Status.CLOSED, Outcome.UNVERIFIED),
        (Status.CANCELED, Outcome.CANCELED),
    ],
)
async def test_final_states_set_closed_at_and_their_outcome(
    session: AsyncSession, target: Status, outcome: Outcome
) -> None:
    made = await make_request(session)
    async with tickets.edit(session, made.reference) as dsr:
        await lifecycle.transition(session, dsr, target, actor="system", reason="why")
    assert dsr.closed_at is not None
    assert dsr.outcome is outcome
    event = (await audit.timeline(session, dsr))[-1]
    assert event.data == {"from": "unverified", "to": target.value}
    assert event.personal == {"reason": "why"}


def test_outcome_cannot_be_assigned_outside_the_lifecycle() -> None:
    dsr = lifecycle.new_ticket(Status.UNVERIFIED, reference="DSR-22222222")
    with pytest.raises(RuntimeError, match=r"only by app\.requests\.lifecycle"):
        dsr.outcome = Outcome.COMPLIED


@pytest.mark.pg
async def test_a_locked_ticket_makes_a_concurrent_action_wait_and_see_the_change(
    app: FastAPI, session: AsyncSession
) -> None:
    made = await make_request(session, identity_verified=True)
    maker = app.state.sessionmaker
    async with maker() as first:
        async with tickets.edit(first, made.reference) as mine:

            async def other_approval() -> str:
                async with maker() as second:
                    async with tickets.edit(second, made.reference) as theirs:
                        try:
                            await review.approve(
                                second, theirs, actor="staff:b@example.com"
                            )
                        except InvalidTransition:
                            return "refused"
                    await second.commit()
                    return "approved"

            waiting = asyncio.create_task(other_approval())
            await until_lock_waits(
                maker.kw["bind"], 1
            )  # the other one waits on our lock
            await review.approve(first, mine, actor="staff:a@example.com")
        await first.commit()
    assert await waiting == "refused"  # it saw the approval, not a stale pending_review
