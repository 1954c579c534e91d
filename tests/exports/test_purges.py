"""The purges remove what they should, and nothing else, and running them twice is harmless."""

from datetime import timedelta

import time_machine
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from app.audit.models import Event
from app.db import session_scope, utcnow
from app.exports.models import Export
from app.exports.purge import purge_expired
from app.flows.retention import PURGED_EMAIL, purge_closed
from app.mail.models import Message
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from tests.fixtures.fanout import ADA, Api, Fanout, Store


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
        found = {
            dsr.reference: dsr
            for dsr in (await session.execute(select(DsrRequest))).scalars()
        }
        purged, kept = found[old], found[open_ticket]
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
        assert (await tickets.verify_audit(session, old))[
            1
        ] == []  # the chain still holds
        assert kept.subject_email == "bob@example.com"
        assert kept.subject_name == "Ada Lovelace"


async def test_retention_purge_leaves_nothing_personal_in_any_table(
    app: FastAPI, api: Api, fanout: Fanout, store: Store, settings: Settings
) -> None:
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from app.mail.inbound import ingest

    reference = await _answered_access(api, fanout, store)
    note = "Ada Lovelace called: she also uses ada@work.example.com"
    assert (await api.post(f"{reference}/notes", {"text": note})).status_code == 200
    reply = (
        f"From: Ada Lovelace <{ADA}>\r\nTo: privacy@localhost\r\n"
        f"Subject: Re: [{reference}] your data\r\nMessage-ID: <r1@example.com>\r\n\r\n"
        "Thank you, Ada Lovelace\r\n"
    ).encode()
    await ingest(app.state.sessionmaker, reply, settings=settings, source="test")
    async with session_scope(app.state.sessionmaker) as session:
        # A vendor error and a manual instruction that quote the person, as they can.
        await session.execute(
            text("UPDATE connector_task SET error = :e, instructions = :e"),
            {"e": f"422 from vendor: contact {ADA} (Ada Lovelace) exists twice"},
        )
    later = utcnow() + timedelta(days=settings.retention_days + 1)
    async with session_scope(app.state.sessionmaker) as session:
        assert (await purge_closed(session, settings=settings, now=later)).purged == 1
    needles = (ADA.lower(), "lovelace", "ada@work.example.com", "thank you")
    found = []
    async with app.state.sessionmaker() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = await session.execute(text(f'SELECT * FROM "{table.name}"'))
            for row in rows:
                cells = " ".join(str(value) for value in row).lower()
                found += [(table.name, n) for n in needles if n in cells]
    assert found == []
