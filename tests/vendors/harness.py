"""What every vendor's test module shares: its fake served, its connector, its contract.

A test module names its vendor once, as `VENDOR = Vendor(...)`: the fake's class, how to
seed it (the subject's records and other people's), how to build a connector on a URL,
and which settings the fake refuses. The fixtures in `tests/vendors/conftest.py` read it
(`fake`, `seeded`, `url`, `connector`), and `VendorContract` runs the contract kit on it:

    VENDOR = Vendor(FakeKit, _seed, _connector, refused={"key": "kit_revoked"},
                    subject=ADA, others=OTHERS)

    class TestKitContract(VendorContract):
        pass
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from connectors.base import Connector, Record, Subject
from connectors.testing import ConnectorContract, ContractCase
from tests.vendors.fake_api import FakeApi

# The SaaS types with a fake here (fake_<type>.py) and a test module (test_<type>.py).
VENDOR_TYPES = (
    "activecampaign",
    "drip",
    "hubspot",
    "intercom",
    "keap",
    "kit",
    "klaviyo",
    "mailchimp",
    "stripe",
    "zendesk",
)


@dataclass(frozen=True)
class Vendor:
    """One vendor's fake and connector, as its test module builds them."""

    fake: Callable[[], FakeApi]
    # Fills the fake with the subject's and the others' data; returns what tests use.
    seed: Callable[[Any], Any]
    # connect(url, **settings): a connector on the served fake.
    connect: Callable[..., Connector[Any]]
    refused: Mapping[str, Any]  # settings with credentials the fake refuses
    subject: Subject
    others: Sequence[str]
    erased_at_once: bool = True  # False: the vendor deletes later (a job)

    def case(
        self, url: str, erased_at_once: bool | None = None, **settings: Any
    ) -> ContractCase:
        """The contract case: a good connector, one with refused credentials."""
        return ContractCase(
            good=self.connect(url, **settings),
            bad=self.connect(url, **{**settings, **self.refused}),
            subject=self.subject,
            others=self.others,
            erased_at_once=self.erased_at_once
            if erased_at_once is None
            else erased_at_once,
        )


def vendor_of(request: pytest.FixtureRequest) -> Vendor:
    """The `VENDOR` of the requesting test module."""
    vendor = getattr(request.module, "VENDOR", None)
    assert isinstance(vendor, Vendor), f"{request.module.__name__} has no VENDOR"
    return vendor


class VendorContract(ConnectorContract):
    """The contract kit against the module's `VENDOR`, on a freshly seeded fake."""

    settings: ClassVar[Mapping[str, Any]] = {}  # more connector settings
    erased_at_once: ClassVar[bool | None] = None  # None: as the VENDOR says

    @pytest.fixture
    def case(self, request: pytest.FixtureRequest, url: str) -> ContractCase:
        return vendor_of(request).case(
            url, erased_at_once=self.erased_at_once, **self.settings
        )


def by_source(records: Iterable[Record]) -> dict[str, int]:
    """How many records came from each source."""
    return dict(Counter(record.source for record in records))
