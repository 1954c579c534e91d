"""A fake Drip account (REST API v2) answering as developer.drip.com shows.

State: subscribers (one per address, looked up without case), their tags and campaign
subscriptions. Lists page by `page` + `per_page` with `meta.total_pages`; Drip has no
cursors.
"""

import base64
import itertools
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

ACCOUNT = "9999999"
GOOD_TOKEN = "drip-good-token"


def _errors(status: int, code: str, message: str) -> JSONResponse:
    # Errors: developer.drip.com/#errors — {"errors": [{"code", "message"}]}
    return JSONResponse({"errors": [{"code": code, "message": message}]}, status)


@dataclass
class FakeDrip(FakeApi):
    """One account; subscribers by id."""

    subscribers: dict[str, dict[str, Any]] = field(default_factory=dict)
    campaign_subscriptions: dict[str, list[dict[str, Any]]] = field(
        default_factory=dict
    )
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def add_subscriber(self, email: str, tags: list[str]) -> str:
        sid = f"z1togz2hcjrkpp5treip{next(self._ids):03d}"
        # Subscriber object: developer.drip.com/#subscribers
        self.subscribers[sid] = {
            "id": sid,
            "status": "active",
            "email": email,
            "first_name": "Ada" if "ada" in email.lower() else "Other",
            "last_name": None,
            "time_zone": "Europe/London",
            "utc_offset": 0,
            "ip_address": "192.0.2.7",
            "custom_fields": {"plan": "pro"},
            "tags": tags,
            "created_at": "2024-01-02T10:00:00Z",
            "href": f"https://api.getdrip.com/v2/{ACCOUNT}/subscribers/{sid}",
        }
        return sid

    def add_campaign_subscription(self, sid: str, campaign: int) -> None:
        # Campaign subscription object: developer.drip.com/#campaign-subscriptions
        self.campaign_subscriptions.setdefault(sid, []).append(
            {
                "id": f"cs{next(self._ids)}",
                "campaign_id": str(campaign),
                "status": "active",
                "is_complete": False,
                "lap": 1,
                "last_sent_email_index": 0,
                "subscriber_id": sid,
            }
        )

    def refuse(self, request: Request) -> Response | None:
        # Basic auth, API token as the user name, empty password: developer.drip.com/#authentication
        raw = base64.b64encode(f"{GOOD_TOKEN}:".encode()).decode()
        if request.headers.get("Authorization") == f"Basic {raw}":
            return None
        return _errors(401, "authentication_error", "You are not authenticated")

    def routes(self) -> list[Route]:
        prefix = "/v2/{account}/subscribers/{key}"
        return [
            Route("/v2/accounts/{account}", self.account),
            Route(prefix, self.subscriber, methods=["GET", "DELETE"]),
            Route(f"{prefix}/campaign_subscriptions", self.list_campaign_subscriptions),
            Route(f"{prefix}/unsubscribe_all", self.unsubscribe_all, methods=["POST"]),
        ]

    def too_many(self) -> Response:
        # 429 with the hourly limit and what is left: developer.drip.com/#rate-limiting
        # (no reset header, no Retry-After)
        response = _errors(429, "too_many_requests", "Slow down")
        response.headers.update(
            {"X-RateLimit-Limit": "3600", "X-RateLimit-Remaining": "0"}
        )
        return response

    def _find(self, request: Request) -> dict[str, Any] | None:
        if request.path_params["account"] != ACCOUNT:
            return None
        key = urllib.parse.unquote(request.path_params["key"])
        if key in self.subscribers:
            return self.subscribers[key]
        return next(
            (s for s in self.subscribers.values() if s["email"].lower() == key.lower()),
            None,
        )

    async def account(self, request: Request) -> Response:
        # Fetch an account: developer.drip.com/#accounts
        if request.path_params["account"] != ACCOUNT:
            return _errors(404, "not_found_error", "The account could not be found")
        return JSONResponse({"accounts": [{"id": ACCOUNT, "name": "Acme"}]})

    async def subscriber(self, request: Request) -> Response:
        # Fetch a subscriber by id or email / Delete a subscriber (204):
        # developer.drip.com/#fetch-a-subscriber, #delete-a-subscriber
        found = self._find(request)
        if found is None:
            return _errors(404, "not_found_error", "The subscriber could not be found")
        if request.method == "DELETE":
            del self.subscribers[found["id"]]
            self.campaign_subscriptions.pop(found["id"], None)
            return Response(status_code=204)
        return JSONResponse({"links": {}, "subscribers": [found]})

    async def list_campaign_subscriptions(self, request: Request) -> Response:
        # List a subscriber's campaign subscriptions: developer.drip.com/#campaign-subscriptions
        found = self._find(request)
        if found is None:
            return _errors(404, "not_found_error", "The subscriber could not be found")
        rows = self.campaign_subscriptions.get(found["id"], [])
        page = int(request.query_params.get("page", 1))
        per_page = min(int(request.query_params.get("per_page", 100)), 100)
        total_pages = max((len(rows) + per_page - 1) // per_page, 1)
        return JSONResponse(
            {
                "campaign_subscriptions": rows[(page - 1) * per_page : page * per_page],
                "meta": {
                    "page": page,
                    "count": len(rows[(page - 1) * per_page : page * per_page]),
                    "total_pages": total_pages,
                    "total_count": len(rows),
                },
            }
        )

    async def unsubscribe_all(self, request: Request) -> Response:
        # Unsubscribe from all mailings: developer.drip.com/#unsubscribe-from-all-mailings
        found = self._find(request)
        if found is None:
            return _errors(404, "not_found_error", "The subscriber could not be found")
        found["status"] = "unsubscribed"
        for subscription in self.campaign_subscriptions.get(found["id"], []):
            subscription["status"] = "unsubscribed"
        return JSONResponse({"links": {}, "subscribers": [found]})


def fanout_case(email: str) -> FanoutCase:
    """An account with `email`'s subscriber (tags, two campaigns), and Bob's."""
    fake = FakeDrip()
    ada = fake.add_subscriber(email, tags=["customer"])
    fake.add_campaign_subscription(ada, 1001)
    fake.add_campaign_subscription(ada, 1002)
    fake.add_campaign_subscription(fake.add_subscriber("bob@example.com", []), 1001)
    config = {"account_id": ACCOUNT, "api_token": "${DRIP_API_TOKEN}"}
    return FanoutCase(fake, config, {"DRIP_API_TOKEN": GOOD_TOKEN})
