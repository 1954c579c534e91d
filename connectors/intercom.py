"""Connector type `intercom`: contacts (users and leads), their notes, tags, companies
and conversations.

Follows Intercom's REST API 2.x (https://developers.intercom.com/docs/references/rest-api):
Bearer token, `Intercom-Version` pinned; `POST /contacts/search` and
`POST /conversations/search` page with `pagination.starting_after` in the body. Erasure
is `DELETE /contacts/{id}`, which removes the contact and all of its conversations; Intercom
can restore them for 7 days, then destroys them (said in the summary's notes). Opt-out
sets `unsubscribed_from_emails` on every contact of the person.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any

from pydantic import Field, SecretStr

from connectors import paging
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
from connectors.http import Api, ApiConfig

API_URL = "https://api.intercom.io"  # EU: https://api.eu.intercom.io, AU: api.au.
VERSION = "2.11"
PER_PAGE = 150  # the search APIs' largest page

SOURCES = {
    "contacts": SourceInfo(
        "Intercom contacts (users and leads)",
        columns={
            "email": "Email",
            "name": "Name",
            "phone": "Phone",
            "role": "Role",
            "location": "Location",
            "custom_attributes": "Custom attributes",
            "unsubscribed_from_emails": "Unsubscribed from emails",
        },
    ),
    "conversations": SourceInfo(
        "Conversations",
        columns={
            "source": "First message",
            "conversation_parts": "Replies",
            "created_at": "Started",
            "state": "State",
        },
    ),
    "notes": SourceInfo("Notes on the contact", columns={"body": "Note"}),
    "tags": SourceInfo("Tags", columns={"name": "Tag"}),
    "companies": SourceInfo("Companies", columns={"name": "Company"}),
}
GRACE_NOTE = (
    "Intercom keeps deleted contacts and their conversations recoverable by its support "
    "for 7 days, then destroys them permanently. Satisfaction (CSAT) ratings and "
    "comments are not deleted with the contact."
)


class IntercomConfig(ApiConfig):
    """Settings of an `intercom` connector."""

    token: SecretStr = Field(description="Access token of the Intercom app (Bearer).")


class IntercomConnector(Connector[IntercomConfig]):
    """Reads, deletes and unsubscribes a person's contacts in one Intercom workspace."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE, Capability.OPT_OUT})
    config_model = IntercomConfig
    source_names = SOURCES
    # 10,000 calls a minute per app, counted in 10-second windows (1,666 each):
    # developers.intercom.com/docs/references/rest-api/errors/rate-limiting
    rate_limit = RateLimit(max_rate=1666, time_period=10)
    page_size = PER_PAGE  # hits per search page (tests page sooner)

    @property
    def api(self) -> Api:
        """The workspace's REST API; `base_url` picks a region or a test server."""
        return Api(
            self.http,
            self.config.base_url or API_URL,
            throttle=self.throttle,
            timeout=self.config.timeout,
            headers={
                "Authorization": f"Bearer {self.config.token.get_secret_value()}",
                "Intercom-Version": VERSION,
                "Accept": "application/json",
            },
        )

    async def test(self) -> None:
        """`GET /me`, the admin the token acts as."""
        await self.api.call("GET", "/me")

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Every contact of the person, with notes, tags, companies and conversations."""
        api = self.api
        async for contact in self._contacts(api, subject):
            yield Record("contacts", contact)
            cid = contact["id"]
            async for note in _numbered(api, f"/contacts/{cid}/notes"):
                yield Record("notes", note)
            for source in ("tags", "companies"):
                async for item in _numbered(api, f"/contacts/{cid}/{source}"):
                    yield Record(source, item)
            query = {"field": "contact_ids", "operator": "=", "value": cid}
            async for found in _search(
                api, "/conversations/search", query, self.page_size
            ):
                full = await api.json(
                    "GET", f"/conversations/{found['id']}", missing_ok=True
                )
                if full is not None:
                    yield Record("conversations", full)

    async def erase(self, subject: Subject) -> EraseSummary:
        """Delete every contact of the person; their conversations go with them."""
        api = self.api
        contacts = conversations = 0
        async for contact in self._contacts(api, subject):
            query = {"field": "contact_ids", "operator": "=", "value": contact["id"]}
            held = sum(
                [
                    1
                    async for _ in _search(
                        api, "/conversations/search", query, self.page_size
                    )
                ]
            )
            deleted = await api.json(
                "DELETE", f"/contacts/{contact['id']}", missing_ok=True
            )
            if deleted is not None and deleted.get("deleted"):
                contacts += 1
                conversations += held
        if not contacts:
            return EraseSummary(erased={"contacts": 0})
        erased = {"contacts": contacts, "conversations": conversations}
        return EraseSummary(erased=erased, notes=(GRACE_NOTE,))

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Set `unsubscribed_from_emails` on each of the person's contacts."""
        api = self.api
        changed = 0
        async for contact in self._contacts(api, subject):
            if contact.get("unsubscribed_from_emails"):
                continue
            body = {"unsubscribed_from_emails": True}
            await api.call("PUT", f"/contacts/{contact['id']}", json=body)
            changed += 1
        return OptOutSummary(erased={"contacts": changed})

    async def _contacts(
        self, api: Api, subject: Subject
    ) -> AsyncIterator[dict[str, Any]]:
        """Contacts whose email is the person's, searched as written and lower-cased."""
        seen: set[str] = set()
        for address in subject.addresses:
            query = {"field": "email", "operator": "=", "value": address}
            async for contact in _search(
                api, "/contacts/search", query, self.page_size
            ):
                email = str(contact.get("email") or "")
                if (
                    contact["id"] in seen
                    or email.casefold() != subject.email.casefold()
                ):
                    continue
                seen.add(contact["id"])
                yield contact


def _search(
    api: Api, path: str, query: Mapping[str, Any], per_page: int
) -> AsyncIterator[Any]:
    """Every hit of a search API; the cursor (`pages.next.starting_after`) goes in the
    body, and one Intercom refuses restarts the search (`connectors.paging`)."""

    def following(page: Any) -> dict[str, Any] | None:
        cursor = ((page.get("pages") or {}).get("next") or {}).get("starting_after")
        if not cursor:
            return None
        return {"pagination": {"per_page": per_page, "starting_after": cursor}}

    return paging.items(
        api,
        "POST",
        path,
        found=lambda page: page.get("data") or page.get("conversations") or [],
        next_page=following,
        json={"query": query, "pagination": {"per_page": per_page}},
    )


async def _numbered(api: Api, path: str) -> AsyncIterator[dict[str, Any]]:
    """Every item of a contact's list (`data`), page by page (`pages.total_pages`)."""
    page_no = 1
    while True:
        page = await api.json(
            "GET", path, params={"page": page_no, "per_page": 50}, missing_ok=True
        )
        if page is None:
            return
        for item in page.get("data") or []:
            yield item
        pages = page.get("pages") or {}
        if page_no >= int(pages.get("total_pages") or 1):
            return
        page_no += 1
