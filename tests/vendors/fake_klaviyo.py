"""A fake Klaviyo account (JSON:API REST API) answering as developers.klaviyo.com shows.

State: profiles with email consent, list and segment memberships, events; queued GDPR
deletion jobs that run only when the test says (`process_deletions`), as Klaviyo runs
them in the background with no status to read. Lists page by `page[cursor]` with
`links.next`; `expire_cursors` makes the next cursors be refused with a 400.
"""

import base64
import itertools
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

GOOD_KEY = "pk_good_0123456789"
FILTER = re.compile(r'^equals\((\w+),"(.*)"\)$')


def _errors(status: int, code: str, title: str, detail: str) -> JSONResponse:
    # Error shape (JSON:API errors): developers.klaviyo.com/en/docs/rate_limits_and_error_handling
    body = {
        "errors": [
            {
                "id": "e4eebb08-b055-4a6f-bb13-c8cb69c9eb94",
                "status": status,
                "code": code,
                "title": title,
                "detail": detail,
                "source": {"pointer": "/data/"},
            }
        ]
    }
    return JSONResponse(body, status, media_type="application/vnd.api+json")


@dataclass
class FakeKlaviyo(FakeApi):
    """One account; profiles by id, memberships and events by profile id."""

    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    deletion_jobs: list[dict[str, Any]] = field(default_factory=list)
    expire_cursors: int = 0
    generation: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def add_profile(self, email: str, consent: str = "SUBSCRIBED") -> str:
        pid = f"01GDDKASAP8TKDDA2GRZDSVP{next(self._ids):02d}"
        # Profile resource: developers.klaviyo.com/en/reference/get_profiles
        self.profiles[pid] = {
            "type": "profile",
            "id": pid,
            "attributes": {
                "email": email,
                "phone_number": None,
                "first_name": "Ada" if "ada" in email.lower() else "Other",
                "last_name": None,
                "location": {"city": "London", "country": "UK"},
                "properties": {"plan": "pro"},
                "subscriptions": {
                    "email": {
                        "marketing": {
                            "can_receive_email_marketing": consent == "SUBSCRIBED",
                            "consent": consent,
                        }
                    }
                },
            },
        }
        return pid

    def add_event(self, pid: str, metric: str) -> None:
        eid = f"4vRpBT{next(self._ids):05d}"
        # Event resource: developers.klaviyo.com/en/reference/get_events
        self.events.append(
            {
                "type": "event",
                "id": eid,
                "attributes": {
                    "timestamp": 1700000000,
                    "datetime": "2023-11-14T22:13:20+00:00",
                    "event_properties": {"metric": metric},
                },
                "relationships": {"profile": {"data": {"type": "profile", "id": pid}}},
            }
        )

    def refuse(self, request: Request) -> Response | None:
        # Private key auth: developers.klaviyo.com/en/docs/authenticate_
        if request.headers.get("Authorization") == f"Klaviyo-API-Key {GOOD_KEY}":
            return None
        return _errors(
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
            "Missing or invalid private key.",
        )

    def routes(self) -> list[Route]:
        return [
            Route("/api/profiles", self.get_profiles),
            Route("/api/profiles/{pid}", self.get_profile),
            Route("/api/profiles/{pid}/{what}", self.get_memberships),
            Route("/api/events", self.get_events),
            Route(
                "/api/data-privacy-deletion-jobs",
                self.request_deletion,
                methods=["POST"],
            ),
            Route(
                "/api/profile-subscription-bulk-delete-jobs",
                self.unsubscribe,
                methods=["POST"],
            ),
        ]

    def too_many(self) -> Response:
        # 429 with Retry-After and the RateLimit-* headers:
        # developers.klaviyo.com/en/docs/rate_limits_and_error_handling
        response = _errors(429, "throttled", "Throttled", "Request was throttled.")
        response.headers.update(
            {
                "Retry-After": "1",
                "RateLimit-Limit": "75",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": "1",
            }
        )
        return response

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        # Cursor pagination: developers.klaviyo.com/en/reference/api_overview#pagination
        if request.headers.get("revision") is None:
            return _errors(400, "invalid", "Invalid input.", "revision is required")
        size = min(int(request.query_params.get("page[size]", 20)), 100)
        offset = 0
        if cursor := request.query_params.get("page[cursor]"):
            if self.expire_cursors > 0:
                self.expire_cursors -= 1
                self.generation += 1
            generation, offset = json.loads(base64.b64decode(cursor))
            if generation != self.generation:
                return _errors(400, "invalid", "Invalid input.", "Invalid page cursor")
        following = None
        if offset + size < len(rows):
            token = base64.b64encode(
                json.dumps([self.generation, offset + size]).encode()
            ).decode()
            params = {
                k: v for k, v in request.query_params.items() if k != "page[cursor]"
            }
            query = urllib.parse.urlencode({**params, "page[cursor]": token})
            following = f"{self.url}{request.url.path}?{query}"
        return JSONResponse(
            {
                "data": rows[offset : offset + size],
                "links": {"self": str(request.url), "next": following, "prev": None},
            },
            media_type="application/vnd.api+json",
        )

    @staticmethod
    def _filter(request: Request) -> tuple[str, str] | None:
        found = FILTER.match(request.query_params.get("filter", ""))
        return (found.group(1), found.group(2)) if found else None

    def _shown(self, profile: dict[str, Any], request: Request) -> dict[str, Any]:
        # `subscriptions` only with additional-fields[profile]=subscriptions.
        extra = request.query_params.get("additional-fields[profile]", "")
        if "subscriptions" in extra:
            return profile
        attributes = {
            k: v for k, v in profile["attributes"].items() if k != "subscriptions"
        }
        return {**profile, "attributes": attributes}

    async def get_profiles(self, request: Request) -> Response:
        # Get profiles with filter=equals(email,"…"): .../reference/get_profiles
        wanted = self._filter(request)
        rows = [
            self._shown(p, request)
            for p in self.profiles.values()
            if wanted is None or p["attributes"].get(wanted[0]) == wanted[1]
        ]
        return self._page(request, rows)

    async def get_profile(self, request: Request) -> Response:
        # Get profile: .../reference/get_profile (404 once deleted)
        profile = self.profiles.get(request.path_params["pid"])
        if profile is None:
            return _errors(404, "not_found", "Not found.", "Profile not found")
        return JSONResponse({"data": self._shown(profile, request)})

    async def get_memberships(self, request: Request) -> Response:
        # Get profile lists / segments: .../reference/get_lists_for_profile
        pid, what = request.path_params["pid"], request.path_params["what"]
        if pid not in self.profiles or what not in ("lists", "segments"):
            return _errors(404, "not_found", "Not found.", "Not found")
        rows = [m for m in self.lists.get(pid, []) if m["type"] == what[:-1]]
        return self._page(request, rows)

    async def get_events(self, request: Request) -> Response:
        # Get events with filter=equals(profile_id,"…"): .../reference/get_events
        wanted = self._filter(request)
        rows = [
            e
            for e in self.events
            if wanted is None
            or e["relationships"]["profile"]["data"]["id"] == wanted[1]
        ]
        return self._page(request, rows)

    async def request_deletion(self, request: Request) -> Response:
        # Request profile deletion: .../reference/request_profile_deletion — exactly
        # one of email, phone_number or id; 202, deleted later in the background.
        data = (await request.json())["data"]
        profile = data["attributes"]["profile"]["data"]
        self.deletion_jobs.append(
            {"id": profile.get("id"), **(profile.get("attributes") or {})}
        )
        return Response(status_code=202)

    def process_deletions(self) -> None:
        """Run the queued deletion jobs, as Klaviyo does later."""
        for job in self.deletion_jobs:
            doomed = [
                pid
                for pid, p in self.profiles.items()
                if pid == job.get("id")
                or (job.get("email") and p["attributes"]["email"] == job.get("email"))
            ]
            for pid in doomed:
                del self.profiles[pid]
                self.lists.pop(pid, None)
                self.events = [
                    e
                    for e in self.events
                    if e["relationships"]["profile"]["data"]["id"] != pid
                ]
        self.deletion_jobs.clear()

    async def unsubscribe(self, request: Request) -> Response:
        # Bulk unsubscribe profiles: .../reference/bulk_unsubscribe_profiles — without
        # a list, a global unsubscribe; an unknown address gets a new profile.
        data = (await request.json())["data"]
        for entry in data["attributes"]["profiles"]["data"]:
            email = entry["attributes"]["email"]
            match = [
                p for p in self.profiles.values() if p["attributes"]["email"] == email
            ]
            if not match:
                match = [self.profiles[self.add_profile(email)]]
            for profile in match:
                marketing = profile["attributes"]["subscriptions"]["email"]["marketing"]
                marketing.update(
                    {"consent": "UNSUBSCRIBED", "can_receive_email_marketing": False}
                )
        return Response(status_code=202)

    def consents(self) -> dict[str, str]:
        return {
            p["attributes"]["email"]: p["attributes"]["subscriptions"]["email"][
                "marketing"
            ]["consent"]
            for p in self.profiles.values()
        }


def fanout_case(email: str) -> FanoutCase:
    """An account with `email`'s profile (two events, a list), and Bob's; deletion
    jobs run once the erasure was requested (`later`), as Klaviyo runs them."""
    fake = FakeKlaviyo()
    ada = fake.add_profile(email)
    fake.add_event(ada, "Opened Email")
    fake.add_event(ada, "Placed Order")
    fake.lists[ada] = [
        {"type": "list", "id": "Y6nRLr", "attributes": {"name": "Newsletter"}}
    ]
    fake.add_event(fake.add_profile("bob@example.com"), "Clicked")
    return FanoutCase(
        fake,
        {"api_key": "${KLAVIYO_API_KEY}"},
        {"KLAVIYO_API_KEY": GOOD_KEY},
        later=fake.process_deletions,
    )
