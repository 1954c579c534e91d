"""Answering a request: build and deliver the access package, confirm an erasure.

The package is built outside any transaction (it can take a while), then recorded, offered
through an expiring download link, and the ticket completes. With `DSR_REVIEW_EXPORTS` staff
release each package first. An erasure ends with a report of what each system did and a
suppression record (a keyed hash of the address), nothing more; an objection or opt-out with
a confirmation of where marketing stopped.
"""

import secrets
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.audit.models import Event
from app.db import utcnow
from app.deadlines.service import calendar_for
from app.enums import RequestType, Status
from app.errors import Conflict, NotFound
from app.exports import notices
from app.exports.builder import Describe, ExportManifest, build_export
from app.exports.models import Export
from app.fanout.config import STAFF, FanoutRuntime, runtime_of
from app.fanout.models import ConnectorTask, TaskStatus
from app.fanout.staging import staging_dir
from app.identity import service as identity
from app.identity.models import TokenPurpose, VerificationToken
from app.logging import log
from app.mail import outbox
from app.privacy import facts_for
from app.requests import lifecycle, suppression, tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from connectors.base import Capability, Connector, SourceInfo

EXPORT_TYPES = frozenset({RequestType.ACCESS, RequestType.PORTABILITY})
OPT_OUT_TYPES = frozenset({RequestType.OBJECTION, RequestType.OPT_OUT})


def new_export_path(settings: Settings, reference: str) -> Path:
    """A path of its own for one build of a ticket's package, used by no other build."""
    # Two workers (or a retry) building one ticket's package at once must not replace each
    # other's file: the Export row recorded for a build names its file and that file's hash.
    return settings.data_dir / "exports" / f"{reference}-{secrets.token_hex(8)}.zip"


def _namer(
    runtime: FanoutRuntime | None,
) -> tuple[Describe | None, dict[str, str]]:
    """How the configured connectors name their sources and themselves, for index.html."""
    if runtime is None:
        return None, {}
    probes: dict[str, Connector[Any] | None] = {}

    def describe(connector: str, source: str) -> SourceInfo | None:
        if connector not in probes:
            # A probe instance opens nothing (clients and engines are lazy).
            known = runtime.get(connector) is not None
            probes[connector] = runtime.build(connector) if known else None
        probe = probes[connector]
        try:
            return probe.source_info(source) if probe is not None else None
        except Exception:  # a plugin's labels must never stop the answer
            log.warning("exports.source_info_failed", connector=connector)
            return None

    labels = {
        name: spec.config.label
        for name, spec in runtime.connectors.items()
        if spec.config.label
    }
    return describe, labels


async def build(
    dsr: DsrRequest,
    *,
    settings: Settings,
    now: datetime,
    runtime: FanoutRuntime | None = None,
) -> ExportManifest:
    """Build the ZIP from the ticket's staged records (blocking work in a thread).

    With the runtime, index.html names sources and systems as their connectors do."""
    facts = facts_for(settings.privacy_file)
    target = new_export_path(settings, dsr.reference)
    describe, system_labels = _namer(runtime)

    def work() -> ExportManifest:
        return build_export(
            staging_dir(settings.data_dir, dsr.reference),
            target,
            reference=dsr.reference,
            request_type=dsr.type.value,
            facts=facts,
            generated_at=now,
            language=dsr.language,
            subject_email=dsr.subject_email,
            describe=describe,
            system_labels=system_labels,
        )

    return await anyio.to_thread.run_sync(work)


async def record(
    session: AsyncSession,
    dsr: DsrRequest,
    manifest: ExportManifest,
    *,
    settings: Settings,
) -> Export:
    """Store the built package; send it unless staff review exports first."""
    assert dsr.id is not None  # noqa: S101 - a stored ticket
    export = Export(
        request_id=dsr.id,
        path=str(manifest.path.relative_to(settings.data_dir)),
        size=manifest.size,
        sha256=manifest.sha256,
    )
    session.add(export)
    await session.flush()
    counts = {
        f"{c}/{s}": n
        for c, sources in manifest.counts.items()
        for s, n in sources.items()
    }
    await audit.record(
        session,
        dsr,
        "export_built",
        actor="system",
        data={"size": manifest.size, "sha256": manifest.sha256, "records": counts},
    )
    if not settings.review_exports:
        await send(session, dsr, export, settings=settings, actor="system")
    return export


async def pending_export(session: AsyncSession, dsr: DsrRequest) -> Export | None:
    """The ticket's latest package, if one was built."""
    query = (
        select(Export)
        .where(Export.request_id == dsr.id)
        .order_by(col(Export.id).desc())
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def export_records(session: AsyncSession, request_id: int) -> int:
    """How many records the ticket's latest package holds, from its `export_built` event."""
    query = (
        select(Event.data)
        .where(Event.request_id == request_id, Event.kind == "export_built")
        .order_by(col(Event.id).desc())
        .limit(1)
    )
    data = (await session.execute(query)).scalar_one_or_none() or {}
    counts = data.get("records", {})
    return sum(value for value in counts.values() if isinstance(value, int))


async def send(
    session: AsyncSession,
    dsr: DsrRequest,
    export: Export,
    *,
    settings: Settings,
    actor: str,
) -> None:
    """Email a fresh download link and complete the ticket (the first send)."""
    if export.purged_at is not None:
        raise Conflict(
            "this package was purged; build a new one by retrying the request"
        )
    now = utcnow()
    if export.sent_at is None and settings.review_exports:
        export.approved_at = now
    issued = await identity.issue(
        session, dsr, TokenPurpose.DOWNLOAD, days=settings.download_days
    )
    export.expires_at, export.sent_at = issued.expires_at, now
    calendar = calendar_for(settings)
    message = await outbox.to_requester(
        session,
        dsr,
        "results_ready",
        settings=settings,
        context={
            "download_url": f"{settings.base_url}/download/{issued.token}",
            "expires_on": issued.expires_at.astimezone(calendar.timezone).date(),
            "attached": 0 < export.size <= settings.attach_max_bytes,
            "records": await export_records(session, export.request_id),
        },
    )
    if 0 < export.size <= settings.attach_max_bytes:
        message.attachment_path = export.path
    await audit.record(
        session, dsr, "export_sent", actor=actor, data={"export_id": export.id}
    )
    if dsr.status is Status.IN_PROGRESS:
        await lifecycle.transition(session, dsr, Status.COMPLETED, actor=actor)


async def resend(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings, actor: str
) -> None:
    """Send the package again with a new link (staff), e.g. after the first one expired."""
    export = await pending_export(session, dsr)
    if export is None:
        raise NotFound(f"{dsr.reference} has no export package")
    await identity.revoke_all(session, dsr, TokenPurpose.DOWNLOAD)
    await send(session, dsr, export, settings=settings, actor=actor)


async def release_or_resend(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings, actor: str
) -> bool:
    """Release a package waiting for review, or send a fresh link (the old one stops
    working); True for a first release. NotFound when no package was built yet."""
    export = await pending_export(session, dsr)
    if export is None:
        raise NotFound(f"{dsr.reference} has no export package yet")
    if export.sent_at is None:
        await send(session, dsr, export, settings=settings, actor=actor)
        return True
    await resend(session, dsr, settings=settings, actor=actor)
    return False


async def open_download(
    session: AsyncSession, token: str
) -> tuple[VerificationToken, DsrRequest, Export] | None:
    """The live link, its ticket and package (read-only); None when unknown, revoked,
    expired or purged."""
    stored = await identity.find(session, token, TokenPurpose.DOWNLOAD)
    if stored is None or not identity.is_usable(stored):
        return None
    dsr = await session.get(DsrRequest, stored.request_id)
    export = await pending_export(session, dsr) if dsr else None
    if dsr is None or export is None or export.purged_at is not None:
        return None
    return stored, dsr, export


async def count_download(session: AsyncSession, export: Export) -> None:
    """Audit one download."""
    async with tickets.edit(session, export.request_id) as dsr:
        await session.refresh(
            export
        )  # read under the lock: parallel downloads all count
        export.downloads += 1
        await audit.record(
            session, dsr, "downloaded", actor="requester", data={"export_id": export.id}
        )


async def _tasks(session: AsyncSession, dsr: DsrRequest) -> list[ConnectorTask]:
    query = select(ConnectorTask).where(ConnectorTask.request_id == dsr.id)
    return list(
        (await session.execute(query.order_by(col(ConnectorTask.id)))).scalars()
    )


async def erasure_report(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings
) -> None:
    """Tell the requester what each system did and how each recipient was told (Art. 19),
    tell the recipients, and keep only a suppression record."""
    tasks = await _tasks(session, dsr)
    systems = [_system(task) for task in tasks]
    # The mail names systems as connectors.yaml does for people; the audit keeps the names.
    runtime = runtime_of(session)
    shown = [item | {"name": _label(runtime, str(item["name"]))} for item in systems]
    outcomes = {task.connector: notices.outcome_of(task) for task in tasks}
    facts = facts_for(settings.privacy_file)
    told = await notices.notify_recipients(
        session, dsr, facts, outcomes, settings=settings
    )
    await outbox.to_requester(
        session,
        dsr,
        "erasure_done",
        settings=settings,
        context={
            "systems": shown,
            "recipients": [notice.as_report() for notice in told],
        },
    )
    await audit.record(
        session,
        dsr,
        "erasure_reported",
        actor="system",
        data={
            "systems": systems,
            "recipients": [notice.as_audit() for notice in told],
        },
    )
    await suppression.suppress(session, dsr.subject_email_key, settings=settings)


def _counted(task: ConnectorTask) -> int:
    return sum(value for value in task.counts.values() if isinstance(value, int))


def _label(runtime: FanoutRuntime | None, connector: str) -> str:
    spec = runtime.get(connector) if runtime is not None else None
    return (spec.config.label if spec else None) or connector


def _system(task: ConnectorTask) -> dict[str, object]:
    outcome = notices.outcome_of(task)
    erased = _counted(task)
    detail = {
        "manual": "done by our staff",
        "scheduled": "the provider completes the erasure on its side",
        "erased": f"{erased} records",
        "already_erased": f"{erased} records" if erased else None,
    }.get(outcome)
    return {
        "name": task.connector,
        "outcome": outcome,
        "detail": detail,
        "records": erased
        if outcome in ("erased", "already_erased") and erased
        else None,
    }


async def opt_out_report(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings
) -> None:
    """Tell the requester where they were unsubscribed from marketing, and what our
    staff did by hand (an objection or a CCPA opt-out)."""
    tasks = await _tasks(session, dsr)
    systems = [_unsubscribed(t) for t in tasks if t.action == Capability.OPT_OUT]
    await outbox.to_requester(
        session, dsr, "opt_out_done", settings=settings, context={"systems": systems}
    )
    await audit.record(
        session, dsr, "opt_out_reported", actor="system", data={"systems": systems}
    )


def _unsubscribed(task: ConnectorTask) -> dict[str, object]:
    if task.instructions:
        outcome = "manual"
    elif task.job_ref and task.status is not TaskStatus.SUCCEEDED:
        outcome = "scheduled"
    elif _counted(task) or task.count_unknown:
        outcome = "unsubscribed"
    else:
        outcome = "not_subscribed"
    name = None if task.connector == STAFF else task.connector
    return {"name": name, "outcome": outcome, "detail": None}


async def remove_all_files(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings, now: datetime
) -> None:
    """Delete every package and the staging folder of a ticket (files in a thread)."""
    query = select(Export).where(Export.request_id == dsr.id)
    exports = list((await session.execute(query)).scalars())
    paths = [settings.data_dir / export.path for export in exports]

    def work() -> None:
        shutil.rmtree(staging_dir(settings.data_dir, dsr.reference), ignore_errors=True)
        for path in paths:
            path.unlink(missing_ok=True)

    await anyio.to_thread.run_sync(work)
    for export in exports:
        export.purged_at = export.purged_at or now
