"""connectors.yaml at start-up: a missing file is no connectors; a bad one is one line."""

import logging
from pathlib import Path

import pytest

from app.fanout.config import ConnectorsFileError, load_runtime
from app.settings import Settings
from connectors.base import Capability, RateLimit
from connectors.manual import ManualConnector
from connectors.registry import load_types
from connectors.sql import SqlConnector
from connectors.webhook import WebhookConnector

REGISTRY = load_types(
    {"sql": SqlConnector, "webhook": WebhookConnector, "manual": ManualConnector}
)
ENV = {"HOOK_SECRET": "hook-secret-0123456789"}
DATASET = (
    "tables: {users: {identity: {email: email}, primary_key: id, erase: delete}}\n"
)


def _settings(tmp_path: Path, text: str | None) -> Settings:
    path = tmp_path / "connectors.yaml"
    if text is not None:
        path.write_text(text)
    (tmp_path / "app.yaml").write_text(DATASET)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        connectors_file=path,
        data_dir=tmp_path,
        secret_key="k" * 40,
    )


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConnectorsFileError) as raised:
        load_runtime(_settings(tmp_path, text), ENV, registry=REGISTRY)
    message = str(raised.value)
    assert "\n" not in message
    return message.removeprefix(f"{tmp_path / 'connectors.yaml'}: ")


def test_a_missing_file_means_no_connectors_and_says_so(tmp_path, caplog, capsys):
    caplog.set_level(logging.INFO)

    runtime = load_runtime(_settings(tmp_path, None), ENV, registry=REGISTRY)

    assert runtime.connectors == {}
    # structlog prints, or hands to logging once the CLI has configured it.
    assert "fanout.no_connectors_file" in caplog.text + capsys.readouterr().out


def test_connectors_load_with_their_usable_actions(tmp_path):
    text = """connectors:
  - {name: ledger, type: manual, instructions: Strike out the entry}
  - {name: hook, type: webhook, url: 'https://hooks.example.com', secret: '${HOOK_SECRET}', actions: [erase]}
  - {name: app_db, type: sql, url: 'sqlite:///app.db', dataset: app.yaml, enabled: false}
"""
    runtime = load_runtime(_settings(tmp_path, text), ENV, registry=REGISTRY)

    assert list(runtime.connectors) == ["ledger", "hook", "app_db"]
    assert runtime.connectors["hook"].actions == {Capability.ERASE}
    assert [spec.name for spec in runtime.planned_for(Capability.ERASE)] == [
        "ledger",
        "hook",
    ]
    assert [spec.name for spec in runtime.planned_for(Capability.ACCESS)] == ["ledger"]


def test_each_connector_gets_a_throttle_of_its_own(tmp_path):
    class Throttled(ManualConnector):
        rate_limit = RateLimit(max_rate=5, time_period=1)

    registry = load_types({"throttled": Throttled})
    text = """connectors:
  - {name: a, type: throttled, instructions: x}
  - {name: b, type: throttled, instructions: y}
"""
    runtime = load_runtime(_settings(tmp_path, text), ENV, registry=registry)

    first, second = runtime.throttles["a"], runtime.throttles["b"]
    assert first is not second
    assert first.limits == (RateLimit(max_rate=5, time_period=1),)
    assert runtime.build("a").throttle is first  # every task of "a" shares it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "connectors:\n  - {name: crm, type: hubspt}\n",
            "connectors[0] (crm).type: unknown connector type 'hubspt' "
            "(known: manual, sql, webhook)",
        ),
        (
            "connectors:\n  - {name: hook, type: webhook, url: 'https://h.example', "
            "secret: '${NO_SUCH_SECRET}'}\n",
            "connectors[0] (hook).secret: environment variable NO_SUCH_SECRET is not set",
        ),
        (
            "connectors:\n  - {name: staff, type: manual, instructions: x}\n",
            "connectors[0] (staff).name: 'staff' is reserved for the tasks staff do "
            "by hand",
        ),
        ("connectors: [\n", "invalid YAML at line 2"),
    ],
    ids=["unknown-type", "missing-secret", "reserved-name", "bad-yaml"],
)
def test_a_bad_file_stops_start_up_with_one_line(tmp_path, text, expected):
    assert _error(tmp_path, text) == expected


def test_a_bad_dataset_names_the_key_and_the_dataset(tmp_path):
    (tmp_path / "bad.yaml").write_text("tables: {users: {identity: {mail: fax}}}")
    text = "connectors:\n  - {name: app_db, type: sql, url: 'sqlite:///x.db', dataset: bad.yaml}\n"

    message = _error(tmp_path, text)

    assert message.startswith("connectors[0] (app_db).dataset: ")
    assert "tables.users.identity.mail: unknown identity kind 'fax'" in message
