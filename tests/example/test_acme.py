"""The walkthrough's `acme` type passes the contract kit against its fake server,
exactly as a third-party author would run it (docs/connectors.md)."""

from collections.abc import AsyncIterator

import pytest

from connectors.base import Subject
from connectors.testing import ConnectorContract, ContractCase, serve_app
from tests.example.acme import AcmeConfig, AcmeConnector
from tests.example.fake_acme import TOKEN, FakeAcme


def acme(url: str, token: str = TOKEN) -> AcmeConnector:
    config = AcmeConfig(name="acme", type="acme", base_url=url, token=token)
    return AcmeConnector(config, name="acme")


class TestAcme(ConnectorContract):
    @pytest.fixture
    async def case(self) -> AsyncIterator[ContractCase]:
        fake = FakeAcme()
        fake.add("ada@example.com", count=3)  # two pages
        fake.add("bob@example.com")
        with serve_app(fake.app) as url:
            yield ContractCase(
                good=acme(url),
                bad=acme(url, token="refused"),
                subject=Subject(email="ada@example.com"),
                others=["bob@example.com"],
            )
