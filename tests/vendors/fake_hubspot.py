"""A fake HubSpot API answering as developers.hubspot.com documents it.

State: contacts (emails stored lower-cased, as HubSpot stores them), CRM objects by type,
contact associations, and email subscription statuses. `gdpr-delete` removes the contact,
its associations and its engagements; the archive `DELETE` only flags the contact, so a
test can tell which one was used. Cursors (`after`) can be expired with `expire_cursors`.
"""

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.vendors.fake_api import FakeApi, FanoutCase

GOOD_TOKEN = "pat-eu1-good-token"
NO_SCOPE_TOKEN = "pat-eu1-missing-scopes"
ENGAGEMENTS = ("notes", "emails", "calls", "meetings", "tasks")
NOW = "2026-11-30T10:00:00.000Z"


def _error(status: int, message: str, category: str, **extra: Any) -> JSONResponse:
    # Error body: https://developers.hubspot.com/docs/api-reference/error-handling
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return JSONResponse(body, status)


@dataclass
class FakeHubSpot(FakeApi):
    """HubSpot's CRM v3/v4 and communication-preferences v4, for one portal."""

    interval_ms: int = 1000  # the window a 429 names (HubSpot's is 10 000 ms)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    links: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    wide_unsubscribed: set[str] = field(default_factory=set)
    archived: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(501))
    _expired: bool = False

    # --- seeding ---

    def add_contact(self, email: str, **properties: Any) -> str:
        contact_id = str(next(self._ids))
        self.contacts[contact_id] = {
            "id": contact_id,
            "properties": {
                "email": email.lower(),
                "hs_object_id": contact_id,
                "createdate": NOW,
                **properties,
            },
            "createdAt": NOW,
            "updatedAt": NOW,
            "archived": False,
        }
        return contact_id

    def add_object(self, object_type: str, contact_id: str, **properties: Any) -> str:
        object_id = str(next(self._ids))
        self.objects.setdefault(object_type, {})[object_id] = {
            "id": object_id,
            "properties": {"hs_object_id": object_id, **properties},
            "createdAt": NOW,
            "updatedAt": NOW,
            "archived": False,
        }
        self.links.setdefault((contact_id, object_type), []).append(object_id)
        return object_id

    def expire_cursors(self) -> None:
        """Every `after` handed out so far is refused from now on."""
        self._expired = True

    # --- FakeApi ---

    def refuse(self, request: Request) -> Response | None:
        # https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/overview
        header = request.headers.get("authorization", "")
        if header == f"Bearer {NO_SCOPE_TOKEN}":
            return _error(
                403,
                "This app hasn't been granted all required scopes to make this call.",
                "MISSING_SCOPES",
                errors=[
                    {"message": "One or more of the following scopes are required."}
                ],
            )
        if header != f"Bearer {GOOD_TOKEN}":
            return _error(
                401,
                "Authentication credentials not found.",
                "INVALID_AUTHENTICATION",
            )
        return None

    def too_many(self) -> Response:
        # 429 body and X-HubSpot-RateLimit-* headers (no Retry-After):
        # https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
        response = _error(
            429,
            "You have reached your ten_secondly_rolling limit.",
            "RATE_LIMITS",
            errorType="RATE_LIMIT",
            policyName="TEN_SECONDLY_ROLLING",
        )
        response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(
            self.interval_ms
        )
        response.headers["X-HubSpot-RateLimit-Max"] = "100"
        response.headers["X-HubSpot-RateLimit-Remaining"] = "0"
        return response

    def server_error(self) -> Response:
        return _error(500, "internal error", "INTERNAL_ERROR")

    def routes(self) -> Sequence[Route]:
        return [
            Route("/crm/v3/objects/contacts", self.list_contacts, methods=["GET"]),
            Route("/crm/v3/properties/contacts", self.properties, methods=["GET"]),
            Route("/crm/v3/objects/contacts/search", self.search, methods=["POST"]),
            Route(
                "/crm/v3/objects/contacts/gdpr-delete",
                self.gdpr_delete,
                methods=["POST"],
            ),
            Route("/crm/v3/objects/contacts/{id}", self.archive, methods=["DELETE"]),
            Route(
                "/crm/v4/objects/contacts/{id}/associations/{to}",
                self.associations,
                methods=["GET"],
            ),
            Route(
                "/crm/v3/objects/{type}/batch/read", self.batch_read, methods=["POST"]
            ),
            Route(
                "/communication-preferences/v4/statuses/{email}/unsubscribe-all",
                self.unsubscribe_all,
                methods=["GET", "POST"],
            ),
            Route(
                "/communication-preferences/v4/statuses/{email}",
                self.statuses,
                methods=["GET"],
            ),
        ]

    # --- handlers ---

    def _live(self) -> list[dict[str, Any]]:
        return [c for i, c in self.contacts.items() if i not in self.archived]

    def _page(
        self, items: list[Any], after: str | None, limit: int, link: str
    ) -> dict[str, Any] | Response:
        """Cursor paging: `after` is an opaque position (HubSpot's is an offset)."""
        if after is not None and (self._expired or not after.startswith("c")):
            # An invalid or expired cursor is a 400 VALIDATION_ERROR.
            return _error(400, "Invalid cursor: after", "VALIDATION_ERROR")
        start = int(after[1:]) if after else 0
        body: dict[str, Any] = {"results": items[start : start + limit]}
        if start + limit < len(items):
            following = f"c{start + limit}"
            body["paging"] = {
                "next": {"after": following, "link": f"{link}?after={following}"}
            }
        return body

    async def list_contacts(self, request: Request) -> Response:
        # GET /crm/v3/objects/contacts — "Retrieve contacts":
        # https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/basic/get-crm-v3-objects-contacts
        limit = int(request.query_params.get("limit", "10"))
        page = self._page(self._live(), request.query_params.get("after"), limit, "")
        return page if isinstance(page, Response) else JSONResponse(page)

    async def properties(self, request: Request) -> Response:
        # GET /crm/v3/properties/contacts — "Read all properties":
        # https://developers.hubspot.com/docs/api-reference/crm-properties-v3/core/get-crm-v3-properties-objectType
        names = [
            "email",
            "firstname",
            "lastname",
            "phone",
            "hs_object_id",
            "createdate",
        ]
        results = [
            {
                "name": n,
                "label": n.title(),
                "type": "string",
                "groupName": "contactinformation",
            }
            for n in names
        ]
        return JSONResponse({"results": results})

    async def search(self, request: Request) -> Response:
        # POST /crm/v3/objects/contacts/search — filterGroups are ORed, filters ANDed;
        # EQ on email; `after` + `limit` in the body; `total` and `paging.next.after`:
        # https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm
        body = await request.json()
        wanted = {
            f["value"]
            for group in body.get("filterGroups", [])
            for f in group.get("filters", [])
            if f.get("propertyName") == "email" and f.get("operator") == "EQ"
        }
        found = [c for c in self._live() if c["properties"]["email"] in wanted]
        asked = set(body.get("properties") or ["email", "firstname", "lastname"])
        shaped = [
            {
                **c,
                "properties": {k: v for k, v in c["properties"].items() if k in asked},
            }
            for c in found
        ]
        page = self._page(shaped, body.get("after"), int(body.get("limit", 10)), "")
        if isinstance(page, Response):
            return page
        return JSONResponse({"total": len(found), **page})

    async def gdpr_delete(self, request: Request) -> Response:
        # POST /crm/v3/objects/contacts/gdpr-delete {"objectId", "idProperty"?} → 204;
        # permanent, with the contact's associated content:
        # https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/gdpr/gdpr-delete-contact
        body = await request.json()
        key = body["objectId"]
        if body.get("idProperty") == "email":
            key = next(
                (
                    i
                    for i, c in self.contacts.items()
                    if c["properties"]["email"] == key
                ),
                None,
            )
        if key in self.contacts:
            del self.contacts[key]
            self.archived.discard(key)
            for (contact_id, object_type), ids in list(self.links.items()):
                if contact_id != key:
                    continue
                del self.links[(contact_id, object_type)]
                if object_type in ENGAGEMENTS:
                    for object_id in ids:
                        self.objects.get(object_type, {}).pop(object_id, None)
        return Response(status_code=204)

    async def archive(self, request: Request) -> Response:
        # DELETE /crm/v3/objects/contacts/{id} archives (restorable for 90 days):
        # https://developers.hubspot.com/docs/api-reference/2026-03/crm/objects/contacts/delete-contact
        self.archived.add(request.path_params["id"])
        return Response(status_code=204)

    async def associations(self, request: Request) -> Response:
        # GET /crm/v4/objects/contacts/{id}/associations/{toObjectType}; limit ≤ 500:
        # https://developers.hubspot.com/docs/api-reference/crm-associations-v4/basic/get-crm-v4-objects-objectType-objectId-associations-toObjectType
        contact_id, to = request.path_params["id"], request.path_params["to"]
        ids = self.links.get((contact_id, to), [])
        items = [
            {
                "toObjectId": int(i),
                "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": 202, "label": None}
                ],
            }
            for i in ids
        ]
        limit = min(int(request.query_params.get("limit", "500")), 500)
        page = self._page(
            items, request.query_params.get("after"), limit, request.url.path
        )
        return page if isinstance(page, Response) else JSONResponse(page)

    async def batch_read(self, request: Request) -> Response:
        # POST /crm/v3/objects/{objectType}/batch/read {inputs: [{id}], properties}:
        # https://developers.hubspot.com/docs/api-reference/crm-objects-v3/batch/post-crm-v3-objects-objectType-batch-read
        body = await request.json()
        if len(body.get("inputs", [])) > 100:
            return _error(
                400, "Batch input is limited to 100 items", "VALIDATION_ERROR"
            )
        store = self.objects.get(request.path_params["type"], {})
        asked = set(body.get("properties") or [])
        results = [
            {
                **o,
                "properties": {
                    k: v
                    for k, v in o["properties"].items()
                    if k in asked or k == "hs_object_id"
                },
            }
            for i in body.get("inputs", [])
            if (o := store.get(str(i["id"]))) is not None
        ]
        return JSONResponse(
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": NOW,
                "completedAt": NOW,
            }
        )

    def _subscriptions(self, email: str) -> list[dict[str, Any]]:
        status = "NOT_SUBSCRIBED" if email in self.wide_unsubscribed else "SUBSCRIBED"
        return [
            {
                "subscriberIdString": email,
                "subscriptionId": sub_id,
                "status": status,
                "channel": "EMAIL",
                "source": "API",
                "legalBasis": "LEGITIMATE_INTEREST_CLIENT",
                "timestamp": NOW,
            }
            for sub_id in (101, 102)
        ]

    async def statuses(self, request: Request) -> Response:
        # GET /communication-preferences/v4/statuses/{subscriberIdString}?channel=EMAIL:
        # https://developers.hubspot.com/docs/api-reference/latest/communication-preferences/status/get-subscriptions-subscriberIdString
        email = request.path_params["email"]
        known = any(c["properties"]["email"] == email for c in self._live())
        results = self._subscriptions(email) if known else []
        return JSONResponse(
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": NOW,
                "completedAt": NOW,
            }
        )

    async def unsubscribe_all(self, request: Request) -> Response:
        # GET …/unsubscribe-all: empty `results` unless opted out of all; POST opts out:
        # https://developers.hubspot.com/docs/api-reference/latest/communication-preferences/status/get-unsubscribed-status
        if request.query_params.get("channel") != "EMAIL":
            return _error(400, "channel is required", "VALIDATION_ERROR")
        email = request.path_params["email"]
        if request.method == "POST":
            self.wide_unsubscribed.add(email)
            results = self._subscriptions(email)
        elif email in self.wide_unsubscribed:
            results = [
                {
                    "channel": "EMAIL",
                    "status": "UNSUBSCRIBED",
                    "subscriberIdString": email,
                    "timestamp": NOW,
                    "wideStatusType": "PORTAL_WIDE",
                }
            ]
        else:
            results = []
        return JSONResponse(
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": NOW,
                "completedAt": NOW,
            }
        )


def fanout_case(email: str) -> FanoutCase:
    """A portal holding `email`'s contact with a note and a deal, and Bob's."""
    fake = FakeHubSpot()
    ada = fake.add_contact(email, firstname="Ada", lastname="Lovelace")
    fake.add_object("notes", ada, hs_note_body="Asked about the analytical engine")
    fake.add_object("deals", ada, dealname="Engine licence", amount="100")
    bob = fake.add_contact("bob@example.com", firstname="Bob")
    fake.add_object("notes", bob, hs_note_body="Bob's note")
    return FanoutCase(
        fake, {"token": "${HUBSPOT_TOKEN}"}, {"HUBSPOT_TOKEN": GOOD_TOKEN}
    )
