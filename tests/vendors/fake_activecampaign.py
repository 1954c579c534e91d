"""A fake ActiveCampaign account (API v3) answering as developers.activecampaign.com shows.

State: contacts with notes, deals, list memberships, tags and field values; the Contact
Archive that `DELETE /contacts/{id}` moves a contact into; an `admin` flag for the API
user (the archive answers 404 to non-admins). Pages are `limit` (≤100) + `offset` with
`meta.total` as a string, as the API sends it.
"""

import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

GOOD_KEY = "ac-good-key"
RELATED_KEYS = ("notes", "deals", "contactLists", "contactTags", "fieldValues")


@dataclass
class FakeActiveCampaign(FakeApi):
    """One account; `contacts` by id, related rows by (contact id, key)."""

    admin: bool = True
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    related: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    archive: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))

    def add_contact(self, email: str, **fields: Any) -> str:
        cid = str(next(self._ids))
        # Contact object: https://developers.activecampaign.com/reference/list-all-contacts
        self.contacts[cid] = {
            "id": cid,
            "email": email,
            "firstName": fields.get("firstName", ""),
            "lastName": fields.get("lastName", ""),
            "phone": fields.get("phone", ""),
            "cdate": "2024-01-02T10:00:00-06:00",
            "udate": "2024-03-04T10:00:00-06:00",
            "links": {"notes": f"/api/3/contacts/{cid}/notes"},
        }
        return cid

    def add_related(self, cid: str, key: str, row: dict[str, Any]) -> None:
        rid = str(next(self._ids))
        self.related.setdefault((cid, key), []).append({"id": rid, **row})

    def refuse(self, request: Request) -> Response | None:
        # Authentication (the `Api-Token` header): developers.activecampaign.com/reference,
        # "Authentication". A refused key: 403 with a `message`
        # (developers.activecampaign.com/reference, "Errors"; not checked against a
        # live account).
        if request.headers.get("Api-Token") == GOOD_KEY:
            return None
        return JSONResponse({"message": "You are not authorized to access this"}, 403)

    def too_many(self) -> Response:
        # 5 calls a second per account; over it, 429 with Retry-After and the
        # RateLimit-* headers: developers.activecampaign.com/reference/rate-limits
        headers = {
            "Retry-After": "1",
            "RateLimit-Limit": "5",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": "1",
        }
        return JSONResponse({"message": "Too Many Requests"}, 429, headers=headers)

    def routes(self) -> list[Route]:
        return [
            Route("/api/3/contacts", self.list_contacts),
            Route("/api/3/contacts/{cid}", self.delete_contact, methods=["DELETE"]),
            Route("/api/3/contacts/{cid}/{key}", self.list_related),
            Route("/api/3/contactLists", self.update_list_status, methods=["POST"]),
            Route("/api/3/contactArchives", self.list_archive),
            Route(
                "/api/3/contactArchives/{aid}",
                self.purge_archived,
                methods=["DELETE"],
            ),
        ]

    @staticmethod
    def _window(request: Request) -> tuple[int, int]:
        # Pagination: https://developers.activecampaign.com/reference/pagination
        limit = min(int(request.query_params.get("limit", 20)), 100)
        return int(request.query_params.get("offset", 0)), limit

    def _page(self, key: str, rows: list[dict[str, Any]], request: Request) -> Response:
        offset, limit = self._window(request)
        return JSONResponse(
            {key: rows[offset : offset + limit], "meta": {"total": str(len(rows))}}
        )

    async def list_contacts(self, request: Request) -> Response:
        # List all contacts, `email` filter: .../reference/list-all-contacts. The filter
        # compares as the account's database does, ignoring case.
        email = request.query_params.get("email")
        rows = [
            c
            for c in self.contacts.values()
            if email is None or c["email"].lower() == email.lower()
        ]
        return self._page("contacts", rows, request)

    async def list_related(self, request: Request) -> Response:
        # "Retrieve a contact's notes" (and deals, contactLists, contactTags, fieldValues):
        # developers.activecampaign.com/reference, body `{notes: [...]}`.
        cid, key = request.path_params["cid"], request.path_params["key"]
        if cid not in self.contacts:
            return JSONResponse(
                {"message": f"No Result found for Subscriber with id {cid}"}, 404
            )
        if key not in RELATED_KEYS:
            return JSONResponse({"message": "Not Found"}, 404)
        return self._page(key, self.related.get((cid, key), []), request)

    async def delete_contact(self, request: Request) -> Response:
        # Delete a contact: .../reference/delete-contact — 200 {} and the contact goes
        # to the Contact Archive (.../reference/contact-archives), kept 360 days.
        cid = request.path_params["cid"]
        contact = self.contacts.pop(cid, None)
        if contact is None:
            return JSONResponse(
                {"message": f"No Result found for Subscriber with id {cid}"}, 404
            )
        aid = str(next(self._ids))
        self.archive[aid] = {
            **contact,
            "id": aid,
            "deleted_at": "2026-12-01T12:00:00Z",
            "is_restorable": False,
            "related": {k: self.related.pop((cid, k), []) for k in RELATED_KEYS},
        }
        return JSONResponse({})

    async def list_archive(self, request: Request) -> Response:
        # List archived contacts: .../reference/contact-archives — admins only (404
        # otherwise); `search` with a full email address matches it exactly.
        if not self.admin:
            return JSONResponse({"message": "Not Found"}, 404)
        search = request.query_params.get("search", "")
        rows = [
            {k: v for k, v in row.items() if k != "related"}
            for row in self.archive.values()
            if row["email"].lower() == search.lower()
        ]
        return self._page("contactArchives", rows, request)

    async def purge_archived(self, request: Request) -> Response:
        # Permanently delete an archived contact: .../reference/delete-archived-contact
        # — admins only (404 otherwise); 200 {} also when the id is already gone.
        if not self.admin:
            return JSONResponse({"message": "Not Found"}, 404)
        self.archive.pop(request.path_params["aid"], None)
        return JSONResponse({})

    async def update_list_status(self, request: Request) -> Response:
        # "Update list status for a contact" (developers.activecampaign.com/reference):
        # POST /contactLists {contactList: {list, contact, status}}; status 2 unsubscribes.
        body = (await request.json())["contactList"]
        cid, list_id = str(body["contact"]), str(body["list"])
        rows = self.related.setdefault((cid, "contactLists"), [])
        row = next((r for r in rows if str(r["list"]) == list_id), None)
        if row is None:
            row = {"id": str(next(self._ids)), "contact": cid, "list": list_id}
            rows.append(row)
        row["status"] = str(body["status"])
        return JSONResponse({"contactList": row}, 201)

    def archived_emails(self) -> list[str]:
        return [row["email"] for row in self.archive.values()]


def fanout_case(email: str) -> FanoutCase:
    """An account with `email`'s contact (a note, a deal, a list), and Bob's."""
    fake = FakeActiveCampaign()
    ada = fake.add_contact(email, firstName="Ada")
    fake.add_related(ada, "notes", {"note": "call back", "cdate": "2024-05-01"})
    fake.add_related(ada, "deals", {"title": "Engine", "value": "1000"})
    fake.add_related(ada, "contactLists", {"list": "1", "status": "1"})
    bob = fake.add_contact("bob@example.com", firstName="Bob")
    fake.add_related(bob, "contactLists", {"list": "1", "status": "1"})
    config = {"api_url": "https://acme.api-us1.com", "api_key": "${AC_API_KEY}"}
    return FanoutCase(fake, config, {"AC_API_KEY": GOOD_KEY})
