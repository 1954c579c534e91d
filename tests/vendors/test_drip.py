"""The `drip` type against a fake Drip account on loopback."""

import itertools

import pytest

from connectors.base import EraseStatus, RateLimit, Subject, TransientError
from connectors.drip import DripConfig, DripConnector
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_drip import ACCOUNT, GOOD_TOKEN, FakeDrip
from tests.vendors.harness import Vendor, VendorContract

ADA = Subject(email="Ada.Lovelace@example.com")
OTHERS = ("bob@example.com", "cy@example.com")
CAMPAIGNS = 250  # three pages of 100
FAST = RateLimit(max_rate=500, time_period=1)


def _seed(fake: FakeDrip) -> None:
    ada = fake.add_subscriber("ada.lovelace@example.com", tags=["customer", "vip"])
    for n in range(CAMPAIGNS):
        fake.add_campaign_subscription(ada, 1000 + n)
    for email in OTHERS:
        other = fake.add_subscriber(email, tags=[f"tag of {email}"])
        fake.add_campaign_subscription(other, 1)


def _connector(url: str, token: str = GOOD_TOKEN, *, fast: bool = True):
    config = DripConfig(
        name="drip",
        type="drip",
        account_id=ACCOUNT,
        api_token=token,
        base_url=url,
        timeout=5,
    )
    return DripConnector(
        config, name="drip", throttle=Throttle([FAST]) if fast else None
    )


VENDOR = Vendor(
    FakeDrip,
    _seed,
    _connector,
    refused={"token": "revoked"},
    subject=ADA,
    others=OTHERS,
)


class TestDripContract(VendorContract):
    pass


def _pages(fake: FakeDrip) -> list[str]:
    return [
        c.params["page"]
        for c in fake.calls("GET")
        if c.path.endswith("/campaign_subscriptions")
    ]


async def test_every_page_is_read_and_only_the_persons_records(connector, fake):
    records = await collect(connector, ADA)

    sources = [r.source for r in records]
    assert sources.count("subscribers") == 1
    assert sorted(r.data["tag"] for r in records if r.source == "tags") == [
        "customer",
        "vip",
    ]
    assert sources.count("campaign_subscriptions") == CAMPAIGNS
    assert _pages(fake) == ["1", "2", "3"]


async def test_429s_mid_paging_are_waited_out_within_the_rate_limit(url, fake):
    fake.throttle(
        "GET",
        lambda c: (
            c.path.endswith("/campaign_subscriptions") and c.params.get("page") == "2"
        ),
    )
    async with _connector(url, fast=False) as connector:
        records = await collect(connector, ADA)
        limit = connector.rate_limits()[0]

    assert sum(r.source == "campaign_subscriptions" for r in records) == CAMPAIGNS
    assert _pages(fake) == ["1", "2", "2", "2", "2", "3"]  # nothing re-read
    throttled = [c.at for c in fake.log if c.params.get("page") == "2"]
    # No Retry-After: "none remaining" in X-RateLimit-Remaining holds calls a second.
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(throttled))
    assert_within_rate(fake.arrivals(), limit)


async def test_a_500_is_transient(connector, fake):
    fake.fail_once("GET", lambda c: "/subscribers/" in c.path)
    with pytest.raises(TransientError):
        await collect(connector, ADA)


async def test_the_address_in_another_case_is_found(connector, fake):
    emails = [
        r.data["email"]
        for r in await collect(connector, ADA)
        if r.source == "subscribers"
    ]
    assert emails == ["ada.lovelace@example.com"]
    # Asked as written, then lower-cased; the same subscriber is exported once.
    looked_up = [c.path for c in fake.calls("GET") if "%40" in c.path or "@" in c.path]
    assert len(looked_up) == 2


async def test_erase_deletes_the_subscriber(connector, fake):
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"subscribers": 1}
    assert {s["email"] for s in fake.subscribers.values()} == set(OTHERS)
    assert len(fake.calls("DELETE")) == 1
    assert not fake.calls("POST")  # deleted, not merely unsubscribed


async def test_opt_out_unsubscribes_from_all_mailings_once(connector, fake):
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)

    assert first.erased == {"subscribers": 1}
    assert second.erased == {"subscribers": 0}
    statuses = {s["email"]: s["status"] for s in fake.subscribers.values()}
    assert statuses == {
        "ada.lovelace@example.com": "unsubscribed",
        "bob@example.com": "active",
        "cy@example.com": "active",
    }
