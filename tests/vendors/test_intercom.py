"""The `intercom` type against a fake Intercom workspace on loopback."""

import pytest

from connectors.base import EraseStatus, RateLimit, Subject, TransientError
from connectors.intercom import IntercomConfig, IntercomConnector
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_intercom import GOOD_TOKEN, FakeIntercom
from tests.vendors.harness import Vendor, VendorContract, by_source

ADA = Subject(email="Ada.Lovelace@example.com")
OTHERS = ("bob@example.com", "cy@example.com")
CONVERSATIONS = 45  # three search pages of 20 (the connector asks for 150)
PAGE = 20
NOTES = 120  # three pages of 50
FAST = RateLimit(max_rate=500, time_period=1)


def _seed(fake: FakeIntercom) -> None:
    user = fake.add_contact("Ada.Lovelace@example.com", role="user")
    lead = fake.add_contact("ada.lovelace@example.com", role="lead")
    for n in range(CONVERSATIONS):
        fake.add_conversation(user, f"question {n}")
    fake.add_conversation(lead, "pricing?")
    for n in range(NOTES):
        fake.add_note(user, f"note {n}")
    fake.tags[lead] = [{"type": "tag", "id": "7", "name": "trial"}]
    for email in OTHERS:
        other = fake.add_contact(email)
        fake.add_conversation(other, f"from {email}")
        fake.add_note(other, f"about {email}")


def _connector(url: str, token: str = GOOD_TOKEN, *, fast: bool = True):
    config = IntercomConfig(
        name="ic", type="intercom", token=token, base_url=url, timeout=5
    )
    connector = IntercomConnector(
        config, name="ic", throttle=Throttle([FAST]) if fast else None
    )
    connector.page_size = PAGE  # a few pages without thousands of conversations
    return connector


VENDOR = Vendor(
    FakeIntercom,
    _seed,
    _connector,
    refused={"token": "revoked"},
    subject=ADA,
    others=OTHERS,
)


class TestIntercomContract(VendorContract):
    pass


def _search_calls(fake: FakeIntercom) -> int:
    return len(fake.calls("POST", "/conversations/search"))


async def test_every_page_is_read_and_only_the_persons_records(connector, fake):
    records = await collect(connector, ADA)

    assert by_source(records) == {
        "contacts": 2,
        "conversations": CONVERSATIONS + 1,
        "notes": NOTES,
        "tags": 1,
    }
    texts = {r.data["source"]["body"] for r in records if r.source == "conversations"}
    assert len(texts) == CONVERSATIONS + 1
    assert _search_calls(fake) == 4  # three pages for the user, one for the lead
    notes_pages = [c.params["page"] for c in fake.calls("GET") if "/notes" in c.path]
    assert notes_pages == ["1", "2", "3", "1"]


async def test_429s_mid_paging_wait_for_the_reset_within_the_rate_limit(url, fake):
    # The second page of the first search.
    fake.throttle("POST", lambda c: c.path == "/conversations/search", skip=1)
    async with _connector(url, fast=False) as connector:
        records = await collect(connector, ADA)

    assert by_source(records)["conversations"] == CONVERSATIONS + 1
    # The throttled page was sent again three times; no page was read twice.
    assert _search_calls(fake) == 4 + 3
    assert_within_rate(fake.arrivals(), connector.rate_limits()[0])


async def test_an_expired_cursor_restarts_the_search_without_duplicates(
    connector, fake
):
    fake.expire_cursors = 1

    records = await collect(connector, ADA)

    ids = [r.data["id"] for r in records if r.source == "conversations"]
    assert len(ids) == len(set(ids)) == CONVERSATIONS + 1
    assert _search_calls(fake) == 4 + 2  # refused page 2, then pages 1 and 2 again


async def test_a_500_is_transient(connector, fake):
    fake.fail_once("POST", lambda c: c.path == "/contacts/search")
    with pytest.raises(TransientError):
        await collect(connector, ADA)


async def test_both_case_forms_of_the_address_are_searched(connector, fake):
    emails = {
        r.data["email"] for r in await collect(connector, ADA) if r.source == "contacts"
    }
    assert emails == {"Ada.Lovelace@example.com", "ada.lovelace@example.com"}


async def test_erase_deletes_contacts_and_counts_their_conversations(connector, fake):
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"contacts": 2, "conversations": CONVERSATIONS + 1}
    assert "7 days" in summary.notes[0]
    assert {c["email"] for c in fake.contacts.values()} == set(OTHERS)
    assert len(fake.conversations) == len(OTHERS)
    assert len(fake.calls("DELETE", "/contacts/")) == 2
    assert not [c for c in fake.log if c.path.endswith("/archive")]  # not archived


async def test_opt_out_unsubscribes_every_contact_once(connector, fake):
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)

    assert first.erased == {"contacts": 2}
    assert second.erased == {"contacts": 0}
    flags = {c["email"]: c["unsubscribed_from_emails"] for c in fake.contacts.values()}
    assert flags == {
        "Ada.Lovelace@example.com": True,
        "ada.lovelace@example.com": True,
        "bob@example.com": False,
        "cy@example.com": False,
    }
