"""Connector type `kit`: Kit (ConvertKit) subscribers and their tags, via API v4.

Access lists the person's subscriber records in every state (`status=all`, for the address
as written and lower-cased) with their custom fields and tags, every page (`after` cursor).
Kit has no API to delete a subscriber, in v4 or v3. Erasure therefore does what the API can
— unsubscribes the subscriber and clears their first name and custom fields (two calls per
record; untagging one tag per call would take minutes at Kit's rate) — and then answers
`manual_required` with the subscriber ids to delete in Kit's UI (or through Kit support). Opt-out unsubscribes every subscriber record of the person.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from connectors.base import (
    Capability,
    Connector,
    EraseStatus,
    EraseSummary,
    OptOutSummary,
    RateLimit,
    Record,
    SourceInfo,
    Subject,
)
from connectors.http import Api, ApiConfig, Next

DEFAULT_BASE_URL = "https://api.kit.com"
PAGE = 1000  # per_page: default 500, maximum 1000
UNSUBSCRIBED = "cancelled"  # Kit's state of an unsubscribed subscriber

SOURCES: Mapping[str, SourceInfo] = {
    "subscribers": SourceInfo(
        "Kit subscriber records",
        columns={
            "email_address": "Email address",
            "first_name": "First name",
            "state": "State",
            "created_at": "Subscribed",
            "fields": "Custom fields",
        },
    ),
    "subscriber_tags": SourceInfo(
        "Kit tags", columns={"name": "Tag", "tagged_at": "Tagged"}
    ),
}


class KitConfig(ApiConfig):
    """Settings of a `kit` connector."""

    api_key: SecretStr = Field(description="Kit API v4 key (X-Kit-Api-Key).")


class KitConnector(Connector[KitConfig]):
    """Kit email marketing: subscribers, tags; unsubscribe, then a manual delete."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE, Capability.OPT_OUT})
    config_model = KitConfig
    source_names = SOURCES
    # API keys: 120 calls over a rolling 60 s (https://developers.kit.com/api-reference/response-codes).
    rate_limit = RateLimit(max_rate=120, time_period=60)
    backoff: ClassVar[float] = 1.0  # Kit's 429s name no wait: a jittered backoff

    @property
    def api(self) -> Api:
        """The Kit v4 API as this instance calls it."""
        return Api(
            self.http,
            self.config.base_url or DEFAULT_BASE_URL,
            throttle=self.throttle,
            timeout=self.config.timeout,
            headers={"X-Kit-Api-Key": self.config.api_key.get_secret_value()},
            backoff=self.backoff,
        )

    async def test(self) -> None:
        """`GET /v4/account`: the cheapest call that needs a valid key."""
        await self.api.json("GET", "/v4/account")

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """The person's subscriber records (every state) and their tags."""
        api = self.api
        for subscriber in await self._subscribers(api, subject):
            yield Record("subscribers", subscriber)
            async for tag in self._tags(api, subscriber["id"]):
                yield Record(
                    "subscriber_tags", {"subscriber_id": subscriber["id"], **tag}
                )

    async def erase(self, subject: Subject) -> EraseSummary:
        """Unsubscribe and clear each subscriber; a person then deletes them in Kit."""
        api = self.api
        subscribers = await self._subscribers(api, subject)
        if not subscribers:
            return EraseSummary()
        for subscriber in subscribers:
            await self._unsubscribe(api, subscriber)
            # Clear what an update can; the address stays so staff can find the record.
            await api.call(
                "PUT",
                f"/v4/subscribers/{subscriber['id']}",
                json={
                    "email_address": subscriber["email_address"],
                    "first_name": None,
                    "fields": dict.fromkeys(subscriber.get("fields") or {}),
                },
            )
        ids = ", ".join(str(s["id"]) for s in subscribers)
        instructions = (
            f"Kit's API cannot delete subscribers. Subscriber record(s) {ids} were "
            "unsubscribed and their name and custom fields cleared; the address, tags "
            "and history remain. Delete them in Kit (Subscribers: search for the person, "
            "select the record, Delete subscriber) or ask Kit support for a GDPR "
            "deletion, then complete this task."
        )
        # Nothing is erased yet: the records stay until a person deletes them in Kit.
        return EraseSummary(status=EraseStatus.MANUAL_REQUIRED, notes=(instructions,))

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Unsubscribe each of the person's subscriber records that is not already."""
        api = self.api
        changed = 0
        for subscriber in await self._subscribers(api, subject):
            changed += await self._unsubscribe(api, subscriber)
        return OptOutSummary(erased={"subscribers": changed})

    async def _unsubscribe(self, api: Api, subscriber: Mapping[str, Any]) -> int:
        if subscriber.get("state") == UNSUBSCRIBED:
            return 0
        await api.call(
            "POST", f"/v4/subscribers/{subscriber['id']}/unsubscribe", json={}
        )
        return 1

    async def _subscribers(self, api: Api, subject: Subject) -> list[dict[str, Any]]:
        # email_address takes a comma-separated list: both spellings in one call.
        params = {
            "email_address": ",".join(subject.addresses),
            "status": "all",  # the default lists active subscribers only
            "per_page": PAGE,
        }
        found: dict[Any, dict[str, Any]] = {}
        async for page in api.pages(
            "GET", "/v4/subscribers", _next_cursor, params=params
        ):
            for subscriber in page.get("subscribers") or []:
                found.setdefault(subscriber["id"], subscriber)
        return list(found.values())

    async def _tags(
        self, api: Api, subscriber_id: Any
    ) -> AsyncIterator[dict[str, Any]]:
        path = f"/v4/subscribers/{subscriber_id}/tags"
        async for page in api.pages(
            "GET", path, _next_cursor, params={"per_page": PAGE}
        ):
            for tag in page.get("tags") or []:
                yield tag


def _next_cursor(page: Any) -> Next | None:
    """Kit's cursor: `pagination.end_cursor` while `has_next_page`, sent as `after`."""
    pagination = page.get("pagination") or {}
    cursor = pagination.get("end_cursor")
    return {"after": cursor} if pagination.get("has_next_page") and cursor else None
