"""A fake Zendesk Support account (API v2) answering as developer.zendesk.com shows.

State: users with identities, tickets with comments, soft-deleted users and tickets, and
background jobs (`job_statuses`) that finish when the test says (`finish_jobs`) or at
once (`jobs_finish_at_once`). Lists page by cursor (`page[size]`, `meta.has_more`,
`links.next`); user search by offset (`next_page`). `expire_cursors` refuses the next
cursors with a 400.
"""

import base64
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

AGENT = "agent@acme.invalid"
GOOD_TOKEN = "zd-good-token"


@dataclass
class FakeZendesk(FakeApi):
    """One account; every object by id."""

    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    identities: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    deleted_users: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted_tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs_finish_at_once: bool = True
    expire_cursors: int = 0
    generation: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(35000))

    def add_user(self, email: str, *, also: str | None = None) -> int:
        uid = next(self._ids)
        # User object: developer.zendesk.com/api-reference/ticketing/users/users/
        self.users[uid] = {
            "id": uid,
            "url": f"/api/v2/users/{uid}.json",
            "name": "Ada Lovelace" if "ada" in email.lower() else "Someone Else",
            "email": email,
            "phone": None,
            "role": "end-user",
            "time_zone": "London",
            "active": True,
            "user_fields": {"plan": "pro"},
        }
        # User identities: .../ticketing/users/user_identities/
        self.identities[uid] = [
            {"id": next(self._ids), "user_id": uid, "type": "email", "value": e}
            for e in (email, also)
            if e
        ]
        return uid

    def add_ticket(self, requester: int, subject: str, comments: int = 1) -> int:
        tid = next(self._ids)
        # Ticket object: .../ticketing/tickets/tickets/
        self.tickets[tid] = {
            "id": tid,
            "subject": subject,
            "description": f"{subject} (first message)",
            "status": "open",
            "requester_id": requester,
        }
        # Ticket comments: .../ticketing/tickets/ticket_comments/
        self.comments[tid] = [
            {
                "id": next(self._ids),
                "type": "Comment",
                "author_id": requester,
                "body": f"message {n}",
                "public": True,
            }
            for n in range(comments)
        ]
        return tid

    def refuse(self, request: Request) -> Response | None:
        # API token auth, Basic "{email}/token:{api_token}":
        # developer.zendesk.com/api-reference/introduction/security-and-auth/
        raw = base64.b64encode(f"{AGENT}/token:{GOOD_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") == f"Basic {raw}":
            return None
        return JSONResponse({"error": "Couldn't authenticate you"}, 401)

    def routes(self) -> list[Route]:
        return [
            Route("/api/v2/users/me", self.me),
            Route("/api/v2/users/search", self.search_users),
            Route("/api/v2/users/{uid:int}", self.delete_user, methods=["DELETE"]),
            Route("/api/v2/users/{uid:int}/identities", self.list_identities),
            Route("/api/v2/users/{uid:int}/tickets/requested", self.list_requested),
            Route("/api/v2/tickets/{tid:int}", self.delete_ticket, methods=["DELETE"]),
            Route("/api/v2/tickets/{tid:int}/comments", self.list_comments),
            Route("/api/v2/deleted_users", self.list_deleted_users),
            Route(
                "/api/v2/deleted_users/{uid:int}",
                self.purge_user,
                methods=["DELETE"],
            ),
            Route(
                "/api/v2/deleted_tickets/destroy_many",
                self.purge_tickets,
                methods=["DELETE"],
            ),
            Route("/api/v2/job_statuses/{jid}", self.job_status),
        ]

    def too_many(self) -> Response:
        # 429 with Retry-After and the account's limit headers:
        # .../introduction/rate-limits/ and the best-practices page
        headers = {
            "Retry-After": "1",
            "X-Rate-Limit": "200",
            "X-Rate-Limit-Remaining": "0",
            "ratelimit-limit": "200",
            "ratelimit-remaining": "0",
            "ratelimit-reset": "1",
        }
        return JSONResponse({"error": "TooManyRequests"}, 429, headers=headers)

    # Cursor pagination: .../introduction/pagination/ (page[size] ≤ 100, page[after]).
    def _cursor(self, offset: int) -> str:
        return base64.b64encode(json.dumps([self.generation, offset]).encode()).decode()

    def _cursor_page(
        self, request: Request, key: str, rows: list[dict[str, Any]]
    ) -> Response:
        size = min(int(request.query_params.get("page[size]", 100)), 100)
        offset = 0
        if after := request.query_params.get("page[after]"):
            if self.expire_cursors > 0:
                self.expire_cursors -= 1
                self.generation += 1
            generation, offset = json.loads(base64.b64decode(after))
            if generation != self.generation:
                body = {
                    "error": "InvalidPaginationParameter",
                    "description": "page[after] is not valid",
                }
                return JSONResponse(body, 400)
        page = rows[offset : offset + size]
        more = offset + size < len(rows)
        cursor = self._cursor(offset + size)
        base = f"{self.url}{request.url.path}"
        return JSONResponse(
            {
                key: page,
                "meta": {"has_more": more, "after_cursor": cursor if more else None},
                "links": {
                    "next": f"{base}?page%5Bsize%5D={size}&page%5Bafter%5D={cursor}"
                    if more
                    else None
                },
            }
        )

    async def me(self, request: Request) -> Response:
        # Show the currently authenticated user: .../users/users/#show-self
        return JSONResponse({"user": {"id": 1, "email": AGENT, "role": "admin"}})

    async def search_users(self, request: Request) -> Response:
        # Search users: .../users/users/#search-users — `query` matches the emails of
        # all identities; offset pages with a `next_page` URL. Compared without case
        # here (Zendesk keeps addresses lower-cased; not stated on that page).
        query = request.query_params.get("query", "")
        value = query.removeprefix("email:").lower()
        rows = [
            u
            for uid, u in self.users.items()
            if any(i["value"].lower() == value for i in self.identities.get(uid, []))
        ]
        page = int(request.query_params.get("page", 1))
        per_page = int(request.query_params.get("per_page", 100))
        start = (page - 1) * per_page
        following = None
        if start + per_page < len(rows):
            following = f"{self.url}/api/v2/users/search?query={query}&page={page + 1}&per_page={per_page}"
        return JSONResponse(
            {
                "users": rows[start : start + per_page],
                "count": len(rows),
                "next_page": following,
                "previous_page": None,
            }
        )

    async def list_identities(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        if uid not in self.users:
            return JSONResponse({"error": "RecordNotFound"}, 404)
        return self._cursor_page(request, "identities", self.identities.get(uid, []))

    async def list_requested(self, request: Request) -> Response:
        # Requested tickets: .../tickets/tickets/#list-tickets (users/{id}/tickets/requested)
        uid = request.path_params["uid"]
        if uid not in self.users:
            return JSONResponse({"error": "RecordNotFound"}, 404)
        rows = [t for t in self.tickets.values() if t["requester_id"] == uid]
        return self._cursor_page(request, "tickets", rows)

    async def list_comments(self, request: Request) -> Response:
        tid = request.path_params["tid"]
        if tid not in self.tickets:
            return JSONResponse({"error": "RecordNotFound"}, 404)
        return self._cursor_page(request, "comments", self.comments.get(tid, []))

    async def delete_user(self, request: Request) -> Response:
        # Delete user (soft): .../users/users/#delete-user — 200 with active: false.
        user = self.users.pop(request.path_params["uid"], None)
        if user is None:
            return JSONResponse({"error": "RecordNotFound"}, 404)
        self.deleted_users[user["id"]] = {**user, "active": False}
        return JSONResponse({"user": self.deleted_users[user["id"]]})

    async def list_deleted_users(self, request: Request) -> Response:
        # List deleted users: .../users/users/#list-deleted-users — permanently deleted
        # ones have email null and name "Permanently Deleted User".
        return self._cursor_page(
            request, "deleted_users", list(self.deleted_users.values())
        )

    async def purge_user(self, request: Request) -> Response:
        # Permanently delete user: .../users/users/#permanently-delete-user — only a
        # deleted user; 404 for a live or an already purged one.
        uid = request.path_params["uid"]
        user = self.deleted_users.get(uid)
        if user is None or user["email"] is None:
            return JSONResponse({"error": "RecordNotFound"}, 404)
        self.deleted_users[uid] = {
            "id": uid,
            "name": "Permanently Deleted User",
            "email": None,
            "phone": None,
            "active": False,
        }
        self.identities.pop(uid, None)
        return JSONResponse({"deleted_user": self.deleted_users[uid]})

    async def delete_ticket(self, request: Request) -> Response:
        # Delete ticket (soft, 30 days in Deleted tickets): .../tickets/#delete-ticket
        ticket = self.tickets.pop(request.path_params["tid"], None)
        if ticket is None:
            return JSONResponse({"error": "RecordNotFound"}, 404)
        self.deleted_tickets[ticket["id"]] = ticket
        return Response(status_code=204)

    async def purge_tickets(self, request: Request) -> Response:
        # Delete multiple tickets permanently: .../tickets/#delete-multiple-tickets-
        # permanently — returns a job_status; the purge happens in the background.
        ids = [int(i) for i in request.query_params["ids"].split(",")]
        jid = f"8b726e60{next(self._ids)}"
        self.jobs[jid] = {"id": jid, "status": "queued", "ids": ids, "total": len(ids)}
        if self.jobs_finish_at_once:
            self._finish(jid)
        return JSONResponse({"job_status": self._job(jid)})

    def _finish(self, jid: str) -> None:
        for tid in self.jobs[jid]["ids"]:
            self.deleted_tickets.pop(tid, None)
            self.comments.pop(tid, None)
        self.jobs[jid]["status"] = "completed"

    def finish_jobs(self) -> None:
        for jid, job in self.jobs.items():
            if job["status"] != "completed":
                self._finish(jid)

    def _job(self, jid: str) -> dict[str, Any]:
        job = self.jobs[jid]
        return {
            "id": jid,
            "url": f"{self.url}/api/v2/job_statuses/{jid}.json",
            "status": job["status"],
            "total": job["total"],
            "progress": job["total"] if job["status"] == "completed" else 0,
        }

    async def job_status(self, request: Request) -> Response:
        # Show job status: .../ticketing/ticket-management/job_statuses/
        jid = request.path_params["jid"]
        if jid not in self.jobs:
            return JSONResponse({"error": "RecordNotFound"}, 404)
        return JSONResponse({"job_status": self._job(jid)})

    def holds(self, email: str) -> bool:
        """Whether any live or soft-deleted user still has the address."""
        every = [*self.users.values(), *self.deleted_users.values()]
        return any((u["email"] or "").lower() == email.lower() for u in every)


def fanout_case(email: str) -> FanoutCase:
    """An account with `email`'s user (two tickets), and Bob's."""
    fake = FakeZendesk()
    ada = fake.add_user(email)
    fake.add_ticket(ada, "engine question", comments=2)
    fake.add_ticket(ada, "invoice question")
    fake.add_ticket(fake.add_user("bob@example.com"), "Bob's ticket")
    config = {
        "subdomain": "acme",
        "email": AGENT,
        "api_token": "${ZENDESK_API_TOKEN}",
    }
    return FanoutCase(fake, config, {"ZENDESK_API_TOKEN": GOOD_TOKEN})
