"""Fixtures of every vendor's tests, built from the test module's `VENDOR`
(tests/vendors/harness.py): the seeded fake served on loopback, and a connector on it."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from connectors.base import Connector
from tests.vendors.fake_api import FakeApi
from tests.vendors.harness import vendor_of


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[FakeApi, Any]]:
    """The module's fake, seeded and served, with what its seeding returned."""
    vendor = vendor_of(request)
    fake = vendor.fake()
    seeded = vendor.seed(fake)
    with fake.serve():
        yield fake, seeded


@pytest.fixture
def fake(served: tuple[FakeApi, Any]) -> FakeApi:
    """The seeded fake, served (its `url` is set)."""
    return served[0]


@pytest.fixture
def seeded(served: tuple[FakeApi, Any]) -> Any:
    """What seeding the fake returned (ids the tests look for)."""
    return served[1]


@pytest.fixture
def url(fake: FakeApi) -> str:
    return fake.url


@pytest.fixture
async def connector(
    request: pytest.FixtureRequest, url: str
) -> AsyncIterator[Connector[Any]]:
    """The module's connector on the fake, with its default settings."""
    opened = vendor_of(request).connect(url)
    yield opened
    await opened.aclose()
