"""The `kit` type against a fake Kit on loopback: the contract kit plus Kit's own
behaviour (every state, cursor paging, bare 429s, no delete: unsubscribe + manual task)."""

import pytest

from connectors.base import (
    ConnectorError,
    EraseStatus,
    RateLimit,
    Subject,
    TransientError,
)
from connectors.kit import KitConfig, KitConnector
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_kit import GOOD_KEY, FakeKit
from tests.vendors.harness import Vendor, VendorContract

ADA = Subject(email="Ada.Lovelace@Example.com", name="Ada Lovelace")
OTHERS = ["bob@example.com", "cy@example.net"]
ADA_TAGS = 2100  # three pages of 1000


class FastKit(KitConnector):
    """Kit's blind 429 backoff, scaled down so a test waits well under a second."""

    backoff = 0.05


def _seed(fake: FakeKit) -> int:
    ada = fake.add_subscriber(ADA.email, "Ada")
    for n in range(ADA_TAGS):
        fake.tag(ada, f"interest-{n}")
    for email in OTHERS:
        other = fake.add_subscriber(email, email.split("@")[0].title())
        fake.tag(other, f"owner {email}")
    fake.add_subscriber("gone@example.org", "Gone", state="cancelled")
    return ada


def _connector(
    url: str, key: str = GOOD_KEY, throttle: Throttle | None = None
) -> KitConnector:
    config = KitConfig(name="kit", type="kit", api_key=key, base_url=url, timeout=5)
    return FastKit(config, name="kit", throttle=throttle or Throttle())


VENDOR = Vendor(
    FakeKit,
    _seed,
    _connector,
    refused={"key": "kit_revoked"},
    subject=ADA,
    others=OTHERS,
)


class TestKitContract(VendorContract):
    pass


def test_rate_limit_is_the_api_keys_120_a_minute():
    config = KitConfig(name="kit", type="kit", api_key="k")
    connector = KitConnector(config, name="kit")
    assert connector.rate_limits() == (RateLimit(120, 60),)
    assert connector.api.base_url == "https://api.kit.com"


async def test_access_reads_every_state_and_every_tag_page(fake, seeded, connector):
    ada = seeded
    records = await collect(connector, ADA)

    assert [r.data["id"] for r in records if r.source == "subscribers"] == [ada]
    assert sum(r.source == "subscriber_tags" for r in records) == ADA_TAGS
    listing = fake.calls("GET", "/v4/subscribers")[0]
    assert "status=all" in listing.query
    assert len(fake.calls("GET", f"/v4/subscribers/{ada}/tags")) == 3


async def test_an_unsubscribed_person_is_still_found(fake, seeded, connector):
    ada = seeded
    fake.subscribers[ada]["state"] = "cancelled"
    records = await collect(connector, ADA)
    assert [r.data["state"] for r in records if r.source == "subscribers"] == [
        "cancelled"
    ]


async def test_bare_429s_mid_paging_back_off_and_keep_the_rate(fake, url, seeded):
    ada = seeded
    limit = RateLimit(5, 1)
    connector = _connector(url, throttle=Throttle([limit]))
    path = f"/v4/subscribers/{ada}/tags"
    fake.throttle("GET", path, times=3, skip=2)

    records = await collect(connector, ADA)
    await connector.aclose()

    assert sum(r.source == "subscriber_tags" for r in records) == ADA_TAGS
    queries = [c.query for c in fake.calls("GET", path)]
    assert len(queries) == 6  # pages 1 and 2, three 429s, page 3: none read twice
    assert len(set(queries)) == 3
    assert queries[2] == queries[3] == queries[4] == queries[5]
    assert_within_rate(fake.arrivals(), limit)


async def test_a_500_once_is_transient_naming_method_and_host_only(fake, connector):
    fake.fail_once("GET", "/v4/subscribers")
    with pytest.raises(TransientError, match=r"^HTTP 500 from GET 127\.0\.0\.1$"):
        await collect(connector, ADA)


async def test_an_expired_cursor_fails_the_access(fake, seeded, connector):
    ada = seeded
    fake.expire_cursors()
    with pytest.raises(ConnectorError, match="HTTP 422"):
        await collect(connector, ADA)
    assert len(fake.calls("GET", f"/v4/subscribers/{ada}/tags")) == 2


async def test_erase_unsubscribes_clears_and_asks_for_the_manual_delete(
    fake, seeded, connector
):
    ada = seeded
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.MANUAL_REQUIRED
    assert summary.erased == {}  # nothing is gone until a person deletes it in Kit
    assert str(ada) in summary.notes[0]
    assert ADA.email.lower() not in summary.notes[0]
    subscriber = fake.subscribers[ada]
    assert subscriber["state"] == "cancelled"
    assert subscriber["first_name"] is None
    assert set(subscriber["fields"].values()) == {None}
    assert len(fake.tagged[ada]) == ADA_TAGS  # tags go with the manual delete
    assert fake.calls("DELETE") == []
    assert all(fake.tagged[s] for s in fake.tagged if s != ada)  # others keep theirs
    others = [s for s in fake.subscribers.values() if s["email_address"] in OTHERS]
    assert {s["state"] for s in others} == {"active"}


async def test_opt_out_unsubscribes_once(fake, seeded, connector):
    ada = seeded
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)

    assert first.erased == {"subscribers": 1}
    assert second.erased == {"subscribers": 0}
    assert fake.subscribers[ada]["state"] == "cancelled"
    assert len(fake.calls("POST")) == 1
