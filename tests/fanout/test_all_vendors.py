"""One ticket fanned out to all ten SaaS types at once, each against its fake vendor.

Each `tests/vendors/fake_<type>.py` has `fanout_case(email)`: a fake holding the person's
records (and Bob's), and the connectors.yaml keys that reach it. The `vendors` fixture
serves all ten fakes on loopback and configures one connector of each type (credentials
as `${VAR}`s); each test runs one ticket through the real fan-out, the pending-erasure
poll and the results step, then reads what came out: the access package, the erasure
and opt-out reports, and the vendors' request logs.
"""

import importlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
import time_machine
import yaml
from sqlmodel import select

from app.db import utcnow
from app.exports.models import Export
from app.mail.models import Message
from connectors.base import Capability
from connectors.registry import load_types
from tests.fixtures.fanout import ADA, Api, Fanout
from tests.vendors.fake_api import Call, FanoutCase
from tests.vendors.harness import VENDOR_TYPES

REGISTERED = load_types()
SAAS_TYPES = sorted(set(REGISTERED.types) - {"sql", "webhook", "manual"})
TEN = sorted(VENDOR_TYPES)
OTHER = "bob@example.com"  # in every fake; never in Ada's results

# The calls of each vendor's permanent deletion (after the soft delete some require), as
# "METHOD path" patterns of its request log: an erasure makes every one of them, and no
# other ticket makes any.
DELETIONS: dict[str, list[str]] = {
    "activecampaign": [
        r"DELETE /api/3/contacts/\d+",
        r"DELETE /api/3/contactArchives/\d+",
    ],
    "drip": [r"DELETE /v2/\d+/subscribers/\w+"],
    "hubspot": [r"POST /crm/v3/objects/contacts/gdpr-delete"],
    "intercom": [r"DELETE /contacts/\w+"],
    "keap": [r"DELETE /crm/rest/v2/contacts/\d+"],
    "kit": [],  # Kit has no delete: a manual step
    "klaviyo": [r"POST /api/data-privacy-deletion-jobs"],
    "mailchimp": [r"POST /3\.0/lists/\w+/members/\w+/actions/delete-permanent"],
    "stripe": [r"DELETE /v1/customers/cus_\d+"],
    "zendesk": [
        r"DELETE /api/v2/users/\d+",
        r"DELETE /api/v2/deleted_users/\d+",
        r"DELETE /api/v2/deleted_tickets/destroy_many",
    ],
}
# Calls that only archive (restorable): an erasure must not stop at them.
ARCHIVE_ONLY: dict[str, str] = {
    "hubspot": r"DELETE /crm/v3/objects/contacts/\d+",
    "mailchimp": r"DELETE /3\.0/lists/\w+/members/\w+",
}
# How each vendor's marketing opt-out shows in its request log.
UNSUBSCRIBES: dict[str, str] = {
    "activecampaign": r"POST /api/3/contactLists",
    "drip": r"POST /v2/\d+/subscribers/\w+/unsubscribe_all",
    "hubspot": r"POST /communication-preferences/v4/statuses/.+/unsubscribe-all",
    "intercom": r"PUT /contacts/\w+",
    "keap": r"PATCH /crm/rest/v2/emailAddresses/.+/status",
    "kit": r"POST /v4/subscribers/\d+/unsubscribe",
    "klaviyo": r"POST /api/profile-subscription-bulk-delete-jobs",
    "mailchimp": r"PATCH /3\.0/lists/\w+/members/\w+",
}
# The erasure report's outcome per system: Kit is a manual step; Klaviyo's deletion is a
# job polled until the vendor confirms it done, so it is erased too, as is everything else.
ERASURE_OUTCOMES = dict.fromkeys(TEN, "erased") | {"kit": "manual"}


def _case(type_name: str) -> FanoutCase:
    module = importlib.import_module(f"tests.vendors.fake_{type_name}")
    case: FanoutCase = module.fanout_case(ADA)
    return case


@pytest.fixture
def vendors(fanout: Fanout) -> Iterator[dict[str, FanoutCase]]:
    """All ten fakes served, and a connectors.yaml naming each type once."""
    cases = {name: _case(name) for name in TEN}
    with ExitStack() as stack:
        blocks, environ = [], {}
        for name, case in cases.items():
            url = stack.enter_context(case.fake.serve())
            blocks.append(
                {"name": name, "type": name, "base_url": url + case.path}
                | dict(case.config)
                | {"timeout": 10}
            )
            environ.update(case.environ)
        text = yaml.safe_dump({"connectors": blocks}, sort_keys=False)
        fanout.configure(
            text.removeprefix("connectors:\n"),
            types={name: REGISTERED.types[name] for name in cases},
            environ=environ,
        )
        yield cases


async def _finish(
    fanout: Fanout, api: Api, reference: str, cases: dict[str, FanoutCase]
) -> dict[str, Any]:
    """Run the ticket's tasks; let the vendors finish their jobs, poll, and complete
    manual tasks by hand, until the ticket is answered."""
    await fanout.run()
    for hours in range(1, 8):
        ticket = await api.ticket(reference)
        if ticket["status"] == "completed":
            return ticket
        for case in cases.values():
            case.later()
        for task in ticket["tasks"]:
            if task["status"] == "manual":
                path = f"{reference}/tasks/{task['id']}/complete"
                done = await api.post(path, {"note": "done by hand"})
                assert done.status_code == 200, done.text
        with time_machine.travel(utcnow() + timedelta(hours=hours), tick=True):
            await fanout.poll()
            await fanout.run()
    return await api.ticket(reference)


def _made(calls: list[Call], pattern: str) -> int:
    return sum(bool(re.fullmatch(pattern, f"{c.method} {c.path}")) for c in calls)


def _with(capability: Capability) -> set[str]:
    return {n for n in TEN if capability in REGISTERED.types[n].capabilities}


async def _package(fanout: Fanout, reference: str) -> zipfile.ZipFile:
    async with fanout.maker() as session:
        [export] = (await session.execute(select(Export))).scalars().all()
    data = (fanout.settings.data_dir / export.path).read_bytes()
    return zipfile.ZipFile(io.BytesIO(data))


def _kit_id(cases: dict[str, FanoutCase], email: str) -> int:
    fake: Any = cases["kit"].fake
    return next(i for i, s in fake.subscribers.items() if s["email_address"] == email)


async def _mailed(fanout: Fanout, kind: str) -> dict[str, str]:
    """The requester's report of `kind`: its first list ("- system: outcome" lines, the
    systems; recipients follow in a list of their own), by system."""
    async with fanout.maker() as session:
        query = select(Message).where(Message.kind == kind)
        [report] = (await session.execute(query)).scalars().all()
    text = report.text.split("\n- ", 1)[1]
    systems = text.split("\n\n", 1)[0].split("\n- ")
    return dict(line.split(": ", 1) for line in systems)


def test_all_ten_types_are_registered_and_have_a_fanout_case():
    assert SAAS_TYPES == TEN
    for name in TEN:
        assert isinstance(_case(name), FanoutCase), name


async def test_one_access_ticket_reaches_all_ten_and_the_package_names_each(
    fanout, api, vendors
):
    reference = await api.approved("access")

    ticket = await _finish(fanout, api, reference, vendors)

    assert ticket["status"] == "completed"
    tasks = {task["connector"]: task for task in ticket["tasks"]}
    assert set(tasks) == set(TEN) == _with(Capability.ACCESS)
    for name, task in tasks.items():
        assert task["status"] == "succeeded", (name, task["error"])
        assert sum(task["counts"].values()) > 0, f"{name} found nothing for Ada"
    package = await _package(fanout, reference)
    names = package.namelist()
    index = package.read("index.html").decode()
    for name, task in tasks.items():
        held = ""
        for source, count in task["counts"].items():
            records = json.loads(package.read(f"data/{name}/{source}.json"))
            assert len(records) == count, (name, source)
            assert f"data/{name}/{source}.csv" in names
            held += json.dumps(records).lower()
        assert ADA in held, f"{name}: Ada's address is not in her records"
        assert OTHER not in held, f"{name} exported Bob's records"
        assert name in index, f"index.html does not name {name}"
    [built] = await api.events(reference, "export_built")
    assert {key.split("/")[0] for key in built["data"]["records"]} == set(TEN)
    for name, case in vendors.items():
        writes = [c for c in case.fake.log if c.method in ("DELETE", "PATCH", "PUT")]
        assert writes == [], f"an access ticket wrote to {name}"
        assert not any(_made(case.fake.log, p) for p in DELETIONS[name]), name


async def test_one_erasure_ticket_reaches_all_ten_and_the_report_names_each(
    fanout, api, vendors
):
    reference = await api.approved("erasure")

    ticket = await _finish(fanout, api, reference, vendors)

    assert ticket["status"] == "completed"
    [report] = await api.events(reference, "erasure_reported")
    systems = {system["name"]: system for system in report["data"]["systems"]}
    assert set(systems) == set(TEN) == _with(Capability.ERASE)
    assert {n: s["outcome"] for n, s in systems.items()} == ERASURE_OUTCOMES
    for name, outcome in ERASURE_OUTCOMES.items():
        if outcome == "erased":
            assert systems[name]["records"] > 0, name
    assert set(await _mailed(fanout, "erasure_done")) == set(TEN)
    tasks = {task["connector"]: task for task in ticket["tasks"]}
    assert tasks["zendesk"]["counts"] == {"users": 1, "tickets": 2}
    # The manual step names the subscriber record staff must delete in Kit's UI.
    assert str(_kit_id(vendors, ADA)) in tasks["kit"]["instructions"]
    for name, case in vendors.items():
        for pattern in DELETIONS[name]:
            assert _made(case.fake.log, pattern), f"{name}: no {pattern}"
        if name in ARCHIVE_ONLY:
            assert not _made(case.fake.log, ARCHIVE_ONLY[name]), f"{name} archived"
    kit = vendors["kit"].fake.log
    assert not [c for c in kit if c.method == "DELETE"]
    assert _made(kit, UNSUBSCRIBES["kit"]) == 1  # unsubscribed before the manual step


async def test_one_objection_unsubscribes_the_person_everywhere_it_can(
    fanout, api, vendors
):
    reference = await api.approved("objection")

    ticket = await _finish(fanout, api, reference, vendors)

    assert ticket["status"] == "completed"
    opted = {t["connector"] for t in ticket["tasks"] if t["action"] == "opt_out"}
    assert opted == set(UNSUBSCRIBES) == _with(Capability.OPT_OUT)
    [report] = await api.events(reference, "opt_out_reported")
    outcomes = {s["name"]: s["outcome"] for s in report["data"]["systems"]}
    assert outcomes == dict.fromkeys(UNSUBSCRIBES, "unsubscribed")
    assert set(await _mailed(fanout, "opt_out_done")) == set(UNSUBSCRIBES)
    for name, case in vendors.items():
        if name in UNSUBSCRIBES:
            assert _made(case.fake.log, UNSUBSCRIBES[name]), f"{name}: not called"
        assert not any(_made(case.fake.log, p) for p in DELETIONS[name]), name
