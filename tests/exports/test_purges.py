"""The purges remove what they should, and nothing else, and running them twice is harmless."""

import asyncio
import os
import time
from datetime import timedelta

import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select
from structlog.testing import capture_logs

from app.audit.models import Event
from app.db import session_scope, utcnow
from app.exports.models import Export
from app.exports.purge import purge_expired
from app.flows.retention import PURGED_EMAIL, purge_closed
from app.mail.models import Message
from app.main import make_app_sessionmaker
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from tests.fixtures.db import until_lock_waits
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
        first = await purge_expired(
            app.state.sessionmaker, settings=settings, now=later
        )
        second = await purge_expired(
            app.state.sessionmaker, settings=settings, now=later
        )
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


async def _exports(app: FastAPI) -> dict[str, Export]:
    """Each ticket's package row, by ticket reference."""
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(Export, DsrRequest.reference).join(
                DsrRequest,
                DsrRequest.id == Export.request_id,  # type: ignore[arg-type]
            )
        )
        return {reference: export for export, reference in rows}


async def test_a_package_that_cannot_be_deleted_is_logged_and_the_others_are_purged(
    app: FastAPI, api: Api, fanout: Fanout, store: Store, settings: Settings
) -> None:
    stuck = await _answered_access(api, fanout, store)
    fine = await api.approved("access", email="bob@example.com")
    await fanout.run()
    exports = await _exports(app)
    # A folder where the package should be: deleting it fails (as a file on a read-only or
    # failing volume would), with more than one package to purge.
    blocked = settings.data_dir / exports[stuck].path
    blocked.unlink()
    blocked.mkdir()
    (blocked / "inside").write_text("x")
    later = utcnow() + timedelta(days=settings.download_days + 1)
    with capture_logs() as logs:
        run = await purge_expired(app.state.sessionmaker, settings=settings, now=later)
    assert (run.exports, run.failed) == (1, 1)
    [failure] = [e for e in logs if e["event"] == "exports.purge_failed"]
    assert failure["export_id"] == exports[stuck].id
    assert failure["errno"] == "EISDIR"
    after = await _exports(app)
    assert after[stuck].purged_at is None  # tried again by the next run
    assert after[fine].purged_at is not None
    assert not (settings.data_dir / exports[fine].path).exists()
    assert await api.events(stuck, "export_purged") == []
    assert len(await api.events(fine, "export_purged")) == 1


@pytest.mark.pg
async def test_two_workers_purging_at_once_audit_each_package_once(
    app: FastAPI, api: Api, fanout: Fanout, store: Store, settings: Settings
) -> None:
    reference = await _answered_access(api, fanout, store)
    export = (await _exports(app))[reference]
    later = utcnow() + timedelta(days=settings.download_days + 1)
    second = make_app_sessionmaker(settings)  # another process's engine, same database
    try:
        # Both runs find the package expired, then wait for its ticket's lock (held here,
        # as a download would), and go on one after the other.
        async with app.state.sessionmaker() as holder:
            await tickets.edit_or_none(holder, export.request_id)
            runs = [
                asyncio.create_task(purge_expired(maker, settings=settings, now=later))
                for maker in (app.state.sessionmaker, second)
            ]
            await until_lock_waits(app.state.sessionmaker.kw["bind"], 2)
            await holder.rollback()
        results = await asyncio.gather(*runs)
    finally:
        await second.kw["bind"].dispose()
    assert sorted(result.exports for result in results) == [0, 1]
    assert [result.failed for result in results] == [0, 0]
    assert len(await api.events(reference, "export_purged")) == 1
    assert (await _exports(app))[reference].purged_at is not None


async def test_stale_packages_no_export_row_names_are_deleted(
    app: FastAPI, api: Api, fanout: Fanout, store: Store, settings: Settings
) -> None:
    reference = await _answered_access(api, fanout, store)
    recorded = settings.data_dir / (await _exports(app))[reference].path
    folder = recorded.parent
    # Built, but another worker answered the ticket first; and one being recorded now.
    unrecorded = folder / f"{reference}-0123456789abcdef.zip"
    fresh = folder / f"{reference}-fedcba9876543210.zip"
    for path in (unrecorded, fresh):
        path.write_bytes(b"PK\x05\x06" + bytes(18))
    two_days_ago = time.time() - 2 * 86400
    for path in (unrecorded, recorded):
        os.utime(path, (two_days_ago, two_days_ago))
    run = await purge_expired(app.state.sessionmaker, settings=settings, now=utcnow())
    assert run.failed == 0
    assert not unrecorded.exists()
    assert fresh.exists()
    assert recorded.exists()


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

    from app.flows.inbound import ingest

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
    left = [path for path in settings.data_dir.rglob("*") if path.is_file()]
    assert [path for path in left if reference in path.name] == []  # packages too
