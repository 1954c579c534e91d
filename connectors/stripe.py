"""Connector type `stripe`: every customer with the person's email, and their billing.

Stripe's list filter (`GET /v1/customers?email=`) is exact and case-sensitive and its
search (`GET /v1/customers/search?query=email:'…'`) is case-blind but lags by up to a
minute, so access asks both, for each spelling `Subject.addresses` gives, and merges
the customers by id (duplicates are common). For each customer it reads charges,
invoices, subscriptions and payment methods, every page; card details are cut down to
brand, last four digits, expiry and country — Stripe never returns full numbers, and the
fingerprints and checks are left out too.

Erasure (`erasure: delete`, the default) is `DELETE /v1/customers/{id}`: permanent, and it
cancels subscriptions; charges and invoices stay. `erasure: redact` instead creates a
redaction job (public preview) for the customers, charges and invoices, answers `pending`
and is polled: the job validates, is run once ready, and has succeeded when Stripe has
replaced the personal data with `[redacted]` everywhere, events and logs included.
Stripe keeps no marketing subscriptions, so there is no opt-out.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr

from connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    EraseStatus,
    EraseSummary,
    RateLimit,
    Record,
    SourceInfo,
    Subject,
)
from connectors.http import Api, ApiConfig, Next

DEFAULT_BASE_URL = "https://api.stripe.com"
PAGE = 100  # `limit` is 1 to 100
CARD_FIELDS = ("brand", "last4", "exp_month", "exp_year", "country", "funding")
# The customer's objects read on access, as (source, path, extra query).
BILLING: tuple[tuple[str, str, Mapping[str, str]], ...] = (
    ("charges", "/v1/charges", {}),
    ("invoices", "/v1/invoices", {}),
    ("subscriptions", "/v1/subscriptions", {"status": "all"}),
)
REDACTED_TYPES = ("customers", "charges", "invoices")

SOURCES: Mapping[str, SourceInfo] = {
    "customers": SourceInfo(
        "Stripe customer records",
        columns={
            "email": "Email",
            "name": "Name",
            "phone": "Phone",
            "address": "Billing address",
            "shipping": "Shipping address",
            "created": "Created (Unix time)",
        },
    ),
    "charges": SourceInfo(
        "Stripe payments",
        columns={"amount": "Amount (minor units)", "currency": "Currency"},
    ),
    "invoices": SourceInfo("Stripe invoices"),
    "subscriptions": SourceInfo("Stripe subscriptions"),
    "payment_methods": SourceInfo(
        "Stripe payment methods (summary, no card numbers)",
        columns={"card": "Card (brand, last 4 digits, expiry)"},
    ),
}


class StripeConfig(ApiConfig):
    """Settings of a `stripe` connector."""

    api_key: SecretStr = Field(description="Secret (sk_) or restricted (rk_) key.")
    erasure: Literal["delete", "redact"] = Field(
        default="delete",
        description="delete: DELETE each customer; redact: a redaction job (preview).",
    )
    api_version: str | None = Field(
        default=None,
        description="Stripe-Version to pin (redaction jobs need a preview version).",
    )


class StripeConnector(Connector[StripeConfig]):
    """Stripe: customers (duplicates merged), billing objects, delete or redaction job."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE})
    config_model = StripeConfig
    source_names = SOURCES
    backoff: ClassVar[float] = 1.0  # Stripe's 429s carry no Retry-After

    def rate_limits(self) -> tuple[RateLimit, ...]:
        """100 calls a second live, 25 in a sandbox; search 20 a second, in one budget.

        https://docs.stripe.com/rate-limits
        """
        key = self.config.api_key.get_secret_value()
        sandbox = key.startswith(("sk_test_", "rk_test_"))
        return (RateLimit(25 if sandbox else 100, 1), RateLimit(20, 1))

    @property
    def api(self) -> Api:
        """The Stripe API as this instance calls it (Bearer key, optional version)."""
        headers = {"Authorization": f"Bearer {self.config.api_key.get_secret_value()}"}
        if self.config.api_version:
            headers["Stripe-Version"] = self.config.api_version
        return Api(
            self.http,
            self.config.base_url or DEFAULT_BASE_URL,
            throttle=self.throttle,
            timeout=self.config.timeout,
            headers=headers,
            backoff=self.backoff,
        )

    async def test(self) -> None:
        """List one customer: cheap, and refused without a key that may read customers."""
        await self.api.json("GET", "/v1/customers", params={"limit": 1})

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Every customer with the person's email and their billing objects."""
        api = self.api
        for customer in await self._customers(api, subject):
            yield Record("customers", _without_cards(customer))
            customer_id = customer["id"]
            for source, path, extra in BILLING:
                query = {"customer": customer_id, **extra}
                async for item in _listed(api, path, query):
                    yield Record(source, _without_cards(item))
            path = f"/v1/customers/{customer_id}/payment_methods"
            async for method in _listed(api, path, {}):
                yield Record("payment_methods", _without_cards(method))

    async def erase(self, subject: Subject) -> EraseSummary:
        """Delete each customer, or start a redaction job for them (pending)."""
        api = self.api
        customers = await self._customers(api, subject)
        if self.config.erasure == "redact":
            return await self._start_redaction(api, subject, customers)
        deleted = 0
        for customer in customers:
            # The search lags deletions: a customer already deleted (404) is not counted.
            path = f"/v1/customers/{customer['id']}"
            deleted += await api.call("DELETE", path, missing_ok=True) is not None
        notes = (
            (
                "Stripe keeps the deleted customers' charges and invoices, as payment "
                "records; use erasure: redact to redact them.",
            )
            if deleted
            else ()
        )
        return EraseSummary(erased={"customers": deleted}, notes=notes)

    async def poll(self, job_ref: str) -> EraseSummary:
        """Follow a redaction job: run it once validated; done when it has succeeded."""
        api = self.api
        path = f"/v1/privacy/redaction_jobs/{job_ref}"
        job = await api.json("GET", path)
        status = job.get("status")
        if status == "ready":
            job = await api.json("POST", f"{path}/run")
            status = job.get("status")
        if status == "succeeded":
            objects = job.get("objects") or {}
            return EraseSummary(
                erased={kind: len(objects.get(kind) or []) for kind in REDACTED_TYPES}
            )
        if status == "failed":
            return EraseSummary(
                status=EraseStatus.MANUAL_REQUIRED,
                notes=(
                    f"Stripe redaction job {job_ref} failed validation: see its "
                    "validation errors in the Dashboard (or GET "
                    f"{path}/validation_errors), resolve them, then validate it again.",
                ),
            )
        if status in ("canceling", "canceled"):
            raise ConnectorError(f"Stripe redaction job {job_ref} was canceled")
        return EraseSummary(status=EraseStatus.PENDING, job_ref=job_ref)

    async def _start_redaction(
        self, api: Api, subject: Subject, customers: list[dict[str, Any]]
    ) -> EraseSummary:
        if not customers:
            return EraseSummary(erased={"customers": 0})
        objects: dict[str, list[str]] = {kind: [] for kind in REDACTED_TYPES}
        for customer in customers:
            objects["customers"].append(customer["id"])
            for kind, path in (
                ("charges", "/v1/charges"),
                ("invoices", "/v1/invoices"),
            ):
                query = {"customer": customer["id"]}
                objects[kind] += [
                    item["id"] async for item in _listed(api, path, query)
                ]
        form = {f"objects[{kind}][]": ids for kind, ids in objects.items() if ids}
        # The task's key makes a retried erase return the first job, not a second one.
        headers = (
            {"Idempotency-Key": subject.idempotency_key}
            if subject.idempotency_key
            else {}
        )
        job = await api.json(
            "POST", "/v1/privacy/redaction_jobs", form=form, headers=headers
        )
        return EraseSummary(status=EraseStatus.PENDING, job_ref=job["id"])

    async def _customers(self, api: Api, subject: Subject) -> list[dict[str, Any]]:
        """The person's customers: exact list per spelling, plus the case-blind search."""
        found: dict[str, dict[str, Any]] = {}
        for address in subject.addresses:
            async for customer in _listed(api, "/v1/customers", {"email": address}):
                found.setdefault(customer["id"], customer)
        quoted = subject.email.replace("\\", "\\\\").replace("'", "\\'")
        async for page in api.pages(
            "GET",
            "/v1/customers/search",
            _next_search_page,
            params={"query": f"email:'{quoted}'", "limit": PAGE},
        ):
            for customer in page.get("data", []):
                if not customer.get("deleted"):
                    found.setdefault(customer["id"], customer)
        return list(found.values())


async def _listed(
    api: Api, path: str, query: Mapping[str, str]
) -> AsyncIterator[dict[str, Any]]:
    """Every object of a Stripe list, following `has_more` with `starting_after`."""
    async for page in api.pages(
        "GET", path, _next_list_page, params={**query, "limit": PAGE}
    ):
        for item in page.get("data", []):
            yield item


def _next_list_page(page: Any) -> Next | None:
    data = page.get("data") or []
    return {"starting_after": data[-1]["id"]} if page.get("has_more") and data else None


def _next_search_page(page: Any) -> Next | None:
    following = page.get("next_page")
    return {"page": following} if page.get("has_more") and following else None


def _card(card: Any) -> Any:
    if not isinstance(card, Mapping):
        return card
    return {key: card[key] for key in CARD_FIELDS if key in card}


def _without_cards(item: Mapping[str, Any]) -> dict[str, Any]:
    """A copy keeping only a card's summary wherever Stripe nests card details."""
    cleaned = dict(item)
    if cleaned.get("object") == "card":
        return {"id": cleaned.get("id"), "object": "card", **_card(cleaned)}
    if isinstance(cleaned.get("card"), Mapping):
        cleaned["card"] = _card(cleaned["card"])
    details = cleaned.get("payment_method_details")
    if isinstance(details, Mapping) and isinstance(details.get("card"), Mapping):
        cleaned["payment_method_details"] = {**details, "card": _card(details["card"])}
    if isinstance(cleaned.get("source"), Mapping):
        cleaned["source"] = _without_cards(cleaned["source"])
    return cleaned
