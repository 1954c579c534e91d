"""The `keap` type against a fake Keap on loopback: the contract kit plus Keap's own
behaviour (duplicate contacts, token paging, throttle headers, opt-out status)."""

import itertools

import pytest
from pydantic import ValidationError

from connectors.base import (
    ConnectorError,
    EraseStatus,
    RateLimit,
    Subject,
    TransientError,
)
from connectors.keap import KeapConfig, KeapConnector
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_keap import BASE, GOOD_KEY, GOOD_TOKEN, FakeKeap
from tests.vendors.harness import Vendor, VendorContract

ADA = Subject(email="Ada.Lovelace@Example.com", name="Ada Lovelace")
OTHERS = ["bob@example.com", "cy@example.net"]
ADA_NOTES = 250  # three pages of 100


def _seed(fake: FakeKeap) -> list[int]:
    ada = [
        fake.add_contact(ADA.email, "Ada", "Lovelace"),
        fake.add_contact(ADA.email.lower(), "Ada", "King"),  # a duplicate, lower-cased
    ]
    for n in range(ADA_NOTES):
        fake.add_note(ada[0], f"Ada called, {n}")
    fake.add_note(ada[1], "Ada asked for the invoice")
    for title in ("Send brochure", "Follow up", "Renewal"):
        fake.add_task(ada[0], f"{title} for Ada")
    fake.add_tag(ada[0], "Customer")
    fake.add_tag(ada[1], "Newsletter")
    for email in OTHERS:
        other = fake.add_contact(email, email.split("@")[0].title(), "Other")
        fake.add_note(other, f"Note about {email}")
        fake.add_task(other, f"Call {email}")
    return ada


def _connector(
    url: str, throttle: Throttle | None = None, **credentials
) -> KeapConnector:
    credentials = credentials or {"api_key": GOOD_KEY}
    config = KeapConfig(
        name="crm", type="keap", base_url=f"{url}/crm/rest", timeout=5, **credentials
    )
    return KeapConnector(config, name="crm", throttle=throttle or Throttle())


VENDOR = Vendor(
    FakeKeap,
    _seed,
    _connector,
    refused={"api_key": "KeapAK-revoked"},
    subject=ADA,
    others=OTHERS,
)


class TestKeapContract(VendorContract):
    pass


def test_exactly_one_credential_is_required():
    with pytest.raises(ValidationError, match="exactly one"):
        KeapConfig(name="crm", type="keap")
    with pytest.raises(ValidationError, match="exactly one"):
        KeapConfig(name="crm", type="keap", api_key="a", token="b")


def test_rate_limits_depend_on_the_credential():
    key = KeapConnector(KeapConfig(name="c", type="keap", api_key="a"), name="c")
    oauth = KeapConnector(KeapConfig(name="c", type="keap", token="b"), name="c")
    assert key.rate_limits() == (RateLimit(10, 1), RateLimit(240, 60))
    assert oauth.rate_limits() == (RateLimit(25, 1), RateLimit(1500, 60))
    assert key.api.base_url == "https://api.infusionsoft.com/crm/rest"


async def test_an_oauth_token_is_sent_as_bearer(url):
    connector = _connector(url, token=GOOD_TOKEN)
    await connector.test()
    await connector.aclose()


async def test_access_merges_duplicates_and_pages_through_notes(
    fake, seeded, connector
):
    ada = seeded
    records = await collect(connector, ADA)

    assert sorted(r.data["id"] for r in records if r.source == "contacts") == sorted(
        ada
    )
    assert sum(r.source == "notes" for r in records) == ADA_NOTES + 1
    assert sum(r.source == "tasks" for r in records) == 3
    assert sorted(r.data["tag"]["name"] for r in records if r.source == "tags") == [
        "Customer",
        "Newsletter",
    ]
    assert {r.data["email"] for r in records if r.source == "email_status"} == {
        ADA.email,
        ADA.email.lower(),
    }
    pages = fake.calls("GET", f"{BASE}/contacts/{ada[0]}/notes")
    assert [c.query for c in pages] == [
        "page_size=100",
        "page_size=100&page_token=pt-100",
        "page_size=100&page_token=pt-200",
    ]


async def test_429s_mid_paging_wait_the_throttle_window_and_keep_the_rate(
    fake, url, seeded
):
    ada = seeded
    limit = RateLimit(10, 1)
    connector = _connector(url, throttle=Throttle([limit]))
    path = f"{BASE}/contacts/{ada[0]}/notes"
    fake.throttle("GET", path, times=3, skip=2)

    records = await collect(connector, ADA)
    await connector.aclose()

    assert sum(r.source == "notes" for r in records) == ADA_NOTES + 1
    pages = fake.calls("GET", path)
    assert [c.query for c in pages][2:] == ["page_size=100&page_token=pt-200"] * 4
    waits = [b.at - a.at for a, b in itertools.pairwise(pages[2:])]
    assert all(w >= 0.95 for w in waits), waits  # throttle-available 0: a pause
    assert_within_rate(fake.arrivals(), limit)


async def test_a_500_once_is_transient_naming_method_and_host_only(fake, connector):
    fake.fail_once("GET", f"{BASE}/contacts")
    with pytest.raises(TransientError, match=r"^HTTP 500 from GET 127\.0\.0\.1$"):
        await collect(connector, ADA)


async def test_an_expired_page_token_fails_the_access(fake, connector):
    seen: list[str] = []

    async def read() -> None:
        async for record in connector.access(ADA):
            seen.append(record.source)
            if record.source == "notes" and seen.count("notes") == 100:
                fake.expire_cursors()

    with pytest.raises(ConnectorError, match="HTTP 400"):
        await read()
    assert seen.count("notes") == 100  # no partial page list passed off as complete


async def test_erase_deletes_notes_tasks_and_every_duplicate(fake, seeded, connector):
    ada = seeded
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"contacts": 2, "notes": ADA_NOTES + 1, "tasks": 3}
    assert set(fake.contacts).isdisjoint(ada)
    assert len(fake.contacts) == 2
    assert all(cid not in fake.notes or not fake.notes[cid] for cid in ada)
    assert len(fake.tasks) == 2  # Bob's and Cy's
    deleted = {
        c.path
        for c in fake.calls("DELETE", f"{BASE}/contacts/")
        if c.path.count("/") == 5
    }
    assert deleted == {f"{BASE}/contacts/{i}" for i in ada}


async def test_opt_out_marks_each_address_non_marketable_once(fake, connector):
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)

    assert first.erased == {"email_addresses": 2}
    assert second.erased == {"email_addresses": 0}
    assert fake.opted_in[ADA.email] is False
    assert fake.opted_in[ADA.email.lower()] is False
    assert fake.opted_in[OTHERS[0]] is True
    assert len(fake.calls("PATCH")) == 2
