"""Connector type `activecampaign`: contacts, notes, deals and list memberships.

Follows ActiveCampaign's API v3 (https://developers.activecampaign.com/reference):
`Api-Token` header; `limit` (≤100) + `offset` paging with `meta.total`; 5 calls a second
per account. Erasure is permanent: `DELETE /contacts/{id}` only moves a contact to the
Contact Archive (kept 360 days, restorable), so each archived copy is then deleted for
good with `DELETE /contactArchives/{id}`, which only Admin-group users may call (others
get 404: reported as a manual step, never as success). Opt-out sets the contact's status
to unsubscribed (2) in every list it is on.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from pydantic import Field, SecretStr, model_validator

from connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    EraseStatus,
    EraseSummary,
    OptOutSummary,
    RateLimit,
    Record,
    SourceInfo,
    Subject,
    TransientError,
)
from connectors.http import Api, ApiConfig

PAGE = 100  # the API's largest `limit`
UNSUBSCRIBED = "2"  # contactList status: 1 active, 2 unsubscribed

# Related objects exported per contact: (source, path under /contacts/{id}, body key).
RELATED = (
    ("notes", "notes", "notes"),
    ("deals", "deals", "deals"),
    ("list_memberships", "contactLists", "contactLists"),
    ("tags", "contactTags", "contactTags"),
    ("field_values", "fieldValues", "fieldValues"),
)

SOURCES = {
    "contacts": SourceInfo(
        "ActiveCampaign contacts",
        columns={
            "email": "Email",
            "firstName": "First name",
            "lastName": "Last name",
            "phone": "Phone",
            "cdate": "Created",
            "udate": "Updated",
        },
    ),
    "notes": SourceInfo(
        "Notes on the contact", columns={"note": "Note", "cdate": "Written"}
    ),
    "deals": SourceInfo(
        "Deals", columns={"title": "Title", "value": "Value", "currency": "Currency"}
    ),
    "list_memberships": SourceInfo(
        "List subscriptions",
        columns={"list": "List", "status": "Status (1 active, 2 unsubscribed)"},
    ),
    "tags": SourceInfo("Tags", columns={"tag": "Tag", "cdate": "Added"}),
    "field_values": SourceInfo(
        "Custom field values", columns={"field": "Field", "value": "Value"}
    ),
}


class ActiveCampaignConfig(ApiConfig):
    """Settings of an `activecampaign` connector."""

    api_url: str | None = Field(
        default=None,
        description="The account's API URL, e.g. https://acme.api-us1.com.",
    )
    api_key: SecretStr = Field(description="A user's API key (Api-Token header).")

    @model_validator(mode="after")
    def _an_address(self) -> "ActiveCampaignConfig":
        if self.api_url is None and self.base_url is None:
            raise ValueError("api_url is required (the account's API URL)")
        return self


class ActiveCampaignConnector(Connector[ActiveCampaignConfig]):
    """Reads, erases and unsubscribes a person in one ActiveCampaign account."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE, Capability.OPT_OUT})
    config_model = ActiveCampaignConfig
    source_names = SOURCES
    # "5 requests per second per account" (developers.activecampaign.com/reference/rate-limits).
    rate_limit = RateLimit(max_rate=5, time_period=1)

    @property
    def api(self) -> Api:
        """The account's API v3; `base_url` wins over `api_url`."""
        root = self.config.base_url or self.config.api_url or ""
        return Api(
            self.http,
            f"{root.rstrip('/')}/api/3",
            throttle=self.throttle,
            timeout=self.config.timeout,
            headers={
                "Api-Token": self.config.api_key.get_secret_value(),
                "Accept": "application/json",
            },
        )

    async def test(self) -> None:
        """One contact of the account: the cheapest authenticated call."""
        await self.api.call("GET", "/contacts", params={"limit": 1})

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """The person's contacts and, for each, notes, deals, lists, tags and fields."""
        api = self.api
        async for contact in self._contacts(api, subject):
            yield Record("contacts", contact)
            for source, path, key in RELATED:
                async for item in _offset_items(
                    api, f"/contacts/{contact['id']}/{path}", key
                ):
                    yield Record(source, item)

    async def erase(self, subject: Subject) -> EraseSummary:
        """Delete every contact of the person, then purge each from the Contact Archive."""
        api = self.api
        contacts = [contact async for contact in self._contacts(api, subject)]
        notes: list[str] = []
        kept_deals = 0
        for contact in contacts:
            kept_deals += await _count(api, f"/contacts/{contact['id']}/deals", "deals")
            await api.call("DELETE", f"/contacts/{contact['id']}", missing_ok=True)
        archived = await self._archived(api, subject)
        if archived is None:
            return EraseSummary(
                status=EraseStatus.MANUAL_REQUIRED,
                erased={"contacts": 0},
                notes=(_not_admin(len(contacts)),),
            )
        if len(archived) < len(contacts):
            # The archive has not caught up with the deletes yet: try again later, when
            # the archived copies can be purged (a retry finds and purges them).
            host = httpx.URL(api.base_url).host
            raise TransientError(
                f"GET {host}: the archive does not list the deleted contacts yet",
                retry_after=60,
            )
        purged = 0
        for row in archived:
            response = await api.call(
                "DELETE", f"/contactArchives/{row['id']}", missing_ok=True
            )
            if response is None:  # 404: not an admin (a purged id answers 200)
                host = httpx.URL(api.base_url).host
                raise ConnectorError(
                    f"HTTP 404 from DELETE {host}: archive purge refused "
                    "(the API user must be in the Admin group)"
                )
            purged += 1
        if kept_deals:
            notes.append(
                f"{kept_deals} deal(s) linked to the person were not deleted: review "
                "them in ActiveCampaign's Deals."
            )
        return EraseSummary(erased={"contacts": purged}, notes=tuple(notes))

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Set the person's status to unsubscribed in every list they are on."""
        api = self.api
        changed = 0
        async for contact in self._contacts(api, subject):
            path = f"/contacts/{contact['id']}/contactLists"
            async for membership in _offset_items(api, path, "contactLists"):
                if str(membership.get("status")) == UNSUBSCRIBED:
                    continue
                body = {
                    "contactList": {
                        "list": membership["list"],
                        "contact": contact["id"],
                        "status": int(UNSUBSCRIBED),
                    }
                }
                await api.call("POST", "/contactLists", json=body)
                changed += 1
        return OptOutSummary(erased={"lists": changed})

    async def _contacts(
        self, api: Api, subject: Subject
    ) -> AsyncIterator[dict[str, Any]]:
        """Every live contact with the person's address, as written and lower-cased."""
        seen: set[str] = set()
        for address in subject.addresses:
            async for contact in _offset_items(
                api, "/contacts", "contacts", params={"email": address}
            ):
                if str(contact["id"]) in seen or not _same(contact, subject):
                    continue
                seen.add(str(contact["id"]))
                yield contact

    async def _archived(
        self, api: Api, subject: Subject
    ) -> list[dict[str, Any]] | None:
        """The person's archived contacts; None when the key may not read the archive."""
        found: dict[str, dict[str, Any]] = {}
        for address in subject.addresses:
            try:
                async for row in _offset_items(
                    api,
                    "/contactArchives",
                    "contactArchives",
                    params={"search": address},
                    missing_ok=False,
                ):
                    # A search can match more than the exact address: never purge
                    # someone else's archived contact.
                    if _same(row, subject):
                        found[str(row["id"])] = row
            except _Missing:
                return None
        return list(found.values())


def _not_admin(deleted: int) -> str:
    done = (
        f"{deleted} contact(s) were deleted, which only archives them for 360 days. "
        if deleted
        else "No live contact has the address. "
    )
    return (
        done + "The API key's user is not in the Admin group, so the Contact Archive "
        "could not be checked or purged: an admin must open Contacts > View archived "
        "contacts, search the person's email and delete what is listed (permanently), "
        "or give the connector an admin's key."
    )


class _Missing(Exception):
    """A list answered 404."""


def _same(contact: Mapping[str, Any], subject: Subject) -> bool:
    return str(contact.get("email", "")).casefold() == subject.email.casefold()


async def _offset_items(
    api: Api,
    path: str,
    key: str,
    *,
    params: Mapping[str, Any] | None = None,
    missing_ok: bool = True,
) -> AsyncIterator[dict[str, Any]]:
    """Every item of an offset-paged list, page by page (`meta.total` when given)."""
    offset = 0
    while True:
        page = await api.json(
            "GET",
            path,
            params={**(params or {}), "limit": PAGE, "offset": offset},
            missing_ok=True,
        )
        if page is None:
            if not missing_ok:
                raise _Missing(path)
            return
        items = page.get(key) or []
        for item in items:
            yield item
        offset += len(items)
        total = (page.get("meta") or {}).get("total")
        if (
            not items
            or len(items) < PAGE
            or (total is not None and offset >= int(total))
        ):
            return


async def _count(api: Api, path: str, key: str) -> int:
    return sum([1 async for _ in _offset_items(api, path, key)])
