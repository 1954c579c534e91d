"""The `keap` type against a fake Keap on loopback: the contract kit plus Keap's own
behaviour (duplicate contacts, token paging, throttle headers, opt-out status)."""

import itertools
from collections.abc import AsyncIterator, Iterator

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
from connectors.testing import (
    ConnectorContract,
    ContractCase,
    assert_within_rate,
    collect,
    serve_app,
)
from connectors.throttle import Throttle
from tests.vendors.fake_keap import BASE, GOOD_KEY, GOOD_TOKEN, FakeKeap

ADA = Subject(email="Ada.Lovelace@Example.com", name="Ada Lovelace")
OTHERS = ["bob@example.com", "cy@example.net"]
ADA_NOTES = 250  # three pages of 100


@pytest.fixture
def fake() -> Iterator[tuple[FakeKeap, str, list[int]]]:
    vendor = FakeKeap()
    ada = [
        vendor.add_contact(ADA.email, "Ada", "Lovelace"),
        vendor.add_contact(
            ADA.email.lower(), "Ada", "King"
        ),  # a duplicate, lower-cased
    ]
    for n in range(ADA_NOTES):
        vendor.add_note(ada[0], f"Ada called, {n}")
    vendor.add_note(ada[1], "Ada asked for the invoice")
    for title in ("Send brochure", "Follow up", "Renewal"):
        vendor.add_task(ada[0], f"{title} for Ada")
    vendor.add_tag(ada[0], "Customer")
    vendor.add_tag(ada[1], "Newsletter")
    for email in OTHERS:
        other = vendor.add_contact(email, email.split("@")[0].title(), "Other")
        vendor.add_note(other, f"Note about {email}")
        vendor.add_task(other, f"Call {email}")
    with serve_app(vendor) as url:
        yield vendor, url, ada


def _connector(
    url: str, throttle: Throttle | None = None, **credentials
) -> KeapConnector:
    credentials = credentials or {"api_key": GOOD_KEY}
    config = KeapConfig(
        name="crm", type="keap", base_url=f"{url}/crm/rest", timeout=5, **credentials
    )
    return KeapConnector(config, name="crm", throttle=throttle or Throttle())


@pytest.fixture
async def connector(fake) -> AsyncIterator[KeapConnector]:
    opened = _connector(fake[1])
    yield opened
    await opened.aclose()


class TestKeapContract(ConnectorContract):
    @pytest.fixture
    def case(self, fake) -> ContractCase:
        url = fake[1]
        return ContractCase(
            good=_connector(url),
            bad=_connector(url, api_key="KeapAK-revoked"),
            subject=ADA,
            others=OTHERS,
        )


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


async def test_an_oauth_token_is_sent_as_bearer(fake):
    connector = _connector(fake[1], token=GOOD_TOKEN)
    await connector.test()
    await connector.aclose()


async def test_access_merges_duplicates_and_pages_through_notes(fake, connector):
    vendor, _, ada = fake
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
    pages = vendor.calls("GET", f"{BASE}/contacts/{ada[0]}/notes")
    assert [c.query for c in pages] == [
        "page_size=100",
        "page_size=100&page_token=pt-100",
        "page_size=100&page_token=pt-200",
    ]


async def test_429s_mid_paging_wait_the_throttle_window_and_keep_the_rate(fake):
    vendor, url, ada = fake
    limit = RateLimit(10, 1)
    connector = _connector(url, throttle=Throttle([limit]))
    path = f"{BASE}/contacts/{ada[0]}/notes"
    vendor.throttle("GET", path, times=3, skip=2)

    records = await collect(connector, ADA)
    await connector.aclose()

    assert sum(r.source == "notes" for r in records) == ADA_NOTES + 1
    pages = vendor.calls("GET", path)
    assert [c.query for c in pages][2:] == ["page_size=100&page_token=pt-200"] * 4
    waits = [b.at - a.at for a, b in itertools.pairwise(pages[2:])]
    assert all(w >= 0.95 for w in waits), waits  # throttle-available 0: a pause
    assert_within_rate(vendor.arrivals(), limit)


async def test_a_500_once_is_transient_naming_method_and_host_only(fake, connector):
    fake[0].fail_once("GET", f"{BASE}/contacts")
    with pytest.raises(TransientError, match=r"^HTTP 500 from GET 127\.0\.0\.1$"):
        await collect(connector, ADA)


async def test_an_expired_page_token_fails_the_access(fake, connector):
    vendor, _, _ = fake
    seen: list[str] = []

    async def read() -> None:
        async for record in connector.access(ADA):
            seen.append(record.source)
            if record.source == "notes" and seen.count("notes") == 100:
                vendor.expire_cursors()

    with pytest.raises(ConnectorError, match="HTTP 400"):
        await read()
    assert seen.count("notes") == 100  # no partial page list passed off as complete


async def test_erase_deletes_notes_tasks_and_every_duplicate(fake, connector):
    vendor, _, ada = fake
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"contacts": 2, "notes": ADA_NOTES + 1, "tasks": 3}
    assert set(vendor.contacts).isdisjoint(ada)
    assert len(vendor.contacts) == 2
    assert all(cid not in vendor.notes or not vendor.notes[cid] for cid in ada)
    assert len(vendor.tasks) == 2  # Bob's and Cy's
    deleted = {
        c.path
        for c in vendor.calls("DELETE", f"{BASE}/contacts/")
        if c.path.count("/") == 5
    }
    assert deleted == {f"{BASE}/contacts/{i}" for i in ada}


async def test_opt_out_marks_each_address_non_marketable_once(fake, connector):
    vendor, _, _ = fake
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)

    assert first.erased == {"email_addresses": 2}
    assert second.erased == {"email_addresses": 0}
    assert vendor.opted_in[ADA.email] is False
    assert vendor.opted_in[ADA.email.lower()] is False
    assert vendor.opted_in[OTHERS[0]] is True
    assert len(vendor.calls("PATCH")) == 2
