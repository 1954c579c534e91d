"""Connector type `manual`: a store no API can reach; a person follows instructions."""

from collections.abc import AsyncIterator

from pydantic import Field

from connectors.base import (
    Capability,
    Connector,
    ConnectorConfig,
    EraseSummary,
    ManualActionRequired,
    Record,
    Subject,
)


class ManualConfig(ConnectorConfig):
    """Settings of a `manual` connector."""

    instructions: str = Field(
        min_length=1, description="What staff must do, shown on the task."
    )
    actions: frozenset[Capability] = Field(
        default=frozenset({Capability.ACCESS, Capability.ERASE}),
        min_length=1,
        description="Actions that open a task.",
    )


class ManualConnector(Connector[ManualConfig]):
    """Every access and erasure becomes a manual task carrying the instructions."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE})
    config_model = ManualConfig

    @property
    def enabled_actions(self) -> frozenset[Capability]:
        """The actions that open a manual task (the config's `actions`)."""
        return self.config.actions & self.capabilities

    async def test(self) -> None:
        """Nothing to reach: always passes."""

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Raise ManualActionRequired with the instructions."""
        self.require_action(Capability.ACCESS)
        raise ManualActionRequired(self.config.instructions)
        yield  # unreachable: makes this method an async generator like every access()

    async def erase(self, subject: Subject) -> EraseSummary:
        """Raise ManualActionRequired with the instructions."""
        self.require_action(Capability.ERASE)
        raise ManualActionRequired(self.config.instructions)
