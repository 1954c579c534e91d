"""The `zendesk` type against a fake Zendesk Support account on loopback."""

import itertools

import pytest
from starlette.responses import JSONResponse

from connectors.base import AuthError, EraseStatus, RateLimit, Subject, TransientError
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from connectors.zendesk import ZendeskConfig, ZendeskConnector
from tests.vendors.fake_zendesk import AGENT, GOOD_TOKEN, FakeZendesk
from tests.vendors.harness import Vendor, VendorContract, by_source

ADA = Subject(email="Ada.Lovelace@example.com")
OTHERS = ("bob@example.com", "cy@example.com")
TICKETS = 25  # three pages of 10
PAGE = 10
FAST = RateLimit(max_rate=500, time_period=1)


def _seed(fake: FakeZendesk) -> None:
    ada = fake.add_user("ada.lovelace@example.com")
    # An older user whose second identity is Ada's address: found through identities.
    old = fake.add_user("a.l@oldmail.example.org", also="Ada.Lovelace@example.com")
    for n in range(TICKETS):
        fake.add_ticket(ada, f"engine question {n}", comments=2)
    fake.add_ticket(old, "old question")
    # Someone soft-deleted a user of Ada's earlier: it still holds her data.
    earlier = fake.add_user("ADA.LOVELACE@example.com")
    fake.deleted_users[earlier] = {**fake.users.pop(earlier), "active": False}
    for email in OTHERS:
        other = fake.add_user(email)
        fake.add_ticket(other, f"ticket of {email}")


def _connector(
    url: str, token: str = GOOD_TOKEN, *, fast: bool = True, **settings
) -> ZendeskConnector:
    config = ZendeskConfig(
        name="zd",
        type="zendesk",
        subdomain="acme",
        base_url=url,
        email=AGENT,
        api_token=token,
        timeout=5,
        **settings,
    )
    connector = ZendeskConnector(
        config, name="zd", throttle=Throttle([FAST]) if fast else None
    )
    connector.page_size = PAGE  # a few pages without thousands of tickets
    return connector


VENDOR = Vendor(
    FakeZendesk,
    _seed,
    _connector,
    refused={"token": "revoked"},
    subject=ADA,
    others=OTHERS,
)


class TestZendeskContract(VendorContract):
    pass


def _requested_pages(fake: FakeZendesk) -> list[str]:
    return [
        c.params.get("page[after]", "first")
        for c in fake.calls("GET")
        if c.path.endswith("/tickets/requested")
    ]


async def test_every_page_is_read_and_only_the_persons_records(connector, fake):
    records = await collect(connector, ADA)

    assert by_source(records) == {
        "users": 2,
        "identities": 3,
        "tickets": TICKETS + 1,
        "ticket_comments": 2 * TICKETS + 1,
    }
    pages = _requested_pages(fake)
    assert len(pages) == 3 + 1  # Ada's three pages, the old user's one
    assert len(set(pages[:3])) == 3  # no page read twice


async def test_429s_mid_paging_honour_retry_after_within_the_rate_limit(url, fake):
    fake.throttle(
        "GET",
        lambda c: c.path.endswith("/tickets/requested") and "page[after]" in c.params,
    )
    async with _connector(url, fast=False, requests_per_minute=400) as connector:
        records = await collect(connector, ADA)

        assert by_source(records)["tickets"] == TICKETS + 1
        limit = connector.rate_limits()[0]
    pages = _requested_pages(fake)
    assert len(pages) == 4 + 3  # the throttled page sent again; none re-read
    assert pages[1] == pages[2] == pages[3] == pages[4]
    throttled = [c.at for c in fake.log if c.params.get("page[after]") == pages[1]]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(throttled))
    assert_within_rate(fake.arrivals(), limit)


async def test_an_expired_cursor_restarts_the_list_without_duplicates(connector, fake):
    fake.expire_cursors = 1

    records = await collect(connector, ADA)

    ids = [r.data["id"] for r in records if r.source == "tickets"]
    assert len(ids) == len(set(ids)) == TICKETS + 1


async def test_a_500_is_transient(connector, fake):
    fake.fail_once("GET", lambda c: c.path.endswith("/users/search"))
    with pytest.raises(TransientError):
        await collect(connector, ADA)


async def test_a_403_is_refused_credentials(connector, fake):
    fake.fail(None, "", lambda: JSONResponse({"error": "Forbidden"}, 403))
    with pytest.raises(AuthError):
        await connector.test()


async def test_addresses_in_other_case_and_in_identities_are_found(connector):
    users = [r.data for r in await collect(connector, ADA) if r.source == "users"]
    assert {u["email"] for u in users} == {
        "ada.lovelace@example.com",
        "a.l@oldmail.example.org",
    }


async def test_erase_purges_tickets_and_users_permanently(connector, fake):
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"users": 3, "tickets": TICKETS + 1}
    assert not fake.holds("ada.lovelace@example.com")
    assert fake.deleted_tickets == {}  # purged, not only in Deleted tickets
    purges = fake.calls("DELETE", "/api/v2/deleted_users/")
    assert len(purges) == 3
    assert fake.calls("DELETE", "/api/v2/deleted_tickets/destroy_many")
    assert {u["email"] for u in fake.users.values()} == set(OTHERS)


async def test_a_running_purge_job_is_pending_until_poll_sees_it_done(connector, fake):
    fake.jobs_finish_at_once = False

    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.PENDING
    assert summary.job_ref is not None
    assert "example" not in summary.job_ref
    assert (await connector.poll(summary.job_ref)).status is EraseStatus.PENDING
    fake.finish_jobs()
    done = await connector.poll(summary.job_ref)
    assert done.status is EraseStatus.DONE
    assert done.erased == {"users": 3, "tickets": TICKETS + 1}
    assert fake.deleted_tickets == {}


async def test_with_tickets_kept_the_erasure_names_them_for_staff(url, fake):
    async with _connector(url, delete_tickets=False) as connector:
        summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.MANUAL_REQUIRED
    assert summary.erased == {}
    some = next(t for t in fake.tickets.values() if t["subject"] == "old question")
    assert f"#{some['id']}" in summary.notes[0]
    assert len(fake.tickets) == TICKETS + 1 + len(OTHERS)  # nothing deleted
    assert fake.holds("ada.lovelace@example.com")
