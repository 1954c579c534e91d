"""ManualConnector: every action becomes a manual task with instructions."""

import pytest
from pydantic import ValidationError

from connectors.base import Capability, ConnectorError, ManualActionRequired
from connectors.manual import ManualConfig, ManualConnector

INSTRUCTIONS = "Delete the person from the paper ledger in the Dublin office"


def _connector(**settings) -> ManualConnector:
    values = {
        "name": "ledger",
        "type": "manual",
        "instructions": INSTRUCTIONS,
        **settings,
    }
    return ManualConnector(ManualConfig.model_validate(values), name="ledger")


async def test_test_always_passes():
    await _connector().test()


async def test_access_raises_manual_action_required_with_the_instructions(kit):
    with pytest.raises(ManualActionRequired) as raised:
        [record async for record in _connector().access(kit.ada)]

    assert raised.value.instructions == INSTRUCTIONS
    assert not raised.value.retryable


async def test_erase_raises_manual_action_required_with_the_instructions(kit):
    with pytest.raises(ManualActionRequired, match="paper ledger"):
        await _connector().erase(kit.ada)


async def test_actions_can_be_narrowed(kit):
    connector = _connector(actions=["erase"])

    with pytest.raises(ConnectorError, match="not enabled") as raised:
        [record async for record in connector.access(kit.ada)]

    assert not isinstance(raised.value, ManualActionRequired)
    assert connector.enabled_actions == {Capability.ERASE}


def test_instructions_are_required():
    with pytest.raises(ValidationError, match="instructions"):
        ManualConfig.model_validate({"name": "ledger", "type": "manual"})


def test_any_type_names_its_sources_from_connectors_yaml():
    connector = _connector(
        sources={
            "ledger": {
                "label": "Paper ledger",
                "category": "Billing data",
                "columns": {"amt": "Amount"},
            }
        }
    )
    info = connector.source_info("ledger")
    assert info is not None
    assert (info.label, info.category, dict(info.columns)) == (
        "Paper ledger",
        "Billing data",
        {"amt": "Amount"},
    )
    assert connector.source_info("elsewhere") is None
    with pytest.raises(ValidationError):
        _connector(sources={"ledger": {"category": "Billing data"}})  # no label
