"""A fake Kit API v4 answering as developers.kit.com documents it.

State: subscribers (one per address, stored lower-cased, in a state: active, inactive,
bounced, complained or cancelled), their custom fields and tags. There is no delete, as
in Kit; `unsubscribe` moves a subscriber to `cancelled`. Cursors are base64 JSON, as
Kit's look, and can be expired with `expire_cursors`. Errors are `{"errors": [...]}`.
"""

import base64
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

GOOD_KEY = "kit_good_0123456789abcdef"
NOW = "2026-11-30T10:00:00Z"
STATES = ("active", "inactive", "bounced", "complained", "cancelled")


def _errors(status: int, *messages: str) -> JSONResponse:
    # Error body {"errors": [...]}: https://developers.kit.com/api-reference/response-codes
    return JSONResponse({"errors": list(messages)}, status)


def _cursor(position: int) -> str:
    return base64.b64encode(json.dumps([position]).encode()).decode()


@dataclass
class FakeKit(FakeApi):
    """One Kit account."""

    subscribers: dict[int, dict[str, Any]] = field(default_factory=dict)
    tags: dict[int, dict[str, Any]] = field(default_factory=dict)
    tagged: dict[int, list[int]] = field(default_factory=dict)  # subscriber -> tags
    _ids: Any = field(default_factory=lambda: itertools.count(16000))
    _expired: bool = False

    # --- seeding ---

    def add_subscriber(self, email: str, first_name: str, state: str = "active") -> int:
        # Subscriber shape: https://developers.kit.com/api-reference/subscribers/list-subscribers
        subscriber_id = next(self._ids)
        self.subscribers[subscriber_id] = {
            "id": subscriber_id,
            "first_name": first_name,
            "email_address": email.lower(),
            "state": state,
            "created_at": NOW,
            "fields": {"city": "London", "company": f"{first_name} Ltd"},
        }
        return subscriber_id

    def tag(self, subscriber_id: int, name: str) -> int:
        tag_id = next(self._ids)
        self.tags[tag_id] = {"id": tag_id, "name": name, "created_at": NOW}
        self.tagged.setdefault(subscriber_id, []).append(tag_id)
        return tag_id

    def expire_cursors(self) -> None:
        """Refuse every cursor handed out so far."""
        self._expired = True

    # --- FakeApi ---

    def refuse(self, request: Request) -> Response | None:
        # X-Kit-Api-Key: https://developers.kit.com/api-reference/authentication
        if request.headers.get("x-kit-api-key") != GOOD_KEY:
            return _errors(401, "The API key is invalid")
        return None

    def too_many(self) -> Response:
        # 429 with no documented headers; clients back off exponentially:
        # https://developers.kit.com/api-reference/response-codes
        return _errors(429, "Rate limit exceeded. Please slow down your requests.")

    def server_error(self) -> Response:
        return _errors(500, "Something went wrong on our end")

    def routes(self) -> Sequence[Route]:
        return [
            Route("/v4/account", self.account, methods=["GET"]),
            Route("/v4/subscribers", self.list_subscribers, methods=["GET"]),
            Route("/v4/subscribers/{id:int}", self.update_subscriber, methods=["PUT"]),
            Route(
                "/v4/subscribers/{id:int}/tags", self.subscriber_tags, methods=["GET"]
            ),
            Route(
                "/v4/subscribers/{id:int}/unsubscribe",
                self.unsubscribe,
                methods=["POST"],
            ),
            Route(
                "/v4/tags/{tag:int}/subscribers/{id:int}",
                self.remove_tag,
                methods=["DELETE"],
            ),
        ]

    # --- handlers ---

    def _page(self, request: Request, key: str, items: list[Any]) -> Response:
        """`per_page` (≤ 1000) and `after`; `pagination` with `end_cursor`."""
        per_page = min(int(request.query_params.get("per_page", "500")), 1000)
        after = request.query_params.get("after")
        start = 0
        if after is not None:
            if self._expired:
                return _errors(422, "The cursor is invalid or has expired")
            try:
                start = json.loads(base64.b64decode(after))[0]
            except (ValueError, IndexError, TypeError):
                return _errors(422, "The cursor is invalid or has expired")
        chunk = items[start : start + per_page]
        end = start + len(chunk)
        return JSONResponse(
            {
                key: chunk,
                "pagination": {
                    "has_previous_page": start > 0,
                    "has_next_page": end < len(items),
                    "start_cursor": _cursor(start),
                    "end_cursor": _cursor(end),
                    "per_page": per_page,
                },
            }
        )

    async def account(self, request: Request) -> Response:
        # GET /v4/account: https://developers.kit.com/api-reference/accounts/get-current-account
        return JSONResponse(
            {
                "user": {"email": "owner@example.org"},
                "account": {"id": 1, "name": "Acme"},
            }
        )

    async def list_subscribers(self, request: Request) -> Response:
        # GET /v4/subscribers?email_address=a,b&status=all (default: active only):
        # https://developers.kit.com/api-reference/subscribers/list-subscribers
        wanted = {
            e for e in request.query_params.get("email_address", "").split(",") if e
        }
        status = request.query_params.get("status", "active")
        if status != "all" and status not in STATES:
            return _errors(422, "status is not valid")
        items = [
            s
            for s in self.subscribers.values()
            if (not wanted or s["email_address"] in wanted)
            and (status == "all" or s["state"] == status)
        ]
        return self._page(request, "subscribers", items)

    async def update_subscriber(self, request: Request) -> Response:
        # PUT /v4/subscribers/{id} {email_address, first_name, fields}:
        # https://developers.kit.com/api-reference/subscribers/update-a-subscriber
        subscriber = self.subscribers.get(request.path_params["id"])
        if subscriber is None:
            return _errors(404, "Not Found")
        body = await request.json()
        for key in ("email_address", "first_name"):
            if key in body:
                subscriber[key] = body[key]
        subscriber["fields"].update(body.get("fields") or {})
        return JSONResponse({"subscriber": subscriber})

    async def subscriber_tags(self, request: Request) -> Response:
        # GET /v4/subscribers/{id}/tags: https://developers.kit.com/api-reference/subscribers/list-tags-for-a-subscriber
        subscriber_id = request.path_params["id"]
        if subscriber_id not in self.subscribers:
            return _errors(404, "Not Found")
        items = [
            {"id": t, "name": self.tags[t]["name"], "tagged_at": NOW}
            for t in self.tagged.get(subscriber_id, [])
        ]
        return self._page(request, "tags", items)

    async def unsubscribe(self, request: Request) -> Response:
        # POST /v4/subscribers/{id}/unsubscribe → 204:
        # https://developers.kit.com/api-reference/subscribers/unsubscribe-subscriber
        subscriber = self.subscribers.get(request.path_params["id"])
        if subscriber is None:
            return _errors(404, "Not Found")
        subscriber["state"] = "cancelled"
        return Response(status_code=204)

    async def remove_tag(self, request: Request) -> Response:
        # DELETE /v4/tags/{tag_id}/subscribers/{id} → 204:
        # https://developers.kit.com/api-reference/tags/remove-tag-from-subscriber
        tags = self.tagged.get(request.path_params["id"], [])
        if request.path_params["tag"] not in tags:
            return _errors(404, "Not Found")
        tags.remove(request.path_params["tag"])
        return Response(status_code=204)


def fanout_case(email: str) -> FanoutCase:
    """An account with `email`'s subscriber (two tags), and Bob's."""
    fake = FakeKit()
    ada = fake.add_subscriber(email, "Ada")
    fake.tag(ada, "customer")
    fake.tag(ada, "engines")
    fake.tag(fake.add_subscriber("bob@example.com", "Bob"), "customer")
    return FanoutCase(fake, {"api_key": "${KIT_API_KEY}"}, {"KIT_API_KEY": GOOD_KEY})
