"""Building and recording packages: each build has a file of its own, with its own hash."""

import hashlib
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.db import session_scope
from app.enums import RequestType
from app.exports import service
from app.exports.models import Export
from app.fanout.staging import staging_dir
from app.requests import tickets
from app.settings import Settings
from tests.factories import make_request


async def test_each_build_writes_a_file_of_its_own_and_records_its_hash(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    dsr = await make_request(session, type=RequestType.ACCESS)
    staged = staging_dir(settings.data_dir, dsr.reference)
    staged.mkdir(parents=True)
    (staged / "crm.jsonl").write_text('{"source": "contacts", "data": {"id": 1}}\n')
    # Two builds of one ticket (two workers, or a retry) differ in their generation time.
    manifests = [
        await service.build(
            dsr, settings=settings, now=datetime(2026, 3, day, tzinfo=UTC)
        )
        for day in (1, 2)
    ]
    assert manifests[0].path != manifests[1].path
    assert manifests[0].sha256 != manifests[1].sha256
    for manifest in manifests:
        assert dsr.id is not None
        async with session_scope(app.state.sessionmaker) as worker:
            locked = await tickets.edit_or_none(worker, dsr.id)
            assert locked is not None
            await service.record(worker, locked, manifest, settings=settings)
    rows = list((await session.execute(select(Export))).scalars())
    assert len(rows) == 2
    for row in rows:
        content = (settings.data_dir / row.path).read_bytes()
        assert row.size == len(content)
        assert row.sha256 == hashlib.sha256(content).hexdigest()
