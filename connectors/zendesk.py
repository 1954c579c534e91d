"""Connector type `zendesk`: end users, their identities, and the tickets they requested.

Follows Zendesk Support's API v2 (https://developer.zendesk.com/api-reference/): Basic auth
`{email}/token:{api_token}`; cursor pages (`page[size]` ≤100, `links.next`) where offered,
offset pages (`next_page`) for user search; per-minute limits by plan.

Erasure is permanent and complete: each ticket the person requested is deleted
(`DELETE /tickets/{id}`) and then purged (`DELETE /deleted_tickets/destroy_many`, a
background job); the user is deleted and then permanently deleted
(`DELETE /deleted_users/{id}`). Users someone soft-deleted earlier (still holding the
person's data) are found among the deleted users and purged too. While a purge job runs
the erasure is pending; `poll()` follows the jobs. With `delete_tickets: false` the tickets
are left and the erasure asks staff to deal with them, naming each one.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from pydantic import Field, SecretStr, model_validator

from connectors import paging
from connectors.base import (
    AuthError,
    Capability,
    Connector,
    ConnectorError,
    EraseStatus,
    EraseSummary,
    RateLimit,
    Record,
    SourceInfo,
    Subject,
)
from connectors.http import Api, ApiConfig

PAGE = 100  # cursor pagination's largest page[size]
BATCH = 100  # ids per destroy_many
DONE_JOB = "completed"
FAILED_JOBS = frozenset({"failed", "killed"})

SOURCES = {
    "users": SourceInfo(
        "Zendesk users",
        columns={
            "email": "Email",
            "name": "Name",
            "phone": "Phone",
            "role": "Role",
            "time_zone": "Time zone",
            "user_fields": "Custom fields",
        },
    ),
    "identities": SourceInfo(
        "Email addresses, phone numbers and accounts of the user",
        columns={"type": "Kind", "value": "Value", "verified": "Verified"},
    ),
    "tickets": SourceInfo(
        "Tickets the person requested",
        columns={
            "subject": "Subject",
            "description": "Description",
            "status": "Status",
        },
    ),
    "ticket_comments": SourceInfo(
        "Messages on those tickets",
        columns={"body": "Message", "public": "Public", "created_at": "Written"},
    ),
}


class ZendeskConfig(ApiConfig):
    """Settings of a `zendesk` connector."""

    subdomain: str | None = Field(
        default=None, description="The account's subdomain: <subdomain>.zendesk.com."
    )
    email: str = Field(description="Email of the agent or admin the token belongs to.")
    api_token: SecretStr = Field(description="API token (Admin Center > Apps > API).")
    requests_per_minute: int = Field(
        default=200,
        gt=0,
        description="The plan's API limit: 200 (Team), 400 (Growth, Professional), "
        "700 (Enterprise), 2500 (Enterprise Plus or the High Volume add-on).",
    )
    delete_tickets: bool = Field(
        default=True,
        description="Delete and purge the tickets the person requested; false leaves "
        "them and asks staff to handle them.",
    )

    @model_validator(mode="after")
    def _an_address(self) -> "ZendeskConfig":
        if self.subdomain is None and self.base_url is None:
            raise ValueError("subdomain is required")
        return self


class ZendeskConnector(Connector[ZendeskConfig]):
    """Reads and permanently erases a person's users and tickets in one Zendesk account."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE})
    config_model = ZendeskConfig
    source_names = SOURCES
    page_size = PAGE  # items per cursor page (tests page sooner)

    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The plan's calls per minute (developer.zendesk.com .../rate-limits)."""
        return (RateLimit(max_rate=self.config.requests_per_minute, time_period=60),)

    @property
    def api(self) -> Api:
        """The account's API v2; `base_url` wins over the subdomain."""
        root = self.config.base_url or f"https://{self.config.subdomain}.zendesk.com"
        return Api(
            self.http,
            f"{root}/api/v2",
            throttle=self.throttle,
            timeout=self.config.timeout,
            auth=httpx.BasicAuth(
                f"{self.config.email}/token", self.config.api_token.get_secret_value()
            ),
            headers={"Accept": "application/json"},
        )

    async def test(self) -> None:
        """`GET /users/me`; an anonymous answer (no id) means the token was not taken."""
        me = await self.api.json("GET", "/users/me")
        if not (me or {}).get("user", {}).get("id"):
            raise AuthError("GET /users/me: credentials refused (anonymous user)")

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Each user with the address, their identities, requested tickets and messages."""
        api = self.api
        async for user in self._users(api, subject):
            yield Record("users", user)
            async for identity in _cursor_items(
                api, f"/users/{user['id']}/identities", "identities", self.page_size
            ):
                yield Record("identities", identity)
            async for ticket in self._requested(api, user["id"]):
                yield Record("tickets", ticket)
                async for comment in _cursor_items(
                    api, f"/tickets/{ticket['id']}/comments", "comments", self.page_size
                ):
                    yield Record("ticket_comments", comment)

    async def erase(self, subject: Subject) -> EraseSummary:
        """Delete and purge the person's tickets, then delete and purge their users."""
        api = self.api
        users = [user async for user in self._users(api, subject)]
        tickets: list[str] = []
        for user in users:
            tickets += [str(t["id"]) async for t in self._requested(api, user["id"])]
        if tickets and not self.config.delete_tickets:
            return _manual_tickets(tickets)
        for ticket in tickets:
            await api.call("DELETE", f"/tickets/{ticket}", missing_ok=True)
        jobs = [
            await _purge_tickets(api, tickets[at : at + BATCH])
            for at in range(0, len(tickets), BATCH)
        ]
        purged = 0
        for user in users:
            await api.call("DELETE", f"/users/{user['id']}", missing_ok=True)
        # Now soft-deleted, with any the person had from earlier (or an interrupted run).
        held = {str(u["id"]) for u in users}
        held |= {str(u["id"]) for u in await self._soft_deleted(api, subject)}
        for user_id in sorted(held):
            if await api.call("DELETE", f"/deleted_users/{user_id}", missing_ok=True):
                purged += 1
        counts = {"users": purged, "tickets": len(tickets)}
        return await self._settle(api, counts, [job for job in jobs if job])

    async def poll(self, job_ref: str) -> EraseSummary:
        """Done once every ticket purge job of the erasure has completed."""
        counts, jobs = _parse_ref(job_ref)
        return await self._settle(self.api, counts, jobs)

    async def _settle(
        self, api: Api, counts: Mapping[str, int], jobs: Sequence[str]
    ) -> EraseSummary:
        """Done when no purge job is still queued or working, else pending on them."""
        running = []
        for job in jobs:
            found = await api.json("GET", f"/job_statuses/{job}", missing_ok=True)
            status = ((found or {}).get("job_status") or {}).get("status", DONE_JOB)
            if status in FAILED_JOBS:
                raise ConnectorError(f"ticket purge job {job} {status} (Zendesk)")
            if status != DONE_JOB:
                running.append(job)
        if running:
            return EraseSummary(
                status=EraseStatus.PENDING, erased=counts, job_ref=_ref(counts, running)
            )
        return EraseSummary(erased=counts)

    async def _users(self, api: Api, subject: Subject) -> AsyncIterator[dict[str, Any]]:
        """Live users with one of the person's addresses (search, then identities)."""
        seen: set[str] = set()
        wanted = subject.email.casefold()
        for address in subject.addresses:
            async for page in api.pages(
                "GET",
                "/users/search",
                lambda body: body.get("next_page"),
                params={"query": address},
            ):
                for user in page.get("users") or []:
                    uid = str(user["id"])
                    if uid in seen or not await _holds(api, user, wanted):
                        continue
                    seen.add(uid)
                    yield user

    async def _requested(self, api: Api, user_id: Any) -> AsyncIterator[dict[str, Any]]:
        async for ticket in _cursor_items(
            api, f"/users/{user_id}/tickets/requested", "tickets", self.page_size
        ):
            yield ticket

    async def _soft_deleted(self, api: Api, subject: Subject) -> list[dict[str, Any]]:
        """Deleted (not yet purged) users with the address: they still hold the data."""
        wanted = subject.email.casefold()
        return [
            user
            async for user in _cursor_items(
                api, "/deleted_users", "deleted_users", self.page_size
            )
            if str(user.get("email") or "").casefold() == wanted
        ]


async def _holds(api: Api, user: Mapping[str, Any], wanted: str) -> bool:
    """Whether the user's primary email or one of its identities is the address."""
    if str(user.get("email") or "").casefold() == wanted:
        return True
    async for identity in _cursor_items(
        api, f"/users/{user['id']}/identities", "identities"
    ):
        if identity.get("type") == "email" and (
            str(identity.get("value") or "").casefold() == wanted
        ):
            return True
    return False


def _cursor_items(
    api: Api, path: str, key: str, size: int = PAGE
) -> AsyncIterator[Any]:
    """Every item of a cursor-paged list, following `links.next` while `has_more`; a
    cursor Zendesk refuses restarts the list (`connectors.paging`)."""

    def following(page: Any) -> str | None:
        more = (page.get("meta") or {}).get("has_more")
        return (page.get("links") or {}).get("next") if more else None

    return paging.items(
        api,
        "GET",
        path,
        found=lambda page: page.get(key) or [],
        next_page=following,
        params={"page[size]": size},
    )


async def _purge_tickets(api: Api, ids: Sequence[str]) -> str | None:
    """Queue the permanent deletion of soft-deleted tickets; the job's id."""
    if not ids:
        return None
    answer = await api.json(
        "DELETE", "/deleted_tickets/destroy_many", params={"ids": ",".join(ids)}
    )
    job = (answer or {}).get("job_status") or {}
    return str(job["id"]) if job.get("id") else None


def _manual_tickets(tickets: Sequence[str]) -> EraseSummary:
    listed = ", ".join(f"#{ticket}" for ticket in tickets)
    return EraseSummary(
        status=EraseStatus.MANUAL_REQUIRED,
        notes=(
            f"The person requested tickets {listed}. This connector is set not to "
            "delete tickets (delete_tickets: false): delete them in Zendesk (then under "
            "Deleted tickets, delete them permanently) or redact their personal data, "
            "then delete and permanently delete the user (Customers > the user > Delete, "
            "then Admin Center > Deleted users).",
        ),
    )


def _ref(counts: Mapping[str, int], jobs: Sequence[str]) -> str:
    """A job reference holding no personal data: the counts and the job ids."""
    return f"users={counts['users']};tickets={counts['tickets']};jobs={','.join(jobs)}"


def _parse_ref(job_ref: str) -> tuple[dict[str, int], list[str]]:
    parts = dict(part.split("=", 1) for part in job_ref.split(";"))
    counts = {"users": int(parts["users"]), "tickets": int(parts["tickets"])}
    return counts, [job for job in parts.get("jobs", "").split(",") if job]
