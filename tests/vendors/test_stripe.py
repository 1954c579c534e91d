"""The `stripe` type against a fake Stripe on loopback: the contract kit plus Stripe's own
behaviour (case-exact list + case-blind search, cursor paging, card summaries, customer
delete, redaction jobs)."""

import json

import pytest

from connectors.base import (
    HINT_IDEMPOTENCY_KEY,
    AuthError,
    EraseStatus,
    RateLimit,
    Subject,
    TransientError,
)
from connectors.stripe import StripeConfig, StripeConnector
from connectors.testing import assert_within_rate, collect
from connectors.throttle import Throttle
from tests.vendors.fake_stripe import GOOD_KEY, READ_ONLY_KEY, REDACTED, FakeStripe
from tests.vendors.harness import Vendor, VendorContract

ADA = Subject(
    email="Ada.Lovelace@Example.com",
    name="Ada Lovelace",
    hints={HINT_IDEMPOTENCY_KEY: "DSR-7K3M9QXA:billing:erase"},
)
# Three duplicate customers: as written, lower-cased, and a case only search can find.
ADA_SPELLINGS = (
    "Ada.Lovelace@Example.com",
    "ada.lovelace@example.com",
    "ADA.LOVELACE@EXAMPLE.COM",
)
OTHERS = ["bob@example.com", "cy@example.net"]
ADA_CHARGES = 250  # three pages of 100


class FastStripe(StripeConnector):
    """Stripe's blind 429 backoff, scaled down so a test waits well under a second."""

    backoff = 0.05


def _seed(fake: FakeStripe) -> list[str]:
    ada = [fake.add_customer(email, "Ada Lovelace") for email in ADA_SPELLINGS]
    for n in range(ADA_CHARGES):
        fake.add_charge(ada[0], 100 + n)
    fake.add_charge(ada[2], 999)
    fake.add_owned(
        "invoices", ada[0], object="invoice", total=1200, customer_email=ADA.email
    )
    fake.add_owned(
        "invoices", ada[1], object="invoice", total=800, customer_email=ADA.email
    )
    fake.add_owned("subscriptions", ada[0], object="subscription", status="active")
    fake.add_owned(
        "payment_methods",
        ada[0],
        object="payment_method",
        type="card",
        card={
            "brand": "visa",
            "last4": "4242",
            "exp_month": 1,
            "exp_year": 2031,
            "country": "GB",
            "fingerprint": "Xt5EWLLDS7FJjR1c",
            "checks": {"cvc_check": "pass"},
        },
    )
    for email in OTHERS:
        other = fake.add_customer(email, email.split("@")[0].title())
        fake.add_charge(other, 500)
        fake.add_owned("invoices", other, object="invoice", customer_email=email)
    return ada


def _connector(
    url: str, key: str = GOOD_KEY, throttle: Throttle | None = None, **settings
):
    config = StripeConfig(
        name="billing", type="stripe", api_key=key, base_url=url, timeout=5, **settings
    )
    return FastStripe(config, name="billing", throttle=throttle or Throttle())


VENDOR = Vendor(
    FakeStripe,
    _seed,
    _connector,
    refused={"key": "sk_test_revoked"},
    subject=ADA,
    others=OTHERS,
)


class TestStripeContract(VendorContract):
    pass


class TestStripeRedactionContract(VendorContract):
    """The same checks with `erasure: redact`: erase is pending, not done at once."""

    settings = {"erasure": "redact"}
    erased_at_once = False


def test_rate_limits_follow_the_key_mode():
    def limits(key: str) -> tuple[RateLimit, ...]:
        config = StripeConfig(name="b", type="stripe", api_key=key)
        return StripeConnector(config, name="b").rate_limits()

    assert limits("sk_test_x") == (RateLimit(25, 1), RateLimit(20, 1))
    assert limits("rk_live_x") == (RateLimit(100, 1), RateLimit(20, 1))


async def test_a_restricted_key_refused_with_403_is_an_auth_error(url):
    connector = _connector(url, key=READ_ONLY_KEY)
    with pytest.raises(AuthError, match="HTTP 403"):
        await connector.test()
    await connector.aclose()


async def test_access_merges_duplicates_from_list_and_search(fake, seeded, connector):
    ada = seeded
    records = await collect(connector, ADA)

    customers = [r.data["id"] for r in records if r.source == "customers"]
    assert sorted(customers) == sorted(ada)  # the third only through the search
    assert sum(r.source == "charges" for r in records) == ADA_CHARGES + 1
    assert sum(r.source == "invoices" for r in records) == 2
    assert [r.data["status"] for r in records if r.source == "subscriptions"] == [
        "active"
    ]
    charge_pages = [
        c.query for c in fake.calls("GET", "/v1/charges") if ada[0] in c.query
    ]
    assert len(charge_pages) == 3
    assert "starting_after=ch_" in charge_pages[2]


async def test_card_details_are_cut_to_a_summary(fake, connector):
    records = await collect(connector, ADA)
    dumped = json.dumps([r.data for r in records])
    assert "fingerprint" not in dumped
    assert "cvc_check" not in dumped
    method = next(r.data for r in records if r.source == "payment_methods")
    assert method["card"] == {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 1,
        "exp_year": 2031,
        "country": "GB",
    }


async def test_a_lower_cased_request_finds_every_spelling_through_search(
    seeded, connector
):
    ada = seeded
    records = await collect(connector, Subject(email="ada.lovelace@example.com"))
    assert sorted(r.data["id"] for r in records if r.source == "customers") == sorted(
        ada
    )


async def test_429s_mid_paging_back_off_and_keep_the_rate(fake, url, seeded):
    ada = seeded
    limit = RateLimit(5, 1)
    connector = _connector(url, throttle=Throttle([limit]))
    fake.throttle("GET", "/v1/charges", times=3, skip=2)

    records = await collect(connector, ADA)
    await connector.aclose()

    assert sum(r.source == "charges" for r in records) == ADA_CHARGES + 1
    pages = [c.query for c in fake.calls("GET", "/v1/charges") if ada[0] in c.query]
    assert len(pages) == 6  # pages 1 and 2, three 429s, page 3: none read twice
    assert len(set(pages)) == 3
    assert pages[2] == pages[3] == pages[4] == pages[5]
    assert_within_rate(fake.arrivals(), limit)


async def test_a_500_once_is_transient_naming_method_and_host_only(fake, connector):
    fake.fail_once("GET", "/v1/customers/search")
    with pytest.raises(TransientError, match=r"^HTTP 500 from GET 127\.0\.0\.1$"):
        await collect(connector, ADA)


async def test_erase_deletes_every_duplicate_customer(fake, seeded, connector):
    ada = seeded
    summary = await connector.erase(ADA)

    assert summary.status is EraseStatus.DONE
    assert summary.erased == {"customers": 3}
    assert summary.notes  # charges and invoices stay: said in the notes
    assert sorted(c.path for c in fake.calls("DELETE")) == sorted(
        f"/v1/customers/{i}" for i in ada
    )
    assert fake.deleted == set(ada)
    subs = [s for s in fake.owned["subscriptions"] if s["customer"] == ada[0]]
    assert [s["status"] for s in subs] == ["canceled"]
    assert await collect(connector, ADA) == []


async def test_a_retry_while_the_search_lags_counts_nothing_twice(fake, connector):
    assert (await connector.erase(ADA)).erased == {"customers": 3}
    fake.search_lag = True  # Stripe's search still lists the deleted customers

    again = await connector.erase(ADA)

    assert again.status is EraseStatus.DONE
    assert again.erased == {"customers": 0}
    assert len(fake.calls("DELETE")) == 6  # tried again, answered 404, not counted


async def test_redaction_job_is_pending_then_polled_to_done(fake, url, seeded):
    ada = seeded
    connector = _connector(url, erasure="redact")

    first = await connector.erase(ADA)
    again = await connector.erase(ADA)  # a retried task: the idempotency key replays
    assert first.status is EraseStatus.PENDING
    assert again.job_ref == first.job_ref
    assert len(fake.jobs) == 1
    assert fake.calls("DELETE") == []

    assert (await connector.poll(first.job_ref)).status is EraseStatus.PENDING  # ran
    done = await connector.poll(first.job_ref)
    await connector.aclose()

    assert done.status is EraseStatus.DONE
    assert done.erased == {"customers": 3, "charges": ADA_CHARGES + 1, "invoices": 2}
    assert all(fake.customers[i]["email"] == REDACTED for i in ada)
    assert fake.customers[next(iter(set(fake.customers) - set(ada)))]["email"] in OTHERS
    assert [c.path.rsplit("/", 1)[-1] for c in fake.calls("POST")][-1] == "run"


async def test_a_failed_redaction_job_asks_for_a_person(fake, url):
    connector = _connector(url, erasure="redact")
    job = await connector.erase(ADA)
    fake.jobs[job.job_ref]["status"] = "failed"
    summary = await connector.poll(job.job_ref)
    await connector.aclose()
    assert summary.status is EraseStatus.MANUAL_REQUIRED
    assert job.job_ref in summary.notes[0]
