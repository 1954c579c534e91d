"""The `mailchimp` type against a fake Mailchimp on loopback: the contract kit plus
Mailchimp's own behaviour (every audience, offset paging, bare 429s, delete-permanent)."""

import pytest
from pydantic import ValidationError

from connectors.base import EraseStatus, RateLimit, Subject, TransientError
from connectors.mailchimp import (
    MailchimpConfig,
    MailchimpConnector,
    subscriber_hash,
)
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_mailchimp import GOOD_KEY, FakeMailchimp
from tests.vendors.harness import Vendor, VendorContract

ADA_WRITTEN = "Ada.Lovelace@Example.com"  # as the account holds it in one audience
ADA = Subject(email="ada.lovelace@example.com", name="Ada Lovelace")
OTHERS = ["bob@example.com", "cy@example.net"]
ACTIVITY = 2500  # three pages of 1000


class FastMailchimp(MailchimpConnector):
    """Mailchimp's blind 429 backoff, scaled down so a test waits well under a second."""

    backoff = 0.05


def _seed(fake: FakeMailchimp) -> dict[str, str]:
    news = fake.add_audience("Newsletter")
    shop = fake.add_audience("Shop customers")
    other = fake.add_audience("Partners")
    fake.add_member(news, ADA_WRITTEN)
    fake.add_member(shop, ADA.email, status="pending")
    for email in OTHERS:
        fake.add_member(news, email)
        fake.add_member(other, email)
        fake.add_part(news, email, "notes", {"id": 9, "note": f"about {email}"})
    for n in range(ACTIVITY):
        fake.add_part(
            news,
            ADA.email,
            "activity-feed",
            {
                "activity_type": "open",
                "created_at_timestamp": f"2026-01-01T00:00:{n % 60:02d}Z",
            },
        )
    fake.add_part(news, ADA.email, "notes", {"id": 1, "note": "Prefers weekly"})
    fake.add_part(news, ADA.email, "tags", {"id": 7, "name": "vip"})
    fake.add_part(
        shop, ADA.email, "events", {"name": "purchase", "occurred_at": "2026-02-01"}
    )
    return {"news": news, "shop": shop, "other": other}


def _connector(url: str, key: str = GOOD_KEY, throttle: Throttle | None = None):
    config = MailchimpConfig(
        name="esp", type="mailchimp", api_key=key, base_url=f"{url}/3.0", timeout=5
    )
    return FastMailchimp(config, name="esp", throttle=throttle or Throttle())


VENDOR = Vendor(
    FakeMailchimp,
    _seed,
    _connector,
    refused={"key": "ffffffffffffffffffffffffffffffff-us6"},
    subject=ADA,
    others=OTHERS,
)


class TestMailchimpContract(VendorContract):
    pass


def test_the_key_suffix_picks_the_data_centre_and_base_url_wins():
    config = MailchimpConfig(name="esp", type="mailchimp", api_key="abc-us21")
    api = MailchimpConnector(config, name="esp").api
    assert api.base_url == "https://us21.api.mailchimp.com/3.0"
    proxied = MailchimpConfig(
        name="esp",
        type="mailchimp",
        api_key="abc-us21",
        base_url="https://p.example.com/3.0",
    )
    assert (
        MailchimpConnector(proxied, name="esp").api.base_url
        == "https://p.example.com/3.0"
    )


def test_a_key_without_a_data_centre_is_refused_without_showing_it():
    with pytest.raises(ValidationError) as caught:
        MailchimpConfig(name="esp", type="mailchimp", api_key="secretwithoutsuffix")
    assert "secretwithoutsuffix" not in str(caught.value)


def test_the_subscriber_hash_is_md5_of_the_lower_cased_address():
    assert subscriber_hash(ADA_WRITTEN) == subscriber_hash(ADA.email)
    assert (
        subscriber_hash("A@B.C") == "5d60d4e28066df254d5452f92c910092"
    )  # md5("a@b.c")


async def test_access_reads_every_audience_and_every_page(fake, seeded, connector):
    lists = seeded
    records = await collect(connector, Subject(email=ADA_WRITTEN.upper()))

    members = [r.data for r in records if r.source == "members"]
    assert {m["list_id"] for m in members} == {lists["news"], lists["shop"]}
    assert sum(r.source == "member_activity" for r in records) == ACTIVITY
    assert [r.data["note"] for r in records if r.source == "member_notes"] == [
        "Prefers weekly"
    ]
    assert [r.data["name"] for r in records if r.source == "member_tags"] == ["vip"]
    assert [r.data["name"] for r in records if r.source == "member_events"] == [
        "purchase"
    ]
    assert all("_links" not in r.data for r in records)
    feed = [c for c in fake.calls("GET") if c.path.endswith("/activity-feed")]
    news_feed = [c for c in feed if lists["news"] in c.path]
    assert [c.query for c in news_feed] == [
        "count=1000&offset=0",
        "count=1000&offset=1000",
        "count=1000&offset=2000",
    ]


async def test_bare_429s_mid_paging_back_off_and_keep_the_rate(fake, url, seeded):
    lists = seeded
    limit = RateLimit(5, 1)
    connector = _connector(url, throttle=Throttle([limit]))
    path = (
        f"/3.0/lists/{lists['news']}/members/{subscriber_hash(ADA.email)}/activity-feed"
    )
    fake.throttle("GET", path, times=3, skip=2)

    records = await collect(connector, ADA)
    await connector.aclose()

    assert sum(r.source == "member_activity" for r in records) == ACTIVITY
    assert [c.query for c in fake.calls("GET", path)] == [
        "count=1000&offset=0",
        "count=1000&offset=1000",
        *["count=1000&offset=2000"] * 4,  # three 429s, then the page: none re-read
    ]
    assert_within_rate(fake.arrivals(), limit)


async def test_a_500_once_is_transient_naming_method_and_host_only(fake, connector):
    fake.fail_once("GET", "/3.0/lists")
    with pytest.raises(TransientError, match=r"^HTTP 500 from GET 127\.0\.0\.1$"):
        await collect(connector, ADA)


async def test_erase_deletes_permanently_in_every_audience(fake, seeded, connector):
    lists = seeded
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"members": 2}
    posts = fake.calls("POST")
    assert len(posts) == 2
    assert all(c.path.endswith("/actions/delete-permanent") for c in posts)
    assert fake.calls("DELETE") == []  # the archive-only call was never used
    assert fake.forgotten == {
        (lists["news"], subscriber_hash(ADA.email)),
        (lists["shop"], subscriber_hash(ADA.email)),
    }
    assert fake.status_of(lists["news"], OTHERS[0]) == "subscribed"


async def test_an_archived_member_is_still_deleted_for_good(fake, seeded, connector):
    lists = seeded
    fake.members[(lists["news"], subscriber_hash(ADA.email))]["status"] = "archived"
    assert (await connector.erase(ADA)).erased == {"members": 2}
    assert fake.status_of(lists["news"], ADA.email) is None


async def test_opt_out_unsubscribes_in_every_audience_once(fake, seeded, connector):
    lists = seeded
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)

    assert first.erased == {"audiences": 2}
    assert second.erased == {"audiences": 0}
    assert fake.status_of(lists["news"], ADA.email) == "unsubscribed"
    assert fake.status_of(lists["shop"], ADA.email) == "unsubscribed"
    assert fake.status_of(lists["news"], OTHERS[0]) == "subscribed"
    assert len(fake.calls("PATCH")) == 2
