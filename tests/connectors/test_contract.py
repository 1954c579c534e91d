"""Every registered connector type (from the real entry points) meets the same contract.

Each type has a case factory giving a working instance against a real store or fake vendor,
a subject known there, and an instance with bad credentials or an unreachable address.
A registered type without a factory fails `test_every_registered_type_has_a_case`.

"A second erase gives the same result" is checked as: same status, no error, and never more
erased the second time (the SQL type reports 0 rows once nothing is left; the webhook
receiver replays its first answer for the same idempotency key).
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.base import (
    Capability,
    Connector,
    ConnectorConfig,
    ConnectorError,
    EraseSummary,
    ManualActionRequired,
    RateLimit,
    Record,
)
from connectors.manual import ManualConnector
from connectors.registry import load_types
from connectors.sql import SqlConfig, SqlConnector
from connectors.webhook import WebhookConnector
from tests.connectors.conftest import DB_NAME

REGISTERED = load_types()


@dataclass
class Case:
    """One connector type ready for the contract checks."""

    good: Connector[Any]
    bad: Connector[Any] | None
    manual: bool = False


async def _sql_case(target: dict[str, Any], kit) -> Case:
    store = target["store"]
    await store.reset()
    bad_urls = {
        "sqlite": f"sqlite:///{store.folder}/missing.db",
        "postgresql": f"postgresql://no_such_role@127.0.0.1:5432/{DB_NAME}",
        "mariadb": f"mysql://root:wrong-password@127.0.0.1:3306/{DB_NAME}",
    }
    good = store.connector()
    bad_config = SqlConfig.model_validate(
        {
            **good.config.model_dump(),
            "url": bad_urls[store.backend],
            "hash_key": kit.hash_key,
        }
    )
    return Case(good=good, bad=SqlConnector(bad_config, name="bad"))


async def _webhook_case(target: dict[str, Any], kit) -> Case:
    receiver = target["webhook"]
    config = {"name": "hook", "type": "webhook", "url": receiver.url, "timeout": 5}
    good = WebhookConnector.config_model.model_validate(
        {**config, "secret": kit.webhook_secret}
    )
    bad = good.model_copy(update={"secret": SecretStr("wrong-secret-0123456789")})
    return Case(
        good=WebhookConnector(good, name="hook"), bad=WebhookConnector(bad, name="bad")
    )


async def _manual_case(target: dict[str, Any], kit) -> Case:
    values = {
        "name": "ledger",
        "type": "manual",
        "instructions": "Strike the ledger entry",
    }
    config = ManualConnector.config_model.model_validate(values)
    return Case(good=ManualConnector(config, name="ledger"), bad=None, manual=True)


FACTORIES: Mapping[str, Callable[[dict[str, Any], Any], Awaitable[Case]]] = {
    "sql": _sql_case,
    "webhook": _webhook_case,
    "manual": _manual_case,
}
TARGETS = [
    pytest.param(("sql", "sqlite"), id="sql-sqlite"),
    pytest.param(("sql", "postgresql"), id="sql-postgresql", marks=pytest.mark.pg),
    pytest.param(("sql", "mariadb"), id="sql-mariadb", marks=pytest.mark.mariadb),
    pytest.param(("webhook", None), id="webhook"),
    pytest.param(("manual", None), id="manual"),
]
ENGINE_FIXTURES = {
    "sqlite": "sqlite_engine",
    "postgresql": "pg_engine",
    "mariadb": "mariadb_engine",
}


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path, kit) -> dict[str, Any]:
    """The type under test and the real store or fake vendor it talks to."""
    type_name, backend = request.param
    found: dict[str, Any] = {"type": type_name}
    if backend is not None:
        engine = request.getfixturevalue(ENGINE_FIXTURES[backend])
        found["engine"] = engine
        found["backend"] = backend
    if type_name == "webhook":
        found["webhook"] = request.getfixturevalue("webhook")
    return found


@pytest.fixture
async def case(target, tmp_path, kit, make_store) -> AsyncIterator[Case]:
    if "engine" in target:
        target["store"] = make_store(target["backend"], target["engine"], tmp_path)
    built = await FACTORIES[target["type"]](target, kit)
    yield built
    for connector in (built.good, built.bad):
        if connector is not None:
            await connector.aclose()


async def _access(connector: Connector[Any], subject) -> list[Record]:
    return [record async for record in connector.access(subject)]


def test_every_registered_type_has_a_case():
    assert REGISTERED.broken == {}
    assert set(REGISTERED.types) == set(FACTORIES)


@pytest.mark.parametrize("name", sorted(REGISTERED.types))
def test_the_type_declares_the_contract(name):
    connector_type = REGISTERED.types[name]

    assert issubclass(connector_type, Connector)
    assert connector_type.capabilities
    assert all(isinstance(c, Capability) for c in connector_type.capabilities)
    assert issubclass(connector_type.config_model, ConnectorConfig)
    assert connector_type.rate_limit is None or isinstance(
        connector_type.rate_limit, RateLimit
    )


async def test_test_passes_with_good_settings(case):
    await case.good.test()


async def test_bad_credentials_or_an_unreachable_store_fail_test(case):
    if case.bad is None:
        pytest.skip("this type has no credentials or address")

    with pytest.raises(ConnectorError):
        await case.bad.test()


async def test_access_yields_records(case, kit):
    if case.manual:
        with pytest.raises(ManualActionRequired):
            await _access(case.good, kit.ada)
        return

    records = await _access(case.good, kit.ada)

    assert records
    assert all(
        isinstance(r, Record) and r.source and isinstance(r.data, Mapping)
        for r in records
    )


async def test_a_second_erase_gives_the_same_result(case, kit):
    if case.manual:
        for _ in range(2):
            with pytest.raises(ManualActionRequired, match="Strike the ledger entry"):
                await case.good.erase(kit.ada)
        return

    first = await case.good.erase(kit.ada)
    second = await case.good.erase(kit.ada)

    assert isinstance(first, EraseSummary)
    assert isinstance(second, EraseSummary)
    assert second.status == first.status
    assert sum(second.erased.values()) <= sum(first.erased.values())


async def test_an_unknown_subject_gives_empty_results(case, kit):
    if case.manual:  # a person must look: the outcome is a task, whoever it is
        with pytest.raises(ManualActionRequired):
            await case.good.erase(kit.nobody)
        return

    assert await _access(case.good, kit.nobody) == []
    summary = await case.good.erase(kit.nobody)
    assert sum(summary.erased.values()) == 0


async def test_aclose_can_be_called_twice(case):
    await case.good.aclose()
    await case.good.aclose()
