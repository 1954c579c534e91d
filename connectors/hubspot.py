"""Connector type `hubspot`: contacts, their associated CRM objects, GDPR delete, opt-out.

Access finds the person's contacts with the CRM search API (one filter group per address
`Subject.addresses` gives: as written and lower-cased), reads every contact property,
follows the v4 associations to companies, deals, tickets and the engagements (notes,
emails, calls, meetings, tasks) and batch-reads them, and adds the email subscription
statuses. Erasure is `POST /crm/v3/objects/contacts/gdpr-delete` by contact id — the
permanent delete; `DELETE /crm/v3/objects/contacts/{id}` only archives for 90 days and
is never used. Opt-out is the v4 "unsubscribe from all email" call.
"""

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import Field, SecretStr

from connectors.base import (
    Capability,
    Connector,
    EraseSummary,
    OptOutSummary,
    RateLimit,
    Record,
    SourceInfo,
    Subject,
)
from connectors.http import Api, ApiConfig, Next

DEFAULT_BASE_URL = "https://api.hubapi.com"
SEARCH_PAGE = 100  # the search API's documented maximum is 200
ASSOCIATION_PAGE = 500  # v4 associations: up to 500 per page
BATCH_READ = 100  # batch/read takes up to 100 inputs

# Associated object types worth exporting, and the properties read for each (batch
# read returns only the properties asked for, plus a few defaults).
ASSOCIATED: Mapping[str, tuple[str, ...]] = {
    "companies": ("name", "domain", "city", "country", "phone"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate"),
    "tickets": ("subject", "content", "hs_pipeline_stage", "hs_ticket_priority"),
    "notes": ("hs_note_body", "hs_timestamp"),
    "emails": (
        "hs_email_subject",
        "hs_email_text",
        "hs_email_direction",
        "hs_email_status",
        "hs_timestamp",
    ),
    "calls": ("hs_call_title", "hs_call_body", "hs_call_duration", "hs_timestamp"),
    "meetings": (
        "hs_meeting_title",
        "hs_meeting_body",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
    ),
    "tasks": ("hs_task_subject", "hs_task_body", "hs_task_status", "hs_timestamp"),
}

SOURCES: Mapping[str, SourceInfo] = {
    "contacts": SourceInfo(
        "HubSpot contacts",
        columns={
            "id": "Contact ID",
            "properties": "Contact properties",
            "createdAt": "Created",
            "updatedAt": "Last updated",
        },
    ),
    "companies": SourceInfo("HubSpot companies linked to you"),
    "deals": SourceInfo("HubSpot deals"),
    "tickets": SourceInfo("HubSpot support tickets"),
    "notes": SourceInfo("HubSpot notes about you"),
    "emails": SourceInfo("HubSpot logged emails"),
    "calls": SourceInfo("HubSpot logged calls"),
    "meetings": SourceInfo("HubSpot meetings"),
    "tasks": SourceInfo("HubSpot tasks"),
    "email_subscriptions": SourceInfo(
        "HubSpot email subscriptions",
        columns={
            "subscriptionId": "Subscription",
            "status": "Status",
            "legalBasis": "Legal basis",
            "timestamp": "Changed",
        },
    ),
}


class HubSpotConfig(ApiConfig):
    """Settings of a `hubspot` connector."""

    token: SecretStr = Field(description="Private-app access token (Bearer).")


class HubSpotConnector(Connector[HubSpotConfig]):
    """HubSpot CRM: contacts and associations, GDPR delete, unsubscribe from all email."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE, Capability.OPT_OUT})
    config_model = HubSpotConfig
    source_names = SOURCES
    # Private apps: 100 calls per 10 s on Free/Starter (190 on Pro/Enterprise), and the
    # search API 5 per second per account; one budget holds both, so every call keeps to
    # the search rate (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines).
    limits: ClassVar[tuple[RateLimit, ...]] = (
        RateLimit(max_rate=100, time_period=10),
        RateLimit(max_rate=5, time_period=1),
    )

    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The private-app burst limit and the search API's per-second limit."""
        return self.limits

    @property
    def api(self) -> Api:
        """The HubSpot API as this instance calls it."""
        token = self.config.token.get_secret_value()
        return Api(
            self.http,
            self.config.base_url or DEFAULT_BASE_URL,
            throttle=self.throttle,
            timeout=self.config.timeout,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def test(self) -> None:
        """List one contact: the cheapest call that needs the token and its scope."""
        await self.api.json("GET", "/crm/v3/objects/contacts", params={"limit": 1})

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """The person's contacts, their associated objects and subscription statuses."""
        api = self.api
        properties = await self._contact_properties(api)
        async for contact in self._contacts(api, subject, properties):
            yield Record("contacts", contact)
            for object_type, wanted in ASSOCIATED.items():
                ids = [
                    i async for i in self._associated(api, contact["id"], object_type)
                ]
                async for found in self._batch_read(api, object_type, ids, wanted):
                    yield Record(object_type, found)
            email = (contact.get("properties") or {}).get("email")
            if email:
                for status in await self._statuses(api, email):
                    yield Record("email_subscriptions", status)

    async def erase(self, subject: Subject) -> EraseSummary:
        """GDPR-delete each of the person's contacts by id (permanent, at once)."""
        api = self.api
        ids = [c["id"] async for c in self._contacts(api, subject, ("email",))]
        deleted = 0
        for contact_id in ids:
            # By id, never by email: a GDPR delete of an unknown email blocklists it.
            # The search lags deletions: one already gone (404) is not counted again.
            response = await api.call(
                "POST",
                "/crm/v3/objects/contacts/gdpr-delete",
                json={"objectId": contact_id},
                missing_ok=True,
            )
            deleted += response is not None
        notes = (
            (
                "HubSpot also deleted the contacts' engagements; deals, tickets and "
                "companies stay, unlinked from the deleted contacts.",
            )
            if deleted
            else ()
        )
        return EraseSummary(erased={"contacts": deleted}, notes=notes)

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Unsubscribe each of the person's contacts from all email (once)."""
        api = self.api
        emails = {
            (c.get("properties") or {}).get("email")
            async for c in self._contacts(api, subject, ("email",))
        }
        unsubscribed = 0
        for email in sorted(e for e in emails if e):
            path = f"/communication-preferences/v4/statuses/{quote(email, safe='')}"
            params = {"channel": "EMAIL"}
            wide = await api.json("GET", f"{path}/unsubscribe-all", params=params)
            if any(r.get("status") == "UNSUBSCRIBED" for r in wide.get("results", [])):
                continue  # already opted out of everything: nothing to change
            await api.call("POST", f"{path}/unsubscribe-all", params=params)
            unsubscribed += 1
        return OptOutSummary(erased={"email": unsubscribed})

    async def _contact_properties(self, api: Api) -> tuple[str, ...]:
        body = await api.json("GET", "/crm/v3/properties/contacts")
        return tuple(p["name"] for p in body.get("results", []))

    async def _contacts(
        self, api: Api, subject: Subject, properties: Iterable[str]
    ) -> AsyncIterator[dict[str, Any]]:
        groups = [
            {"filters": [{"propertyName": "email", "operator": "EQ", "value": a}]}
            for a in subject.addresses
        ]
        query = {
            "filterGroups": groups,
            "properties": list(properties),
            "limit": SEARCH_PAGE,
        }
        async for page in api.pages(
            "POST", "/crm/v3/objects/contacts/search", _next_after, json=query
        ):
            for contact in page.get("results", []):
                yield contact

    async def _associated(
        self, api: Api, contact_id: str, object_type: str
    ) -> AsyncIterator[str]:
        path = f"/crm/v4/objects/contacts/{contact_id}/associations/{object_type}"
        async for page in api.pages(
            "GET", path, _next_after, params={"limit": ASSOCIATION_PAGE}
        ):
            for association in page.get("results", []):
                yield str(association["toObjectId"])

    async def _batch_read(
        self, api: Api, object_type: str, ids: list[str], properties: Iterable[str]
    ) -> AsyncIterator[dict[str, Any]]:
        for start in range(0, len(ids), BATCH_READ):
            chunk = ids[start : start + BATCH_READ]
            body = await api.json(
                "POST",
                f"/crm/v3/objects/{object_type}/batch/read",
                json={
                    "inputs": [{"id": i} for i in chunk],
                    "properties": [*properties],
                },
            )
            for found in body.get("results", []):
                yield found

    async def _statuses(self, api: Api, email: str) -> list[dict[str, Any]]:
        body = await api.json(
            "GET",
            f"/communication-preferences/v4/statuses/{quote(email, safe='')}",
            params={"channel": "EMAIL"},
        )
        return list(body.get("results", []))


def _next_after(page: Any) -> Next | None:
    """HubSpot's cursor: `paging.next.after`, passed back as `after`."""
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    return {"after": after} if after else None
