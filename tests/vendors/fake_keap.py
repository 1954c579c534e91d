"""A fake Keap REST v2 API answering as developer.keap.com and Keap's SDK document it.

State: contacts (duplicates allowed; the `email==` filter compares exactly), notes per
contact, tasks, applied tags, and an opt-in status per email address. Page tokens are
opaque and can be expired with `expire_cursors`. Every answer carries Keap's
`x-keap-product-*` quota and throttle headers; a 429 says none are available.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

GOOD_KEY = "KeapAK-good-0123456789"
GOOD_TOKEN = "oauth-good-token"
NOW = "2026-11-30T10:00:00.000Z"
BASE = "/crm/rest/v2"


def _headers(available: int) -> dict[str, str]:
    # Informational headers: https://developer.infusionsoft.com/api-token-quota-and-usage-measurements
    return {
        "x-keap-product-quota-limit": "30000",
        "x-keap-product-quota-time-unit": "day",
        "x-keap-product-quota-interval": "1",
        "x-keap-product-quota-available": "29000",
        "x-keap-product-throttle-limit": "240",
        "x-keap-product-throttle-time-unit": "minute",
        "x-keap-product-throttle-interval": "1",
        "x-keap-product-throttle-available": str(available),
    }


def _error(status: int, message: str, state: str) -> JSONResponse:
    # Error body {code, message, status, details}: https://developer.keap.com/docs/restv2/
    body = {"code": str(status), "message": message, "status": state, "details": None}
    return JSONResponse(body, status, headers=_headers(200))


@dataclass
class FakeKeap(FakeApi):
    """One Keap application."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)
    tags: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    opted_in: dict[str, bool] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(10))
    _expired: bool = False

    # --- seeding ---

    def add_contact(self, email: str, given: str, family: str) -> int:
        # Contact shape: https://github.com/infusionsoft/keap-sdk (sdks/v2 docs/Contact.md)
        contact_id = next(self._ids)
        self.contacts[contact_id] = {
            "id": contact_id,
            "given_name": given,
            "family_name": family,
            "email_addresses": [{"email": email, "field": "EMAIL1", "is_opt_in": True}],
            "phone_numbers": [{"number": "+44 20 7946 0001", "field": "PHONE1"}],
            "addresses": [
                {
                    "line1": "12 Analytical Row",
                    "locality": "London",
                    "country_code": "GBR",
                    "field": "BILLING",
                }
            ],
            "custom_fields": [{"id": 7, "content": "prefers mornings"}],
            "tag_ids": [],
            "create_time": NOW,
            "update_time": NOW,
        }
        self.opted_in.setdefault(email, True)
        return contact_id

    def add_note(self, contact_id: int, text: str) -> int:
        note_id = next(self._ids)
        self.notes.setdefault(contact_id, {})[note_id] = {
            "id": note_id,
            "text": text,
            "title": "Call",
            "type": "Call",
            "contact_id": contact_id,
            "create_time": NOW,
        }
        return note_id

    def add_task(self, contact_id: int, title: str) -> int:
        task_id = next(self._ids)
        self.tasks[task_id] = {
            "id": task_id,
            "title": title,
            "description": "",
            "contact": {"id": contact_id},
            "completed": False,
            "create_time": NOW,
        }
        return task_id

    def add_tag(self, contact_id: int, name: str) -> None:
        self.tags.setdefault(contact_id, []).append(
            {"tag": {"id": next(self._ids), "name": name}, "applied_time": NOW}
        )

    def expire_cursors(self) -> None:
        """Refuse every page token handed out so far."""
        self._expired = True

    # --- FakeApi ---

    def refuse(self, request: Request) -> Response | None:
        # X-Keap-API-Key (PAT/SAK) or OAuth Bearer: https://developer.infusionsoft.com/pat-and-sak/
        key = request.headers.get("x-keap-api-key")
        bearer = request.headers.get("authorization", "")
        if key == GOOD_KEY or bearer == f"Bearer {GOOD_TOKEN}":
            return None
        # The gateway's fault body for a refused key.
        body = {
            "fault": {
                "faultstring": "Invalid ApiKey",
                "detail": {"errorcode": "oauth.v2.InvalidApiKey"},
            }
        }
        return JSONResponse(body, 401)

    def too_many(self) -> Response:
        # 429 "Quota Exceeded" / "Request Throttled", throttle-available 0, no Retry-After:
        # https://developer.infusionsoft.com/faqs/how-does-throttling-work/
        response = _error(429, "Quota Exceeded", "Request Throttled")
        response.headers.update(_headers(0))
        return response

    def server_error(self) -> Response:
        return _error(500, "Internal Server Error", "INTERNAL")

    def routes(self) -> Sequence[Route]:
        return [
            Route(f"{BASE}/contacts", self.list_contacts, methods=["GET"]),
            Route(
                f"{BASE}/contacts/{{id:int}}", self.contact, methods=["GET", "DELETE"]
            ),
            Route(
                f"{BASE}/contacts/{{id:int}}/notes", self.list_notes, methods=["GET"]
            ),
            Route(
                f"{BASE}/contacts/{{id:int}}/notes/{{note:int}}",
                self.delete_note,
                methods=["DELETE"],
            ),
            Route(f"{BASE}/contacts/{{id:int}}/tags", self.list_tags, methods=["GET"]),
            Route(f"{BASE}/tasks", self.list_tasks, methods=["GET"]),
            Route(f"{BASE}/tasks/{{id:int}}", self.delete_task, methods=["DELETE"]),
            Route(
                f"{BASE}/emailAddresses/{{email}}/status",
                self.email_status,
                methods=["GET", "PATCH"],
            ),
        ]

    # --- handlers ---

    def _page(self, request: Request, key: str, items: list[Any]) -> Response:
        """`page_size` + opaque `page_token`; `next_page_token` empty on the last page."""
        size = int(request.query_params.get("page_size", "1000"))
        token = request.query_params.get("page_token")
        if token is not None and (self._expired or not token.startswith("pt-")):
            return _error(400, "Invalid page_token", "INVALID_ARGUMENT")
        start = int(token[3:]) if token else 0
        following = f"pt-{start + size}" if start + size < len(items) else ""
        body = {key: items[start : start + size], "next_page_token": following}
        return JSONResponse(body, headers=_headers(200))

    @staticmethod
    def _filter(request: Request, name: str) -> str | None:
        raw = request.query_params.get("filter", "")
        field_name, _, value = raw.partition("==")
        return value if field_name == name else None

    async def list_contacts(self, request: Request) -> Response:
        # GET /v2/contacts?filter=email==…&fields=…&page_size&page_token → {contacts,
        # next_page_token}: keap-sdk sdks/v2/python/docs/ContactApi.md (list_contacts)
        email = self._filter(request, "email")
        items = [
            c
            for c in self.contacts.values()
            if email is None or any(e["email"] == email for e in c["email_addresses"])
        ]
        return self._page(request, "contacts", items)

    async def contact(self, request: Request) -> Response:
        # DELETE /v2/contacts/{contact_id} → 204; 404 when gone: ContactApi.md (delete_contact)
        contact_id = request.path_params["id"]
        if contact_id not in self.contacts:
            return _error(404, "Contact not found", "NOT_FOUND")
        if request.method == "GET":
            return JSONResponse(self.contacts[contact_id], headers=_headers(200))
        del self.contacts[contact_id]
        self.tags.pop(contact_id, None)
        return Response(status_code=204, headers=_headers(200))

    async def list_notes(self, request: Request) -> Response:
        # GET /v2/contacts/{contact_id}/notes → {notes, next_page_token}: NoteApi.md
        notes = self.notes.get(request.path_params["id"], {})
        return self._page(request, "notes", list(notes.values()))

    async def delete_note(self, request: Request) -> Response:
        # DELETE /v2/contacts/{contact_id}/notes/{note_id} → 204: NoteApi.md
        notes = self.notes.get(request.path_params["id"], {})
        if notes.pop(request.path_params["note"], None) is None:
            return _error(404, "Note not found", "NOT_FOUND")
        return Response(status_code=204, headers=_headers(200))

    async def list_tags(self, request: Request) -> Response:
        # GET /v2/contacts/{contact_id}/tags → {tags, next_page_token}: ContactApi.md
        return self._page(request, "tags", self.tags.get(request.path_params["id"], []))

    async def list_tasks(self, request: Request) -> Response:
        # GET /v2/tasks?filter=contact_id==… → {tasks, next_page_token}: TaskApi.md
        contact = self._filter(request, "contact_id")
        items = [
            t
            for t in self.tasks.values()
            if contact is None or str(t["contact"]["id"]) == contact
        ]
        return self._page(request, "tasks", items)

    async def delete_task(self, request: Request) -> Response:
        # DELETE /v2/tasks/{task_id} → 204: TaskApi.md
        if self.tasks.pop(request.path_params["id"], None) is None:
            return _error(404, "Task not found", "NOT_FOUND")
        return Response(status_code=204, headers=_headers(200))

    async def email_status(self, request: Request) -> Response:
        # GET/PATCH /v2/emailAddresses/{email}/status {opted_in, reason}:
        # keap-sdk sdks/v2/python/docs/EmailAddressApi.md, RestEmailAddressStatus.md
        email = request.path_params["email"]
        if email not in self.opted_in:
            return _error(404, "Email address not found", "NOT_FOUND")
        if request.method == "PATCH":
            body = await request.json()
            if not isinstance(body.get("opted_in"), bool) or not body.get("reason"):
                return _error(
                    400, "opted_in and reason are required", "INVALID_ARGUMENT"
                )
            self.opted_in[email] = body["opted_in"]
        marketable = self.opted_in[email]
        return JSONResponse(
            {
                "email": email,
                "opted_in": marketable,
                "status": "Unconfirmed" if marketable else "Opt-Out: Manual",
                "create_time": NOW,
            },
            headers=_headers(200),
        )


def fanout_case(email: str) -> FanoutCase:
    """An application with `email`'s contact (a note, a task, a tag), and Bob's."""
    fake = FakeKeap()
    ada = fake.add_contact(email, "Ada", "Lovelace")
    fake.add_note(ada, "Ada called")
    fake.add_task(ada, "Send Ada the brochure")
    fake.add_tag(ada, "Customer")
    fake.add_note(fake.add_contact("bob@example.com", "Bob", "Other"), "About Bob")
    return FanoutCase(
        fake,
        {"api_key": "${KEAP_API_KEY}"},
        {"KEAP_API_KEY": GOOD_KEY},
        path="/crm/rest",
    )
