"""Loading connectors.yaml: ${ENV} expansion, validation, one-line errors."""

from pathlib import Path

import pytest

from connectors.base import ConfigError
from connectors.config import load_connectors_file
from connectors.manual import ManualConfig, ManualConnector
from connectors.registry import load_types
from connectors.sql import SqlConfig, SqlConnector
from connectors.webhook import WebhookConfig, WebhookConnector

REGISTRY = load_types(
    {"sql": SqlConnector, "webhook": WebhookConnector, "manual": ManualConnector}
)
ENV = {
    "APP_DB_URL": "postgresql://dsr:pw-0123@db.internal/app",
    "HOOK_SECRET": "hook-secret-0123456789",
    "HASH_KEY": "hash-key-0123456789abcdef",
}
DATASET = (
    "tables: {users: {identity: {email: email}, primary_key: id, erase: delete}}\n"
)
HASHING_DATASET = (
    "tables: {users: {identity: {email: email}, primary_key: id, "
    "erase: {update: {email: hash}}}}\n"
)
VALID = """
connectors:
  - name: billing_team
    type: manual
    instructions: "Delete the person from the paper ledger"
  - name: app_db
    type: sql
    url: ${APP_DB_URL}
    dataset: datasets/app_db.yaml
    hash_key: ${HASH_KEY}
  - name: shop_hook
    type: webhook
    url: https://hooks.example.com/dsr
    secret: ${HOOK_SECRET}
    actions: [erase]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "app_db.yaml").write_text(DATASET)
    (tmp_path / "datasets" / "hashing.yaml").write_text(HASHING_DATASET)
    return tmp_path


def load(folder: Path, text: str, environ: dict[str, str] | None = None):
    path = folder / "connectors.yaml"
    path.write_text(text)
    return load_connectors_file(path, REGISTRY, ENV if environ is None else environ)


def error_of(folder: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as raised:
        load(folder, text, environ)
    message = str(raised.value)
    assert "\n" not in message
    prefix = f"{folder / 'connectors.yaml'}: "
    assert message.startswith(prefix)
    return message.removeprefix(prefix)


def test_a_valid_file_gives_typed_configs_with_secrets_expanded(folder):
    manual, sql, hook = load(folder, VALID)

    assert isinstance(manual, ManualConfig)
    assert isinstance(sql, SqlConfig)
    assert isinstance(hook, WebhookConfig)
    assert sql.url.get_secret_value() == ENV["APP_DB_URL"]
    assert "pw-0123" not in repr(sql)
    assert hook.secret.get_secret_value() == ENV["HOOK_SECRET"]
    assert [c.name for c in (manual, sql, hook)] == [
        "billing_team",
        "app_db",
        "shop_hook",
    ]


def test_a_relative_dataset_path_resolves_against_the_files_folder(folder):
    _, sql, _ = load(folder, VALID)

    assert sql.dataset == folder / "datasets" / "app_db.yaml"


def test_a_missing_environment_variable_is_named_with_its_key(folder):
    environ = {k: v for k, v in ENV.items() if k != "APP_DB_URL"}

    message = error_of(folder, VALID, environ)

    assert (
        message
        == "connectors[1] (app_db).url: environment variable APP_DB_URL is not set"
    )


def test_nested_values_are_expanded_and_located(folder):
    text = VALID.replace("actions: [erase]", "actions: [erase, '${ACTION}']")

    message = error_of(folder, text)

    assert message == (
        "connectors[2] (shop_hook).actions[1]: environment variable ACTION is not set"
    )


def test_a_malformed_reference_is_an_error(folder):
    message = error_of(folder, VALID.replace("${HOOK_SECRET}", "${HOOK SECRET}"))

    assert message == (
        "connectors[2] (shop_hook).secret: invalid environment variable reference "
        "${HOOK SECRET}"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "connectors:\n  - {name: a, type: manual, instructions: x}\n"
            "  - {name: a, type: manual, instructions: y}\n",
            "connectors[1] (a).name: duplicate name, already used by connectors[0]",
        ),
        (
            "connectors:\n  - {name: crm, type: hubspt}\n",
            "connectors[0] (crm).type: unknown connector type 'hubspt' "
            "(known: manual, sql, webhook)",
        ),
        (
            "connectors:\n  - {type: manual, instructions: x}\n",
            "connectors[0].name: required, a non-empty string",
        ),
        (
            "connectors:\n  - {name: desk, type: manual}\n",
            "connectors[0] (desk).instructions: Field required",
        ),
        (
            "connectors:\n  - {name: desk, type: manual, instructions: x, colour: red}\n",
            "connectors[0] (desk).colour: Extra inputs are not permitted",
        ),
        (
            "connectors:\n  - {name: desk, type: manual, instructions: x, timeout: -1}\n",
            "connectors[0] (desk).timeout: Input should be greater than 0",
        ),
        (
            "connectors:\n  - {name: hook, type: webhook, url: 'https://h.example', "
            "secret: '${HOOK_SECRET}', actions: [delete]}\n",
            "connectors[0] (hook).actions[0]: Input should be 'access', 'erase' or 'opt_out'",
        ),
        (
            "connectors:\n  - {name: db, type: sql, url: 'sqlite:///x.db', "
            "dataset: datasets/hashing.yaml}\n",
            "connectors[0] (db): hash_key: required because the dataset hashes columns",
        ),
        (
            "connectors:\n  - just a string\n",
            "connectors[0]: expected a mapping of settings",
        ),
        ("services: []\n", "expected a single top-level key 'connectors'"),
        ("connectors: {a: 1}\n", "connectors: expected a list of connector blocks"),
        ("connectors: [\n", "invalid YAML at line 2"),
    ],
)
def test_errors_are_one_line_naming_the_key(folder, text, expected):
    assert error_of(folder, text) == expected


def test_a_dataset_problem_names_both_files(folder):
    (folder / "datasets" / "app_db.yaml").write_text(
        "tables: {users: {identity: {mail: fax}}}"
    )

    message = error_of(folder, VALID)

    dataset = folder / "datasets" / "app_db.yaml"
    assert message == (
        f"connectors[1] (app_db).dataset: {dataset}: tables.users.identity.mail: "
        "unknown identity kind 'fax' (known: email)"
    )


def test_a_missing_dataset_file_is_reported(folder):
    message = error_of(folder, VALID.replace("app_db.yaml", "nope.yaml"))

    assert message.startswith("connectors[1] (app_db).dataset: ")
    assert "nope.yaml: cannot read dataset" in message


def test_rejected_secrets_are_never_echoed(folder):
    environ = {**ENV, "HOOK_SECRET": "tiny-s3cr3t"}

    message = error_of(folder, VALID, environ)

    assert message == "connectors[2] (shop_hook).secret: must be at least 16 characters"


def test_a_broken_type_in_use_stops_loading(folder):
    registry = load_types({"manual": "no_such_plugin_module:Manual"})
    path = folder / "connectors.yaml"
    path.write_text("connectors:\n  - {name: desk, type: manual, instructions: x}\n")

    with pytest.raises(
        ConfigError, match=r"\(desk\)\.type: connector type 'manual' failed"
    ):
        load_connectors_file(path, registry, {})


def test_an_empty_file_means_no_connectors(folder):
    assert load(folder, "") == []
    assert load(folder, "connectors:\n") == []


def test_a_missing_file_is_reported(folder):
    with pytest.raises(ConfigError, match=r"connectors\.yaml: cannot read file"):
        load_connectors_file(folder / "connectors.yaml", REGISTRY, {})
