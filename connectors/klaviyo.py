"""Connector type `klaviyo`: profiles, their lists, segments and events.

Follows Klaviyo's JSON:API REST API (https://developers.klaviyo.com/en/reference/api_overview):
`Authorization: Klaviyo-API-Key <private key>` with a pinned `revision` header; cursor pages
through `links.next`. Erasure is Klaviyo's GDPR deletion (`POST /data-privacy-deletion-jobs`,
one job per profile id): it runs in the background and has no status endpoint, so the
erasure is pending until `poll()` finds every profile gone. Opt-out unsubscribes the
profiles from email marketing everywhere (a bulk unsubscribe job without a list, which
Klaviyo applies globally), only for profiles that exist: Klaviyo would create a profile for
an unknown address.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any

from pydantic import Field, SecretStr

from connectors import paging
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
from connectors.http import Api, ApiConfig

API_URL = "https://a.klaviyo.com"
REVISION = "2026-04-15"
JSONAPI = "application/vnd.api+json"
UNSUBSCRIBE_BATCH = 100  # profiles per bulk unsubscribe job

SOURCES = {
    "profiles": SourceInfo(
        "Klaviyo profiles",
        columns={
            "attributes": "Profile (email, phone, names, location, properties, consent)",
        },
    ),
    "lists": SourceInfo("Lists the profile is on", columns={"attributes": "List"}),
    "segments": SourceInfo(
        "Segments the profile is in", columns={"attributes": "Segment"}
    ),
    "events": SourceInfo(
        "Events (opens, clicks, orders, site activity)",
        columns={"attributes": "Event (metric, time, properties)"},
    ),
}


class KlaviyoConfig(ApiConfig):
    """Settings of a `klaviyo` connector."""

    api_key: SecretStr = Field(description="A private API key (Klaviyo-API-Key).")


class KlaviyoConnector(Connector[KlaviyoConfig]):
    """Reads, deletes and unsubscribes a person's profiles in one Klaviyo account."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE, Capability.OPT_OUT})
    config_model = KlaviyoConfig
    source_names = SOURCES
    page_size = 100  # profiles, lists and segments per page (Klaviyo's largest)

    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The profile endpoints' tier: 75 a second burst, 750 a minute steady."""
        return (RateLimit(75, 1), RateLimit(750, 60))

    @property
    def api(self) -> Api:
        """The account's API; `base_url` wins (proxy, test server)."""
        return Api(
            self.http,
            f"{self.config.base_url or API_URL}/api",
            throttle=self.throttle,
            timeout=self.config.timeout,
            headers={
                "Authorization": f"Klaviyo-API-Key {self.config.api_key.get_secret_value()}",
                "revision": REVISION,
                "Accept": JSONAPI,
                "Content-Type": JSONAPI,
            },
        )

    async def test(self) -> None:
        """One profile of the account (needs the `profiles:read` scope the type uses)."""
        await self.api.call("GET", "/profiles", params={"page[size]": 1})

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Each profile with the address, its lists, segments and every event."""
        api = self.api
        async for profile in self._profiles(api, subject):
            yield Record("profiles", profile)
            pid = profile["id"]
            for source in ("lists", "segments"):
                async for item in _items(api, f"/profiles/{pid}/{source}", {}):
                    yield Record(source, item)
            events = {"filter": f'equals(profile_id,"{pid}")'}
            async for event in _items(api, "/events", events):
                yield Record("events", event)

    async def erase(self, subject: Subject) -> EraseSummary:
        """Request Klaviyo's GDPR deletion of each profile; pending until they are gone."""
        api = self.api
        ids = [profile["id"] async for profile in self._profiles(api, subject)]
        if not ids:
            return EraseSummary(erased={"profiles": 0})
        for pid in ids:
            body = {
                "data": {
                    "type": "data-privacy-deletion-job",
                    "attributes": {"profile": {"data": {"type": "profile", "id": pid}}},
                }
            }
            await api.call("POST", "/data-privacy-deletion-jobs", json=body)
        return EraseSummary(
            status=EraseStatus.PENDING, job_ref="profiles=" + ",".join(ids)
        )

    async def poll(self, job_ref: str) -> EraseSummary:
        """Done once no profile of the erasure can be read any more."""
        ids = [pid for pid in job_ref.removeprefix("profiles=").split(",") if pid]
        api = self.api
        for pid in ids:
            if await api.call("GET", f"/profiles/{pid}", missing_ok=True) is not None:
                return EraseSummary(status=EraseStatus.PENDING, job_ref=job_ref)
        return EraseSummary(
            erased={"profiles": len(ids)},
            notes=(
                "Klaviyo deleted the profiles with their events; it keeps the "
                "deleted contact details on its Deleted Profiles page as a record "
                "of the deletion, as GDPR requires.",
            ),
        )

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Unsubscribe every subscribed profile of the person from email marketing."""
        api = self.api
        emails = [
            str(profile["attributes"]["email"])
            async for profile in self._profiles(api, subject)
            if _email_consent(profile) != "UNSUBSCRIBED"
        ]
        for at in range(0, len(emails), UNSUBSCRIBE_BATCH):
            profiles = [
                {
                    "type": "profile",
                    "attributes": {
                        # The stored address exactly: another spelling would make
                        # Klaviyo create (and unsubscribe) a new profile.
                        "email": email,
                        "subscriptions": {
                            "email": {"marketing": {"consent": "UNSUBSCRIBED"}}
                        },
                    },
                }
                for email in emails[at : at + UNSUBSCRIBE_BATCH]
            ]
            body = {
                "data": {
                    "type": "profile-subscription-bulk-delete-job",
                    "attributes": {"profiles": {"data": profiles}},
                }
            }
            await api.call("POST", "/profile-subscription-bulk-delete-jobs", json=body)
        return OptOutSummary(erased={"profiles": len(emails)})

    async def _profiles(
        self, api: Api, subject: Subject
    ) -> AsyncIterator[dict[str, Any]]:
        """Profiles whose email is one of the person's addresses, with consent fields."""
        seen: set[str] = set()
        for address in subject.addresses:
            quoted = address.replace("\\", "\\\\").replace('"', '\\"')
            params = {
                "filter": f'equals(email,"{quoted}")',
                "additional-fields[profile]": "subscriptions",
                "page[size]": self.page_size,
            }
            async for profile in _items(api, "/profiles", params):
                email = str(profile.get("attributes", {}).get("email") or "")
                if (
                    profile["id"] in seen
                    or email.casefold() != subject.email.casefold()
                ):
                    continue
                seen.add(profile["id"])
                yield profile


def _email_consent(profile: Mapping[str, Any]) -> str | None:
    subscriptions = profile.get("attributes", {}).get("subscriptions") or {}
    marketing = (subscriptions.get("email") or {}).get("marketing") or {}
    consent = marketing.get("consent")
    return str(consent) if consent is not None else None


def _items(api: Api, path: str, params: Mapping[str, Any]) -> AsyncIterator[Any]:
    """Every resource of a JSON:API list, following `links.next`; a cursor Klaviyo
    refuses restarts the list (`connectors.paging`)."""
    return paging.items(
        api,
        "GET",
        path,
        found=lambda page: page.get("data") or [],
        next_page=lambda page: (page.get("links") or {}).get("next"),
        params=params,
    )
