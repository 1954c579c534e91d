"""The connector type registry: entry points in, types or one-line failures out."""

from importlib.metadata import EntryPoint

import pytest

from connectors.base import ConfigError, Connector
from connectors.manual import ManualConnector
from connectors.registry import GROUP, load_types
from connectors.sql import SqlConnector
from connectors.webhook import WebhookConnector


class NotAConnector:
    pass


class HalfAConnector(Connector):  # type: ignore[type-arg]
    """Abstract: implements none of the contract."""


def _point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=GROUP)


def test_the_installed_entry_points_give_the_built_in_types():
    registry = load_types()

    assert registry.types["sql"] is SqlConnector
    assert registry.types["webhook"] is WebhookConnector
    assert registry.types["manual"] is ManualConnector
    assert registry.broken == {}


def test_an_explicit_mapping_takes_classes_or_import_strings():
    registry = load_types(
        {"db": "connectors.sql:SqlConnector", "desk": ManualConnector}
    )

    assert dict(registry.types) == {"db": SqlConnector, "desk": ManualConnector}


def test_a_name_registered_twice_with_different_targets_is_rejected():
    registry = load_types(
        [
            _point("crm", "connectors.manual:ManualConnector"),
            _point("crm", "connectors.webhook:WebhookConnector"),
            _point("sql", "connectors.sql:SqlConnector"),
        ]
    )

    assert "crm" not in registry.types
    assert registry.broken["crm"].startswith("name registered more than once")
    with pytest.raises(ConfigError, match="'crm' failed to load: name registered more"):
        registry.get("crm")
    assert registry.get("sql") is SqlConnector


def test_the_same_target_listed_twice_is_one_registration():
    point = _point("sql", "connectors.sql:SqlConnector")

    assert load_types([point, point]).types == {"sql": SqlConnector}


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (NotAConnector, "is not a Connector subclass"),
        (HalfAConnector, "is abstract"),
        ("connectors.base:Subject", "is not a Connector subclass"),
        ("no_such_plugin_module:Thing", "ModuleNotFoundError"),
        ("connectors.sql:NoSuchClass", "AttributeError"),
    ],
)
def test_a_broken_plugin_is_recorded_not_raised(target, reason):
    registry = load_types({"broken": target, "manual": ManualConnector})

    assert reason in registry.broken["broken"]
    assert "\n" not in registry.broken["broken"]
    assert registry.types == {"manual": ManualConnector}


def test_get_an_unknown_type_lists_the_known_ones():
    registry = load_types({"manual": ManualConnector, "sql": SqlConnector})

    with pytest.raises(
        ConfigError, match=r"unknown connector type 'hubspt' \(known: manual, sql\)"
    ):
        registry.get("hubspt")


def test_a_broken_type_stops_start_up_only_when_used():
    registry = load_types(
        {"klaviyo": "no_such_plugin_module:K", "manual": ManualConnector}
    )

    assert registry.check_used(["manual"]) == [
        "connector type 'klaviyo' failed to load (unused): "
        "ModuleNotFoundError: No module named 'no_such_plugin_module'"
    ]
    with pytest.raises(ConfigError, match="'klaviyo' failed to load"):
        registry.check_used(["manual", "klaviyo"])
