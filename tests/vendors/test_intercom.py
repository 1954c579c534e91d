"""The `intercom` type against a fake Intercom workspace on loopback."""

from collections.abc import AsyncIterator, Iterator

import pytest

from connectors.base import EraseStatus, RateLimit, Subject, TransientError
from connectors.intercom import IntercomConfig, IntercomConnector
from connectors.testing import (
    ConnectorContract,
    ContractCase,
    assert_within_rate,
    collect,
    serve_app,
)
from connectors.throttle import Throttle
from tests.vendors.fake_intercom import GOOD_TOKEN, FakeIntercom

ADA = Subject(email="Ada.Lovelace@example.com")
OTHERS = ("bob@example.com", "cy@example.com")
CONVERSATIONS = 45  # three search pages of 20 (the connector asks for 150)
PAGE = 20
NOTES = 120  # three pages of 50
FAST = RateLimit(max_rate=500, time_period=1)


def _workspace() -> FakeIntercom:
    fake = FakeIntercom()
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
    return fake


def _connector(url: str, token: str = GOOD_TOKEN, *, fast: bool = True):
    config = IntercomConfig(
        name="ic", type="intercom", token=token, base_url=url, timeout=5
    )
    connector = IntercomConnector(
        config, name="ic", throttle=Throttle([FAST]) if fast else None
    )
    connector.page_size = PAGE  # a few pages without thousands of conversations
    return connector


@pytest.fixture
def fake() -> FakeIntercom:
    return _workspace()


@pytest.fixture
def url(fake: FakeIntercom) -> Iterator[str]:
    with serve_app(fake.app(fake.routes())) as served:
        yield served


@pytest.fixture
async def ic(url: str) -> AsyncIterator[IntercomConnector]:
    connector = _connector(url)
    yield connector
    await connector.aclose()


class TestIntercomContract(ConnectorContract):
    @pytest.fixture
    def case(self, url: str) -> ContractCase:
        return ContractCase(
            good=_connector(url),
            bad=_connector(url, token="revoked"),
            subject=ADA,
            others=OTHERS,
        )


def _counts(records) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record.source] = counts.get(record.source, 0) + 1
    return counts


def _search_calls(fake: FakeIntercom) -> int:
    return len(fake.calls("POST", "/conversations/search"))


async def test_every_page_is_read_and_only_the_persons_records(ic, fake):
    records = await collect(ic, ADA)

    assert _counts(records) == {
        "contacts": 2,
        "conversations": CONVERSATIONS + 1,
        "notes": NOTES,
        "tags": 1,
    }
    texts = {r.data["source"]["body"] for r in records if r.source == "conversations"}
    assert len(texts) == CONVERSATIONS + 1
    assert _search_calls(fake) == 4  # three pages for the user, one for the lead
    notes_pages = [c.query["page"] for c in fake.calls("GET") if "/notes" in c.path]
    assert notes_pages == ["1", "2", "3", "1"]


async def test_429s_mid_paging_wait_for_the_reset_within_the_rate_limit(url, fake):
    fake.fail(
        lambda r: r.url.path == "/conversations/search",
        429,
        body={
            "type": "error.list",
            "errors": [
                {
                    "code": "rate_limit_exceeded",
                    "message": "Exceeded rate limit of 167 in 10_seconds",
                }
            ],
        },
        headers=fake.rate_limit_headers(),
        after=1,  # the second page of the first search
        times=3,
    )
    async with _connector(url, fast=False) as connector:
        records = await collect(connector, ADA)

    assert _counts(records)["conversations"] == CONVERSATIONS + 1
    # The throttled page was sent again three times; no page was read twice.
    assert _search_calls(fake) == 4 + 3
    assert_within_rate([c.at for c in fake.log], connector.rate_limits()[0])


async def test_an_expired_cursor_restarts_the_search_without_duplicates(ic, fake):
    fake.expire_cursors = 1

    records = await collect(ic, ADA)

    ids = [r.data["id"] for r in records if r.source == "conversations"]
    assert len(ids) == len(set(ids)) == CONVERSATIONS + 1
    assert _search_calls(fake) == 4 + 2  # refused page 2, then pages 1 and 2 again


async def test_a_500_is_transient(ic, fake):
    fake.fail(lambda r: r.url.path == "/contacts/search", 500)
    with pytest.raises(TransientError):
        await collect(ic, ADA)


async def test_both_case_forms_of_the_address_are_searched(ic, fake):
    emails = {r.data["email"] for r in await collect(ic, ADA) if r.source == "contacts"}
    assert emails == {"Ada.Lovelace@example.com", "ada.lovelace@example.com"}


async def test_erase_deletes_contacts_and_counts_their_conversations(ic, fake):
    summary = await ic.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"contacts": 2, "conversations": CONVERSATIONS + 1}
    assert "7 days" in summary.notes[0]
    assert {c["email"] for c in fake.contacts.values()} == set(OTHERS)
    assert len(fake.conversations) == len(OTHERS)
    assert len(fake.calls("DELETE", "/contacts/")) == 2
    assert not [c for c in fake.log if c.path.endswith("/archive")]  # not archived


async def test_opt_out_unsubscribes_every_contact_once(ic, fake):
    first = await ic.opt_out(ADA)
    second = await ic.opt_out(ADA)

    assert first.erased == {"contacts": 2}
    assert second.erased == {"contacts": 0}
    flags = {c["email"]: c["unsubscribed_from_emails"] for c in fake.contacts.values()}
    assert flags == {
        "Ada.Lovelace@example.com": True,
        "ada.lovelace@example.com": True,
        "bob@example.com": False,
        "cy@example.com": False,
    }
