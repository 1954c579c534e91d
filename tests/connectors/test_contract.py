"""Every registered connector type (from the real entry points) passes the contract kit.

`connectors.testing.ConnectorContract` holds the checks; here each built-in type gets a
case against a real store or receiver. A registered type without a case fails
`test_every_registered_type_has_a_case` (the SaaS types' cases are in tests/vendors/,
named in `VENDOR_CASES`).
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.manual import ManualConnector
from connectors.registry import load_types
from connectors.sql import SqlConfig, SqlConnector
from connectors.testing import ConnectorContract, ContractCase
from connectors.webhook import WebhookConnector
from tests.connectors.conftest import DB_NAME
from tests.vendors.harness import VENDOR_TYPES

REGISTERED = load_types()


# Types whose contract case lives beside their fake vendor server in tests/vendors/.
VENDOR_CASES: frozenset[str] = frozenset(VENDOR_TYPES)


async def _sql_case(target: dict[str, Any], kit) -> ContractCase:
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
    return ContractCase(
        good=good,
        bad=SqlConnector(bad_config, name="bad"),
        subject=kit.ada,
        nobody=kit.nobody,
    )


async def _webhook_case(target: dict[str, Any], kit) -> ContractCase:
    receiver = target["webhook"]
    config = {
        "name": "hook",
        "type": "webhook",
        "url": receiver.url,
        "timeout": 5,
        "actions": ["access", "erase", "opt_out"],
    }
    good = WebhookConnector.config_model.model_validate(
        {**config, "secret": kit.webhook_secret}
    )
    bad = good.model_copy(update={"secret": SecretStr("wrong-secret-0123456789")})
    return ContractCase(
        good=WebhookConnector(good, name="hook"),
        bad=WebhookConnector(bad, name="bad"),
        subject=kit.ada,
        nobody=kit.nobody,
    )


async def _manual_case(target: dict[str, Any], kit) -> ContractCase:
    values = {
        "name": "ledger",
        "type": "manual",
        "instructions": "Strike the ledger entry",
    }
    config = ManualConnector.config_model.model_validate(values)
    return ContractCase(
        good=ManualConnector(config, name="ledger"), subject=kit.ada, manual=True
    )


FACTORIES: Mapping[str, Callable[[dict[str, Any], Any], Awaitable[ContractCase]]] = {
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


def test_every_registered_type_has_a_case():
    assert REGISTERED.broken == {}
    assert set(REGISTERED.types) == set(FACTORIES) | VENDOR_CASES


class TestBuiltInTypes(ConnectorContract):
    """The kit's checks for each built-in type and store (vendor types: tests/vendors)."""

    @pytest.fixture
    async def case(
        self, target, tmp_path, kit, make_store
    ) -> AsyncIterator[ContractCase]:
        if "engine" in target:
            target["store"] = make_store(target["backend"], target["engine"], tmp_path)
        return await FACTORIES[target["type"]](target, kit)
