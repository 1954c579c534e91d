"""Connector type `keap`: duplicate contacts by email, their notes, tasks and tags.

Keap's REST v2 filters contacts by `email==…`; access asks once per spelling
`Subject.addresses` gives and merges the contacts by id (Keap allows duplicates). For each
contact it reads the notes, tasks and applied tags, every page (`page_token`), and the
opt-in status of each of the contact's email addresses. Erasure deletes the contact's notes
and tasks, then the contact (`DELETE /v2/contacts/{id}`; Keap has no GDPR endpoint and a
deleted contact cannot be restored). Opt-out marks every one of the person's addresses
non-marketable (`PATCH /v2/emailAddresses/{email}/status {"opted_in": false}`).
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any, Self
from urllib.parse import quote

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
from connectors.http import Api, ApiConfig, Next

DEFAULT_BASE_URL = "https://api.infusionsoft.com/crm/rest"
PAGE = 100
CONTACT_FIELDS = (
    "addresses,anniversary_date,birth_date,company,contact_type,create_time,"
    "custom_fields,email_addresses,family_name,fax_numbers,given_name,id,job_title,"
    "leadsource_id,links,middle_name,origin,owner_id,phone_numbers,preferred_locale,"
    "preferred_name,prefix,referral_code,score_value,social_accounts,source_type,"
    "spouse_name,suffix,tag_ids,time_zone,update_time,utm_parameters,website"
)
OPT_OUT_REASON = "Data subject objected to direct marketing (DSR Desk)"

SOURCES: Mapping[str, SourceInfo] = {
    "contacts": SourceInfo(
        "Keap contacts",
        columns={
            "given_name": "First name",
            "family_name": "Last name",
            "email_addresses": "Email addresses",
            "phone_numbers": "Phone numbers",
            "addresses": "Postal addresses",
            "custom_fields": "Custom fields",
            "utm_parameters": "Campaign tracking (UTM)",
        },
    ),
    "notes": SourceInfo("Keap notes about you"),
    "tasks": SourceInfo("Keap tasks about you"),
    "tags": SourceInfo("Keap tags applied to you"),
    "email_status": SourceInfo(
        "Keap email marketing status",
        columns={"opted_in": "Marketable", "status": "Status"},
    ),
}


class KeapConfig(ApiConfig):
    """Settings of a `keap` connector: a personal/service key or an OAuth token."""

    api_key: SecretStr | None = Field(
        default=None, description="Personal Access Token or Service Account Key."
    )
    token: SecretStr | None = Field(default=None, description="OAuth2 access token.")

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if (self.api_key is None) == (self.token is None):
            raise ValueError("set exactly one of api_key and token")
        return self


class KeapConnector(Connector[KeapConfig]):
    """Keap (Infusionsoft) CRM via REST v2."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE, Capability.OPT_OUT})
    config_model = KeapConfig
    source_names = SOURCES

    def rate_limits(self) -> tuple[RateLimit, ...]:
        """Keys: 10/s and 240/min; OAuth: 1500/min under the 25/s spike limit.

        https://developer.infusionsoft.com/api-token-quota-and-usage-measurements
        """
        if self.config.api_key is not None:
            return (RateLimit(10, 1), RateLimit(240, 60))
        return (RateLimit(25, 1), RateLimit(1500, 60))

    @property
    def api(self) -> Api:
        """The Keap REST API as this instance calls it."""
        if self.config.api_key is not None:
            headers = {"X-Keap-API-Key": self.config.api_key.get_secret_value()}
        else:
            assert self.config.token is not None  # noqa: S101 - the validator's rule
            headers = {
                "Authorization": f"Bearer {self.config.token.get_secret_value()}"
            }
        return Api(
            self.http,
            self.config.base_url or DEFAULT_BASE_URL,
            throttle=self.throttle,
            timeout=self.config.timeout,
            headers=headers,
        )

    async def test(self) -> None:
        """List one contact (needs a working key and contact read access)."""
        await self.api.json("GET", "/v2/contacts", params={"page_size": 1})

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Every contact with the email, their notes, tasks, tags and email status."""
        api = self.api
        for contact in await self._contacts(api, subject):
            contact_id = contact["id"]
            yield Record("contacts", contact)
            async for note in _paged(api, f"/v2/contacts/{contact_id}/notes", "notes"):
                yield Record("notes", note)
            async for task in self._tasks(api, contact_id):
                yield Record("tasks", task)
            async for tag in _paged(api, f"/v2/contacts/{contact_id}/tags", "tags"):
                yield Record("tags", tag)
            for email in _emails(contact):
                status = await api.json("GET", _status_path(email), missing_ok=True)
                if status is not None:
                    yield Record("email_status", status)

    async def erase(self, subject: Subject) -> EraseSummary:
        """Delete each contact's notes and tasks, then the contact."""
        api = self.api
        counts = {"contacts": 0, "notes": 0, "tasks": 0}
        for contact in await self._contacts(api, subject):
            contact_id = contact["id"]
            notes_path = f"/v2/contacts/{contact_id}/notes"
            note_ids = [n["id"] async for n in _paged(api, notes_path, "notes")]
            for note_id in note_ids:
                await api.call("DELETE", f"{notes_path}/{note_id}", missing_ok=True)
            task_ids = [t["id"] async for t in self._tasks(api, contact_id)]
            for task_id in task_ids:
                await api.call("DELETE", f"/v2/tasks/{task_id}", missing_ok=True)
            path = f"/v2/contacts/{contact_id}"
            gone = await api.call("DELETE", path, missing_ok=True)
            counts["contacts"] += gone is not None  # a 404: deleted by someone else
            counts["notes"] += len(note_ids)
            counts["tasks"] += len(task_ids)
        notes = (
            (
                "Orders, subscriptions and transactions of the deleted contacts stay in "
                "Keap's billing records; review them in Keap if they must go too.",
            )
            if counts["contacts"]
            else ()
        )
        return EraseSummary(erased=counts, notes=notes)

    async def opt_out(self, subject: Subject) -> OptOutSummary:
        """Mark every address of the person's contacts non-marketable."""
        api = self.api
        emails = {e for c in await self._contacts(api, subject) for e in _emails(c)}
        changed = 0
        for email in sorted(emails):
            status = await api.json("GET", _status_path(email), missing_ok=True)
            if status is None or not status.get("opted_in"):
                continue  # unknown to Keap's email status, or already non-marketable
            await api.call(
                "PATCH",
                _status_path(email),
                json={"opted_in": False, "reason": OPT_OUT_REASON},
            )
            changed += 1
        return OptOutSummary(erased={"email_addresses": changed})

    async def _contacts(self, api: Api, subject: Subject) -> list[dict[str, Any]]:
        found: dict[Any, dict[str, Any]] = {}
        for address in subject.addresses:
            query = {"filter": f"email=={address}", "fields": CONTACT_FIELDS}
            async for contact in _paged(api, "/v2/contacts", "contacts", query):
                found.setdefault(contact["id"], contact)
        return list(found.values())

    def _tasks(self, api: Api, contact_id: Any) -> AsyncIterator[dict[str, Any]]:
        return _paged(
            api, "/v2/tasks", "tasks", {"filter": f"contact_id=={contact_id}"}
        )


def _status_path(email: str) -> str:
    return f"/v2/emailAddresses/{quote(email, safe='')}/status"


def _emails(contact: Mapping[str, Any]) -> list[str]:
    return [
        e["email"]
        for e in contact.get("email_addresses") or []
        if isinstance(e, Mapping) and e.get("email")
    ]


async def _paged(
    api: Api, path: str, key: str, query: Mapping[str, str] | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Every item under `key`, following `next_page_token` as `page_token`."""
    params = {**(query or {}), "page_size": PAGE}
    async for page in api.pages("GET", path, _next_token, params=params):
        for item in page.get(key) or []:
            yield item


def _next_token(page: Any) -> Next | None:
    token = page.get("next_page_token")
    return {"page_token": token} if token else None
