"""One ticket fanned out to every SaaS type at once, each against its fake vendor server.

Vendor types join through their fake: `tests/vendors/fake_<type>.py` defines

    def fanout_case() -> dict:
        return {"app": <the fake's ASGI app, holding ada.lovelace@example.com's records>,
                "config": {<connectors.yaml keys besides name, type and base_url, secrets
                            written out>}}

and the test serves the app on loopback and sets `base_url`. The walkthrough's `acme`
example type (tests/example) always takes part, so the test runs before any vendor type
is registered; `test_every_registered_saas_type_joins` names the registered SaaS types
whose fake has no `fanout_case` yet (skipped while there are none).
"""

import importlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
import yaml

from app.db import utcnow
from connectors.base import Capability, Connector
from connectors.registry import load_types
from connectors.testing import serve_app
from tests.example.acme import AcmeConnector
from tests.example.fake_acme import TOKEN, FakeAcme
from tests.fixtures.fanout import ADA, Api, Fanout

BUILT_IN = frozenset({"sql", "webhook", "manual"})
REGISTERED = load_types()
SAAS_TYPES = sorted(set(REGISTERED.types) - BUILT_IN)


def _fanout_case(type_name: str) -> dict[str, Any] | None:
    try:
        module = importlib.import_module(f"tests.vendors.fake_{type_name}")
    except ModuleNotFoundError:
        return None
    make = getattr(module, "fanout_case", None)
    return make() if make is not None else None


@dataclass
class Vendor:
    type: str
    connector_type: type[Connector[Any]]
    app: Any
    config: dict[str, Any]


def _vendors() -> list[Vendor]:
    fake = FakeAcme()
    fake.add(ADA, count=3)
    fake.add("bob@example.com")
    found = [Vendor("acme", AcmeConnector, fake.app, {"token": TOKEN})]
    for name in SAAS_TYPES:
        case = _fanout_case(name)
        if case is not None:
            found.append(
                Vendor(name, REGISTERED.types[name], case["app"], case["config"])
            )
    return found


@pytest.fixture
def vendors(fanout: Fanout) -> Iterator[list[Vendor]]:
    """Every vendor's fake served, and a connectors.yaml naming each type once."""
    found = _vendors()
    with ExitStack() as stack:
        blocks = []
        for vendor in found:
            url = stack.enter_context(serve_app(vendor.app))
            block = {"name": vendor.type, "type": vendor.type, "base_url": url}
            blocks.append({**block, **vendor.config, "timeout": 10})
        text = yaml.safe_dump({"connectors": blocks}, sort_keys=False)
        fanout.configure(
            text.removeprefix("connectors:\n"),
            types={vendor.type: vendor.connector_type for vendor in found},
        )
        yield found


async def _finish(fanout: Fanout, api: Api, reference: str) -> dict[str, Any]:
    """Run, poll pending jobs and complete manual tasks until the ticket is answered."""
    await fanout.run()
    for hours in range(1, 8):
        ticket = await api.ticket(reference)
        if ticket["status"] == "completed":
            return ticket
        for task in ticket["tasks"]:
            if task["status"] == "manual":
                path = f"{reference}/tasks/{task['id']}/complete"
                assert (
                    await api.post(path, {"note": "done by hand"})
                ).status_code == 200
        with time_machine.travel(utcnow() + timedelta(hours=hours), tick=True):
            await fanout.poll()
            await fanout.run()
    return await api.ticket(reference)


def _with(vendors: list[Vendor], capability: Capability) -> set[str]:
    return {v.type for v in vendors if capability in v.connector_type.capabilities}


async def test_one_access_ticket_reaches_every_vendor_at_once(fanout, api, vendors):
    reference = await api.approved("access")

    ticket = await _finish(fanout, api, reference)

    assert ticket["status"] == "completed"
    tasks = {task["connector"]: task for task in ticket["tasks"]}
    assert set(tasks) == _with(vendors, Capability.ACCESS)
    for name, task in tasks.items():
        assert task["status"] == "succeeded", (name, task["error"])
        assert sum(task["counts"].values()) > 0, f"{name} found nothing for Ada"
    [built] = await api.events(reference, "export_built")
    assert {key.split("/")[0] for key in built["data"]["records"]} == set(tasks)


async def test_one_erasure_ticket_reaches_every_vendor_and_the_report_names_each(
    fanout, api, vendors
):
    reference = await api.approved("erasure")

    ticket = await _finish(fanout, api, reference)

    assert ticket["status"] == "completed"
    [report] = await api.events(reference, "erasure_reported")
    outcomes = {
        system["name"]: system["outcome"] for system in report["data"]["systems"]
    }
    assert set(outcomes) == _with(vendors, Capability.ERASE)
    assert "not_held" not in outcomes.values()  # every fake holds Ada


async def test_one_objection_unsubscribes_the_person_everywhere_it_can(
    fanout, api, vendors
):
    reference = await api.approved("objection")

    ticket = await _finish(fanout, api, reference)

    assert ticket["status"] == "completed"
    opted = {t["connector"] for t in ticket["tasks"] if t["action"] == "opt_out"}
    assert opted == _with(vendors, Capability.OPT_OUT)
    [report] = await api.events(reference, "opt_out_reported")
    assert {system["name"] for system in report["data"]["systems"]} == opted


def test_every_registered_saas_type_joins():
    if not SAAS_TYPES:
        pytest.skip("no SaaS connector type is registered yet (branches saas1, saas2)")
    missing = [name for name in SAAS_TYPES if _fanout_case(name) is None]
    if missing:
        pytest.skip(f"no tests/vendors/fake_<type>.fanout_case() yet: {missing}")
