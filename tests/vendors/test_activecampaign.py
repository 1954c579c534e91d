"""The `activecampaign` type against a fake ActiveCampaign account on loopback."""

import pytest

from connectors.activecampaign import ActiveCampaignConfig, ActiveCampaignConnector
from connectors.base import (
    EraseStatus,
    RateLimit,
    Subject,
    TransientError,
)
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_activecampaign import GOOD_KEY, FakeActiveCampaign
from tests.vendors.harness import Vendor, VendorContract, by_source

ADA = Subject(email="Ada.Lovelace@example.com")
OTHERS = ("bob@example.com", "cy@example.com")
NOTES = 250  # three pages of 100
FAST = RateLimit(max_rate=200, time_period=1)


def _seed(fake: FakeActiveCampaign) -> None:
    ada = fake.add_contact("ada.lovelace@example.com", firstName="Ada")
    # A duplicate in another case: the filter ignores case, so it is the same person.
    twin = fake.add_contact("ADA.LOVELACE@example.com", firstName="Ada")
    for n in range(NOTES):
        fake.add_related(ada, "notes", {"note": f"call {n}", "cdate": "2024-05-01"})
    fake.add_related(ada, "deals", {"title": "Engine", "value": "1000"})
    for list_id in ("1", "2", "3"):
        fake.add_related(ada, "contactLists", {"list": list_id, "status": "1"})
    fake.add_related(twin, "contactLists", {"list": "4", "status": "2"})
    fake.add_related(twin, "contactTags", {"tag": "7"})
    for email in OTHERS:
        other = fake.add_contact(email, firstName="Other")
        fake.add_related(other, "notes", {"note": f"about {email}"})
        fake.add_related(other, "contactLists", {"list": "1", "status": "1"})


def _connector(
    url: str, key: str = GOOD_KEY, *, fast: bool = True
) -> ActiveCampaignConnector:
    """A connector on the fake; `fast` lifts the 5/s limit for tests not about it."""
    config = ActiveCampaignConfig(
        name="ac",
        type="activecampaign",
        api_url="https://acme.api-us1.com",
        base_url=url,
        api_key=key,
        timeout=5,
    )
    return ActiveCampaignConnector(
        config, name="ac", throttle=Throttle([FAST]) if fast else None
    )


VENDOR = Vendor(
    FakeActiveCampaign,
    _seed,
    _connector,
    refused={"key": "revoked"},
    subject=ADA,
    others=OTHERS,
)


class TestActiveCampaignContract(VendorContract):
    pass


def _notes_pages(fake: FakeActiveCampaign) -> list[str]:
    return [c.params["offset"] for c in fake.calls("GET") if c.path.endswith("/notes")]


async def test_every_page_is_read_and_only_the_persons_records(connector, fake):
    records = await collect(connector, ADA)

    assert by_source(records) == {
        "contacts": 2,
        "notes": NOTES,
        "deals": 1,
        "list_memberships": 4,
        "tags": 1,
    }
    assert {r.data["note"] for r in records if r.source == "notes"} == {
        f"call {n}" for n in range(NOTES)
    }
    # Ada's notes in three pages; her twin's once; nobody else's contact is read.
    assert _notes_pages(fake) == ["0", "100", "200", "0"]


async def test_429s_mid_paging_are_waited_out_within_the_rate_limit(url, fake):
    fake.throttle(
        "GET", lambda c: c.path.endswith("/notes") and c.params["offset"] == "100"
    )
    async with _connector(url, fast=False) as connector:  # its own 5 calls a second
        records = await collect(connector, ADA)

    assert sum(r.source == "notes" for r in records) == NOTES
    assert _notes_pages(fake) == ["0", "100", "100", "100", "100", "200", "0"]
    assert_within_rate(fake.arrivals(), RateLimit(5, 1))


async def test_a_500_is_transient(connector, fake):
    fake.fail_once("GET", lambda c: c.path == "/api/3/contacts")
    with pytest.raises(TransientError) as caught:
        await collect(connector, ADA)
    assert "500" in str(caught.value)
    assert "example.com" not in str(caught.value)


async def test_case_variants_of_the_address_are_found(connector):
    emails = {
        r.data["email"] for r in await collect(connector, ADA) if r.source == "contacts"
    }
    assert emails == {"ada.lovelace@example.com", "ADA.LOVELACE@example.com"}


async def test_erase_deletes_then_purges_the_archive(connector, fake):
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"contacts": 2}
    assert any("1 deal" in note for note in summary.notes)
    assert {c["email"] for c in fake.contacts.values()} == set(OTHERS)
    assert fake.archived_emails() == []  # not only archived: gone
    assert len(fake.calls("DELETE", "/api/3/contacts/")) == 2
    assert len(fake.calls("DELETE", "/api/3/contactArchives/")) == 2


async def test_an_interrupted_erase_purges_what_it_archived(connector, fake):
    # A first run deleted (archived) the contacts and died before the purge.
    for cid in [c for c, row in fake.contacts.items() if "ada" in row["email"].lower()]:
        fake.archive[f"a{cid}"] = {**fake.contacts.pop(cid), "id": f"a{cid}"}

    summary = await connector.erase(ADA)

    assert summary.erased == {"contacts": 2}
    assert fake.archived_emails() == []


async def test_without_an_admin_key_the_purge_is_a_manual_step(connector, fake):
    fake.admin = False

    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.MANUAL_REQUIRED
    assert "Admin group" in summary.notes[0]
    assert summary.erased == {"contacts": 0}
    assert len(fake.archived_emails()) == 2  # archived, not erased: said so


async def test_opt_out_unsubscribes_every_list_once(connector, fake):
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)

    assert first.erased == {"lists": 3}  # the twin's list 4 was already unsubscribed
    assert second.erased == {"lists": 0}
    statuses = {
        (cid, row["list"]): row["status"]
        for (cid, key), rows in fake.related.items()
        if key == "contactLists"
        for row in rows
    }
    ada_ids = {c for c, row in fake.contacts.items() if "ada" in row["email"].lower()}
    assert {s for (cid, _), s in statuses.items() if cid in ada_ids} == {"2"}
    assert {s for (cid, _), s in statuses.items() if cid not in ada_ids} == {"1"}
