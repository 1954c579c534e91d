"""A fake Intercom workspace (REST API 2.x) answering as developers.intercom.com shows.

State: contacts (users and leads) with notes, tags and companies; conversations with their
parts. Search pages carry an opaque `starting_after` cursor; `expire_cursors` makes the next
cursors be refused with a 400, as a cursor from an old result set is.
"""

import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

GOOD_TOKEN = "ic-good-token"


def _errors(code: str, message: str, status: int) -> JSONResponse:
    # Error objects: developers.intercom.com/docs/references/rest-api/errors/error-objects
    body = {
        "type": "error.list",
        "request_id": "b1c2d3",
        "errors": [{"code": code, "message": message}],
    }
    return JSONResponse(body, status)


@dataclass
class FakeIntercom(FakeApi):
    """One workspace: contacts by id, conversations by id."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tags: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    expire_cursors: int = 0
    generation: int = 0  # cursors of older generations are expired
    _ids: Any = field(default_factory=lambda: itertools.count(100))

    def add_contact(self, email: str, role: str = "user") -> str:
        cid = f"6{next(self._ids):05d}"
        # Contact object: .../rest-api/api.intercom.io/contacts/contact
        self.contacts[cid] = {
            "type": "contact",
            "id": cid,
            "workspace_id": "ecahpwf5",
            "external_id": None,
            "role": role,
            "email": email,
            "name": "Ada Lovelace" if "ada" in email.lower() else "Someone Else",
            "phone": None,
            "unsubscribed_from_emails": False,
            "custom_attributes": {"plan": "pro"},
            "created_at": 1700000000,
        }
        return cid

    def add_note(self, cid: str, body: str) -> None:
        nid = str(next(self._ids))
        self.notes.setdefault(cid, []).append(
            {"type": "note", "id": nid, "body": f"<p>{body}</p>", "created_at": 1}
        )

    def add_conversation(self, cid: str, text: str) -> str:
        vid = str(next(self._ids))
        # Conversation object with parts: .../conversations/retrieveconversation
        self.conversations[vid] = {
            "type": "conversation",
            "id": vid,
            "created_at": 1700000100,
            "state": "closed",
            "source": {"type": "conversation", "body": f"<p>{text}</p>"},
            "contacts": {
                "type": "contact.list",
                "contacts": [{"type": "contact", "id": cid}],
            },
            "conversation_parts": {
                "type": "conversation_part.list",
                "conversation_parts": [
                    {"type": "conversation_part", "part_type": "comment", "body": "ok"}
                ],
                "total_count": 1,
            },
        }
        return vid

    def refuse(self, request: Request) -> Response | None:
        # Authentication: .../docs/build-an-integration/learn-more/authentication
        if request.headers.get("Authorization") == f"Bearer {GOOD_TOKEN}":
            return None
        return _errors("unauthorized", "Access Token Invalid", 401)

    def routes(self) -> list[Route]:
        return [
            Route("/me", self.me),
            Route("/contacts/search", self.search_contacts, methods=["POST"]),
            Route("/contacts/{cid}", self.contact, methods=["GET", "PUT", "DELETE"]),
            Route("/contacts/{cid}/{what}", self.contact_list),
            Route("/conversations/search", self.search_conversations, methods=["POST"]),
            Route("/conversations/{vid}", self.conversation),
        ]

    def too_many(self) -> Response:
        # 429 with the limit of the 10-second window and its reset as a Unix time:
        # .../rest-api/errors/rate-limiting (no Retry-After is sent)
        response = _errors(
            "rate_limit_exceeded", "Exceeded rate limit of 167 in 10_seconds", 429
        )
        response.headers.update(
            {
                "X-RateLimit-Limit": "167",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + 1),
            }
        )
        return response

    async def me(self, request: Request) -> Response:
        # Identify an admin: .../admins/identifyadmin
        return JSONResponse({"type": "admin", "id": "991", "name": "Support"})

    def _cursor(self, offset: int) -> str:
        raw = json.dumps([self.generation, offset]).encode()
        return base64.b64encode(raw).decode()

    async def _search(
        self, request: Request, rows: list[dict[str, Any]], key: str, kind: str
    ) -> Response:
        # Pagination of search APIs: cursor in the body, `pages.next.starting_after`
        # (.../learn-more/rest-apis/pagination-sorting-search).
        pagination = (await request.json()).get("pagination") or {}
        per_page = min(int(pagination.get("per_page", 50)), 150)
        offset = 0
        if cursor := pagination.get("starting_after"):
            if self.expire_cursors > 0:
                self.expire_cursors -= 1
                self.generation += 1
            generation, offset = json.loads(base64.b64decode(cursor))
            if generation != self.generation:
                return _errors("parameter_invalid", "starting_after is invalid", 400)
        page = rows[offset : offset + per_page]
        following = offset + per_page
        pages: dict[str, Any] = {
            "type": "pages",
            "page": offset // per_page + 1,
            "per_page": per_page,
            "total_pages": max((len(rows) + per_page - 1) // per_page, 1),
        }
        if following < len(rows):
            pages["next"] = {
                "page": pages["page"] + 1,
                "starting_after": self._cursor(following),
            }
        return JSONResponse(
            {"type": kind, key: page, "total_count": len(rows), "pages": pages}
        )

    async def search_contacts(self, request: Request) -> Response:
        # Search contacts: .../contacts/searchcontacts — `=` on email, compared exactly.
        query = (await request.json())["query"]
        rows = [
            c
            for c in self.contacts.values()
            if query["field"] == "email"
            and query["operator"] == "="
            and c["email"] == query["value"]
        ]
        return await self._search(request, rows, "data", "list")

    async def search_conversations(self, request: Request) -> Response:
        # Search conversations: .../conversations/searchconversations
        query = (await request.json())["query"]
        rows = [
            {k: v for k, v in c.items() if k != "conversation_parts"}
            for c in self.conversations.values()
            if query["field"] == "contact_ids"
            and any(p["id"] == query["value"] for p in c["contacts"]["contacts"])
        ]
        return await self._search(request, rows, "conversations", "conversation.list")

    async def contact(self, request: Request) -> Response:
        cid = request.path_params["cid"]
        contact = self.contacts.get(cid)
        if contact is None:
            return _errors("not_found", "User Not Found", 404)
        if request.method == "DELETE":
            # Delete a contact: .../contacts/deletecontact — its conversations go too
            # (intercom.com/help/en/articles/1815435).
            del self.contacts[cid]
            self.notes.pop(cid, None)
            self.tags.pop(cid, None)
            for vid in [
                v
                for v, c in self.conversations.items()
                if any(p["id"] == cid for p in c["contacts"]["contacts"])
            ]:
                del self.conversations[vid]
            body = {"id": cid, "external_id": None, "type": "contact", "deleted": True}
            return JSONResponse(body)
        if request.method == "PUT":
            # Update a contact: .../contacts/updatecontact
            contact.update(await request.json())
        return JSONResponse(contact)

    async def contact_list(self, request: Request) -> Response:
        # List notes / tags / companies of a contact: .../notes/listnotes,
        # .../tags/listtagsforacontact, .../contacts/listcompaniesforacontact
        cid, what = request.path_params["cid"], request.path_params["what"]
        if cid not in self.contacts:
            return _errors("not_found", "User Not Found", 404)
        rows = {"notes": self.notes, "tags": self.tags}.get(what, {}).get(cid, [])
        page = int(request.query_params.get("page", 1))
        per_page = int(request.query_params.get("per_page", 50))
        total_pages = max((len(rows) + per_page - 1) // per_page, 1)
        body = {
            "type": "list",
            "data": rows[(page - 1) * per_page : page * per_page],
            "total_count": len(rows),
            "pages": {
                "type": "pages",
                "page": page,
                "per_page": per_page,
                "total_pages": total_pages,
            },
        }
        return JSONResponse(body)

    async def conversation(self, request: Request) -> Response:
        found = self.conversations.get(request.path_params["vid"])
        if found is None:
            return _errors("not_found", "Resource Not Found", 404)
        return JSONResponse(found)


def fanout_case(email: str) -> FanoutCase:
    """A workspace with `email`'s contact (a conversation, a note), and Bob's."""
    fake = FakeIntercom()
    ada = fake.add_contact(email)
    fake.add_conversation(ada, "How do I program the engine?")
    fake.add_note(ada, "Asked for a demo")
    fake.add_conversation(fake.add_contact("bob@example.com"), "Bob's question")
    return FanoutCase(
        fake, {"token": "${INTERCOM_TOKEN}"}, {"INTERCOM_TOKEN": GOOD_TOKEN}
    )
