"""The `klaviyo` type against a fake Klaviyo account on loopback."""

import itertools

import pytest

from connectors.base import EraseStatus, RateLimit, Subject, TransientError
from connectors.klaviyo import KlaviyoConfig, KlaviyoConnector
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_klaviyo import GOOD_KEY, FakeKlaviyo
from tests.vendors.harness import Vendor, VendorContract, by_source

ADA = Subject(email="Ada.Lovelace@example.com")
OTHERS = ("bob@example.com", "cy@example.com")
EVENTS = 45  # three pages of 20 (the API's default page size for events)
FAST = RateLimit(max_rate=500, time_period=1)


def _seed(fake: FakeKlaviyo) -> None:
    first = fake.add_profile("Ada.Lovelace@example.com")
    second = fake.add_profile("ada.lovelace@example.com", consent="UNSUBSCRIBED")
    for n in range(EVENTS):
        fake.add_event(first, f"Opened Email {n}")
    fake.add_event(second, "Placed Order")
    fake.lists[first] = [
        {"type": "list", "id": "Y6nRLr", "attributes": {"name": "Newsletter"}},
        {"type": "segment", "id": "Ak3Kq2", "attributes": {"name": "VIP"}},
    ]
    for email in OTHERS:
        other = fake.add_profile(email)
        fake.add_event(other, f"Clicked ({email})")


def _connector(url: str, key: str = GOOD_KEY, *, fast: bool = True):
    config = KlaviyoConfig(
        name="kl", type="klaviyo", api_key=key, base_url=url, timeout=5
    )
    return KlaviyoConnector(
        config, name="kl", throttle=Throttle([FAST]) if fast else None
    )


VENDOR = Vendor(
    FakeKlaviyo,
    _seed,
    _connector,
    refused={"key": "pk_revoked"},
    subject=ADA,
    others=OTHERS,
    erased_at_once=False,  # Klaviyo deletes in the background
)


class TestKlaviyoContract(VendorContract):
    pass


def _event_pages(fake: FakeKlaviyo) -> list[str]:
    return [
        c.params.get("page[cursor]", "first") for c in fake.calls("GET", "/api/events")
    ]


async def test_every_page_is_read_and_only_the_persons_records(connector, fake):
    records = await collect(connector, ADA)

    assert by_source(records) == {
        "profiles": 2,
        "lists": 1,
        "segments": 1,
        "events": EVENTS + 1,
    }
    pages = _event_pages(fake)
    assert len(pages) == 3 + 1
    assert len(set(pages[:3])) == 3


async def test_429s_mid_paging_honour_retry_after_within_the_rate_limit(url, fake):
    fake.throttle(
        "GET", lambda c: c.path == "/api/events" and "page[cursor]" in c.params
    )
    async with _connector(url, fast=False) as connector:
        records = await collect(connector, ADA)
        limits = connector.rate_limits()

    assert by_source(records)["events"] == EVENTS + 1
    pages = _event_pages(fake)
    assert len(pages) == 4 + 3  # the throttled page sent again; none re-read
    assert pages[1] == pages[2] == pages[3] == pages[4]
    throttled = [c.at for c in fake.log if c.params.get("page[cursor]") == pages[1]]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(throttled))
    for limit in limits:
        assert_within_rate(fake.arrivals(), limit)


async def test_an_expired_cursor_restarts_the_list_without_duplicates(connector, fake):
    fake.expire_cursors = 1

    records = await collect(connector, ADA)

    ids = [r.data["id"] for r in records if r.source == "events"]
    assert len(ids) == len(set(ids)) == EVENTS + 1


async def test_a_500_is_transient(connector, fake):
    fake.fail_once("GET", lambda c: c.path == "/api/profiles")
    with pytest.raises(TransientError):
        await collect(connector, ADA)


async def test_both_case_forms_of_the_address_are_looked_up(connector):
    profiles = [r.data for r in await collect(connector, ADA) if r.source == "profiles"]
    assert {p["attributes"]["email"] for p in profiles} == {
        "Ada.Lovelace@example.com",
        "ada.lovelace@example.com",
    }


async def test_erase_requests_gdpr_deletion_and_poll_waits_for_it(connector, fake):
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.PENDING
    assert summary.job_ref is not None
    assert "example" not in summary.job_ref
    assert len(fake.calls("POST", "/api/data-privacy-deletion-jobs")) == 2
    assert (await connector.poll(summary.job_ref)).status is EraseStatus.PENDING

    fake.process_deletions()
    done = await connector.poll(summary.job_ref)

    assert done.status is EraseStatus.DONE
    assert done.erased == {"profiles": 2}
    assert set(fake.consents()) == set(OTHERS)
    assert all(
        e["relationships"]["profile"]["data"]["id"] in fake.profiles
        for e in fake.events
    )
    assert await collect(connector, ADA) == []


async def test_opt_out_unsubscribes_only_profiles_that_exist(connector, fake):
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)
    nobody = await connector.opt_out(Subject(email="nobody@example.com"))

    assert first.erased == {"profiles": 1}  # the other was already unsubscribed
    assert second.erased == {"profiles": 0}
    assert nobody.erased == {"profiles": 0}
    consents = fake.consents()
    assert consents["Ada.Lovelace@example.com"] == "UNSUBSCRIBED"
    assert consents["bob@example.com"] == "SUBSCRIBED"
    assert "nobody@example.com" not in consents  # no profile created for a stranger
    assert len(fake.calls("POST", "/api/profile-subscription-bulk-delete-jobs")) == 1
