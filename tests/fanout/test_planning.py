"""Approval plans one task per capable connector, once; other requests get a staff task."""

from sqlmodel import select

from app.fanout import service as fanout_service
from app.fanout.models import ConnectorTask
from app.flows import review
from app.main import make_app_sessionmaker
from app.requests import tickets
from tests.factories import make_request


async def test_approval_plans_a_task_per_enabled_connector_that_can_do_it(fanout, api):
    fanout.configure(
        fanout.scripted("crm", "warehouse")
        + fanout.scripted("reader", extra=", actions: [access]")
        + fanout.scripted("retired", extra=", enabled: false")
    )

    reference = await api.approved("erasure")

    ticket = await api.ticket(reference)
    assert ticket["status"] == "in_progress"
    assert [(t["connector"], t["action"], t["status"]) for t in ticket["tasks"]] == [
        ("crm", "erase", "pending"),
        ("warehouse", "erase", "pending"),
    ]
    [planned] = await api.events(reference, "fanout_planned")
    assert planned["data"]["tasks"] == [
        {"connector": "crm", "action": "erase"},
        {"connector": "warehouse", "action": "erase"},
    ]


async def test_portability_is_an_access_task(fanout, api):
    fanout.configure(fanout.scripted("crm"))

    reference = await api.approved("portability")

    assert [t["action"] for t in (await api.ticket(reference))["tasks"]] == ["access"]


async def test_planning_twice_adds_nothing(fanout, api, session):
    runtime = fanout.configure(fanout.scripted("crm", "warehouse"))
    reference = await api.approved("erasure")
    dsr = await tickets.require(session, reference)

    tasks = await fanout_service.plan(session, dsr, runtime)
    await session.commit()

    assert len(tasks) == 2
    assert len(await api.events(reference, "fanout_planned")) == 1


async def test_a_type_no_connector_performs_gets_one_staff_task(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("rectification")

    await fanout.sweep()

    ticket = await api.ticket(reference)
    [task] = ticket["tasks"]
    assert (task["connector"], task["action"], task["status"]) == (
        "staff",
        "rectification",
        "manual",
    )
    assert ticket["status"] == "action_required"
    assert fanout.script.calls == []


async def test_with_no_connectors_an_erasure_becomes_a_staff_task(fanout, api, session):
    fanout.configure("")
    reference = await api.approved("erasure")

    await fanout.sweep()

    [task] = (
        await session.execute(
            select(ConnectorTask).where(ConnectorTask.action == "erase")
        )
    ).scalars()
    assert task.connector == "staff"
    assert "No connector can erase" in (task.instructions or "")
    assert (await api.ticket(reference))["status"] == "action_required"


async def test_the_job_plans_a_ticket_approved_without_a_runtime(fanout, api, settings):
    bare = make_app_sessionmaker(settings)  # sessions that carry no connectors
    try:
        async with bare() as session:
            made = await make_request(session, type="erasure", identity_verified=True)
            async with tickets.edit(session, made.reference) as dsr:
                await review.approve(session, dsr, actor="system")
            await session.commit()
    finally:
        await bare.kw["bind"].dispose()
    fanout.configure(fanout.scripted("crm"))

    await fanout.sweep()
    await fanout.run()

    assert (await api.ticket(dsr.reference))["status"] == "completed"
    assert fanout.script.count("crm") == 1
