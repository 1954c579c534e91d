"""Connector type `drip`: subscribers, their tags and campaign subscriptions.

Follows Drip's REST API v2 (https://developer.drip.com/): Basic auth with the API token
as the user name and no password, a `User-Agent` on every call, `page` + `per_page` (≤100)
pages with `meta.total_pages`, 3,600 calls an hour per account. A subscriber is fetched by
address (`GET /v2/{account}/subscribers/{email}`, 404 when there is none). Erasure is
`DELETE /v2/{account}/subscribers/{id}`, which removes the subscriber and its data for
good; opt-out is "unsubscribe from all mailings" (`POST …/subscribers/{id}/unsubscribe_all`).
"""

import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import httpx
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
from connectors.http import Api, ApiConfig

API_URL = "https://api.getdrip.com"
USER_AGENT = "DSR Desk (data subject requests)"
PER_PAGE = 100

SOURCES = {
    "subscribers": SourceInfo(
        "Drip subscribers",
        columns={
            "email": "Email",
            "first_name": "First name",
            "last_name": "Last name",
            "status": "Status",
            "custom_fields": "Custom fields",
            "ip_address": "IP address",
            "time_zone": "Time zone",
            "created_at": "Created",
        },
    ),
    "tags": SourceInfo("Tags", columns={"tag": "Tag"}),
    "campaign_subscriptions": SourceInfo(
        "Email series (campaign) subscriptions",
        columns={"campaign_id": "Campaign", "status": "Status"},
    ),
}


class DripConfig(ApiConfig):
    """Settings of a `drip` connector."""

    account_id: str = Field(min_length=1, description="The Drip account id.")
    api_token: SecretStr = Field(description="A user's API token (Basic user name).")


class DripConnector(Connector[DripConfig]):
    """Reads, deletes and unsubscribes a person's subscribers in one Drip account."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE, Capability.OPT_OUT})
    config_model = DripConfig
    source_names = SOURCES
    # 3,600 calls an hour per account: kept as 60 a minute, so a burst stays small.
    rate_limit = RateLimit(max_rate=60, time_period=60)

    @property
    def api(self) -> Api:
        """The API v2 root; `base_url` wins (proxy, test server)."""
        return Api(
            self.http,
            f"{self.config.base_url or API_URL}/v2",
            throttle=self.throttle,
            timeout=self.config.timeout,
            auth=httpx.BasicAuth(self.config.api_token.get_secret_value(), ""),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    async def test(self) -> None:
        """`GET /v2/accounts/{account_id}`: the token reaches this account."""
        await self.api.call("GET", f"/accounts/{self.config.account_id}")

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Each subscriber with the address, its tags and campaign subscriptions."""
        api = self.api
        async for subscriber in self._subscribers(api, subject):
            yield Record("subscribers", subscriber)
            for tag in subscriber.get("tags") or []:
                yield Record("tags", {"tag": tag})
            path = self._path(f"subscribers/{subscriber['id']}/campaign_subscriptions")
            async for page in api.pages(
                "GET",
                path,
                _next_page,
                params={"page": 1, "per_page": PER_PAGE},
                missing_ok=True,
            ):
                for subscription in page.get("campaign_subscriptions") or []:
                    yield Record("campaign_subscriptions", subscription)

    async def erase(self, subject: Subject) -> EraseSummary:
        """Delete every subscriber with the address."""
        api = self.api
        deleted = 0
        async for subscriber in self._subscribers(api, subject):
            path = self._path(f"subscribers/{subscriber['id']}")
            if await api.call("DELETE", path, missing_ok=True) is not None:
                deleted += 1
        return EraseSummary(erased={"subscribers": deleted})

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Unsubscribe every subscriber with the address from all mailings."""
        api = self.api
        changed = 0
        async for subscriber in self._subscribers(api, subject):
            if subscriber.get("status") == "unsubscribed":
                continue
            path = self._path(f"subscribers/{subscriber['id']}/unsubscribe_all")
            await api.call("POST", path)
            changed += 1
        return OptOutSummary(erased={"subscribers": changed})

    def _path(self, rest: str) -> str:
        return f"/{urllib.parse.quote(self.config.account_id, safe='')}/{rest}"

    async def _subscribers(
        self, api: Api, subject: Subject
    ) -> AsyncIterator[dict[str, Any]]:
        """The subscriber for each of the person's addresses (as written, lower-cased)."""
        seen: set[str] = set()
        for address in subject.addresses:
            path = self._path(f"subscribers/{urllib.parse.quote(address, safe='@')}")
            found = await api.json("GET", path, missing_ok=True)
            for subscriber in (found or {}).get("subscribers") or []:
                email = str(subscriber.get("email") or "")
                if (
                    subscriber["id"] in seen
                    or email.casefold() != subject.email.casefold()
                ):
                    continue
                seen.add(subscriber["id"])
                yield subscriber


def _next_page(body: Any) -> dict[str, int] | None:
    meta = body.get("meta") or {}
    page, total = int(meta.get("page") or 1), int(meta.get("total_pages") or 1)
    return {"page": page + 1} if page < total else None
