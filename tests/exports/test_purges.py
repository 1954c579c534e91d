"""The purges remove what they should, and nothing else, and running them twice is harmless."""

from datetime import timedelta

import time_machine
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from app.audit import service as audit
from app.audit.models import Event
from app.db import session_scope, utcnow
from app.exports.models import Export
from app.exports.purge import purge_expired
from app.mail.models import Message
from app.requests.models import DsrRequest
from app.requests.retention import PURGED_EMAIL, purge_closed
from app.settings import Settings
from tests.fixtures.fanout import Api, Fanout, Store


async def _answered_access(api: Api, fanout: Fanout, store: Store) -> str:
    fanout.configure(store.block())
    reference = await api.approved("access")
    await fanout.run()
    return reference


async def test_export_purge_removes_expired_packages_only(
    app: FastAPI, api: Api, fanout: Fanout, store: Store, settings: Settings
) -> None:
    old = await _answered_access(api, fanout, store)
    later = utcnow() + timedelta(days=settings.download_days + 1)
    with time_machine.travel(later, tick=False):
        fresh = await api.approved("access", email="bob@example.com")
        await fanout.run()
        async with session_scope(app.state.sessionmaker) as session:
            first = await purge_expired(session, settings=settings, now=later)
        async with session_scope(app.state.sessionmaker) as session:
            second = await purge_expired(session, settings=settings, now=later)
    assert first.exports == 1
    assert second.exports == 0
    async with app.state.sessionmaker() as session:
        exports = {
            dsr.reference: export
            for export, dsr in await session.execute(
                select(Export, DsrRequest).join(
                    DsrRequest, DsrRequest.id == Export.request_id
                )  # type: ignore[arg-type]
            )
        }
    assert exports[old].purged_at is not None
    assert not (settings.data_dir / exports[old].path).exists()
    assert exports[fresh].purged_at is None
    assert (settings.data_dir / exports[fresh].path).exists()
    assert not (settings.data_dir / "staging" / old).exists()  # built: staging is gone


async def test_retention_purge_keeps_only_anonymous_facts(
    app: FastAPI, api: Api, fanout: Fanout, store: Store, settings: Settings
) -> None:
    old = await _answered_access(api, fanout, store)
    open_ticket = await api.approved("erasure", email="bob@example.com")
    later = utcnow() + timedelta(days=settings.retention_days + 1)
    async with session_scope(app.state.sessionmaker) as session:
        assert (await purge_closed(session, settings=settings, now=later)).purged == 1
    async with session_scope(app.state.sessionmaker) as session:
        assert (await purge_closed(session, settings=settings, now=later)).purged == 0
    async with app.state.sessionmaker() as session:
        tickets = {
            dsr.reference: dsr
            for dsr in (await session.execute(select(DsrRequest))).scalars()
        }
        purged, kept = tickets[old], tickets[open_ticket]
        assert purged.subject_email == PURGED_EMAIL
        assert purged.subject_name is None
        assert (purged.type, purged.status, purged.outcome) == (
            "access",
            "completed",
            "complied",
        )
        messages = (
            select(func.count())
            .select_from(Message)
            .where(Message.request_id == purged.id)
        )
        assert (await session.execute(messages)).scalar_one() == 0
        personal = select(Event.personal).where(Event.request_id == purged.id)
        assert all(value == {} for value in (await session.execute(personal)).scalars())
        assert (await audit.verify(session, old))[1] == []  # the chain still holds
        assert kept.subject_email == "bob@example.com"
        assert kept.subject_name == "Ada Lovelace"
