"""Connector type `mailchimp`: the person's member record in every audience.

Mailchimp keys a member by the MD5 of the lower-cased address, so one lookup per audience
(`GET /lists/{list}/members/{hash}`) finds the person whatever case they or the account
wrote the address in. Access walks every audience (paged) and reads each member with its
notes, tags, events and activity feed (every page). Erasure is
`POST …/members/{hash}/actions/delete-permanent` in every audience holding the person —
`DELETE …/members/{hash}` only archives, and is never used. Opt-out sets the member's
status to `unsubscribed` in every audience where they are subscribed or pending.
"""

import hashlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr, model_validator

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

PAGE = 1000  # `count` is at most 1000 on every list endpoint
MARKETABLE = frozenset({"subscribed", "pending"})

# Related collections of a member: (source, path under the member, key in the body).
MEMBER_PARTS: tuple[tuple[str, str, str], ...] = (
    ("member_notes", "notes", "notes"),
    ("member_tags", "tags", "tags"),
    ("member_events", "events", "events"),
    ("member_activity", "activity-feed", "activity"),
)

SOURCES: Mapping[str, SourceInfo] = {
    "members": SourceInfo(
        "Mailchimp audience memberships",
        columns={
            "email_address": "Email address",
            "status": "Subscription status",
            "merge_fields": "Profile fields",
            "list_id": "Audience",
            "ip_signup": "Sign-up IP address",
            "timestamp_signup": "Signed up",
            "location": "Location",
            "last_changed": "Last changed",
        },
    ),
    "member_notes": SourceInfo("Mailchimp notes about you"),
    "member_tags": SourceInfo("Mailchimp tags"),
    "member_events": SourceInfo("Mailchimp events"),
    "member_activity": SourceInfo(
        "Mailchimp activity (opens, clicks, sign-ups)",
        columns={"activity_type": "Activity", "created_at_timestamp": "When"},
    ),
}


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: the MD5 hex digest of the lower-cased address."""
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


class MailchimpConfig(ApiConfig):
    """Settings of a `mailchimp` connector."""

    api_key: SecretStr = Field(
        description="Marketing API key; its `-usN` suffix names the data centre."
    )

    @model_validator(mode="after")
    def _data_centre_known(self) -> "MailchimpConfig":
        if self.base_url is None and _data_centre(self.api_key) is None:
            raise ValueError("api_key: must end in the data centre (e.g. -us6)")
        return self


def _data_centre(api_key: SecretStr) -> str | None:
    _, dash, centre = api_key.get_secret_value().rpartition("-")
    return centre if dash and centre.isalnum() else None


class MailchimpConnector(Connector[MailchimpConfig]):
    """Mailchimp Marketing API v3: members in every audience."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE, Capability.OPT_OUT})
    config_model = MailchimpConfig
    source_names = SOURCES
    # Mailchimp limits each account to 10 simultaneous connections and publishes no
    # rate; 10 calls a second keeps well under 10 at once for calls under a second
    # (https://mailchimp.com/developer/marketing/docs/fundamentals/).
    rate_limit = RateLimit(max_rate=10, time_period=1)
    backoff: ClassVar[float] = 1.0  # its 429s carry no Retry-After: a jittered backoff

    @property
    def api(self) -> Api:
        """The Marketing API as this instance calls it (Basic auth, key as password)."""
        base = self.config.base_url
        if base is None:
            base = f"https://{_data_centre(self.config.api_key)}.api.mailchimp.com/3.0"
        return Api(
            self.http,
            base,
            throttle=self.throttle,
            timeout=self.config.timeout,
            auth=httpx.BasicAuth("dsr", self.config.api_key.get_secret_value()),
            backoff=self.backoff,
        )

    async def test(self) -> None:
        """`GET /ping`: Mailchimp's health check, which needs a valid key."""
        await self.api.json("GET", "/ping")

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """The person's member record in every audience, with its related collections."""
        api = self.api
        async for list_id, member_path, member in self._memberships(api, subject):
            member.pop("_links", None)
            yield Record("members", member)
            for source, part, key in MEMBER_PARTS:
                path = f"{member_path}/{part}"
                async for item in _offset_pages(api, path, key, missing_ok=True):
                    item.pop("_links", None)
                    yield Record(source, {"list_id": list_id, **item})

    async def erase(self, subject: Subject) -> EraseSummary:
        """Permanently delete the person from every audience holding them."""
        api = self.api
        deleted = 0
        async for _, member_path, _ in self._memberships(api, subject):
            path = f"{member_path}/actions/delete-permanent"
            deleted += await api.call("POST", path, missing_ok=True) is not None
        return EraseSummary(erased={"members": deleted})

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Set `unsubscribed` in every audience where the person is subscribed or pending."""
        api = self.api
        changed = 0
        async for _, member_path, member in self._memberships(api, subject):
            if member.get("status") in MARKETABLE:
                await api.call("PATCH", member_path, json={"status": "unsubscribed"})
                changed += 1
        return OptOutSummary(erased={"audiences": changed})

    async def _memberships(
        self, api: Api, subject: Subject
    ) -> AsyncIterator[tuple[str, str, dict[str, Any]]]:
        """(audience id, member path, member) for every audience holding the person."""
        member_hash = subscriber_hash(subject.email)
        lists = [
            audience["id"]
            async for audience in _offset_pages(
                api, "/lists", "lists", fields="lists.id,total_items"
            )
        ]
        for list_id in lists:
            path = f"/lists/{list_id}/members/{member_hash}"
            member = await api.json("GET", path, missing_ok=True)
            if member is not None:
                yield list_id, path, member


async def _offset_pages(
    api: Api, path: str, key: str, *, missing_ok: bool = False, **params: str
) -> AsyncIterator[dict[str, Any]]:
    """Every item under `key` of an offset-paged collection (`count`, `offset`).

    `missing_ok`: a 404 ends the collection (a member deleted meanwhile); elsewhere a
    404 is an error, so a wrong base URL never reads as "holds nothing".
    """
    offset = 0
    while True:
        query: dict[str, Any] = {**params, "count": PAGE, "offset": offset}
        page = await api.json("GET", path, params=query, missing_ok=missing_ok)
        if page is None:
            return
        items = page.get(key, [])
        for item in items:
            yield item
        offset += len(items)
        if not items or offset >= int(page.get("total_items", 0)):
            return
