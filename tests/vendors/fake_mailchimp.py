"""A fake Mailchimp Marketing API v3 answering as mailchimp.com/developer documents it.

State: audiences, each with members keyed by the MD5 of the lower-cased address (the
address itself is kept as written), and each member's notes, tags, events and activity.
`delete-permanent` removes the member for good; the plain `DELETE` only archives it
(status `archived`), so a test can tell which was used. Errors are problem+json.
"""

import base64
import hashlib
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

GOOD_KEY = "0123456789abcdef0123456789abcdef-us6"
ERRORS_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"
NOW = "2026-11-30T10:00:00+00:00"
MEMBER = "/3.0/lists/{list_id}/members/{hash}"


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    # Errors are problem documents: https://mailchimp.com/developer/marketing/docs/errors/
    body = {
        "type": ERRORS_DOC,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    return JSONResponse(body, status, media_type="application/problem+json")


def _md5(email: str) -> str:
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


@dataclass
class FakeMailchimp(FakeApi):
    """One Mailchimp account: audiences, members and their related collections."""

    audiences: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    parts: dict[tuple[str, str, str], list[dict[str, Any]]] = field(
        default_factory=dict
    )
    forgotten: set[tuple[str, str]] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # --- seeding ---

    def add_audience(self, name: str) -> str:
        list_id = f"a{next(self._ids):09x}"
        self.audiences[list_id] = {
            "id": list_id,
            "web_id": next(self._ids),
            "name": name,
            "date_created": NOW,
            "stats": {"member_count": 0},
        }
        return list_id

    def add_member(self, list_id: str, email: str, status: str = "subscribed") -> str:
        member_hash = _md5(email)
        # Member shape: https://mailchimp.com/developer/marketing/api/list-members/get-member-info/
        self.members[(list_id, member_hash)] = {
            "id": member_hash,
            "email_address": email,
            "unique_email_id": uuid.uuid4().hex[:10],
            "contact_id": uuid.uuid4().hex,
            "full_name": email.split("@")[0],
            "email_type": "html",
            "status": status,
            "merge_fields": {"FNAME": email.split(".")[0], "LNAME": ""},
            "ip_signup": "192.0.2.10",
            "timestamp_signup": NOW,
            "location": {"country_code": "GB", "timezone": "Europe/London"},
            "last_changed": NOW,
            "list_id": list_id,
            "tags": [],
            "_links": [{"rel": "self", "href": "https://us6.api.mailchimp.com/3.0/"}],
        }
        return member_hash

    def add_part(
        self, list_id: str, email: str, part: str, item: dict[str, Any]
    ) -> None:
        self.parts.setdefault((list_id, _md5(email), part), []).append(item)

    def status_of(self, list_id: str, email: str) -> str | None:
        member = self.members.get((list_id, _md5(email)))
        return None if member is None else member["status"]

    # --- FakeApi ---

    def refuse(self, request: Request) -> Response | None:
        # Basic auth, any user name, the API key as password:
        # https://mailchimp.com/developer/marketing/docs/fundamentals/#api-structure
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        try:
            _, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            password = ""
        if scheme.lower() != "basic" or password != GOOD_KEY:
            return _problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the "
                "wrong datacenter.",
            )
        return None

    def too_many(self) -> Response:
        # Over 10 simultaneous connections: 429, no rate headers, no Retry-After:
        # https://mailchimp.com/developer/marketing/docs/fundamentals/#throttling
        return _problem(
            429,
            "Too Many Requests",
            "You have exceeded the limit of 10 simultaneous connections.",
        )

    def server_error(self) -> Response:
        return _problem(500, "Internal Server Error", "An unexpected error occurred.")

    def routes(self) -> Sequence[Route]:
        return [
            Route("/3.0/ping", self.ping, methods=["GET"]),
            Route("/3.0/lists", self.lists, methods=["GET"]),
            Route(
                MEMBER + "/actions/delete-permanent",
                self.delete_permanent,
                methods=["POST"],
            ),
            Route(MEMBER + "/{part}", self.member_part, methods=["GET"]),
            Route(MEMBER, self.member, methods=["GET", "PATCH", "DELETE"]),
        ]

    # --- handlers ---

    @staticmethod
    def _window(request: Request) -> tuple[int, int]:
        count = min(int(request.query_params.get("count", "10")), 1000)
        return count, int(request.query_params.get("offset", "0"))

    async def ping(self, request: Request) -> Response:
        # GET /ping: https://mailchimp.com/developer/marketing/api/ping/
        return JSONResponse({"health_status": "Everything's Chimpy!"})

    async def lists(self, request: Request) -> Response:
        # GET /lists?count&offset → {lists, total_items}:
        # https://mailchimp.com/developer/marketing/api/lists/get-lists-info/
        count, offset = self._window(request)
        every = list(self.audiences.values())
        return JSONResponse(
            {"lists": every[offset : offset + count], "total_items": len(every)}
        )

    def _missing(self) -> Response:
        return _problem(
            404, "Resource Not Found", "The requested resource could not be found."
        )

    async def member(self, request: Request) -> Response:
        # GET/PATCH/DELETE /lists/{list_id}/members/{subscriber_hash}; DELETE archives:
        # https://mailchimp.com/developer/marketing/api/list-members/
        key = (request.path_params["list_id"], request.path_params["hash"])
        member = self.members.get(key)
        if member is None:
            return self._missing()
        if request.method == "DELETE":
            member["status"] = "archived"
            return Response(status_code=204)
        if request.method == "PATCH":
            changes = await request.json()
            if changes.get("status") not in (
                None,
                "subscribed",
                "unsubscribed",
                "cleaned",
                "pending",
                "transactional",
            ):
                return _problem(
                    400,
                    "Invalid Resource",
                    "The resource submitted could not be validated.",
                )
            member.update(changes)
            member["last_changed"] = NOW
        return JSONResponse(member)

    async def member_part(self, request: Request) -> Response:
        # GET …/notes, /tags, /events, /activity-feed, each with count/offset and
        # total_items: https://mailchimp.com/developer/marketing/api/list-member-activity-feed/
        # https://mailchimp.com/developer/marketing/api/list-member-notes/
        # https://mailchimp.com/developer/marketing/api/list-member-tags/
        # https://mailchimp.com/developer/marketing/api/list-member-events/
        key = (request.path_params["list_id"], request.path_params["hash"])
        part = request.path_params["part"]
        names = {
            "notes": "notes",
            "tags": "tags",
            "events": "events",
            "activity-feed": "activity",
        }
        if key not in self.members or part not in names:
            return self._missing()
        items = self.parts.get((*key, part), [])
        count, offset = self._window(request)
        return JSONResponse(
            {
                names[part]: items[offset : offset + count],
                "total_items": len(items),
                "list_id": key[0],
                "email_id": key[1],
            }
        )

    async def delete_permanent(self, request: Request) -> Response:
        # POST …/actions/delete-permanent → 204; the address cannot be re-imported:
        # https://mailchimp.com/developer/marketing/api/list-members/delete-list-member/
        key = (request.path_params["list_id"], request.path_params["hash"])
        if self.members.pop(key, None) is None:
            return self._missing()
        for part_key in [k for k in self.parts if k[:2] == key]:
            del self.parts[part_key]
        self.forgotten.add(key)
        return Response(status_code=204)


def fanout_case(email: str) -> FanoutCase:
    """An account whose two audiences hold `email` (one with a note), and Bob."""
    fake = FakeMailchimp()
    news = fake.add_audience("Newsletter")
    shop = fake.add_audience("Shop customers")
    fake.add_member(news, email)
    fake.add_member(shop, email)
    fake.add_part(news, email, "notes", {"id": 1, "note": "Prefers weekly"})
    fake.add_member(news, "bob@example.com")
    return FanoutCase(
        fake,
        {"api_key": "${MAILCHIMP_API_KEY}"},
        {"MAILCHIMP_API_KEY": GOOD_KEY},
        path="/3.0",
    )
