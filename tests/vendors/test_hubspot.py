"""The `hubspot` type against a fake HubSpot on loopback: the contract kit plus HubSpot's
own behaviour (association paging, 429s without Retry-After, GDPR delete, opt-out)."""

import itertools

import pytest

from connectors.base import (
    AuthError,
    ConnectorError,
    EraseStatus,
    RateLimit,
    Subject,
    TransientError,
)
from connectors.hubspot import HubSpotConfig, HubSpotConnector
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_hubspot import GOOD_TOKEN, NO_SCOPE_TOKEN, FakeHubSpot
from tests.vendors.harness import Vendor, VendorContract

ADA = Subject(email="Ada.Lovelace@Example.com", name="Ada Lovelace")
OTHERS = ["bob@example.com", "cy@example.net"]
ADA_NOTES = 1100  # three pages of associations (500 a page), eleven batch reads
ADA_DEALS = 3


def _seed(fake: FakeHubSpot) -> dict[str, str]:
    ada = fake.add_contact(ADA.email, firstname="Ada", lastname="Lovelace")
    bob = fake.add_contact(OTHERS[0], firstname="Bob")
    cy = fake.add_contact(OTHERS[1], firstname="Cy")
    for n in range(ADA_NOTES):
        fake.add_object("notes", ada, hs_note_body=f"Call back Ada, note {n}")
    for n in range(ADA_DEALS):
        fake.add_object("deals", ada, dealname=f"Ada deal {n}", amount="100")
    fake.add_object("tickets", ada, subject="Password reset", content="Ada asked")
    for other, email in ((bob, OTHERS[0]), (cy, OTHERS[1])):
        fake.add_object("notes", other, hs_note_body=f"Mail {email}")
        fake.add_object("deals", other, dealname=f"Deal of {email}")
    return {"ada": ada, "bob": bob, "cy": cy}


def _connector(url: str, token: str = GOOD_TOKEN, **options) -> HubSpotConnector:
    config = HubSpotConfig(
        name="crm", type="hubspot", token=token, base_url=url, timeout=5
    )
    # The contract checks run unthrottled; the rate test below passes a real limit.
    return HubSpotConnector(
        config, name="crm", throttle=options.get("throttle", Throttle())
    )


VENDOR = Vendor(
    FakeHubSpot,
    _seed,
    _connector,
    refused={"token": "pat-eu1-revoked"},
    subject=ADA,
    others=OTHERS,
)


class TestHubSpotContract(VendorContract):
    pass


def test_rate_limits_are_the_documented_private_app_and_search_limits():
    config = HubSpotConfig(name="crm", type="hubspot", token="x")
    assert HubSpotConnector(config, name="crm").rate_limits() == (
        RateLimit(100, 10),
        RateLimit(5, 1),
    )


def test_base_url_defaults_to_hubapi_and_can_be_overridden():
    config = HubSpotConfig(name="crm", type="hubspot", token="x")
    assert HubSpotConnector(config, name="crm").api.base_url == "https://api.hubapi.com"
    eu = config.model_copy(update={"base_url": "https://proxy.example.com/hs"})
    assert (
        HubSpotConnector(eu, name="crm").api.base_url == "https://proxy.example.com/hs"
    )


async def test_missing_scopes_403_is_an_auth_error(url):
    connector = _connector(url, token=NO_SCOPE_TOKEN)
    with pytest.raises(AuthError, match="HTTP 403"):
        await connector.test()
    await connector.aclose()


async def test_access_pages_through_associations_and_returns_only_ada(fake, connector):
    records = await collect(connector, ADA)

    by_source: dict[str, list] = {}
    for record in records:
        by_source.setdefault(record.source, []).append(record.data)
    assert [c["properties"]["email"] for c in by_source["contacts"]] == [
        "ada.lovelace@example.com"
    ]
    assert set(by_source["contacts"][0]["properties"]) >= {"firstname", "lastname"}
    assert len(by_source["notes"]) == ADA_NOTES
    assert all("Ada" in n["properties"]["hs_note_body"] for n in by_source["notes"])
    assert len(by_source["deals"]) == ADA_DEALS
    assert len(by_source["tickets"]) == 1
    assert {s["subscriptionId"] for s in by_source["email_subscriptions"]} == {101, 102}
    note_pages = fake.calls(
        "GET", f"/crm/v4/objects/contacts/{records[0].data['id']}/associations/notes"
    )
    assert len(note_pages) == 3
    assert len(fake.calls("POST", "/crm/v3/objects/notes/batch/read")) == 11


async def test_the_lower_cased_address_finds_a_contact_stored_lower_case(
    fake, connector
):
    # HubSpot keeps emails lower-cased; the search sends both spellings (OR groups).
    records = await collect(connector, Subject(email="ADA.LOVELACE@EXAMPLE.COM"))
    assert [
        r.data["properties"]["email"] for r in records if r.source == "contacts"
    ] == ["ada.lovelace@example.com"]


async def test_429s_mid_paging_wait_the_named_window_and_keep_the_rate(fake, url):
    limit = RateLimit(10, 1)
    connector = _connector(url, throttle=Throttle([limit]))
    # The third page of Ada's note associations is refused three times.
    ada = _ids_by_email(fake)["ada.lovelace@example.com"]
    path = f"/crm/v4/objects/contacts/{ada}/associations/notes"
    fake.throttle("GET", path, times=3, skip=2)

    records = await collect(connector, ADA)
    await connector.aclose()

    assert sum(r.source == "notes" for r in records) == ADA_NOTES
    note_pages = fake.calls("GET", path)
    # Pages 1 and 2, three 429s for page 3, then page 3: nothing is read twice.
    assert [c.query for c in note_pages] == [
        "limit=500",
        "limit=500&after=c500",
        "limit=500&after=c1000",
        "limit=500&after=c1000",
        "limit=500&after=c1000",
        "limit=500&after=c1000",
    ]
    waits = [b.at - a.at for a, b in itertools.pairwise(note_pages[2:])]
    assert all(w >= 0.95 for w in waits), waits  # the 1 000 ms the headers named
    assert_within_rate(fake.arrivals(), limit)


async def test_a_500_once_is_transient_naming_method_and_host_only(fake, connector):
    fake.fail_once("POST", "/crm/v3/objects/contacts/search")
    with pytest.raises(TransientError, match=r"^HTTP 500 from POST 127\.0\.0\.1$"):
        await collect(connector, ADA)


async def test_an_expired_association_cursor_fails_the_access(fake, connector):
    seen: list[str] = []

    async def read() -> None:
        async for record in connector.access(ADA):
            seen.append(record.source)
            if record.source == "contacts":
                fake.expire_cursors()  # the next page's cursor is now stale

    with pytest.raises(ConnectorError, match="HTTP 400"):
        await read()
    assert "notes" not in seen  # no partial association list passed off as complete


async def test_erase_uses_gdpr_delete_not_the_archive(fake, connector):
    ids = _ids_by_email(fake)

    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"contacts": 1}
    assert len(fake.calls("POST", "/crm/v3/objects/contacts/gdpr-delete")) == 1
    assert fake.calls("DELETE") == []  # the archive-only call was never made
    assert ids["ada.lovelace@example.com"] not in fake.contacts
    assert set(_ids_by_email(fake)) == {"bob@example.com", "cy@example.net"}
    assert len(fake.objects["notes"]) == 2  # Ada's engagements went with her
    assert await collect(connector, ADA) == []


async def test_erase_of_an_unknown_person_sends_no_delete(fake, connector):
    # A GDPR delete by an unknown email would blocklist it: nothing is sent.
    summary = await connector.erase(Subject(email="nobody@example.invalid"))
    assert summary.erased == {"contacts": 0}
    assert fake.calls("POST", "/crm/v3/objects/contacts/gdpr-delete") == []


async def test_opt_out_unsubscribes_from_all_email_once(fake, connector):
    first = await connector.opt_out(ADA)
    second = await connector.opt_out(ADA)

    assert first.erased == {"email": 1}
    assert second.erased == {"email": 0}
    assert fake.wide_unsubscribed == {"ada.lovelace@example.com"}
    posts = fake.calls("POST", "/communication-preferences/v4/statuses/")
    assert [p.query for p in posts] == ["channel=EMAIL"]
    records = await collect(connector, ADA)
    statuses = {r.data["status"] for r in records if r.source == "email_subscriptions"}
    assert statuses == {"NOT_SUBSCRIBED"}


def _ids_by_email(fake: FakeHubSpot) -> dict[str, str]:
    return {c["properties"]["email"]: i for i, c in fake.contacts.items()}
