"""A fake Stripe API answering as docs.stripe.com documents it.

State: customers (email kept as written; the list filter matches it exactly, the search
case-blind), their charges, invoices, subscriptions and payment methods, and redaction
jobs that validate on the first retrieve, run on `/run` and succeed on the next retrieve,
replacing personal data with `[redacted]`. Deleting a customer leaves a `deleted` stub and
cancels its subscriptions; charges and invoices stay. POSTs honour `Idempotency-Key`.
"""

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

GOOD_KEY = "sk_test_good0123456789"
READ_ONLY_KEY = "rk_test_no_customers"
CREATED = 1764496800
REDACTED = "[redacted]"


def _error(
    status: int, message: str, kind: str = "invalid_request_error", **extra: Any
) -> JSONResponse:
    # Error object {"error": {type, message, code?, doc_url?}}: https://docs.stripe.com/api/errors
    return JSONResponse({"error": {"type": kind, "message": message, **extra}}, status)


@dataclass
class FakeStripe(FakeApi):
    """One Stripe account in test mode."""

    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    owned: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by type
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    search_lag: bool = False  # the search index still shows deleted customers
    _ids: Any = field(default_factory=lambda: itertools.count(1000))

    # --- seeding ---

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):014d}"

    def add_customer(self, email: str, name: str) -> str:
        # Customer object: https://docs.stripe.com/api/customers/object
        customer_id = self._id("cus")
        self.customers[customer_id] = {
            "id": customer_id,
            "object": "customer",
            "email": email,
            "name": name,
            "phone": "+44 20 7946 0000",
            "address": {
                "line1": "12 Analytical Row",
                "city": "London",
                "country": "GB",
            },
            "created": CREATED,
            "livemode": False,
            "metadata": {},
        }
        return customer_id

    def add_charge(self, customer_id: str, amount: int) -> str:
        # Charge object with payment_method_details.card: https://docs.stripe.com/api/charges/object
        charge_id = self._id("ch")
        self.owned.setdefault("charges", []).append(
            {
                "id": charge_id,
                "object": "charge",
                "customer": customer_id,
                "amount": amount,
                "currency": "gbp",
                "billing_details": {"email": self.customers[customer_id]["email"]},
                "payment_method_details": {
                    "type": "card",
                    "card": {
                        "brand": "visa",
                        "last4": "4242",
                        "exp_month": 12,
                        "exp_year": 2030,
                        "country": "GB",
                        "funding": "credit",
                        "fingerprint": "Xt5EWLLDS7FJjR1c",
                        "checks": {"cvc_check": "pass"},
                    },
                },
                "created": CREATED,
            }
        )
        return charge_id

    def add_owned(self, kind: str, customer_id: str, **fields: Any) -> str:
        prefix = {"invoices": "in", "subscriptions": "sub", "payment_methods": "pm"}[
            kind
        ]
        item_id = self._id(prefix)
        self.owned.setdefault(kind, []).append(
            {"id": item_id, "customer": customer_id, "created": CREATED, **fields}
        )
        return item_id

    # --- FakeApi ---

    def refuse(self, request: Request) -> Response | None:
        # Bearer secret or restricted key: https://docs.stripe.com/api/authentication
        header = request.headers.get("authorization", "")
        if header == f"Bearer {READ_ONLY_KEY}":
            # A restricted key without the permission: 403 (https://docs.stripe.com/keys#limit-access)
            return _error(
                403,
                "The provided key does not have the required permissions for this endpoint.",
            )
        if header != f"Bearer {GOOD_KEY}":
            return _error(401, "Invalid API Key provided: sk_test_****")
        return None

    def too_many(self) -> Response:
        # 429 rate_limit, no Retry-After: https://docs.stripe.com/rate-limits
        return _error(
            429,
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://docs.stripe.com/rate-limits.",
            code="rate_limit",
        )

    def server_error(self) -> Response:
        return _error(500, "An unknown error occurred", kind="api_error")

    def routes(self) -> Sequence[Route]:
        return [
            Route("/v1/customers", self.list_customers, methods=["GET"]),
            Route("/v1/customers/search", self.search_customers, methods=["GET"]),
            Route("/v1/customers/{id}", self.customer, methods=["GET", "DELETE"]),
            Route(
                "/v1/customers/{id}/payment_methods",
                self.payment_methods,
                methods=["GET"],
            ),
            Route("/v1/charges", self.owned_list("charges"), methods=["GET"]),
            Route("/v1/invoices", self.owned_list("invoices"), methods=["GET"]),
            Route(
                "/v1/subscriptions", self.owned_list("subscriptions"), methods=["GET"]
            ),
            Route("/v1/privacy/redaction_jobs", self.create_job, methods=["POST"]),
            Route("/v1/privacy/redaction_jobs/{id}", self.job, methods=["GET"]),
            Route(
                "/v1/privacy/redaction_jobs/{id}/run", self.run_job, methods=["POST"]
            ),
        ]

    # --- handlers ---

    @staticmethod
    def _list(request: Request, items: list[dict[str, Any]], url: str) -> Response:
        # List object, `limit` ≤ 100, `starting_after` an object id, `has_more`:
        # https://docs.stripe.com/api/pagination
        limit = int(request.query_params.get("limit", "10"))
        if not 1 <= limit <= 100:
            return _error(
                400, "Invalid integer: limit must be between 1 and 100", param="limit"
            )
        after = request.query_params.get("starting_after")
        start = 0
        if after is not None:
            ids = [item["id"] for item in items]
            if after not in ids:
                return _error(400, f"No such object: '{after}'", param="starting_after")
            start = ids.index(after) + 1
        page = items[start : start + limit]
        return JSONResponse(
            {
                "object": "list",
                "url": url,
                "has_more": start + limit < len(items),
                "data": page,
            }
        )

    def _live(self) -> list[dict[str, Any]]:
        return [c for i, c in self.customers.items() if i not in self.deleted]

    async def list_customers(self, request: Request) -> Response:
        # GET /v1/customers?email= — exact, case-sensitive: https://docs.stripe.com/api/customers/list
        email = request.query_params.get("email")
        items = [c for c in self._live() if email is None or c["email"] == email]
        return self._list(request, items, "/v1/customers")

    async def search_customers(self, request: Request) -> Response:
        # GET /v1/customers/search?query=email:'…' — `:` is a case-insensitive exact
        # match; `page` / `next_page`: https://docs.stripe.com/search#search-query-language
        match = re.fullmatch(
            r"email:'((?:[^'\\]|\\.)*)'", request.query_params.get("query", "")
        )
        if match is None:
            return _error(400, "Invalid search query", param="query")
        wanted = re.sub(r"\\(.)", r"\1", match.group(1)).lower()
        indexed = self.customers.values() if self.search_lag else self._live()
        items = [c for c in indexed if c["email"].lower() == wanted]
        limit = int(request.query_params.get("limit", "10"))
        start = int(request.query_params.get("page", "0") or 0)
        more = start + limit < len(items)
        return JSONResponse(
            {
                "object": "search_result",
                "url": "/v1/customers/search",
                "has_more": more,
                "next_page": str(start + limit) if more else None,
                "data": items[start : start + limit],
            }
        )

    async def customer(self, request: Request) -> Response:
        # GET/DELETE /v1/customers/{id}; DELETE is permanent, cancels subscriptions and
        # leaves a deleted stub: https://docs.stripe.com/api/customers/delete
        customer_id = request.path_params["id"]
        gone = request.method == "DELETE" and customer_id in self.deleted
        if customer_id not in self.customers or gone:  # deleting twice: a 404
            return _error(
                404,
                f"No such customer: '{customer_id}'",
                code="resource_missing",
                param="id",
            )
        if request.method == "DELETE" or customer_id in self.deleted:
            if request.method == "DELETE":
                self.deleted.add(customer_id)
                for sub in self.owned.get("subscriptions", []):
                    if sub["customer"] == customer_id:
                        sub["status"] = "canceled"
            return JSONResponse(
                {"id": customer_id, "object": "customer", "deleted": True}
            )
        return JSONResponse(self.customers[customer_id])

    def owned_list(self, kind: str):
        # GET /v1/charges|invoices|subscriptions?customer=; subscriptions omit canceled
        # ones unless status=all: https://docs.stripe.com/api/subscriptions/list
        async def endpoint(request: Request) -> Response:
            customer = request.query_params.get("customer")
            items = [i for i in self.owned.get(kind, []) if i["customer"] == customer]
            if kind == "subscriptions" and request.query_params.get("status") != "all":
                items = [i for i in items if i.get("status") != "canceled"]
            return self._list(request, items, f"/v1/{kind}")

        return endpoint

    async def payment_methods(self, request: Request) -> Response:
        # GET /v1/customers/{id}/payment_methods: https://docs.stripe.com/api/payment_methods/customer_list
        customer = request.path_params["id"]
        items = [
            i
            for i in self.owned.get("payment_methods", [])
            if i["customer"] == customer
        ]
        return self._list(request, items, f"/v1/customers/{customer}/payment_methods")

    def _idempotent(self, request: Request) -> dict[str, Any] | None:
        # Idempotency-Key replays the first answer: https://docs.stripe.com/api/idempotent_requests
        return self.replies.get(request.headers.get("idempotency-key", ""))

    async def create_job(self, request: Request) -> Response:
        # POST /v1/privacy/redaction_jobs (form: objects[customers][]=…) → validating:
        # https://docs.stripe.com/api/privacy/redaction-job/create
        if (replayed := self._idempotent(request)) is not None:
            return JSONResponse(replayed)
        form = await request.form()
        objects = {
            kind: list(form.getlist(f"objects[{kind}][]"))
            for kind in ("customers", "charges", "invoices", "payment_intents")
        }
        job_id = self._id("prj")
        self.jobs[job_id] = {
            "id": job_id,
            "object": "privacy.redaction_job",
            "created": CREATED,
            "livemode": False,
            "status": "validating",
            "validation_behavior": "error",
            "objects": {k: v or None for k, v in objects.items()},
        }
        key = request.headers.get("idempotency-key")
        if key:
            self.replies[key] = dict(self.jobs[job_id])
        return JSONResponse(self.jobs[job_id])

    async def job(self, request: Request) -> Response:
        # GET /v1/privacy/redaction_jobs/{id}: validating → ready; redacting → succeeded
        # https://docs.stripe.com/api/privacy/redaction-job/retrieve
        job = self.jobs.get(request.path_params["id"])
        if job is None:
            return _error(404, "No such redaction job", code="resource_missing")
        if job["status"] == "validating":
            job["status"] = "ready"
        elif job["status"] == "redacting":
            self._redact(job)
            job["status"] = "succeeded"
        return JSONResponse(job)

    async def run_job(self, request: Request) -> Response:
        # POST …/{id}/run, only when ready → redacting:
        # https://docs.stripe.com/api/privacy/redaction-job/run
        job = self.jobs.get(request.path_params["id"])
        if job is None:
            return _error(404, "No such redaction job", code="resource_missing")
        if job["status"] != "ready":
            return _error(400, "The redaction job must be ready to run.")
        job["status"] = "redacting"
        return JSONResponse(job)

    def _redact(self, job: dict[str, Any]) -> None:
        # Personal fields become "[redacted]": https://docs.stripe.com/privacy/redaction
        for customer_id in job["objects"].get("customers") or []:
            customer = self.customers[customer_id]
            for key in ("email", "name", "phone"):
                customer[key] = REDACTED
            customer["address"] = dict.fromkeys(customer["address"], REDACTED)
        for kind in ("charges", "invoices"):
            ids = set(job["objects"].get(kind) or [])
            for item in self.owned.get(kind, []):
                if item["id"] in ids and "billing_details" in item:
                    item["billing_details"] = {"email": REDACTED}


def fanout_case(email: str) -> FanoutCase:
    """An account with `email`'s customer (a charge, an invoice), and Bob's."""
    fake = FakeStripe()
    ada = fake.add_customer(email, "Ada Lovelace")
    fake.add_charge(ada, 1200)
    fake.add_owned("invoices", ada, object="invoice", total=1200, customer_email=email)
    fake.add_charge(fake.add_customer("bob@example.com", "Bob"), 500)
    return FanoutCase(
        fake, {"api_key": "${STRIPE_API_KEY}"}, {"STRIPE_API_KEY": GOOD_KEY}
    )
